"""`tfhub pack MODEL -o -` writes the archive to stdout, as `tar -f -`, `gzip` and `curl -o -`
take `-`, and as `tfhub import -` reads stdin (review49b-F7): it wrote a file named `-` in the
working folder and sent the report line down the pipe, so the reader got one line of text as
its "archive", exit 0. A file named `-` is still written with `-o ./-`.

The packs that write an archive run forked from the warm server (tests/_helpers/warm_python.py)
with the test's pipe, file or socket as their descriptor 1, as a shell's redirection gives it;
the refusal of a closed stdout runs in a fresh `sh -c 'exec "$@" >&-'` (it imports no
TensorFlow).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tests._helpers import models
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

from tfhub.cli.main import main
from tfhub.hub import pack

pytestmark = pytest.mark.tf
TFHUB = "import sys\nfrom tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"


@pytest.fixture(scope="module")
def tf2_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(models.save_tf2_module(str(tmp_path_factory.mktemp("pack49") / "model")))


def _pack_in(cwd: Path, model: Path, *, shell: str = 'exec "$@"') -> subprocess.CompletedProcess:
    """`tfhub pack MODEL -o -` run in `cwd` by `sh -c SHELL` (its redirections), stdout piped."""
    cwd.mkdir()
    return subprocess.run(
        ["sh", "-c", shell, "sh", sys.executable, "-c", TFHUB, "pack", str(model), "-o", "-"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=cwd,
        env=child_env(),
        timeout=300,
    )


def _warm_pack_into(cwd: Path, model: Path, stdout: int) -> subprocess.CompletedProcess[str]:
    """`tfhub pack MODEL -o -` run in `cwd` (made here) in a warm fork whose descriptor 1 is a
    copy of the caller's `stdout`."""
    cwd.mkdir()
    return run_warm_python(
        TFHUB, "pack", str(model), "-o", "-", cwd=cwd, stdout=stdout, timeout=300, check=False
    )


def _read_all(read: Callable[[int], bytes]) -> tuple[threading.Thread, list[bytes]]:
    """A started thread that calls `read(65536)` until it returns b"", and the chunks read."""
    chunks: list[bytes] = []

    def drain() -> None:
        while chunk := read(1 << 16):
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    return reader, chunks


def test_dash_writes_the_archive_to_stdout_and_the_report_line_to_stderr(tf2_model, tmp_path):
    expected = pack.pack(tf2_model, tmp_path / "m.tar.gz")
    read_end, write_end = os.pipe()
    with open(read_end, "rb", buffering=0) as pipe:
        reader, chunks = _read_all(pipe.read)
        try:
            done = _warm_pack_into(tmp_path / "cwd", tf2_model, write_end)
        finally:
            os.close(write_end)
        reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"".join(chunks) == (tmp_path / "m.tar.gz").read_bytes()
    assert done.stderr == f"-\t{expected.size}\tsha256={expected.sha256}\n"
    assert os.listdir(tmp_path / "cwd") == []  # No file named "-".


def test_dash_with_stdout_closed_is_refused_and_writes_no_file(tf2_model, tmp_path):
    done = _pack_in(tmp_path / "cwd", tf2_model, shell='exec "$@" >&-')
    assert done.returncode == 1, done.stderr
    assert done.stderr.decode().startswith(
        "tfhub: error: - names standard output (descriptor 1), which is closed"
    )
    assert "/dev/stdout" not in done.stderr.decode()
    assert os.listdir(tmp_path / "cwd") == []


def test_a_file_named_dash_is_written_as_dot_slash_dash(tf2_model, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["pack", str(tf2_model), "-o", "./-"]) == 0
    assert capsys.readouterr().out.startswith("-\t")
    assert (tmp_path / "-").read_bytes()[:2] == b"\x1f\x8b"


def test_dash_writes_into_a_stdout_file_at_its_place_as_tar_does(tf2_model, tmp_path):
    """review49e-F1: `-` became /dev/stdout, a path: a stdout FILE was replaced by a rename
    (`>>` lost what the file held, `{ echo; pack; echo; } > f` kept the archive alone, a 0600
    file came back 0644). It is written into, at the descriptor's offset."""
    expected = pack.pack(tf2_model, tmp_path / "m.tar.gz")
    appended = tmp_path / "app.bin"
    appended.write_bytes(b"HEADER")
    appended.chmod(0o600)
    with open(appended, "ab") as shell_append:  # `exec "$@" >> app.bin`
        done = _warm_pack_into(tmp_path / "cwd", tf2_model, shell_append.fileno())
    assert done.returncode == 0, done.stderr
    assert appended.read_bytes() == b"HEADER" + (tmp_path / "m.tar.gz").read_bytes()
    assert appended.stat().st_mode & 0o777 == 0o600
    framed = tmp_path / "framed.bin"
    with open(framed, "wb", buffering=0) as shell_out:  # `{ echo start; "$@"; echo end; } > f`
        shell_out.write(b"start\n")
        done = _warm_pack_into(tmp_path / "cwd2", tf2_model, shell_out.fileno())
        shell_out.write(b"end\n")
    assert done.returncode == 0, done.stderr
    archive = (tmp_path / "m.tar.gz").read_bytes()
    assert framed.read_bytes() == b"start\n" + archive + b"end\n"
    assert done.stderr == f"-\t{expected.size}\tsha256={expected.sha256}\n"


def test_dash_writes_into_a_socket_as_tar_does(tf2_model, tmp_path):
    """review49e-F4: a socket on stdout was refused ("/dev/stdout is a socket")."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        reader, chunks = _read_all(ours.recv)
        try:
            done = _warm_pack_into(tmp_path / "cwd", tf2_model, theirs.fileno())
        finally:
            theirs.close()
        reader.join(timeout=60)
        assert done.returncode == 0, done.stderr
    pack.pack(tf2_model, tmp_path / "m.tar.gz")
    assert b"".join(chunks) == (tmp_path / "m.tar.gz").read_bytes()
