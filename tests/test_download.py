"""Downloads under fault injection, concurrency and crashes; every test checks the disk."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import (
    answer_body,
    answer_html,
    answer_status,
    archive_gets,
    delay,
    drop_mid_body,
    ignore_range,
)
from tests._helpers.python_process import child_env, start_python

import tfhub as hub
from tfhub import cache, errors, handles

BIG_FILES = {"saved_model.pb": b"pb", "variables/data": os.urandom(300_000)}


def _cache_names(cache_dir):
    """Names in the cache folder, without the lock folder."""
    if not os.path.isdir(cache_dir):
        return []
    return sorted(name for name in os.listdir(cache_dir) if name != ".locks")


def _assert_no_entry(cache_dir, handle):
    key = handles.cache_key(handle)
    assert [name for name in _cache_names(cache_dir) if name.startswith(key)] == []


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "2")
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)


def test_dropped_connection_is_resumed_with_range(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours.append(drop_mid_body("m.tar.gz", after=100_000))
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == BIG_FILES
    gets = archive_gets(server, "m.tar.gz")
    assert len(gets) == 2 and gets[1][2].get("Range") == "bytes=100000-"
    key = handles.cache_key(server.url("m.tar.gz"))
    assert _cache_names(isolated_cache) == sorted(
        [key, key + ".descriptor.txt", key + ".manifest.json"]
    )


def test_dropped_connection_without_range_support_restarts(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours[:0] = [
        ignore_range("m.tar.gz"),
        drop_mid_body("m.tar.gz", after=100_000),
    ]
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == BIG_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 3  # drop, refused resume, full restart
    assert not any(name.endswith(".tmp") for name in _cache_names(isolated_cache))


def test_truncated_archive_leaves_no_entry_then_succeeds(server, served_dir, isolated_cache):
    data = open(make_tar_gz(served_dir / "m.tar.gz", BIG_FILES), "rb").read()
    (served_dir / "m.tar.gz").write_bytes(data[: len(data) // 2])
    handle = server.url("m.tar.gz")
    with pytest.raises(errors.ArchiveError, match="truncated or corrupt") as info:
        hub.resolve(handle)
    assert handle in str(info.value)
    _assert_no_entry(isolated_cache, handle)
    (served_dir / "m.tar.gz").write_bytes(data)
    assert read_tree(hub.resolve(handle)) == BIG_FILES


@pytest.mark.parametrize("status", [404, 403])
def test_404_and_403_fail_at_once(server, served_dir, isolated_cache, status):
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(answer_status("m.tar.gz", status))
    handle = server.url("m.tar.gz")
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(handle)
    assert info.value.status == status
    assert handle in str(info.value) and f"answered {status}" in str(info.value)
    assert len(archive_gets(server, "m.tar.gz")) == 1  # No retries.
    _assert_no_entry(isolated_cache, handle)
    # tensorflow_hub's urlopen raised urllib's HTTPError: code written for it still works.
    import urllib.error

    assert isinstance(info.value, urllib.error.HTTPError) and info.value.code == status
    assert info.value.reason == {404: "Not Found", 403: "Forbidden"}[status]


@pytest.mark.parametrize(
    ("content_type", "body", "quoted"),
    [
        (
            "text/plain; charset=utf-8",
            b"\n  Token expired: ask the hub's owner.\n",
            "Token expired: ask the hub's owner.",
        ),
        (
            "text/plain",
            b"bad \x1b[31mred\x1b[0m " + b"x" * 600,
            ("bad [31mred[0m " + "x" * 600)[:300],
        ),
        ("text/html", b"<html><body>Forbidden</body></html>", None),
        ("application/xml", b"<Error><Code>AccessDenied</Code></Error>", None),
    ],
)
def test_an_error_answer_quotes_a_short_plain_text_body(
    server, isolated_cache, content_type, body, quoted
):
    """What a server says in a text/plain error body is quoted (one line, printable, 300
    characters at most); HTML pages and XML are not."""
    server.state.behaviours.append(answer_body("m.tar.gz", 403, content_type, body))
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    if quoted is None:
        assert "The server says" not in message
    else:
        said = quoted.rstrip(".")
        assert f'The server says: "{said}."' in message and "\x1b" not in message


def test_moved_hint_names_kaggle():
    from tfhub import _http

    error = _http.status_error(404, handle="https://tfhub.dev/g/m/1", url="https://tfhub.dev/g/m/1")
    assert "tfhub.dev models moved to Kaggle" in str(error)
    assert isinstance(error, IOError)
    assert _http.moved_hint("http://127.0.0.1/x") == ""


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("https://tfhub.dev/google/m/1", "tfhub.dev models moved to Kaggle"),
        ("https://hub.tensorflow.google.cn/google/m/1", "tfhub.dev models moved to Kaggle"),
        ("https://storage.googleapis.com/tfhub-modules/g/m/1.tar.gz", "moved to Kaggle"),
        ("https://gcs.tensorflow.google.cn/tfhub-modules/g/m/1.tar.gz", "moved to Kaggle"),
        ("https://storage.googleapis.com/my-bucket/m.tar.gz", "Check the handle."),
        ("https://www.kaggle.com/models/o/m/tensorFlow2/v/1", "accept its terms"),
        ("https://example.com/m.tar.gz", "Check the handle."),
    ],
)
def test_403_hint_fits_the_host(url, hint):
    from tfhub import _http

    message = str(_http.status_error(403, handle=url, url=url))
    assert hint in message and url in message
    if "moved" not in hint:
        assert "moved to Kaggle" not in message


def test_404_on_a_tfhub_dev_url_says_it_moved(server, served_dir, monkeypatch, isolated_cache):
    # tfhub.dev over plain http, reached through the test server acting as an HTTP proxy.
    monkeypatch.setenv("HTTP_PROXY", server.url())
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    handle = "http://tfhub.dev/google/nnlm-en-dim128/2"
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(handle)
    message = str(info.value)
    assert f"Cannot download {handle!r}" in message
    assert handle + "?tf-hub-format=compressed" in message
    assert "tfhub.dev models moved to Kaggle" in message
    assert info.value.status == 404 and len(server.state.requests) == 1
    _assert_no_entry(isolated_cache, handle)


def test_500_is_retried_then_succeeds(server, served_dir):
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(answer_status("m.tar.gz", 500, times=2))
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 3


def test_500_forever_fails_after_retries(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(answer_status("m.tar.gz", 503))
    with pytest.raises(errors.HTTPStatusError, match="answered 503.* try again later"):
        hub.resolve(server.url("m.tar.gz"))
    assert len(archive_gets(server, "m.tar.gz")) == 3
    _assert_no_entry(isolated_cache, server.url("m.tar.gz"))


def test_archive_labelled_text_html_is_extracted(server, served_dir):
    archive = make_tar_gz(served_dir / "m.tar.gz")

    def mislabelled(handler, path, query):  # A misconfigured server: right body, wrong type.
        if not path.endswith("m.tar.gz"):
            return False
        handler.serve_file(archive, content_type="text/html")
        return True

    server.state.behaviours.append(mislabelled)
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_html_answer_is_not_an_archive(server, served_dir, isolated_cache):
    server.state.behaviours.append(answer_html("/models/m/1"))
    handle = server.url("models/m/1")
    with pytest.raises(errors.NotAnArchiveError, match="HTML page") as info:
        hub.resolve(handle)
    assert handle in str(info.value)
    _assert_no_entry(isolated_cache, handle)


def test_slow_server_times_out(server, served_dir, isolated_cache, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    server.state.behaviours.append(delay("m.tar.gz", 1.5))
    started = time.monotonic()
    with pytest.raises(errors.DownloadError, match="timeout 0.3 s"):
        hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 1.5
    _assert_no_entry(isolated_cache, server.url("m.tar.gz"))


def test_stall_mid_body_times_out_and_resumes(server, served_dir, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.5")
    server.state.behaviours.append(delay("m.tar.gz", 2.0, stall_after=50_000, times=1))
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == BIG_FILES
    gets = archive_gets(server, "m.tar.gz")
    # The stalled answer names no version of the file (no ETag, no Last-Modified): resuming it
    # could splice two versions (review50a-F3), so it starts over; resuming with If-Range is
    # test_file_changed_before_resume_is_downloaded_whole (an ETag).
    assert "Range" not in gets[1][2]


def test_damaged_entry_is_downloaded_again(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    path = hub.resolve(handle)
    os.remove(os.path.join(path, "variables", "variables.index"))  # A temp cleaner at work.
    assert cache.damage(path) == "variables/variables.index is missing"
    assert hub.resolve(handle) == path
    assert read_tree(path) == MODEL_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 2


def test_upstream_entry_emptied_by_cleaner_is_downloaded_again(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    path = os.path.join(isolated_cache, handles.cache_key(handle))
    os.makedirs(os.path.join(path, "variables"))  # Folders left, files gone, no manifest.
    assert hub.resolve(handle) == path
    assert read_tree(path) == MODEL_FILES


def test_offline_mode_uses_cache_only(server, served_dir, isolated_cache, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz")
    cached = hub.resolve(server.url("m.tar.gz"))
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    assert hub.resolve(server.url("m.tar.gz")) == cached
    with pytest.raises(errors.OfflineModeError, match="TFHUB_OFFLINE is set") as info:
        hub.resolve(server.url("other.tar.gz"))
    assert "tfhub pull" in str(info.value)
    assert len(server.state.requests) == 1
    # A value that is neither a yes nor a no was taken as "online": the network was reached.
    monkeypatch.setenv("TFHUB_OFFLINE", "offline")
    with pytest.raises(errors.SettingError, match="TFHUB_OFFLINE must be .*'offline'"):
        hub.resolve(server.url("other.tar.gz"))
    monkeypatch.setenv("TFHUB_OFFLINE", "off")
    make_tar_gz(served_dir / "other.tar.gz")
    hub.resolve(server.url("other.tar.gz"))
    assert len(server.state.requests) == 2


def test_read_only_cache_works_for_reading(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    cached = hub.resolve(server.url("m.tar.gz"))
    os.chmod(isolated_cache, 0o555)
    try:
        if os.access(isolated_cache, os.W_OK):
            pytest.skip("running as a user that ignores permissions (root)")
        assert hub.resolve(server.url("m.tar.gz")) == cached
        with pytest.raises(errors.CacheError, match="read-only"):
            hub.resolve(server.url("other.tar.gz"))
    finally:
        os.chmod(isolated_cache, 0o755)


def _resolver_process(url, cache_dir):
    code = "import sys, tfhub; print(tfhub.resolve(sys.argv[1]))"
    return start_python(code, url, env=child_env(TFHUB_CACHE_DIR=str(cache_dir)))


def test_four_processes_download_once(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours.append(delay("m.tar.gz", 0.8))
    procs = [_resolver_process(server.url("m.tar.gz"), isolated_cache) for _ in range(4)]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, outputs
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1
    assert read_tree(paths.pop()) == BIG_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1
    assert not any(name.endswith(".tmp") for name in _cache_names(isolated_cache))


def test_sigkilled_downloader_does_not_block(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours.append(delay("m.tar.gz", 30, stall_after=20_000))
    proc = _resolver_process(server.url("m.tar.gz"), isolated_cache)
    deadline = time.monotonic() + 20
    while not any(n.endswith(".tmp") for n in _cache_names(isolated_cache)):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.3)  # It holds the lock and is writing into its tmp folder.
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    server.state.behaviours.clear()
    # It leaves tensorflow_hub's lock file (written for tensorflow_hub's processes) naming it.
    (lock,) = [n for n in _cache_names(isolated_cache) if n.endswith(".lock")]
    assert f".{proc.pid}." in (isolated_cache / lock).read_text()
    started = time.monotonic()
    path = hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 5
    assert read_tree(path) == BIG_FILES
    assert not any(name.endswith((".tmp", ".lock")) for name in _cache_names(isolated_cache))


def test_failure_inside_fetch_leaves_no_tmp(isolated_cache):
    from tfhub.download import atomic_download

    def fetch(target):
        open(os.path.join(target, "half"), "w").write("x")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_download("h", fetch)
    assert _cache_names(isolated_cache) == []


def test_threads_download_once(server, served_dir, isolated_cache):
    import threading

    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours.append(delay("m.tar.gz", 0.3))
    results, failures = [], []

    def worker():
        try:
            results.append(hub.resolve(server.url("m.tar.gz")))
        except Exception as err:
            failures.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == [] and len(set(results)) == 1 and len(results) == 4
    assert read_tree(results[0]) == BIG_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1


def test_pathlike_handle_and_gs_cache_dir(tmp_path, monkeypatch):
    assert hub.resolve(tmp_path) == str(tmp_path)
    monkeypatch.setenv("TFHUB_CACHE_DIR", (tmp_path / "c").as_uri())  # file:// is local.
    assert cache.cache_dir() == str(tmp_path / "c")


def test_file_changed_before_resume_is_downloaded_whole(server, served_dir, isolated_cache):
    archive = served_dir / "m.tar.gz"
    make_tar_gz(archive, BIG_FILES)
    new_files = {"saved_model.pb": b"new", "variables/data": os.urandom(300_000)}
    new_archive = make_tar_gz(served_dir / "new.tar.gz", new_files)

    def replace():  # A new version is published between the drop and the resume.
        os.replace(new_archive, archive)

    server.state.behaviours.append(drop_mid_body("m.tar.gz", after=100_000, on_drop=replace))
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == new_files  # Not a splice of two archives.
    gets = archive_gets(server, "m.tar.gz")
    assert gets[1][2].get("If-Range", "").startswith('"') and len(gets) == 3


def test_download_without_a_usable_lock_stays_correct(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    os.makedirs(isolated_cache)
    (isolated_cache / ".locks").write_text("not a folder")  # No lock can be made here.
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == MODEL_FILES
    assert (isolated_cache / ".locks").read_text() == "not a folder"


@pytest.mark.parametrize(
    ("removed", "damage"),
    [
        ("saved_model.pb", "saved_model.pb is missing"),
        ("variables/variables.data-00000-of-00001", "variables/variables.data-* is missing"),
    ],
)
def test_cleaned_tensorflow_hub_entry_is_damage(upstream_copy, monkeypatch, removed, damage):
    # A real cache written by tensorflow_hub 0.15 (no manifest), after a temp cleaner's visit.
    import json

    record = json.loads((upstream_copy / "cache_0.15.json").read_text())
    entry = record["entries"][0]
    root = upstream_copy / "cache_0.15"
    for dirpath, _dirnames, _files in os.walk(root):
        os.chmod(dirpath, 0o755)
    os.remove(root / entry["folder"] / removed)
    assert cache.damage(str(root / entry["folder"])) == damage
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError, match=re.escape(f"is damaged ({damage})")):
        hub.resolve(entry["handle"])
    other = record["entries"][1]  # Untouched: still served from the cache.
    assert hub.resolve(other["handle"]) == str(root / other["folder"])


def test_cleaned_tensorflow_hub_entry_is_downloaded_again(server, served_dir, isolated_cache):
    files = {
        "saved_model.pb": b"pb",
        "variables/variables.index": b"index",
        "variables/variables.data-00000-of-00001": b"data",
    }
    make_tar_gz(served_dir / "m.tar.gz", files)
    handle = server.url("m.tar.gz")
    path = os.path.join(isolated_cache, handles.cache_key(handle))
    os.makedirs(os.path.join(path, "variables"))  # As tensorflow_hub left it: no manifest...
    open(os.path.join(path, "variables", "variables.index"), "wb").write(b"index")
    # ...and saved_model.pb deleted by a temp cleaner.
    assert hub.resolve(handle) == path
    assert read_tree(path) == files
    assert len(archive_gets(server, "m.tar.gz")) == 1


# --- Download deadline (issue 10 item 7), short first reads (item 6), messages (11.6) ---------


def _serve_in_pieces(suffix, pieces, *, pause):
    """Sends the file in pieces of the given sizes (the last one: the rest), pausing between."""

    def behaviour(handler, path, query):
        if not path.endswith(suffix):
            return False
        with open(handler.local_path(path, query), "rb") as served:
            body = served.read()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for size in pieces:
                handler.wfile.write(body[:size])
                handler.wfile.flush()
                body = body[size:]
                time.sleep(pause)
            handler.wfile.write(body)
        except OSError:
            pass  # The client gave up.
        return True

    return behaviour


@pytest.mark.parametrize(("compression", "first"), [("gz", 1), ("", 100)])
def test_short_first_packet_is_still_an_archive(server, served_dir, compression, first):
    make_tar_gz(served_dir / "m.tar.gz", compression=compression)
    server.state.behaviours.append(_serve_in_pieces("m.tar.gz", [first], pause=0.3))
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_trailing_garbage_after_a_served_archive_is_ignored(server, served_dir):
    path = make_tar_gz(served_dir / "m.tar.gz")
    with open(path, "ab") as out:
        out.write(b"\n<!-- appended by a CDN -->\n")
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_a_dripping_server_fails_with_what_to_set(server, served_dir, isolated_cache, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours.append(_serve_in_pieces("m.tar.gz", [1] * 400, pause=0.02))
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "10K")
    handle = server.url("m.tar.gz")
    started = time.monotonic()
    with pytest.raises(errors.DownloadTooSlowError) as info:
        hub.resolve(handle)
    assert time.monotonic() - started < 5
    error = info.value
    assert isinstance(error, TimeoutError) and isinstance(error, errors.DownloadError)
    assert "TFHUB_DOWNLOAD_MIN_SPEED" in str(error) and handle in str(error)
    assert error.min_speed == 10240
    import pickle

    assert pickle.loads(pickle.dumps(error)).min_speed == 10240
    _assert_no_entry(isolated_cache, handle)


def test_min_speed_zero_turns_the_check_off(server, served_dir, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(_serve_in_pieces("m.tar.gz", [1] * 30, pause=0.05))
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "0")
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_corrupt_download_names_the_handle_as_upstream_did(server, served_dir, isolated_cache):
    # tensorflow_hub 0.10.0: IOError("%s does not appear to be a valid module." % handle), the
    # handle as given, not the URL it requested with ?tf-hub-format=compressed.
    data = open(make_tar_gz(served_dir / "m.tar.gz", BIG_FILES), "rb").read()
    (served_dir / "m.tar.gz").write_bytes(data[: len(data) // 2])
    (served_dir / "text.tar.gz").write_bytes(b"bad_archive")
    handle = server.url("m.tar.gz")
    with pytest.raises(errors.ArchiveError) as info:
        hub.resolve(handle)
    assert str(info.value).startswith(f"{handle} does not appear to be a valid module. ")
    assert "truncated or corrupt" in str(info.value)
    with pytest.raises(errors.NotAnArchiveError) as info:
        hub.resolve(server.url("text.tar.gz"))
    assert str(info.value).startswith(f"{server.url('text.tar.gz')} does not appear to be a ")
    assert isinstance(info.value, IOError)


def test_folder_only_archive_installs_no_entry(server, served_dir, isolated_cache):
    import io
    import tarfile

    with tarfile.open(served_dir / "m.tar.gz", "w:gz") as tar:
        folder = tarfile.TarInfo("variables")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder, io.BytesIO())
    handle = server.url("m.tar.gz")
    with pytest.raises(errors.ArchiveError, match="holds no files"):
        hub.resolve(handle)
    _assert_no_entry(isolated_cache, handle)


def test_download_and_extract_returns_digests(server, served_dir, tmp_path):
    import hashlib

    from tfhub.archive_fetch import download_and_extract

    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    target = tmp_path / "target"
    target.mkdir()
    result = download_and_extract(server.url("m.tar.gz"), str(target), handle="h")
    assert result.algorithm == "sha256"
    assert result.files == {
        name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in BIG_FILES.items()
    }


def test_hashes_computed_while_extracting_are_recorded_not_recomputed(
    server, served_dir, monkeypatch
):
    """The sha256 of each file comes from the extraction; install reads no file back."""
    import hashlib

    from tfhub import cache
    from tfhub.cache import bookkeeping

    make_tar_gz(served_dir / "m.tar.gz")

    def refuse(path, algorithm="sha256"):
        raise AssertionError(f"install re-read {path}: extraction's digests were not used")

    monkeypatch.setattr(bookkeeping, "file_digest", refuse)
    path = hub.resolve(server.url("m.tar.gz"))
    manifest = bookkeeping.read_manifest(path)
    assert manifest is not None and cache.is_complete(path)
    for rel, data in MODEL_FILES.items():
        assert manifest.digests[rel] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("in_date_form", [False, True])
def test_a_busy_server_is_retried_after_the_wait_it_asks_for(
    server, served_dir, isolated_cache, in_date_form
):
    """429 (rate limited) and 503 answers with Retry-After were retried after 0.25 s, 0.5 s, ...
    (the backoff's own waits), so a server asking for seconds failed the download before it
    would take it."""
    import email.utils

    from tests._helpers.http_server import answer_status

    make_tar_gz(served_dir / "m.tar.gz")
    when = email.utils.formatdate(time.time() + 3, usegmt=True) if in_date_form else "2"
    server.state.behaviours.append(
        answer_status("m.tar.gz", 429, times=1, headers={"Retry-After": when})
    )
    started = time.monotonic()
    path = hub.resolve(server.url("m.tar.gz"))
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert time.monotonic() - started >= 1.5  # Not the first backoff's 0.25 s.


def test_an_archive_with_links_inside_is_downloaded_once(server, served_dir, isolated_cache):
    """The manifest recorded a link's own size (its target's name) while the checks read the
    file it leads to: every resolve found the entry "damaged" and downloaded it again."""
    import io
    import tarfile

    with tarfile.open(served_dir / "m.tar.gz", "w:gz") as archive:
        for name, data in MODEL_FILES.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in [("alias.pb", "saved_model.pb"), ("nowhere", "missing.txt")]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    first = hub.resolve(server.url("m.tar.gz"))
    assert hub.resolve(server.url("m.tar.gz")) == first
    assert len(archive_gets(server, "m.tar.gz")) == 1
    assert cache.full_damage(first) is None


@pytest.mark.parametrize(
    ("status", "said"),
    [(500, "500 Internal Server Error"), (502, "502 Bad Gateway"), (599, "599 HTTP error")],
)
def test_an_error_status_is_named_by_its_reason_phrase(
    server, isolated_cache, monkeypatch, status, said
):
    """It said "the server answered 500 HTTP error" for every status but 401, 403 and 404."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    server.state.behaviours.append(answer_status("m.tar.gz", status))
    with pytest.raises(errors.HTTPStatusError) as caught:
        hub.resolve(server.url("m.tar.gz"))
    assert f"the server answered {said} for " in str(caught.value)
