"""The upstream-compatible helpers that write to a tf.io.gfile folder (a gs:// cache's) are
bounded as the cache's own requests are (review43): `resolver.create_local_module_dir` (used
by `compressed_module_resolver` and custom resolvers written for tensorflow_hub) made a
gs:// cache folder, and `file_utils.extract_into` (`DownloadManager.download_and_uncompress`)
copied each file there, with TensorFlow's unbounded requests. ram:// stands in for GCS; one of
TensorFlow's calls is held on an event, as a GCS request that trickles is.
"""

from __future__ import annotations

import io
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tfhub import errors

tf = pytest.importorskip("tensorflow")


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.5")


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def _held(monkeypatch: pytest.MonkeyPatch, name: str, release: threading.Event) -> None:
    real = getattr(tf.io.gfile, name)

    def call(*args: Any, **kwargs: Any) -> Any:
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(tf.io.gfile, name, call)


def test_create_local_module_dir_of_a_gfile_cache_is_bounded(
    monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    from tfhub import resolver

    _held(monkeypatch, "makedirs", release)
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError) as raised:
        resolver.create_local_module_dir(f"ram://helpers-{uuid.uuid4().hex}", "m")
    assert time.monotonic() - started < 3 and "ram://helpers-" in str(raised.value)


def test_extract_into_a_gfile_folder_is_bounded(
    monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    from tfhub import file_utils

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("saved_model.pb")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"\x08\x01\x12\x00"))
    archive.seek(0)
    _held(monkeypatch, "copy", release)
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError) as raised:
        file_utils.extract_into(archive, f"ram://helpers-{uuid.uuid4().hex}/m", source="m.tgz")
    assert time.monotonic() - started < 3 and "saved_model.pb" in str(raised.value)
