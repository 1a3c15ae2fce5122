"""A `--token-file` that is no regular file (rf52c-F3): a named pipe, `<(...)`, a device.

The file was opened with a plain `open()` and read to its end: a named pipe without a writer
hung `tfhub serve` at start without a word, `/dev/zero` was read for ever, `<(echo TOKEN)`
started the server and then refused every token (each worker read the drained pipe again),
and a token file replaced by a named pipe while serving blocked the worker's event loop in
`open()` (every request, /healthz too, hung; SIGTERM did not stop it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env, run_tfhub

from tfhub import errors
from tfhub.hub.settings import TokenFile, read_tokens

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")

WAIT = 10.0  # Seconds a call may take before it counts as hung (it takes milliseconds).


def _returns_in_time(call: Callable[[], object], fifo: Path) -> object:
    """Runs `call` in a thread; fails (after releasing a reader stuck on `fifo`) if it hangs."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:  # Handed to the test below.
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # Lets the stuck open() return.
        thread.join(WAIT)
        pytest.fail(f"reading the token file {fifo} waited for a writer (> {WAIT} s)")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")


def test_a_named_pipe_as_token_file_is_refused_at_once(tmp_path):
    fifo = tmp_path / "tokens"
    os.mkfifo(fifo)
    with pytest.raises(errors.ServeConfigError, match="not a regular file") as caught:
        _returns_in_time(lambda: read_tokens(str(fifo)), fifo)
    assert str(fifo) in str(caught.value) and caught.value.option == "--token-file"
    assert isinstance(caught.value, ValueError)


def test_a_device_as_token_file_is_refused_without_reading_it():
    """Run in a child with 2 GiB of address space at most: the old code read /dev/zero until
    memory ran out."""
    program = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from tfhub import errors\n"
        "from tfhub.hub.settings import read_tokens\n"
        "try:\n"
        "    read_tokens('/dev/zero')\n"
        "except errors.ServeConfigError as err:\n"
        "    print(err)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "not a regular file" in done.stdout and "/dev/zero" in done.stdout


def test_tfhub_serve_with_a_named_pipe_as_token_file_says_so_and_exits_1(tmp_path):
    """It hung without a word (a timeout here); `<(echo TOKEN)` is refused the same way, at
    start, rather than served with every token refused."""
    root = tmp_path / "hub"
    root.mkdir()
    fifo = tmp_path / "tokens"
    os.mkfifo(fifo)
    done = run_tfhub("serve", str(root), "--token-file", str(fifo), "--port", "1", timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "not a regular file" in done.stderr and str(fifo) in done.stderr
    assert "chmod 600" in done.stderr


def test_a_token_file_replaced_by_a_named_pipe_while_serving_refuses_every_token(tmp_path, caplog):
    path = tmp_path / "tokens"
    path.write_text("a-token\n")
    path.chmod(0o600)
    tokens = TokenFile(str(path))
    assert tokens.tokens() == {"a-token"}
    path.unlink()
    os.mkfifo(path)
    assert _returns_in_time(tokens.tokens, path) == frozenset()
    assert "not a regular file" in caplog.text


def test_a_huge_token_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "tokens"
    with open(path, "wb") as file:
        file.truncate(64 * 1024 * 1024)  # Sparse: no disk used.
    with pytest.raises(errors.ServeConfigError, match="larger than"):
        read_tokens(str(path))
