"""`tfhub serve` (granian) writes granian's log on stderr, as uvicorn's and tfhub's access log
(review49b-F3): granian's default logging config wrote its lifecycle lines ("Starting granian",
"Listening at", "Shutting down granian", ...) on stdout, so `tfhub serve hub | head -1` printed a
"--- Logging error ---" traceback on stderr for each of them once `head` had left.

Real `tfhub serve` processes on 127.0.0.1, started as `serve_hub` starts them (a new session, so
that the whole group is stopped), with stdout a pipe or a file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from tests._helpers.hub_server import (
    SRC,
    HubProcess,
    _stop,
    _wait_healthy,
    free_port,
    write_model_doc,
    write_publisher,
)

SERVE = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hub49")
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/model/1")
    return root


def _start(root: Path, port: int, *, stdout: int, stderr: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=SRC)
    env.pop("TFHUB_SERVE_SETTINGS", None)
    with open(stderr, "wb") as err:
        return subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", str(root), "--port", str(port), "--rescan", "0"],
            env=env,
            stdout=stdout,
            stderr=err,
            start_new_session=True,
        )


def _stopped(proc: subprocess.Popen) -> int:
    """Stops `proc` as Ctrl-C in a terminal would (SIGINT to its group); its exit status."""
    os.killpg(proc.pid, signal.SIGINT)
    return proc.wait(timeout=30)


def _wait_for(path: Path, text: str) -> str:
    """The content of `path` once it holds `text` (at most 10 s: a log line lands late)."""
    deadline = time.monotonic() + 10
    while text not in (content := path.read_text(errors="replace")):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return content


def test_granian_logs_on_stderr_and_stdout_holds_only_the_serving_line(hub_root, tmp_path):
    port = free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "wb") as stdout:
        proc = _start(hub_root, port, stdout=stdout.fileno(), stderr=err)
    try:
        _wait_healthy(HubProcess(proc, port, err, hub_root), 60)
        assert _stopped(proc) == 0, err.read_text()
    finally:
        _stop(proc)
    assert out.read_text() == f"tfhub: serving {hub_root} at http://127.0.0.1:{port}/\n"
    log = _wait_for(err, "Granian shutdown completed")
    assert "Starting granian" in log and "Granian shutdown completed" in log, log


def test_a_reader_that_leaves_stdout_causes_no_logging_traceback(hub_root, tmp_path):
    """`tfhub serve hub | head -1`: the reader takes the serving line and leaves; the server
    serves on, and its log lines (start, workers, SIGHUP respawn, shutdown) go on stderr."""
    port = free_port()
    err = tmp_path / "serve.err"
    proc = _start(hub_root, port, stdout=subprocess.PIPE, stderr=err)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(b"tfhub: serving ")
        proc.stdout.close()  # The reader leaves, as `head -1` does.
        server = HubProcess(proc, port, err, hub_root)
        _wait_healthy(server, 60)
        assert requests.get(server.url(), timeout=30).status_code == 200
        os.kill(proc.pid, signal.SIGHUP)  # granian respawns its workers: more log lines.
        _wait_for(err, "Stopped old worker")
        _wait_healthy(server, 60)
        code = _stopped(proc)
    finally:
        _stop(proc)
    log = _wait_for(err, "Granian shutdown completed")
    assert "Logging error" not in log and "Traceback" not in log, log
    assert "Stopped old worker" in log and "Granian shutdown completed" in log, log
    assert code == 0, log
