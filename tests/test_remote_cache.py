"""A cache on a tf.io.gfile filesystem (TFHUB_CACHE_DIR=gs://...), with TensorFlow's in-memory
filesystem (ram://) standing in for GCS: entries tensorflow_hub wrote there, interrupted copies,
concurrent resolves."""

from __future__ import annotations

import logging
import uuid

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz
from tests._helpers.http_server import archive_gets, delay
from tests._helpers.threads import run_threads

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


def test_a_copy_over_an_entry_of_tensorflow_hub_interrupted_leaves_that_entry(
    server, served_dir, gfile, monkeypatch
):
    """The copy that replaces a damaged entry of tensorflow_hub is stopped after its first
    file: that file is staged beside the entry, never mixed with tensorflow_hub's files."""
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
    assert not gfile.exists(f"{entry}/saved_model.pb")  # Staged, never put beside the old files.
    assert not _leftovers(gfile)
    monkeypatch.setattr(gfile, "copy", copy)
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError, match="saved_model.pb is missing"):
        hub.resolve(url)
    monkeypatch.delenv("TFHUB_OFFLINE")
    assert hub.resolve(url) == entry and len(archive_gets(server, "m.tar.gz")) == 2
    assert _read(gfile, f"{entry}/variables/variables.index") == b"index-bytes"


def _leftovers(gfile: object) -> list[str]:
    root = hub.constants.cache_dir()
    return [name for name in gfile.listdir(root) if ".tmp" in name or ".owner" in name]


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
    results, failures = run_threads(*[lambda: hub.resolve(url)] * 4)
    assert failures == [] and results == [_entry(url)] * 4
    for name, data in MODEL_FILES.items():
        assert _read(gfile, f"{_entry(url)}/{name}") == data
    assert hub.resolve(url) == _entry(url)  # Complete: no download more.
    gets = len(archive_gets(server, "m.tar.gz"))
    assert hub.resolve(url) == _entry(url) and len(archive_gets(server, "m.tar.gz")) == gets


def test_concurrent_resolves_in_one_process_download_once(server, served_dir, gfile):
    """Threads of one process resolving one handle wait for the first one's copy (two copies
    committed at once removed each other's files: a CacheError with an empty reason)."""
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(delay("m.tar.gz", 0.5))  # All threads start meanwhile.
    url = server.url("m.tar.gz")
    results, failures = run_threads(*[lambda: hub.resolve(url)] * 6)
    assert failures == [] and results == [_entry(url)] * 6
    assert len(archive_gets(server, "m.tar.gz")) == 1
    for name, data in MODEL_FILES.items():
        assert _read(gfile, f"{_entry(url)}/{name}") == data


_NEW_FILES = {"saved_model.pb": b"\x08\x02" * 32, "assets/vocab.txt": b"a\nb\n"}


def _import(archive: str, handle: str, *, force: bool) -> str:
    from tfhub.cache.importing import import_archive

    return import_archive(archive, handle, force=force)


def _files(gfile: object, entry: str) -> dict[str, bytes]:
    found = {}
    for top, _, names in gfile.walk(entry):
        for name in names:
            path = f"{top.rstrip('/')}/{name}"
            if top.rstrip("/") != entry or not name.startswith("."):  # ram:// shows siblings.
                found[path[len(entry) + 1 :]] = _read(gfile, path)
    return found


def test_import_force_replaces_an_entry_of_a_remote_cache(
    server, served_dir, gfile, tmp_path, caplog
):
    """`tfhub import --force` kept the old entry of a gs:// cache without a word: the new
    archive's files must replace the old ones, none of which stays (and the import warned
    that the entry held no saved_model.pb: it looked in a local folder of that name)."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    new = make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES)
    assert _import(new, url, force=True) == entry
    assert _files(gfile, entry) == _NEW_FILES  # The old variables/ are gone.
    assert hub.cache.is_complete(entry) and not _leftovers(gfile)
    manifest = _read(gfile, entry + ".manifest.json").decode()
    assert "assets/vocab.txt" in manifest and "variables" not in manifest
    assert hub.resolve(url) == entry and len(archive_gets(server, "m.tar.gz")) == 1
    assert "cannot load" not in caplog.text


def test_import_without_force_keeps_an_entry_of_a_remote_cache(server, served_dir, gfile, tmp_path):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    assert _import(make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES), url, force=False) == entry
    assert _files(gfile, entry) == MODEL_FILES


def test_a_replace_failing_while_staging_keeps_the_old_entry(
    server, served_dir, gfile, tmp_path, monkeypatch
):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    copy = gfile.copy

    def refuse_the_second_file(source: str, target: str, overwrite: bool = False) -> None:
        if target.endswith("vocab.txt"):
            raise OSError("quota exceeded")
        copy(source, target, overwrite=overwrite)

    monkeypatch.setattr(gfile, "copy", refuse_the_second_file)
    with pytest.raises(errors.CacheError, match="quota exceeded"):
        _import(make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES), url, force=True)
    assert _files(gfile, entry) == MODEL_FILES and hub.cache.is_complete(entry)
    assert not _leftovers(gfile)


def test_a_replace_failing_while_moving_into_place_leaves_no_entry(
    server, served_dir, gfile, tmp_path, monkeypatch
):
    """Once the old files are going, a failure leaves no complete entry: never a mix."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    rename = gfile.rename

    def refuse_the_second_file(source: str, target: str, overwrite: bool = False) -> None:
        if target.endswith("saved_model.pb"):
            raise OSError("the service is unavailable")
        rename(source, target, overwrite=overwrite)

    monkeypatch.setattr(gfile, "rename", refuse_the_second_file)
    with pytest.raises(errors.CacheError, match="unavailable"):
        _import(make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES), url, force=True)
    monkeypatch.setattr(gfile, "rename", rename)
    assert not hub.cache.is_complete(entry) and _files(gfile, entry) == {}
    assert not gfile.exists(entry + ".manifest.json") and not _leftovers(gfile)
    assert hub.resolve(url) == entry and _files(gfile, entry) == MODEL_FILES


def test_cache_is_complete_answers_for_remote_entries(server, served_dir, gfile):
    """It looked for a local folder of the gs:// name: False for every remote entry."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    assert hub.cache.is_complete(entry) and hub.cache.damage(entry) is None
    gfile.remove(entry + ".manifest.json")
    assert not hub.cache.is_complete(entry)
    assert "no valid manifest" in hub.cache.damage(entry)
    assert not hub.cache.is_complete(_entry(url + "?other"))


def test_an_import_whose_loadability_check_times_out_is_kept_with_a_warning(
    tmp_path, gfile, monkeypatch, caplog
):
    """The check after `tfhub import` into a gs:// cache (whether the entry holds a
    saved_model.pb) is a bounded request since the cache's requests are: one that times out
    failed the import that had succeeded (the entry complete, the command an error)."""
    from tfhub.cache import remote_check

    def timed_out(module_path: str) -> list[str]:
        raise errors.RetryTimeoutError(
            f"No answer from {module_path}/saved_model.pb",
            url=f"{module_path}/saved_model.pb",
            seconds=3.0,
            cause="timed out",
            limit=3.0,
            attempts=1,
        )

    monkeypatch.setattr(remote_check, "model_files_in", timed_out)
    archive = make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES)
    with caplog.at_level(logging.WARNING):
        entry = _import(archive, "https://example.com/m.tar.gz", force=False)
    assert hub.cache.is_complete(entry) and _files(gfile, entry) == _NEW_FILES
    assert "could not check whether tfhub.load can load it" in caplog.text
    assert "No answer from" in caplog.text
