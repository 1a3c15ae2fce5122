"""Review findings (rev59a) on the rerouting of class-level patches of upstream's resolver
classes (`tfhub.resolvers.upstream_classes`), probed with a real server on 127.0.0.1.

- The unpatched state was recorded too late: each upstream-named class was snapshotted again
  by every later `record()`, and the compressed and uncompressed modules took "the original
  `_call_urlopen`" at their own import. Imported while `HttpResolverBase._call_urlopen` was
  patched, the patch was not seen; once it ended, upstream's urlopen path stayed on for good
  (no resume, no retries, no TFHUB_TOKEN). A read of a class's `__annotations__` (Python 3.11
  stores an empty dict on first access; Sphinx does it) turned it on for good as well.
- An error message named tfhub's built-in resolver where a patched upstream class was asked.
- `_locked_tmp_dir_size` did not call a patched `resolver._dir_size`.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz
from tests._helpers.python_process import child_env, run_python

import tfhub as hub
from tfhub import compressed_module_resolver, errors, resolver

COMPRESSED = compressed_module_resolver.HttpCompressedFileResolver

# In a fresh interpreter: patch `_call_urlopen` (recording, then doing the real work) before
# `compressed_module_resolver` is imported, resolve argv[1] under the patch and argv[2] after
# it; then size the temporary folder of a lock whose folder is missing (argv[3]).
_IMPORTED_UNDER_A_PATCH = """
import sys
from unittest import mock

import tfhub.resolver as resolver

assert "tfhub.compressed_module_resolver" not in sys.modules
original = resolver.HttpResolverBase._call_urlopen
calls = []

def recorded(self, request):
    calls.append(request.full_url)
    return original(self, request)

with mock.patch.object(resolver.HttpResolverBase, "_call_urlopen", recorded):
    import tfhub as hub
    import tfhub.compressed_module_resolver

    hub.resolve(sys.argv[1])
print("under the patch", len(calls))
hub.resolve(sys.argv[2])
print("after the patch", len(calls))
print("missing folder", resolver._locked_tmp_dir_size(sys.argv[3]))
print("tensorflow imported", "tensorflow" in sys.modules)
"""


def _user_agents(server) -> list[str]:
    """The User-Agent of each request the server was asked, in order."""
    return [headers.get("User-Agent", "") for _, _, headers in server.state.requests]


def test_a_patch_in_place_when_the_module_is_imported_is_seen_and_then_ends(
    server, served_dir: Path, tmp_path: Path
) -> None:
    """Imported under the patch: the patched `_call_urlopen` downloads (upstream's path, urllib);
    after the patch, tfhub's own download (requests) fetches the next model. A lock's missing
    temporary folder sizes 0 without importing TensorFlow."""
    for name in ("a.tar.gz", "b.tar.gz"):
        make_tar_gz(os.fspath(served_dir / name), MODEL_FILES)
    lock = os.fspath(tmp_path / "module.lock")
    Path(lock).write_text(resolver._lock_file_contents("nobody"))
    done = run_python(
        _IMPORTED_UNDER_A_PATCH,
        server.url("a.tar.gz"),
        server.url("b.tar.gz"),
        lock,
        env=child_env(TFHUB_CACHE_DIR=os.fspath(tmp_path / "cache")),
    )
    assert done.stdout.splitlines() == [
        "under the patch 1",
        "after the patch 1",
        "missing folder 0",
        "tensorflow imported False",
    ]
    agents = _user_agents(server)
    assert agents[0].startswith("Python-urllib/"), agents
    assert agents[1:] and not any(agent.startswith("Python-urllib/") for agent in agents[1:])


def test_reading_annotations_of_upstreams_classes_patches_nothing() -> None:
    """Python 3.11 stores an empty `__annotations__` on a class when first read (Sphinx reads
    them): that is no patch. Upstream's `PathResolver` (which supports every handle) does not
    stand in: an unknown scheme is refused, naming tfhub's resolvers, without TensorFlow."""
    for cls in (*COMPRESSED.__mro__, resolver.PathResolver):
        if cls.__module__.startswith("tfhub."):
            assert isinstance(cls.__annotations__, dict)
    with pytest.raises(errors.UnknownSchemeError, match=r"tried HttpCompressedResolver, "):
        hub.resolve("nosuchscheme://model")


def test_an_error_names_the_patched_upstream_class_that_was_asked(server) -> None:
    """A patched `__call__` returning None: the message names upstream's class, which
    hub.resolve asked, not tfhub's built-in under it."""
    url = server.url("m.tar.gz")
    with mock.patch.object(COMPRESSED, "__call__", return_value=None):
        with pytest.raises(errors.ArgumentTypeError) as raised:
            hub.resolve(url)
    assert "The resolver HttpCompressedFileResolver returned NoneType" in str(raised.value)


def test_locked_tmp_dir_size_asks_the_patched_dir_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As upstream's: the size of an existing temporary folder is `resolver._dir_size`'s."""
    module_dir = os.fspath(tmp_path / "module")
    lock = resolver._lock_filename(module_dir)
    Path(lock).write_text(resolver._lock_file_contents("uid1"))
    os.mkdir(resolver._temp_download_dir(module_dir, "uid1"))
    asked: list[str] = []
    monkeypatch.setattr(resolver, "_dir_size", lambda folder: asked.append(folder) or 42)
    assert resolver._locked_tmp_dir_size(lock) == 42
    assert asked == [resolver._temp_download_dir(module_dir, "uid1")]


def test_locked_tmp_dir_size_of_a_missing_url_folder_is_0() -> None:
    """Guard (held before): a URL's folder is sized by `_dir_size` (TensorFlow's file
    systems); its NotFoundError for a missing folder is 0, as upstream caught it."""
    import tensorflow as tf

    lock = "ram://rsv59/module.lock"
    with tf.io.gfile.GFile(lock, "w") as out:
        out.write(resolver._lock_file_contents("uid9"))
    assert resolver._locked_tmp_dir_size(lock) == 0
    tf.io.gfile.makedirs("ram://rsv59/module.uid9.tmp")  # ram:// lists only the folders made.
    with tf.io.gfile.GFile("ram://rsv59/module.uid9.tmp/f", "wb") as out:
        out.write(b"12345")
    assert resolver._locked_tmp_dir_size(lock) == 5
