"""Publishing leftovers of session 47: `read_doc` decides from the descriptor it opened, a
closed standard input as `--doc /dev/stdin`, a doc with two asset-path lines, `tfhub validate`
beside a running publish, and two killed publishes' journals in one model folder."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests._helpers.hub_server import write_publisher
from tests._helpers.python_process import child_env, run_tfhub

from tfhub import errors
from tfhub.hub import publish_doc, staging

# --- 1: read_doc reads the doc as what it opened ----------------------------------------------


@contextlib.contextmanager
def _swapped_at_open(
    monkeypatch: pytest.MonkeyPatch, doc: Path, swap: Callable[[], None]
) -> Iterator[None]:
    """Runs `swap` (which replaces the regular file `doc`) just before read_doc's open of it:
    the race between a look at the path and its open, made certain."""
    real_open = os.open

    def opening(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if os.fspath(path) == os.fspath(doc) and doc.is_file():  # type: ignore[arg-type]
            swap()
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", opening)
    yield


def _read_doc_in_thread(path: Path, unblock: Callable[[], None]) -> BaseException | str:
    """read_doc(path) in a thread; if it still reads after 5 s (a read without deadline),
    `unblock()` ends it and the test fails."""
    result: list[BaseException | str] = []

    def run() -> None:
        try:
            result.append(publish_doc.read_doc(path))
        except BaseException as err:  # The test reads it.
            result.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=5)
    if thread.is_alive():
        unblock()
        thread.join(timeout=20)
        pytest.fail(f"read_doc({path}) read without its deadline: {result}")
    return result[0]


def test_a_file_swapped_for_a_stalled_pipe_before_the_open_is_read_under_the_deadline(
    tmp_path, monkeypatch
):
    """The regular-or-stream choice came from a stat before the open: a file swapped for a
    named pipe between them was read as a file, blocking, with no deadline (a writer that
    stalled kept publish waiting for ever)."""
    monkeypatch.setattr(publish_doc, "FIFO_WRITER_WAIT", 0.3)
    doc = tmp_path / "1.md"
    doc.write_text("# Module acme/emb/1\nA file.\n", encoding="utf-8")
    release = threading.Event()

    def write() -> None:
        with open(doc, "wb", buffering=0) as sink:
            sink.write(b"#")
            release.wait(60)
            with contextlib.suppress(BrokenPipeError):
                sink.write(b" Module acme/emb/1\n")

    writer = threading.Thread(target=write, daemon=True)

    def swap() -> None:
        doc.unlink()
        os.mkfifo(doc)
        writer.start()  # Its open waits for read_doc's.

    try:
        with _swapped_at_open(monkeypatch, doc, swap):
            err = _read_doc_in_thread(doc, release.set)
    finally:
        release.set()
        writer.join(timeout=10)
    assert isinstance(err, errors.DocFormatError), err
    assert "within 0.3 s" in str(err), err


def test_a_file_swapped_for_a_terminal_before_the_open_is_refused_as_a_terminal(
    tmp_path, monkeypatch
):
    """A file swapped for a link to a terminal was read as a file: until someone typed an end
    of file there."""
    master, slave = os.openpty()
    doc = tmp_path / "1.md"
    doc.write_text("# Module acme/emb/1\nA file.\n", encoding="utf-8")

    def swap() -> None:
        doc.unlink()
        doc.symlink_to(os.ttyname(slave))

    try:
        with _swapped_at_open(monkeypatch, doc, swap):
            err = _read_doc_in_thread(doc, lambda: os.write(master, b"\n\x04"))
    finally:
        os.close(slave)
        os.close(master)
    assert isinstance(err, errors.DocFormatError), err
    assert "is a terminal" in str(err), err


def test_a_pipe_swapped_for_a_file_before_the_open_is_read_whole(tmp_path, monkeypatch):
    """The reverse swap: what was opened, a regular file, is read whole."""
    doc = tmp_path / "1.md"
    os.mkfifo(doc)
    text = "# Module acme/emb/1\nA file after all.\n"
    real_open = os.open

    def opening(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if os.fspath(path) == os.fspath(doc) and not doc.is_file():  # type: ignore[arg-type]
            doc.unlink()
            doc.write_text(text, encoding="utf-8")
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", opening)
    assert publish_doc.read_doc(doc) == text


def test_a_pipe_whose_writer_writes_and_closes_is_read_and_one_without_writer_is_refused(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(publish_doc, "FIFO_WRITER_WAIT", 0.3)
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    text = "# Module acme/emb/1\nPiped.\n"

    def write() -> None:
        with open(pipe, "wb", buffering=0) as sink:
            sink.write(text.encode())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert publish_doc.read_doc(pipe) == text
    writer.join(timeout=10)
    err = _read_doc_in_thread(pipe, lambda: None)
    assert isinstance(err, errors.DocFormatError), err
    assert "no process wrote into within 0.3 s" in str(err), err


# --- 2: `--doc /dev/stdin` with standard input closed -----------------------------------------


def _without_stdin(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Runs `argv` with descriptor 0 closed, as a shell's `<&-` does (DEVNULL is an open
    standard input)."""
    return subprocess.run(
        argv,
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=child_env(),
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("stdin", ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"])
def test_publish_with_its_standard_input_closed_says_so(tmp_path, stdin):
    """It said "Cannot read the doc /dev/stdin: no such file" (exit 7), as if a file were
    missing."""
    argv = [sys.executable, "-m", "tfhub", "publish", str(tmp_path / "model"), str(tmp_path)]
    done = _without_stdin([*argv, "--handle", "acme/emb/1", "--doc", stdin], tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"The doc {stdin} is standard input, which is closed" in done.stderr
    assert "--doc /dev/stdin < 1.md" in done.stderr and "no such file" not in done.stderr
    assert not (tmp_path / "assets").exists()


def test_a_closed_standard_input_whose_number_a_file_took_is_not_read_as_the_doc(tmp_path):
    """With descriptor 0 closed at start, the next file opened takes that number: /dev/stdin
    then named that file, which was read as the doc."""
    other = tmp_path / "other.md"
    other.write_text("# Module acme/emb/1\nNot the doc.\n", encoding="utf-8")
    code = f"""
import os, sys
taken = os.open({str(other)!r}, os.O_RDONLY)
assert taken == 0 and sys.stdin is None, (taken, sys.stdin)
from tfhub.hub import publish_doc, staging
try:
    print(publish_doc.read_doc("/dev/stdin"))
except Exception as err:
    print(type(err).__name__, err)
"""
    done = _without_stdin([sys.executable, "-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DocFormatError The doc /dev/stdin is standard input"), (
        done.stdout
    )


# --- 4: `tfhub validate` beside a running publish ---------------------------------------------


def _hub_with_a_leftover(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A valid hub with the staging folder of a killed publish of acme/emb/1 (killed before its
    commit: no journal); returns ROOT, the model folder and that staging folder."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    folder = root / "assets" / "docs" / "acme" / "models" / "emb"
    left = folder / staging.staging_name("1", "a" * 32)
    left.mkdir(parents=True)
    return root, folder, left


def _validate_timed(root: Path) -> tuple[float, str, int]:
    started = time.monotonic()
    done = run_tfhub("validate", str(root), timeout=30)
    return time.monotonic() - started, done.stderr, done.returncode


def test_validate_does_not_wait_for_the_publisher_lock_a_publish_holds(tmp_path):
    """`validate` waited up to 60 s (ROLL_BACK_LOCK_TIMEOUT) for each staging folder of a
    publisher whose lock a publish held (committing, or stopped with Ctrl-Z while it did)."""
    root, _, left = _hub_with_a_leftover(tmp_path)
    with staging.publisher_lock(left.parent, docs=root / "assets" / "docs"):
        took, err, code = _validate_timed(root)
    assert took < 10, took  # Python's start and the check, not the lock's 60 s.
    assert code == 0, err
    assert f"tfhub: note: {left} is being published now, not checked" in err, err
    assert left.is_dir()  # Kept: its roll-back needs that lock.


def test_validate_names_a_model_folder_a_publish_works_in_and_exits_0(tmp_path):
    root, folder, left = _hub_with_a_leftover(tmp_path)
    with staging.folder_lock(folder, what="a test's publish"):
        took, err, code = _validate_timed(root)
    assert took < 10, took
    assert code == 0, err
    assert f"tfhub: note: {folder} is being published now, not checked" in err, err
    assert left.is_dir()
    done = run_tfhub("validate", str(root))  # Nobody publishes now: cleaned.
    assert (done.returncode, "not checked" in done.stderr) == (0, False), done.stderr
    assert not left.exists() and "removed 1 leftover(s)" in done.stderr
