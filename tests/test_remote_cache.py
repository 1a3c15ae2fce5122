"""A cache on a tf.io.gfile filesystem (TFHUB_CACHE_DIR=gs://...), with TensorFlow's in-memory
filesystem (ram://) standing in for GCS: interrupted copies, concurrent resolves."""

from __future__ import annotations

import threading
import uuid

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz
from tests._helpers.http_server import archive_gets

import tfhub as hub
from tfhub import handles

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


def _read(gfile: object, path: str) -> bytes:
    with gfile.GFile(path, "rb") as stored:
        return stored.read()


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
