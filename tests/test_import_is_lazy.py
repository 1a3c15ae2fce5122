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
