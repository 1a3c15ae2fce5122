"""Publishing leftovers of session 47: `read_doc` decides from the descriptor it opened, a
closed standard input as `--doc /dev/stdin`, a doc with two asset-path lines, `tfhub validate`
beside a running publish, and two killed publishes' journals in one model folder."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import write_tree
from tests._helpers.hub_server import signature_summary_json, write_model_doc, write_publisher
from tests._helpers.killed_commit import KILL_BEFORE_RENAME, publish_without_tensorflow
from tests._helpers.python_process import child_env, run_tfhub
from tests._helpers.threads import outcome_in_thread

from tfhub import errors
from tfhub.hub import mirror, publish, publish_doc, publish_locks, staging, validator
from tfhub.hub.catalog import Catalog

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
    found = outcome_in_thread(
        lambda: publish_doc.read_doc(path), unblock, wait=5, what=f"read_doc({path})"
    )
    assert isinstance(found, (BaseException, str))
    return found


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
from tfhub.hub import mirror, publish, publish_doc, staging, validator
from tfhub.hub.catalog import Catalog
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
    with publish_locks.publisher_lock(left.parent, docs=root / "assets" / "docs"):
        took, err, code = _validate_timed(root)
    assert took < 10, took  # Python's start and the check, not the lock's 60 s.
    assert code == 0, err
    assert f"tfhub: note: {left} is being published now, not checked" in err, err
    assert left.is_dir()  # Kept: its roll-back needs that lock.


def test_validate_names_a_model_folder_a_publish_works_in_and_exits_0(tmp_path):
    root, folder, left = _hub_with_a_leftover(tmp_path)
    with publish_locks.folder_lock(folder, what="a test's publish"):
        took, err, code = _validate_timed(root)
    assert took < 10, took
    assert code == 0, err
    assert f"tfhub: note: {folder} is being published now, not checked" in err, err
    assert left.is_dir()
    done = run_tfhub("validate", str(root))  # Nobody publishes now: cleaned.
    assert (done.returncode, "not checked" in done.stderr) == (0, False), done.stderr
    assert not left.exists() and "removed 1 leftover(s)" in done.stderr


# --- 5: two killed publishes' journals in one model folder ------------------------------------

# `publish --force` of sys.argv[4] from the model sys.argv[1] into sys.argv[2] (summary in
# sys.argv[3]), killed (SIGKILL) just before its rename sys.argv[5] (99: never), its staging
# folder named with the token sys.argv[6]; with sys.argv[7] == "nfs" the folder cannot be
# flocked (as on NFS): a lock file in the temp folder is used and no leftover is cleaned.
_PUBLISH = (
    KILL_BEFORE_RENAME
    + publish_without_tensorflow(3)
    + """
import errno, uuid
from tfhub.hub import publish_locks, starter
model, root, _, handle, kill, token, nfs, description = sys.argv[1:9]
uuid.uuid4 = lambda: uuid.UUID(token)
if nfs == "nfs":
    def refused(fd):
        raise OSError(errno.EBADF, "flock refused, as on NFS")
    publish_locks.try_lock = refused
kill_before_rename(int(kill))
info = starter.StarterInfo(description=description, task="text-embedding")
publish.publish(model, root, handle, info=info, force=True)
"""
)
_NEVER = 99
_BEFORE_ITS_DOC = 6  # Archive aside, in; summary aside, in; doc aside; (killed) doc in.
_BEFORE_ITS_LAST = 5  # With no doc in place: archive aside, in; summary aside, in; (killed).


def _publish_killed(
    tmp: Path, root: Path, name: str, *, kill: int, token: str, nfs: bool = False
) -> None:
    model = write_tree(
        tmp / name,
        {"saved_model.pb": b"\x08\x01\x12\x00", "variables/variables.index": name.encode()},
    )
    summary = tmp / "summary.json"
    summary.write_text(json.dumps(signature_summary_json()), encoding="utf-8")
    argv = [str(model), str(root), str(summary), "acme/emb/1", str(kill), token]
    child = subprocess.run(
        [sys.executable, "-c", _PUBLISH, *argv, "nfs" if nfs else "-", f"Model {name}."],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == (0 if kill == _NEVER else -signal.SIGKILL), child.stderr


def _version_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.parametrize(
    ("older", "newer"),
    [("0" * 32, "f" * 32), ("f" * 32, "0" * 32)],
    ids=["older-sorts-first", "newer-sorts-first"],
)
def test_two_killed_publishes_of_one_version_roll_back_to_the_version_before_both(
    tmp_path, older, newer
):
    """A publish that cannot flock the model folder (NFS) cleans no leftover, so a second
    killed publish can leave its journal beside the first's. They were rolled back in the
    order of their staging folders' random names: the older first, it put back the version
    before both over the newer's files, which the newer's roll-back then moved aside (deleted)
    to put back the older's half-written files (no doc: the version was gone). Newest first,
    the version is again what it was before both."""
    root = tmp_path / "hub"
    _publish_killed(tmp_path, root, "v0", kill=_NEVER, token="1" * 32)
    folder = root / "assets" / "docs" / "acme" / "models" / "emb"
    before = _version_files(folder)
    assert sorted(before) == ["1.md", "1.signatures.json", "1.tar.gz"]
    _publish_killed(tmp_path, root, "a", kill=_BEFORE_ITS_DOC, token=older)
    _publish_killed(tmp_path, root, "b", kill=_BEFORE_ITS_LAST, token=newer, nfs=True)
    journals = sorted(folder.glob(".1.publish-*/journal.json"))
    assert len(journals) == 2, journals
    done = run_tfhub("validate", str(root))
    assert "removed 2 leftover(s)" in done.stderr, done.stderr
    assert (done.returncode, done.stdout) == (0, f"OK: {root}: 2 doc(s) checked\n"), (
        done.stdout + done.stderr
    )  # No problem: the OK line (empty before fx62a).
    assert _version_files(folder) == before
    assert sorted(os.listdir(folder)) == sorted(before)  # No staging folder left.


# --- 3: a doc with two asset-path lines -------------------------------------------------------

_LONG_URL = "https://example.com/" + "a" * 1_000 + ".tar.gz"  # Longer than a served value.
_SHORT_URL = "https://example.com/b.tar.gz"


def _doc_with_two_asset_paths(root: Path, first: str, second: str) -> tuple[Path, int]:
    """A hub whose doc acme/emb/1 gives asset-path on two lines; returns it and the first's
    line number (the second is on the next)."""
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset=f"{first} -->\n<!-- asset-path: {second}")
    lines = doc.read_text(encoding="utf-8").split("\n")
    first_line = next(n for n, line in enumerate(lines, 1) if "asset-path" in line)
    return doc, first_line


def test_mirror_from_docs_the_server_and_validate_agree_on_a_doc_with_two_asset_paths(tmp_path):
    """The server left out the first line (too long to serve) and took the second, while
    `mirror --from-docs` took the first (and failed it as too long): one rule now, none of
    the lines is used, and each says so naming the file and both lines."""
    root = tmp_path / "hub"
    _, line = _doc_with_two_asset_paths(root, _LONG_URL, _SHORT_URL)
    said = (
        f"assets/docs/acme/models/emb/1.md:{line + 1}: 'asset-path' is given on lines {line} "
        f"and {line + 1}"
    )
    report = mirror.mirror_doc_assets(root)
    assert report.mirrored == []
    assert [handle for handle, _ in report.failed] == ["acme/emb/1"], report.failed
    assert report.failed[0][1].startswith(said), report.failed
    found = Catalog.scan(root).find(["acme", "emb", "1"])
    assert found is not None
    assert (found[1].asset_path, found[1].no_files) == (None, "none")
    problems = [str(problem) for problem in validator.validate_tree(root)]
    assert report.failed[0][1] in problems, problems  # Beside the first's length problem.
    assert not any("may be given only once" in problem for problem in problems), problems


def test_the_server_uses_neither_of_two_short_asset_paths(tmp_path, caplog):
    root = tmp_path / "hub"
    _, line = _doc_with_two_asset_paths(root, "https://example.com/a.tar.gz", _SHORT_URL)
    found = Catalog.scan(root).find(["acme", "emb", "1"])
    assert found is not None and found[1].asset_path is None
    assert f"1.md:{line + 1}: 'asset-path' is given on lines {line} and {line + 1}" in caplog.text


def test_publish_refuses_a_doc_with_two_asset_paths_before_the_model_is_read(tmp_path):
    """The first line was checked (`1.tar.gz`, as publish writes), the second only after the
    model was loaded (minutes for a large one)."""
    doc, line = _doc_with_two_asset_paths(tmp_path / "hub", "1.tar.gz", _SHORT_URL)
    given = tmp_path / "1.md"
    given.write_text(doc.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(errors.DocValidationError) as caught:
        publish.publish(tmp_path / "no-model", tmp_path / "hub2", "acme/emb/1", doc=given)
    assert caught.value.problems == [
        f"{given}:{line + 1}: 'asset-path' is given on lines {line} and {line + 1}: a doc names "
        "one place for its version's files; keep the right line and remove the others (until "
        "then, tfhub serve and `tfhub mirror --from-docs` use none of them)"
    ]
