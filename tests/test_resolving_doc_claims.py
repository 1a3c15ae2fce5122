"""Claims of docs/resolving.md, probed as a user (and a hostile server) meets them: real
servers on 127.0.0.1, real archives, real cache folders, fresh processes.

A disk quota cannot be set on this machine (its kernel has no quota support), so the quota
tests have the kernel itself answer EDQUOT: a seccomp filter installed in a child process just
before `hub.resolve` makes the chosen system calls fail with that errno, and tfhub's real code
path meets a real `OSError(errno.EDQUOT)`.
"""

from __future__ import annotations

import errno
import os
import platform
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer
from tests._helpers.mounts import tmpfs
from tests._helpers.python_process import child_env, run_python, start_python
from tests._helpers.raw_server import serve_raw

import tfhub as hub
from tfhub import errors
from tfhub.utils.printable import escaped

# --- A kernel that answers EDQUOT (seccomp), for the quota tests ----------------------------------

# Installed by the child before it resolves. BPF over `struct seccomp_data` (nr at 0, arch at 4,
# args[i] at 16 + 8 i); x86-64 system call numbers. MODE "mkdir": mkdir/mkdirat fail (the
# download's temporary folder cannot be made); MODE "create": exclusive creates (O_EXCL, as
# extraction makes each file) fail.
_SECCOMP_EDQUOT = """
import ctypes, errno, os, struct

def deny_with_edquot(mode):
    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    never = 0xFFFFFFFF  # No system call has this number.
    mkdir, mkdirat = (83, 258) if mode == "mkdir" else (never, never)
    exclusive = os.O_EXCL if mode == "create" else 0  # A JSET of mask 0 never jumps.
    program = [
        (ld, 0, 0, 4), (jeq, 0, 9, 0xC000003E),  # Another architecture: allowed (11).
        (ld, 0, 0, 0),  # The system call's number.
        (jeq, 8, 0, mkdir), (jeq, 7, 0, mkdirat),  # -> 12: EDQUOT.
        (jeq, 0, 2, 257), (ld, 0, 0, 32), (jset, 4, 3, exclusive),  # openat's flags.
        (jeq, 0, 2, 2), (ld, 0, 0, 24), (jset, 1, 0, exclusive),  # open's flags.
        (ret, 0, 0, 0x7FFF0000),  # 11: allowed.
        (ret, 0, 0, 0x00050000 | errno.EDQUOT),  # 12: fails with EDQUOT.
    ]
    raw = b"".join(struct.pack("HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Program(len(program), ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(prog), 0, 0):
        raise OSError(ctypes.get_errno(), "seccomp")
"""

_RESOLVE_UNDER_QUOTA = (
    _SECCOMP_EDQUOT
    + """
import sys
import tfhub as hub
from tfhub import errors
from tfhub.utils.printable import escaped
os.makedirs(os.path.join(os.environ["TFHUB_CACHE_DIR"], ".locks"))
deny_with_edquot(sys.argv[2])
try:
    hub.resolve(sys.argv[1])
except errors.DiskFullError as err:
    print(err.errno)
    print(str(err))
"""
)


def _needs_seccomp() -> None:
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        pytest.skip("the EDQUOT filter is written for Linux on x86-64")


def _resolve_under_quota(url: str, cache: Path, mode: str) -> list[str]:
    done = run_python(_RESOLVE_UNDER_QUOTA, url, mode, env=child_env(TFHUB_CACHE_DIR=str(cache)))
    return done.stdout.splitlines()


@pytest.mark.parametrize("mode", ["mkdir", "create"])
def test_a_used_up_quota_is_said_without_the_disk_figures(
    server: LocalServer, served_dir: Path, tmp_path: Path, mode: str
) -> None:
    """EDQUOT creating the download's temporary folder, or a file while extracting: the error
    says the user's quota is used up and what to do, not the disk's free space (which may be
    plenty), and the cache holds nothing but its lock folder."""
    _needs_seccomp()
    make_tar_gz(served_dir / "m.tar.gz")
    cache = tmp_path / "cache"
    lines = _resolve_under_quota(server.url("m"), cache, mode)
    assert lines and lines[0].split()[0] == str(errno.EDQUOT), lines
    message = "\n".join(lines[1:])
    assert "quota" in message and "is used up" in message, message
    assert "the disk is full" not in message and "Free space on the disk" not in message
    assert " free of " not in message and " are free" not in message, message
    assert "TFHUB_CACHE_DIR" in message and "tfhub cache prune" in message, message
    assert sorted(os.listdir(cache)) == [".locks"]


# --- Cache paths with control characters are shown escaped ----------------------------------------


def _newline_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Path:
    cache = tmp_path / name
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    return cache


def test_offline_error_shows_a_newline_in_the_cache_path_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _newline_cache(tmp_path, monkeypatch, "ca\nche")
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError) as caught:
        hub.resolve("http://127.0.0.1:9/m")
    assert "\n" not in str(caught.value) and "ca\\x0Ache" in str(caught.value)
    assert caught.value.cache_dir == str(tmp_path / "ca\nche")  # The attribute stays the path.


def test_a_cache_below_a_file_is_named_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fi\x1ble").write_text("")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "fi\x1ble" / "cache"))
    with pytest.raises(errors.CacheError) as caught:
        hub.resolve("http://127.0.0.1:9/m")
    message = str(caught.value)
    assert "\x1b" not in message and message.count("fi\\x1Ble") == 2, message


def test_a_full_disk_names_its_cache_escaped_and_no_empty_need(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real full disk (a tmpfs of 8 KB) under a cache path holding a newline: every path of
    the message is escaped; nothing was written, so no "needs more than 0 B"."""
    make_tar_gz(served_dir / "m.tar.gz")
    with tmpfs(tmp_path / "fu\nll", "size=8k") as disk:
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(disk))
        with pytest.raises(errors.DiskFullError) as caught:
            hub.resolve(server.url("m"))
        message = str(caught.value)
        assert "\n" not in message and "fu\\x0All" in message, message
        assert "needs more than 0 B" not in message, message
        assert caught.value.path == str(disk)
        assert sorted(os.listdir(disk)) == [".locks"]


_HOLD_AND_STOP = """
import os, signal, sys
from tfhub.cache import locks
with locks.entry_lock(sys.argv[1], what="a test") as held:
    print("held" if held else "not held", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
"""


def test_lock_timeout_names_a_newline_lock_path_escaped(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped process holds the entry's lock: the waiter's LockTimeoutError names the lock
    escaped (its `lock_path` attribute stays the path)."""
    make_tar_gz(served_dir / "m.tar.gz")
    cache = _newline_cache(tmp_path, monkeypatch, "lo\nck")
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "1")
    url = server.url("m")
    from tfhub import cache as tfhub_cache

    module_path = tfhub_cache.module_dir(url)
    os.makedirs(cache)
    env = child_env(TFHUB_CACHE_DIR=str(cache), TFHUB_LOCK_TIMEOUT="1")
    holder = start_python(_HOLD_AND_STOP, module_path, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(errors.LockTimeoutError) as caught:
            hub.resolve(url)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.send_signal(signal.SIGCONT)
        holder.wait(timeout=10)
    message = str(caught.value)
    assert "\n" not in message and "lo\\x0Ack" in message, message
    assert "\n" in caught.value.lock_path


def test_resolving_a_cached_handle_in_a_fresh_process_imports_no_tensorflow(
    server: LocalServer, served_dir: Path, tmp_path: Path
) -> None:
    """Downloaded in one process, resolved again in another (also with TFHUB_OFFLINE=1 and a
    file:// cache): the same folder, and TensorFlow is never imported."""
    make_tar_gz(served_dir / "m.tar.gz")
    code = """
        import sys, tfhub as hub
        print(hub.resolve(sys.argv[1]))
        print("tensorflow" in sys.modules)
    """
    cache = tmp_path / "cache"
    first = run_python(code, server.url("m"), env=child_env(TFHUB_CACHE_DIR=str(cache)))
    path, imported = first.stdout.split()
    assert imported == "False" and os.path.isfile(os.path.join(path, "saved_model.pb"))
    for extra in ({"TFHUB_OFFLINE": "1"}, {"TFHUB_CACHE_DIR": f"file://{cache}"}):
        env = child_env(**{"TFHUB_CACHE_DIR": str(cache), **extra})
        again = run_python(code, server.url("m"), env=env)
        assert again.stdout.split() == [path, "False"], (extra, again.stdout)


# --- A hostile hub under TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED ------------------------------------


_LISTENERS: list[socket.socket] = []


def _answering(answer: bytes) -> str:
    """A raw server answering every request with `answer`; returns a handle on it."""
    listener, _ = serve_raw(answer)
    _LISTENERS.append(listener)
    return f"http://127.0.0.1:{listener.getsockname()[1]}/m"


@pytest.fixture(autouse=True)
def _close_raw_servers() -> Iterator[None]:
    yield
    while _LISTENERS:
        _LISTENERS.pop().close()


@pytest.mark.parametrize(
    "body", [b"gs://b/x\x1b[2Jy", b"gs://bucket/m\nForged: line", b"\x1b]0;title\x07gs://b/m"]
)
def test_a_303_location_with_control_characters_is_quoted_escaped(
    monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    """The doc: anything but a plain gs:// path raises InvalidHandleError. Its message quotes
    what the server sent with terminal escapes and line breaks escaped."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    url = _answering(b"HTTP/1.1 303 See Other\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    with pytest.raises(errors.InvalidHandleError) as caught:
        hub.resolve(url)
    message = str(caught.value)
    assert message.isprintable() and "GCS location" in message, message
    assert escaped(body.decode()) in message, message


def test_a_redirect_with_control_characters_is_named_percent_encoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plain redirect to an address holding an escape sequence, which requests would send
    percent-encoded: it is followed, and named, percent-encoded (not written raw to a
    terminal) when it cannot be fetched."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    for location, error in (
        (b"ftp://h/\x1b[2Jx", errors.DownloadError),
        (b"http://127.0.0.1:1/\x1b[2Jx", errors.ConnectionFailedError),
    ):
        url = _answering(
            b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % location
        )
        with pytest.raises(error) as caught:
            hub.resolve(url)
        message = str(caught.value)
        assert message.isprintable() and "/%1B[2Jx" in message, message


# --- A resolver written for tensorflow_hub (the doc's MirrorResolver) -----------------------------


def _mirror_resolver(server: LocalServer) -> Any:
    """The doc's example, pointed at the local server instead of models.corp."""
    import hashlib
    import urllib.request

    from tfhub import resolver

    class MirrorResolver(resolver.HttpResolverBase):
        def is_supported(self, handle: str) -> bool:
            return handle.startswith("mirror://")

        def __call__(self, handle: str) -> str:
            url = server.url(handle[len("mirror://") :] + ".tar.gz")
            module_dir = resolver.create_local_module_dir(
                resolver.tfhub_cache_dir(use_temp=True), hashlib.sha1(handle.encode()).hexdigest()
            )

            def download(handle: str, tmp_dir: str) -> None:
                with self._call_urlopen(urllib.request.Request(url)) as response:
                    resolver.DownloadManager(url).download_and_uncompress(response, tmp_dir)

            return resolver.atomic_download(handle, download, module_dir)

    return MirrorResolver()


def test_a_tensorflow_hub_style_resolver_gets_tfhubs_archive_errors_with_what_to_do(
    server: LocalServer, served_dir: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through `resolver.DownloadManager`, an unsafe or a cut archive raises tfhub's errors
    saying what to do (as for tfhub's own downloads), and the cache holds no entry; a good
    archive is installed."""
    import tarfile

    from tests._helpers.archives import add_members

    from tfhub import resolvers

    monkeypatch.setattr(resolvers, "registry", resolvers.MultiImplRegistry("resolver"))
    monkeypatch.setattr(resolvers, "_defaults_installed", False)
    make_tar_gz(served_dir / "good.tar.gz")
    escape = tarfile.TarInfo("../evil")
    escape.size = 3
    add_members(served_dir / "evil.tar.gz", [escape])
    packed = (served_dir / "good.tar.gz").read_bytes()
    (served_dir / "cut.tar.gz").write_bytes(packed[: len(packed) // 2])
    hub.register_resolver(_mirror_resolver(server))
    with pytest.raises(errors.UnsafeArchiveError, match="Nothing was installed.*publisher"):
        hub.resolve("mirror://evil")
    with pytest.raises(errors.ArchiveError, match="Nothing was installed: try again"):
        hub.resolve("mirror://cut")
    assert [name for name in os.listdir(isolated_cache) if not name.startswith(".")] == []
    assert os.path.isfile(os.path.join(hub.resolve("mirror://good"), "saved_model.pb"))


def test_a_body_broken_once_without_retries_is_said_in_plain_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TFHUB_HTTP_RETRIES=0 and a server that closes the connection mid-body: the error says
    where it broke, not "broke 1 times in a row"."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    url = _answering(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n\x1f\x8b\x08\x00")
    with pytest.raises(errors.DownloadError) as caught:
        hub.resolve(url)
    message = str(caught.value)
    assert "the connection broke (at byte 4 of 1000, " in message, message
    assert "1 times" not in message and "TFHUB_HTTP_RETRIES" in message, message


def test_a_file_where_an_entry_belongs_is_named_as_a_file_and_replaced(
    server: LocalServer, served_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file (or a link to nothing) at an entry's path: the warning says what is there, not
    "the folder does not exist", and the model is downloaded in its place."""
    from tfhub import cache as tfhub_cache

    make_tar_gz(served_dir / "m.tar.gz")
    for make in (lambda path: Path(path).write_text("x"), lambda path: os.symlink("/none", path)):
        url = server.url("m") + f"?n={len(caplog.records)}"
        entry = tfhub_cache.module_dir(url)
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        make(entry)
        with caplog.at_level("WARNING", logger="tfhub.download"):
            assert hub.resolve(url) == entry
        assert os.path.isfile(os.path.join(entry, "saved_model.pb"))
        said = caplog.records[-1].getMessage()
        assert "the folder does not exist" not in said
        assert "it is a file, not a folder" in said or "it is a link to /none" in said, said


def test_warnings_name_a_newline_cache_path_escaped(
    server: LocalServer,
    served_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A damaged entry in a cache whose path holds a newline: the warning before it is
    downloaded again is one line (a log line cannot be forged by the folder's name)."""
    from tfhub import cache as tfhub_cache

    make_tar_gz(served_dir / "m.tar.gz")
    _newline_cache(tmp_path, monkeypatch, "lo\ngs")
    entry = hub.resolve(server.url("m"))
    os.remove(os.path.join(entry, "saved_model.pb"))
    assert tfhub_cache.damage(entry) is not None
    with caplog.at_level("WARNING", logger="tfhub"):
        assert hub.resolve(server.url("m")) == entry
    said = [record.getMessage() for record in caplog.records if "damaged" in record.getMessage()]
    assert said and "\n" not in said[0] and "lo\\x0Ags" in said[0], said


def test_a_missing_file_named_by_a_hostile_archive_is_shown_escaped(
    server: LocalServer,
    served_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An archive may name a file with a newline and a terminal escape. When that file goes
    missing, the warning before the download again and TFHUB_OFFLINE's error show its name
    escaped: one line, no escape sequence reaching a terminal."""
    name = "assets/vo\ncab\x1b[2J.txt"
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": b"x" * 10, name: b"y" * 100})
    entry = hub.resolve(server.url("m"))
    os.remove(os.path.join(entry, name))
    with caplog.at_level("WARNING", logger="tfhub.download"):
        hub.resolve(server.url("m"))
    said = caplog.records[-1].getMessage()
    assert said.isprintable() and escaped(name) in said, said
    os.remove(os.path.join(entry, name))
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError) as caught:
        hub.resolve(server.url("m"))
    assert str(caught.value).isprintable() and escaped(name) in str(caught.value)
