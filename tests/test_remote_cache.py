"""A cache on a tf.io.gfile filesystem (TFHUB_CACHE_DIR=gs://...), with TensorFlow's in-memory
filesystem (ram://) standing in for GCS: entries tensorflow_hub wrote there, interrupted copies,
concurrent resolves."""

from __future__ import annotations

import threading
import uuid

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz
from tests._helpers.http_server import archive_gets

import tfhub as hub
from tfhub import errors, handles

pytestmark = pytest.mark.tf


@pytest.fixture
def gfile(monkeypatch: pytest.MonkeyPatch) -> object:
    """tf.io.gfile, with TFHUB_CACHE_DIR set to a new folder of the in-memory filesystem."""
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"ram://tfhub-cache-{uuid.uuid4().hex}")
    return tf.io.gfile


def _entry(handle: str) -> str:
    return f"{hub.constants.cache_dir()}/{handles.cache_key(handle)}"


def _write(gfile: object, path: str, data: bytes) -> None:
    gfile.makedirs(path.rsplit("/", 1)[0])
    with gfile.GFile(path, "wb") as out:
        out.write(data)


def _write_upstream_entry(gfile: object, handle: str, files: dict[str, bytes]) -> str:
    """Writes an entry as tensorflow_hub does: `<sha1>/` and `<sha1>.descriptor.txt`."""
    entry = _entry(handle)
    for name, data in files.items():
        _write(gfile, f"{entry}/{name}", data)
    descriptor = f"Module: {handle}\nDownload Time: 2021-01-01\nDownloader Hostname: h (PID:1)"
    _write(gfile, entry + ".descriptor.txt", descriptor.encode())
    return entry


def _read(gfile: object, path: str) -> bytes:
    with gfile.GFile(path, "rb") as stored:
        return stored.read()


def test_an_entry_tensorflow_hub_wrote_is_served_offline(server, gfile, monkeypatch):
    url = server.url("m.tar.gz")  # Nothing served: the entry must be read from the cache.
    entry = _write_upstream_entry(gfile, url, MODEL_FILES)
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    assert hub.resolve(url) == entry
    monkeypatch.delenv("TFHUB_OFFLINE")
    assert hub.resolve(url) == entry and archive_gets(server, "m.tar.gz") == []
    assert not gfile.exists(entry + ".manifest.json")  # Left as tensorflow_hub wrote it.


def test_an_entry_tensorflow_hub_wrote_under_another_key_is_served(server, gfile, monkeypatch):
    """tensorflow_hub hashed a signed URL and Kaggle's long form as given; tfhub's key differs."""
    signed = server.url("m.tar.gz") + "?X-Amz-Signature=a1"
    kaggle = "https://www.kaggle.com/models/o/m/frameworks/TF2/variations/v/versions/1"
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    for handle in (signed, kaggle):
        assert handles.cache_handle(handle) != handle
        entry = _write_upstream_entry(gfile, handle, MODEL_FILES)
        assert hub.resolve(handle) == entry


def test_the_descriptor_of_tensorflow_hub_alone_is_no_entry(server, served_dir, gfile, monkeypatch):
    """tensorflow_hub writes the descriptor, then renames its download into place: killed
    between the two, it leaves the descriptor alone, which ram:// (listing by name prefix)
    showed as a folder holding `.descriptor.txt`, served as the model."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = _write_upstream_entry(gfile, url, {})
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError, match="the folder is empty"):
        hub.resolve(url)
    monkeypatch.delenv("TFHUB_OFFLINE")
    assert hub.resolve(url) == entry and len(archive_gets(server, "m.tar.gz")) == 1
    assert _read(gfile, f"{entry}/saved_model.pb") == MODEL_FILES["saved_model.pb"]


def test_a_damaged_entry_of_tensorflow_hub_is_downloaded_again(server, served_dir, gfile):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = _write_upstream_entry(gfile, url, {"tfhub_module.pb": b"x"})  # No saved_model.pb.
    assert hub.resolve(url) == entry and len(archive_gets(server, "m.tar.gz")) == 1
    assert _read(gfile, f"{entry}/saved_model.pb") == MODEL_FILES["saved_model.pb"]


def test_a_copy_interrupted_before_its_descriptor_is_downloaded_again(server, served_dir, gfile):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = _entry(url)
    _write(gfile, f"{entry}/saved_model.pb", MODEL_FILES["saved_model.pb"])  # No bookkeeping.
    assert hub.resolve(url) == entry and len(archive_gets(server, "m.tar.gz")) == 1
    assert gfile.exists(entry + ".manifest.json")


def test_a_copy_over_an_entry_of_tensorflow_hub_interrupted_is_not_served(
    server, served_dir, gfile, monkeypatch
):
    """The copy that replaces a damaged entry of tensorflow_hub is stopped after its first
    file: what is there then (that file beside the old ones) is not taken for that entry."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = _write_upstream_entry(gfile, url, {"tfhub_module.pb": b"x"})
    copy, copies = gfile.copy, []

    def copy_one_file_then_stop(source: str, target: str, overwrite: bool = False) -> None:
        if copies:
            raise OSError("the copy stops here (a killed process)")
        copies.append(target)
        copy(source, target, overwrite=overwrite)

    monkeypatch.setattr(gfile, "copy", copy_one_file_then_stop)
    with pytest.raises(errors.CacheError):
        hub.resolve(url)
    assert len(copies) == 1 and copies[0].endswith("/saved_model.pb")
    assert gfile.exists(f"{entry}/saved_model.pb")  # In place, beside tensorflow_hub's files.
    assert not [name for name in gfile.listdir(hub.constants.cache_dir()) if ".tmp" in name]
    monkeypatch.setattr(gfile, "copy", copy)
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError, match="no valid manifest"):
        hub.resolve(url)
    monkeypatch.delenv("TFHUB_OFFLINE")
    assert hub.resolve(url) == entry and len(archive_gets(server, "m.tar.gz")) == 2
    assert _read(gfile, f"{entry}/variables/variables.index") == b"index-bytes"


def test_a_copy_interrupted_after_its_files_is_downloaded_again_once(server, served_dir, gfile):
    """The files are copied again over the ones there, which ram:// would append to: each
    resolve then found the sizes wrong and downloaded again, the files growing each time."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    gfile.remove(entry + ".manifest.json")  # Interrupted before its last write.
    for _ in range(3):
        assert hub.resolve(url) == entry
    assert len(archive_gets(server, "m.tar.gz")) == 2
    for name, data in MODEL_FILES.items():
        assert _read(gfile, f"{entry}/{name}") == data


def test_concurrent_resolves_all_return_the_complete_entry(server, served_dir, gfile):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    results: list[str] = []
    failures: list[BaseException] = []

    def resolve() -> None:
        try:
            results.append(hub.resolve(url))
        except BaseException as err:  # Reported by the assertion below.
            failures.append(err)

    threads = [threading.Thread(target=resolve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == [] and results == [_entry(url)] * 4
    for name, data in MODEL_FILES.items():
        assert _read(gfile, f"{_entry(url)}/{name}") == data
    assert hub.resolve(url) == _entry(url)  # Complete: no download more.
    gets = len(archive_gets(server, "m.tar.gz"))
    assert hub.resolve(url) == _entry(url) and len(archive_gets(server, "m.tar.gz")) == gets
