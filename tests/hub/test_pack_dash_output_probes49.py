"""`tfhub pack MODEL -o -` writes the archive to stdout, as `tar -f -`, `gzip` and `curl -o -`
take `-`, and as `tfhub import -` reads stdin (review49b-F7): it wrote a file named `-` in the
working folder and sent the report line down the pipe, so the reader got one line of text as
its "archive", exit 0. A file named `-` is still written with `-o ./-`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers import models
from tests._helpers.python_process import child_env

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


def test_dash_writes_the_archive_to_stdout_and_the_report_line_to_stderr(tf2_model, tmp_path):
    expected = pack.pack(tf2_model, tmp_path / "m.tar.gz")
    done = _pack_in(tmp_path / "cwd", tf2_model)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (tmp_path / "m.tar.gz").read_bytes()
    assert done.stderr.decode() == f"-\t{expected.size}\tsha256={expected.sha256}\n"
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
    done = _pack_in(tmp_path / "cwd", tf2_model, shell=f'exec "$@" >> "{appended}"')
    assert done.returncode == 0, done.stderr
    assert appended.read_bytes() == b"HEADER" + (tmp_path / "m.tar.gz").read_bytes()
    assert appended.stat().st_mode & 0o777 == 0o600
    framed = tmp_path / "framed.bin"
    shell = f'{{ echo start; "$@"; echo end; }} > "{framed}"'
    done = _pack_in(tmp_path / "cwd2", tf2_model, shell=shell)
    assert done.returncode == 0, done.stderr
    archive = (tmp_path / "m.tar.gz").read_bytes()
    assert framed.read_bytes() == b"start\n" + archive + b"end\n"
    assert done.stderr.decode() == f"-\t{expected.size}\tsha256={expected.sha256}\n"


def test_dash_writes_into_a_socket_as_tar_does(tf2_model, tmp_path):
    """review49e-F4: a socket on stdout was refused ("/dev/stdout is a socket")."""
    import socket

    ours, theirs = socket.socketpair()
    with ours, theirs:
        (tmp_path / "cwd").mkdir()
        process = subprocess.Popen(
            [sys.executable, "-c", TFHUB, "pack", str(tf2_model), "-o", "-"],
            stdin=subprocess.DEVNULL,
            stdout=theirs.fileno(),
            stderr=subprocess.PIPE,
            cwd=tmp_path / "cwd",
            env=child_env(),
        )
        theirs.close()
        received = b""
        while chunk := ours.recv(1 << 16):
            received += chunk
        assert process.wait(timeout=300) == 0, process.stderr.read() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
    pack.pack(tf2_model, tmp_path / "m.tar.gz")
    assert received == (tmp_path / "m.tar.gz").read_bytes()
