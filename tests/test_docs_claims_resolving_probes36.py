"""Claims of docs/resolving.md checked a second time (session 36) against the running code, as a
user meets them: a real HTTP server on 127.0.0.1, real archives, real cache folders.

Each test quotes the claim it checks in its docstring.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import (
    Behaviour,
    LocalServer,
    answer_body,
    answer_status,
    archive_gets,
    delay,
    see_other,
)
from tests._helpers.python_process import child_env, ctrl_c_as_in_a_terminal, run_tfhub

import tfhub as hub
from tfhub import errors, handles


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _raw_deflate(data: bytes) -> bytes:
    """`data` deflated without zlib's header and checksum (what some servers send as
    `Content-Encoding: deflate`; urllib3, and so requests, undo it too)."""
    deflater = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflater.compress(data) + deflater.flush()


def _tar_bytes(served_dir: Path, compression: str) -> bytes:
    return Path(
        make_tar_gz(served_dir / f"source.{compression}", compression=compression)
    ).read_bytes()


@pytest.mark.parametrize(
    ("what", "compression", "encode"),
    [
        ("a tar under zlib's deflate", "", zlib.compress),
        ("a .tar.gz under zlib's deflate", "gz", zlib.compress),
        ("a tar under raw deflate", "", _raw_deflate),
        ("a .tar.gz under raw deflate", "gz", _raw_deflate),
        ("a .tar.gz stored with deflate metadata", "gz", bytes),
        ("a plain tar stored with deflate metadata", "", bytes),
        ("a .tar.bz2 stored with deflate metadata", "bz2", bytes),
    ],
)
def test_an_archive_under_content_encoding_deflate_is_extracted(
    server: LocalServer,
    served_dir: Path,
    isolated_cache: Path,
    what: str,
    compression: str,
    encode: Any,
) -> None:
    """The page says:

    "a server that still answers `Content-Encoding: gzip` or `deflate` (an archive gzipped
    again on the fly, or an S3 object stored with that metadata) has it undone first
    (`deflate` as a zlib or a raw stream, as requests reads it; a body so labelled that is not
    encoded, a tar, bzip2 or xz archive as stored, is taken as sent)"."""
    body = encode(_tar_bytes(served_dir, compression))
    server.state.behaviours.append(
        answer_body("m.tar.gz", 200, "application/x-tar", body, {"Content-Encoding": "deflate"})
    )
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == MODEL_FILES, what


def test_a_body_labelled_gzip_is_undone_once_or_taken_as_sent(
    server: LocalServer, served_dir: Path
) -> None:
    """The page says: "a body so labelled that is not encoded, a tar, bzip2 or xz archive as
    stored, is taken as sent"; a .tar.gz so labelled, or gzipped again, is undone once."""
    tar, tar_gz = _tar_bytes(served_dir, ""), _tar_bytes(served_dir, "gz")
    for name, sent in (("tar", tar), ("tgz", tar_gz), ("twice", gzip.compress(tar_gz))):
        server.state.behaviours.append(
            answer_body(
                f"{name}.tar.gz", 200, "application/x-tar", sent, {"Content-Encoding": "gzip"}
            )
        )
        assert read_tree(hub.resolve(server.url(f"{name}.tar.gz"))) == MODEL_FILES, name


def test_descriptors_and_cache_list_show_the_url_an_entry_is_keyed_by(
    server: LocalServer, served_dir: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says: credentials "are used for the download but never shown"; messages show
    `https://***@host/...`; "The folder name of an http(s) URL with a user name and password is
    `sha1` of the URL without them", and a signed URL's is `sha1` of the URL without its
    signature, whose "descriptor records that unsigned URL". The descriptor (and so `tfhub cache
    list`) records the URL the folder's name hashes, as upstream's descriptors do; a secret the
    key keeps (`?token=`) is shown as `***`."""
    make_tar_gz(served_dir / "m.tar.gz")
    plain = server.url("m.tar.gz")
    shown = {
        plain.replace("http://", "http://user:s3cret@"): plain,
        f"{plain}?X-Amz-Signature=s3cret&X-Amz-Credential=AKIA&v=1": f"{plain}?v=1",
        f"{plain}?token=s3cret": f"{plain}?token=***",
    }
    for handle, recorded in shown.items():
        entry = Path(hub.resolve(handle))
        descriptor = Path(f"{entry}.descriptor.txt").read_text(encoding="utf-8")
        assert descriptor.startswith(f"Module: {recorded}\n"), descriptor
        if "***" not in recorded:  # Upstream's invariant: the folder is sha1 of that line.
            assert entry.name == _sha1(recorded)
    listed = run_tfhub("cache", "list", TFHUB_CACHE_DIR=str(isolated_cache)).stdout
    assert sorted(line.split("\t")[-1] for line in listed.splitlines()) == sorted(shown.values())
    assert "s3cret" not in listed and "***@" not in listed
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    closed = plain.replace(f":{server.port}/", ":9/").replace("http://", "http://user:s3cret@")
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(closed)
    assert "http://***@127.0.0.1:9/m.tar.gz" in str(info.value), str(info.value)


@pytest.mark.tf
def test_a_message_saying_to_rm_an_entry_with_credentials_names_what_finds_it(
    server: LocalServer, served_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page says: "Where a message says to run `tfhub cache rm` for such an entry, it names
    the entry's folder ..., since the redacted handle names none" (`?token=` stays in the key);
    a URL with a user name and password is keyed without them, which the message names."""
    from tests._helpers import models

    from tfhub.cli.main import main

    model = Path(models.save_tf2_module(str(tmp_path / "model")))
    models.make_tarball(str(model), str(served_dir / "model.tar.gz"))
    plain = server.url("model.tar.gz")
    for handle, named in (
        (f"{plain}?token=s3cret", None),
        (plain.replace("http://", "http://user:s3cret@"), plain),
    ):
        entry = Path(hub.resolve(handle))
        (shard,) = (entry / "variables").glob("variables.data-*")
        shard.write_bytes(bytes(shard.stat().st_size))  # Same-size damage: found by load.
        with pytest.raises(errors.DamagedModelError) as info:
            hub.load(handle)
        message = str(info.value)
        argument = named or entry.name
        assert f"remove it with `tfhub cache rm {argument}` and load again" in message, message
        assert "s3cret" not in message
        assert main(["cache", "rm", argument]) == 0 and not entry.exists()
        capsys.readouterr()


@pytest.mark.parametrize("status", [301, 307, 308])
def test_the_uncompressed_format_follows_each_plain_redirect(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """The page says: "`UNCOMPRESSED` asks the server for `?tf-hub-format=uncompressed`,
    follows plain redirects (301, 302, 307, 308: http to https, a moved hub ...), expects `303
    See Other` with a `gs://` folder in the body, and returns that folder" (302 is
    tests/test_resolvers.py's; the gs:// check is TensorFlow's, stood in for here)."""
    from tfhub.resolvers import gcs

    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    moved = {"Location": "/models/m?tf-hub-format=uncompressed"}
    server.state.behaviours += [
        answer_body("/old/m", status, "text/html", b"moved", moved),
        see_other("/models/m", "gs://bucket/m"),
    ]
    assert hub.resolve(server.url("old/m")) == "gs://bucket/m"
    asked = [target for method, target, _ in server.state.requests if method == "GET"]
    assert asked == ["/old/m?tf-hub-format=uncompressed", "/models/m?tf-hub-format=uncompressed"]


@pytest.mark.parametrize(
    ("handle", "archive"),
    [
        ("google/m/2/", "google/m/2.tar.gz"),
        ("google/m/2//", "google/m/2.tar.gz"),
        ("google/m/2?v=1", "google/m/2.tar.gz?v=1"),
        ("google/m/2/?v=1", "google/m/2.tar.gz?v=1"),
    ],
)
def test_the_china_mirror_drops_slashes_after_the_version_and_keeps_the_query(
    server: LocalServer,
    served_dir: Path,
    isolated_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    handle: str,
    archive: str,
) -> None:
    """The page says: "`https://hub.tensorflow.google.cn/X` | downloaded from
    `https://gcs.tensorflow.google.cn/tfhub-modules/X.tar.gz`, as upstream; slashes after the
    version are dropped and a query is kept after `.tar.gz` ...; the cache folder is `sha1` of
    the handle as written" (the mirror's address, upstream's constant, points at a local
    server)."""
    monkeypatch.setattr(handles, "GCS_GOOGLE_CN_TEMPLATE", server.url("tfhub-modules/%s.tar.gz"))
    (served_dir / "tfhub-modules" / "google" / "m").mkdir(parents=True)
    make_tar_gz(served_dir / "tfhub-modules" / "google" / "m" / "2.tar.gz")
    written = f"https://hub.tensorflow.google.cn/{handle}"
    path = hub.resolve(written)
    assert path == str(isolated_cache / _sha1(written))
    assert read_tree(path) == MODEL_FILES
    assert [target for _, target, _ in server.state.requests] == [f"/tfhub-modules/{archive}"]


def test_a_relative_path_is_read_from_the_current_folder_at_each_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says: "Relative paths are read from the current directory at each call, and
    returned as written"."""
    (tmp_path / "a" / "models" / "m").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert hub.resolve("models/m") == "models/m"
    assert hub.resolve("./models/m") == "./models/m"
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(errors.ModelNotFoundError, match=r"^models/m does not exist\.$"):
        hub.resolve("models/m")


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (401, "Kaggle refuses it: the model may be private, or need you to accept its terms"),
        (403, "Kaggle refuses it: the model may be private, or need you to accept its terms"),
        (404, "Kaggle model URLs look like https://www.kaggle.com/models/OWNER/MODEL/FRAMEWORK/"),
    ],
)
def test_kaggles_refusals_say_what_they_usually_mean(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, status: int, said: str
) -> None:
    """The page says: "Errors name the handle and URL: ... for Kaggle URLs, a 401/403 says the
    model may be private or need its terms accepted, a 404 shows the URL form" (kaggle.com over
    plain http, reached through the local server acting as an HTTP proxy)."""
    monkeypatch.setenv("HTTP_PROXY", server.url())
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    server.state.behaviours.append(answer_status("/models/o/m", status))
    handle = "http://www.kaggle.com/models/o/m"
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(handle)
    message = str(info.value)
    assert info.value.code == status and f"Cannot download {handle!r}" in message
    assert f"{handle}?tf-hub-format=compressed" in message and said in message, message


def test_localhost_never_goes_through_a_proxy_whatever_no_proxy_says(
    server: LocalServer, served_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says: "A URL on this machine's loopback (`localhost`, `127.0.0.0/8`, `::1`
    ...) never goes through a proxy, which could not reach it, whatever `NO_PROXY` says" (the
    proxy here is a closed port: a request through it would fail)."""
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "example.com,10.0.0.0/8")
    url = server.url("m.tar.gz").replace("127.0.0.1", "localhost")
    assert read_tree(hub.resolve(url)) == MODEL_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1


@pytest.mark.parametrize(
    ("stop", "status", "said"),
    [
        (signal.SIGTERM, 128 + signal.SIGTERM, "tfhub: terminated (SIGTERM)"),
        (signal.SIGINT, 128 + signal.SIGINT, "tfhub: interrupted"),
    ],
)
def test_stopping_a_stalled_download_ends_at_once_and_leaves_nothing(
    server: LocalServer,
    served_dir: Path,
    isolated_cache: Path,
    stop: signal.Signals,
    status: int,
    said: str,
) -> None:
    """The page says: "Stopping a download (Ctrl-C, SIGTERM in the CLI) ends at once, even
    during a stall", and "A download that fails leaves nothing in the cache: no temporary
    folder, and no lock file for an entry that does not exist" (the server sends part of the
    body, then nothing for a minute; TFHUB_HTTP_TIMEOUT is 60 s)."""
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(200_000)})
    server.state.behaviours.append(delay("m.tar.gz", 60, stall_after=50_000))
    tfhub = subprocess.Popen(
        [sys.executable, "-m", "tfhub", "resolve", server.url("m.tar.gz")],
        env=child_env(TFHUB_CACHE_DIR=str(isolated_cache), TFHUB_DOWNLOAD_PROGRESS="0"),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not archive_gets(server, "m.tar.gz") and time.monotonic() < deadline:
        time.sleep(0.05)  # Waiting for the request, not asserting on time.
    time.sleep(1)  # The body's first bytes are in; the server is stalling.
    sent = time.monotonic()
    tfhub.send_signal(stop)
    _, err = tfhub.communicate(timeout=30)
    assert time.monotonic() - sent < 10  # At once: not after TFHUB_HTTP_TIMEOUT's 60 s.
    assert (tfhub.returncode, err.strip()) == (status, said)
    assert os.listdir(isolated_cache) == [".locks"] and os.listdir(isolated_cache / ".locks") == []


def test_a_cache_folder_starting_with_a_tilde_is_in_the_home_folder(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says: "A leading `~` (`TFHUB_CACHE_DIR=~/.cache/tfhub` from a `.env` file or a
    Dockerfile's `ENV`, which no shell expands) is the home folder", also for the flag and for
    upstream's `resolver.tfhub_cache_dir()`; nothing is made in the working folder."""
    from tfhub import resolver

    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    monkeypatch.setenv("TFHUB_CACHE_DIR", "~/.cache/tfhub")
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    assert hub.resolve(handle) == str(home / ".cache" / "tfhub" / _sha1(handle))
    assert resolver.tfhub_cache_dir() == str(home / ".cache" / "tfhub")
    assert os.listdir(work) == []


def _stderr_of_resolve_at_a_terminal(url: str, cache: Path, **env: str) -> bytes:
    """Runs `hub.resolve(url)` in a fresh process whose stderr is a real 80x24 terminal (a
    pty); returns what it wrote there."""
    import fcntl
    import struct
    import termios
    import threading

    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    written: list[bytes] = []

    def read_all() -> None:
        while True:
            try:
                data = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's last writer has gone.
                return
            if not data:
                return
            written.append(data)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    try:
        subprocess.run(
            [sys.executable, "-c", "import sys, tfhub as hub; hub.resolve(sys.argv[1])", url],
            env=child_env(TFHUB_CACHE_DIR=str(cache), **env),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal,
            timeout=120, check=True,
        )  # fmt: skip
    finally:
        os.close(terminal)
        reader.join(timeout=10)
        os.close(controller)
    return b"".join(written)


def test_the_progress_bar_is_on_in_a_terminal_unless_switched_off(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says: "Progress bar (tqdm, on stderr): on in a terminal;
    `TFHUB_DOWNLOAD_PROGRESS=0`/`1` forces it"."""
    monkeypatch.delenv("TFHUB_DOWNLOAD_PROGRESS")  # The fixture's 0: the test sets its own.
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(300_000)})
    server.state.behaviours.append(delay("m.tar.gz", 1, stall_after=100_000))
    url = server.url("m.tar.gz")
    shown = _stderr_of_resolve_at_a_terminal(url, tmp_path / "a")
    assert f"Downloading {url}:".encode() in shown and b"%|" in shown, shown
    assert _stderr_of_resolve_at_a_terminal(url, tmp_path / "b", TFHUB_DOWNLOAD_PROGRESS="0") == b""


def _labelled_in_pieces(suffix: str, body: bytes, encoding: str, first: int) -> Behaviour:
    """Answers `body` with `Content-Encoding: encoding`, its first `first` bytes alone (a
    short first network read), then the rest."""

    def behaviour(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
        if not path.endswith(suffix):
            return False
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-tar")
        handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:first])
        handler.wfile.flush()
        time.sleep(0.3)
        handler.wfile.write(body[first:])
        return True

    return behaviour


@pytest.mark.parametrize(
    ("what", "compression", "encode", "first"),
    [
        ("a tar under zlib's deflate", "", zlib.compress, 1),
        ("a tar under raw deflate", "", _raw_deflate, 1),
        ("a plain tar stored with deflate metadata", "", bytes, 100),
        ("a .tar.gz stored with gzip metadata", "gz", bytes, 1),
    ],
)
def test_a_short_first_packet_of_an_encoded_body_is_still_read_right(
    server: LocalServer,
    served_dir: Path,
    what: str,
    compression: str,
    encode: Any,
    first: int,
) -> None:
    """The page says: "The format is recognised from the first 512 bytes (read until there are
    512 or the stream ends)"; so is a Content-Encoding's, whatever the first read brings."""
    body = encode(_tar_bytes(served_dir, compression))
    encoding = "gzip" if compression == "gz" else "deflate"
    server.state.behaviours.append(_labelled_in_pieces("m.tar.gz", body, encoding, first))
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES, what
