"""A cache on a tf.io.gfile filesystem after a request timed out (the review of 4fff50c).

TensorFlow's request cannot be stopped: one that timed out may land later. Here a real
filesystem (ram://) stands in for GCS and one of TensorFlow's own calls is held on an event,
as a GCS request that trickles is; it lands when the test lets it.
- A late rename of an earlier copy landed over a newer, complete entry: the entry passed the
  completeness check with one archive's graph and another's weights. A copy of an entry now
  refuses to start while a request of an earlier copy into that entry still runs.
- A retry waited the whole bound behind the same request still stuck (the cache folder's
  `makedirs`, the same for every entry), failing every model of the cache for as long.
- After a timeout, each clean-up request got a bound of its own: three bounds for one resolve.
"""

from __future__ import annotations

import io
import tarfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.gfile_files import hold_gfile_call

from tfhub import errors, gfile_io

tf = pytest.importorskip("tensorflow")

_VARIABLES = "variables/variables.data-00000-of-00001"
_BOUND = 1.0  # TFHUB_HTTP_TIMEOUT + TFHUB_HTTP_RETRY_TIMEOUT here, in seconds.


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.5")


def _model(root: Path, marker: bytes) -> str:
    files = {
        "saved_model.pb": marker * 100,
        _VARIABLES: marker * 256,
        "variables/variables.index": b"i",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return str(root)


def _read(path: str) -> bytes:
    with tf.io.gfile.GFile(path, "rb") as file:
        return file.read()


def test_a_copy_refuses_while_an_earlier_copys_rename_may_land_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    from tfhub.cache import remote

    entry = f"ram://fence-{uuid.uuid4().hex}/e"
    one, two = _model(tmp_path / "one", b"1"), _model(tmp_path / "two", b"2")
    hold_gfile_call(
        monkeypatch, "rename", lambda source, target, *_: target.endswith(_VARIABLES), release
    )
    with pytest.raises(errors.RetryTimeoutError):
        remote.install("https://h/m", one, entry, replace=True)
    with pytest.raises(errors.RetryTimeoutError) as refused:
        remote.install("https://h/m", two, entry, replace=True)
    assert "still running" in str(refused.value) and entry in str(refused.value), refused.value
    release.set()
    deadline = time.monotonic() + 10
    while gfile_io.landing(lambda path: path.startswith(entry)) and time.monotonic() < deadline:
        time.sleep(0.05)  # The late rename lands, its thread ends.
    remote.install("https://h/m", two, entry, replace=True)
    assert remote.damage(entry) is None
    assert (
        _read(f"{entry}/saved_model.pb")[:1] == b"2" and _read(f"{entry}/{_VARIABLES}")[:1] == b"2"
    )


def test_a_retry_does_not_wait_behind_a_stuck_request_of_another_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    from tfhub.cache import remote

    root = f"ram://fence-{uuid.uuid4().hex}"
    model = _model(tmp_path / "m", b"1")
    hold_gfile_call(monkeypatch, "makedirs", lambda path, *_: path == root, release)
    with pytest.raises(errors.RetryTimeoutError):
        remote.install("https://h/a", model, f"{root}/a", replace=True)
    started = time.monotonic()
    remote.install("https://h/b", model, f"{root}/b", replace=True)  # Another model.
    assert time.monotonic() - started < _BOUND, "waited behind the stuck makedirs"
    assert remote.damage(f"{root}/b") is None


def test_after_a_timeout_no_clean_up_request_gets_a_bound_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    """Every request hangs from the first rename on (a server gone); the copy gives up after
    one bound, not one per clean-up request (the entry is not served without its manifest;
    the staging folder is removed by a later copy)."""
    from tfhub.cache import remote

    entry = f"ram://fence-{uuid.uuid4().hex}/e"
    model = _model(tmp_path / "m", b"1")
    hung = threading.Event()
    for name in ("rename", "remove", "rmtree", "walk", "isdir", "exists", "glob", "stat"):
        real = getattr(tf.io.gfile, name)

        def call(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            if _name == "rename" and str(args[1]).startswith(entry + "/"):
                hung.set()
            if hung.is_set():
                release.wait(30)
            return _real(*args, **kwargs)

        monkeypatch.setattr(tf.io.gfile, name, call)
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError):
        remote.install("https://h/m", model, entry, replace=True)
    assert time.monotonic() - started < 2 * _BOUND  # Was three bounds.


def _refusing(monkeypatch: pytest.MonkeyPatch, name: str, refused: Any) -> None:
    """TensorFlow's `name` call answers 403 for the paths `refused(path)` picks."""
    real = getattr(tf.io.gfile, name)

    def call(*args: Any, **kwargs: Any) -> Any:
        if refused(str(args[0])):
            raise tf.errors.PermissionDeniedError(
                None, None, "403: caller does not have storage.objects.list access"
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(tf.io.gfile, name, call)


def test_a_refused_listing_while_writing_an_entry_is_a_cache_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second review (review43b): since the cache asks gfile_io's `is_dir`, a 403 of the
    entry's listing while replacing it said "Cannot read", a DownloadError, not CacheError."""
    from tfhub.cache import remote

    entry = f"ram://fence-{uuid.uuid4().hex}/e"
    _refusing(monkeypatch, "isdir", lambda path: path == entry)
    with pytest.raises(errors.CacheError) as raised:
        remote.install("https://h/m", _model(tmp_path / "m", b"1"), entry, replace=True)
    assert "403" in str(raised.value) and entry in str(raised.value), raised.value


def test_a_refused_completeness_check_is_a_cache_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """review43b: a 403 of the completeness check's listing reached `hub.load` as TensorFlow's
    bare PermissionDeniedError."""
    from tfhub.cache import remote

    entry = f"ram://fence-{uuid.uuid4().hex}/e"
    _refusing(monkeypatch, "isdir", lambda path: path == entry)
    with pytest.raises(errors.CacheError) as raised:
        remote.damage(entry)
    assert "403" in str(raised.value) and entry in str(raised.value), raised.value


def test_a_listing_that_timed_out_does_not_fence_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    """review43b: a timed-out listing of the entry (it changes nothing, landing late) made
    every later copy of the entry refuse for as long as it ran (on GCS, a listing that pages
    on: until the process ends)."""
    from tfhub.cache import remote

    entry = f"ram://fence-{uuid.uuid4().hex}/e"
    model = _model(tmp_path / "m", b"1")
    remote.install("https://h/m", model, entry, replace=True)
    hold_gfile_call(monkeypatch, "walk", lambda path, *_: path == entry, release)
    with pytest.raises(errors.RetryTimeoutError):  # Its walk of the old entry's files.
        remote.install("https://h/m", model, entry, replace=True)
    remote.install("https://h/m", model, entry, replace=True)  # The walk answers now.
    assert remote.damage(entry) is None


def test_retries_behind_a_stuck_request_add_no_thread_past_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    """review43b: with each request its own, every retry behind the same stuck request (the
    cache folder's makedirs) left one more thread stuck, without bound."""
    from tfhub.cache import remote

    root = f"ram://fence-{uuid.uuid4().hex}"
    model = _model(tmp_path / "m", b"1")
    real = tf.io.gfile.makedirs

    def makedirs(path: str) -> None:
        if path == root:
            release.wait(30)
        real(path)

    monkeypatch.setattr(tf.io.gfile, "makedirs", makedirs)
    before = threading.active_count()
    for attempt in range(5):
        with pytest.raises(errors.RetryTimeoutError):
            remote.install("https://h/m", model, f"{root}/e{attempt}", replace=True)
    assert threading.active_count() - before <= 2


# The upstream-compatible helpers that write to a tf.io.gfile folder (a gs:// cache's) are
# bounded as the cache's own requests are (review43): `resolver.create_local_module_dir` (used
# by `compressed_module_resolver` and custom resolvers written for tensorflow_hub) made a gs://
# cache folder, and `file_utils.extract_into` (`DownloadManager.download_and_uncompress`)
# copied each file there, with TensorFlow's unbounded requests.


def test_create_local_module_dir_of_a_gfile_cache_is_bounded(
    monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    from tfhub import resolver

    hold_gfile_call(monkeypatch, "makedirs", lambda *_: True, release)
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
    hold_gfile_call(monkeypatch, "copy", lambda *_: True, release)
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError) as raised:
        file_utils.extract_into(archive, f"ram://helpers-{uuid.uuid4().hex}/m", source="m.tgz")
    assert time.monotonic() - started < 3 and "saved_model.pb" in str(raised.value)
