"""The cache: location (env, absl flags, default), layout shared with tensorflow_hub, scanning."""

from __future__ import annotations

import hashlib
import os
import tempfile

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree

import tfhub as hub
from tfhub import cache, constants, handles
from tfhub.download import atomic_download


def _fill(target):
    for name, data in MODEL_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
        open(os.path.join(target, name), "wb").write(data)


def test_default_cache_dir_is_upstreams(monkeypatch):
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    from absl import flags

    monkeypatch.setattr(flags.FLAGS["tfhub_cache_dir"], "value", None)
    assert cache.cache_dir() == os.path.join(tempfile.gettempdir(), "tfhub_modules")


def test_absl_flags_and_env_precedence(monkeypatch, tmp_path):
    from absl import flags

    assert "tfhub_cache_dir" in flags.FLAGS and "tfhub_model_load_format" in flags.FLAGS
    monkeypatch.setattr(flags.FLAGS["tfhub_cache_dir"], "value", str(tmp_path / "flag"))
    assert cache.cache_dir() == os.environ["TFHUB_CACHE_DIR"]  # The env var wins.
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    assert cache.cache_dir() == str(tmp_path / "flag")
    monkeypatch.setattr(flags.FLAGS["tfhub_model_load_format"], "value", "UNCOMPRESSED")
    assert constants.model_load_format() is constants.ModelLoadFormat.UNCOMPRESSED
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "COMPRESSED")
    assert constants.model_load_format() is constants.ModelLoadFormat.COMPRESSED


def test_entry_holds_exactly_the_archive_and_bookkeeping_is_beside(isolated_cache):
    path = atomic_download("my-handle", _fill)
    assert path == os.path.join(isolated_cache, handles.cache_key("my-handle"))
    assert read_tree(path) == MODEL_FILES
    assert sorted(os.listdir(isolated_cache)) == sorted(
        [
            ".locks",
            os.path.basename(path),
            os.path.basename(path) + ".descriptor.txt",
            os.path.basename(path) + ".manifest.json",
        ]
    )
    manifest = cache.read_manifest(path)
    assert manifest.sizes == {k: len(v) for k, v in MODEL_FILES.items()}
    assert manifest.digests == {k: hashlib.sha256(v).hexdigest() for k, v in MODEL_FILES.items()}
    assert cache.read_descriptor_handle(path) == "my-handle"


def test_resized_file_is_damage(isolated_cache):
    path = atomic_download("h", _fill)
    with open(os.path.join(path, "saved_model.pb"), "ab") as grow:
        grow.write(b"x")
    assert cache.damage(path) == "saved_model.pb has 129 bytes instead of 128"


def test_scan_and_leftovers(isolated_cache):
    path = atomic_download("h", _fill)
    os.makedirs(path + ".abc.tmp")  # A killed download's folder (no lock held).
    (entry,) = cache.scan()
    assert (entry.name, entry.handle, entry.damage) == (os.path.basename(path), "h", None)
    assert entry.size == sum(len(v) for v in MODEL_FILES.values())
    assert entry.download_time
    assert cache.leftovers() == [path + ".abc.tmp"]
    cache.remove(path)
    assert sorted(os.listdir(isolated_cache)) == [".locks", os.path.basename(path) + ".abc.tmp"]


def test_live_download_is_not_a_leftover(isolated_cache):
    import filelock

    path = cache.module_dir("h")
    os.makedirs(path + ".abc.tmp")
    os.makedirs(os.path.dirname(cache.lock_path(path)))
    lock = filelock.FileLock(cache.lock_path(path))
    import threading

    held, release = threading.Event(), threading.Event()

    def holder():  # Held from another thread: flock conflicts across open files.
        with lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        assert cache.is_download_running(path)
        assert cache.leftovers() == []
    finally:
        release.set()
        thread.join()
    # Free now: the temporary folder, and the lock file of an entry that does not exist.
    assert cache.leftovers() == [path + ".abc.tmp", cache.lock_path(path)]


@pytest.mark.tf
def test_tensorflow_hub_reads_tfhub_cache_and_back(server, served_dir, isolated_cache):
    tensorflow_hub = pytest.importorskip("tensorflow_hub")
    make_tar_gz(served_dir / "a.tar.gz")
    make_tar_gz(served_dir / "b.tar.gz", {"saved_model.pb": b"b"})
    ours = hub.resolve(server.url("a.tar.gz"))
    theirs = tensorflow_hub.resolve(server.url("b.tar.gz"))
    assert os.path.dirname(theirs) == str(isolated_cache)
    assert tensorflow_hub.resolve(server.url("a.tar.gz")) == ours  # No download by upstream.
    assert hub.resolve(server.url("b.tar.gz")) == theirs  # Nor by us.
    assert len([r for r in server.state.requests if "a.tar.gz" in r[1]]) == 1
    assert len([r for r in server.state.requests if "b.tar.gz" in r[1]]) == 1


def test_absl_command_line_flags_are_honoured(tmp_path, upstream_copy):
    import json
    import subprocess
    import sys

    code = (
        "import sys, tfhub, json\n"
        "from absl import flags\n"
        "flags.FLAGS(['prog', '--tfhub_cache_dir=' + sys.argv[1],"
        " '--tfhub_model_load_format=COMPRESSED'])\n"
        "from tfhub import cache, constants\n"
        "print(json.dumps([cache.cache_dir(), constants.model_load_format().value,"
        " tfhub.resolve(sys.argv[2])]))\n"
    )
    record = json.loads((upstream_copy / "cache_0.15.json").read_text())
    handle = record["entries"][0]["handle"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TFHUB_")}
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", code, str(upstream_copy / "cache_0.15"), handle],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    cache_dir, load_format, path = json.loads(out)
    assert cache_dir == str(upstream_copy / "cache_0.15") and load_format == "COMPRESSED"
    assert path == str(upstream_copy / "cache_0.15" / record["entries"][0]["folder"])


def test_waits_for_a_tensorflow_hub_download_in_progress(isolated_cache):
    import threading

    module_path = cache.module_dir("h")
    os.makedirs(isolated_cache)
    open(module_path + ".lock", "w").write("host.123.abc")  # tensorflow_hub's lock.
    os.makedirs(module_path + ".abc.tmp")

    def upstream_finishes():
        _fill(module_path + ".abc.tmp")
        os.rename(module_path + ".abc.tmp", module_path)
        os.remove(module_path + ".lock")

    timer = threading.Timer(0.8, upstream_finishes)
    timer.start()
    fetched = []
    assert atomic_download("h", fetched.append) == module_path
    timer.join()
    assert fetched == []  # We did not download it again.
    assert read_tree(module_path) == MODEL_FILES
