"""`import tfhub` and resolving a cached handle never import TensorFlow (nor requests)."""

from __future__ import annotations

import json

from tests._helpers.python_process import child_env, run_python

_CODE = """
import json, sys
import tfhub as hub
paths = [hub.resolve(handle) for handle in sys.argv[1:]]
print(json.dumps({"paths": paths, "modules": sorted(m for m in sys.modules
      if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "requests", "tqdm"))}))
"""


def _resolve_in_fresh_process(handles: list[str], env: dict[str, str]) -> dict:
    """Runs `_CODE` on `handles` in a new interpreter; returns its JSON report."""
    return json.loads(run_python(_CODE, *handles, env=env, timeout=60).stdout)


def test_resolving_cached_handles_does_not_import_tensorflow(upstream_copy):
    record = json.loads((upstream_copy / "cache_0.15.json").read_text())
    handles = [entry["handle"] for entry in record["entries"]]
    env = child_env(TFHUB_CACHE_DIR=str(upstream_copy / "cache_0.15"))
    local = str(upstream_copy / "tf1_multi_sig")
    out = _resolve_in_fresh_process([*handles, local], env)
    assert out["modules"] == []  # Not tensorflow, keras, requests or tqdm.
    assert out["paths"] == [
        str(upstream_copy / "cache_0.15" / e["folder"]) for e in record["entries"]
    ] + [local]


def test_resolving_a_cached_kaggle_handle_does_not_import_tensorflow(
    upstream_copy, tmp_path, monkeypatch
):
    from tfhub.cache.importing import import_archive

    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache_dir))
    short = "https://www.kaggle.com/models/o/m/tensorFlow2/v/1"
    long_ = "https://www.kaggle.com/models/o/m/frameworks/TensorFlow2/variations/v/versions/1"
    path = import_archive(str(upstream_copy / "tf2_saved_model.tar.gz"), short)  # tfhub's entry.
    env = child_env()
    out = _resolve_in_fresh_process([short, long_], env)
    assert out["modules"] == []  # Not tensorflow, keras, requests or tqdm.
    assert out["paths"] == [path, path]


# The start path (issue 13): what a process that only imports tfhub, extracts an archive or
# resolves a cached handle imports, run with `python -S` so that no `.pth` file has imported
# anything first (this sandbox's `site` imports certifi, hence `typing` and `pathlib`).
_ADDED_MODULES_CODE = """
import json, sys
before = set(sys.modules)
exec(sys.argv[1])
print(json.dumps(sorted(set(sys.modules) - before)))
"""
# Everything `import tfhub` may import: the import hooks (absl flags, Keras registration).
_IMPORT_TFHUB_MODULES = {"__future__", "tfhub", "tfhub.utils", "tfhub.utils.import_hooks"}
# Standard-library modules that cost milliseconds and that the start path no longer needs.
_NOT_ON_THE_START_PATH = {"dataclasses", "inspect", "pathlib", "tempfile", "importlib.abc"}


def _modules_added_by(statement: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules `statement` imports in a fresh `python -S` (stdlib and src/ only)."""
    out = run_python(_ADDED_MODULES_CODE, statement, env=env, timeout=60, flags=["-S"])
    return set(json.loads(out.stdout))


def test_import_tfhub_imports_only_its_import_hooks():
    assert _modules_added_by("import tfhub") == _IMPORT_TFHUB_MODULES


def test_submodules_import_tfhub_used_to_load_are_still_attributes():
    code = """
    import tfhub as hub
    assert issubclass(hub.errors.OfflineModeError, FileNotFoundError)
    assert hub.constants.cache_dir() and callable(hub.keras.keras_layer_class)
    assert hub.utils.import_hooks.is_imported("tfhub")
    """
    run_python(code, timeout=60, flags=["-S"])


def test_importing_the_extractor_skips_costly_stdlib_modules():
    added = _modules_added_by("from tfhub import _archive")
    assert "tfhub._archive" in added
    assert added & (_NOT_ON_THE_START_PATH | {"typing", "logging"}) == set()


def test_resolving_a_cached_handle_skips_costly_stdlib_modules(
    upstream_copy, tmp_path, monkeypatch
):
    from tfhub.cache.importing import import_archive

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    handle = "https://example.com/m.tar.gz"
    path = import_archive(str(upstream_copy / "tf2_saved_model.tar.gz"), handle)
    statement = f"import tfhub as hub; assert hub.resolve({handle!r}) == {path!r}"
    added = _modules_added_by(statement, child_env())
    assert "tfhub.saved_model" in added
    assert added & (_NOT_ON_THE_START_PATH | {"logging"}) == set()
    # Nor the HTTP client's modules, nor the threads that bound gs:// checks (session 40: the
    # gs:// resolver, registered for every resolve, imported _http_deadline at its top).
    assert sorted(name for name in added if name.startswith("tfhub._http")) == []
    assert "tfhub.utils.threads" not in added


_DOWNLOAD_CODE = """
import json, sys
import requests, tfhub as hub
before = set(sys.modules)
hub.resolve(sys.argv[1])
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_downloading_an_archive_skips_costly_stdlib_modules(
    upstream_copy, server, served_dir, tmp_path, monkeypatch
):
    """A download's start, after the HTTP client's own import (requests imports what it
    imports; tensorflow_hub users have it imported already): `dataclasses` (with `inspect`,
    `ast`, `dis`: ~5 ms) and `uuid` (with `platform`: ~3 ms) are not on it."""
    import shutil

    shutil.copy(upstream_copy / "tf2_saved_model.tar.gz", served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    out = run_python(_DOWNLOAD_CODE, server.url("m.tar.gz"), env=child_env(), timeout=60)
    added = set(json.loads(out.stdout))
    assert "tfhub.download" in added
    assert added & (_NOT_ON_THE_START_PATH | {"uuid", "platform", "dis", "ast"}) == set()


_COLLECTIONS_CODE = """
import gc, json, sys
import tfhub as hub
if sys.argv[1] == "paused-by-program":
    gc.disable()
def importing():
    modules = [sys.modules.get(name) for name in ("tensorflow", "keras")]
    return any(getattr(getattr(m, "__spec__", None), "_initializing", False) for m in modules)
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and importing() and collections.append(1))
layer_class = hub.KerasLayer  # Imports Keras and TensorFlow: millions of long-lived objects.
during = len(collections)
print(json.dumps({"during": during, "enabled_after": gc.isenabled(),
                  "tensorflow": "tensorflow" in sys.modules, "name": layer_class.__name__}))
"""


def test_tensorflows_import_runs_with_the_collector_paused_then_restored():
    """tfhub's lazy imports pause Python's cyclic collector (0.6-0.9 s of CPU saved per first
    use, see utils/collector.py) and leave it as the program had it."""
    for state, enabled_after in (("enabled", True), ("paused-by-program", False)):
        done = run_python(_COLLECTIONS_CODE, state, timeout=120)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report == {
            "during": 0,
            "enabled_after": enabled_after,
            "tensorflow": True,
            "name": "KerasLayer",
        }
