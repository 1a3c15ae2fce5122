"""The doc `tfhub publish` writes beside a model version: read, and validated as it will be
served (a given doc's problems name its own file; a wrong first line is refused before the
model is loaded); and the publisher doc a publisher's first model gets."""

from __future__ import annotations

import errno
import logging
import os
import select
import stat
import sys
import time
from pathlib import Path

from .. import errors
from ..utils.printable import short_repr
from ..utils.regular_files import open_without_waiting
from . import doc_file, doc_rules, docs_layout, docs_text, signatures, starter, tags
from . import docs_format as fmt
from .doc_handles import DocHandle
from .docs_format import DocKind, Problem

logger = logging.getLogger(__name__)


# How long `publish --doc PIPE` (a named pipe, `<(generate)`, a device) may take to give the
# whole doc, from its opening to its end (`pack` waits as long for a reader of its output), and
# the most bytes a doc given to it may have (a valid doc's body is at most 65,536 characters;
# `--doc /dev/zero` never ends).
FIFO_WRITER_WAIT = 60.0
MAX_DOC_BYTES = 64 * 1024 * 1024
_THEN = "then publish again (nothing was published)"


def read_doc(doc: str | os.PathLike[str]) -> str:
    """Returns the text of the doc file given to `publish`: a file, or a pipe or a device
    (`--doc <(generate)`, `--doc /dev/stdin < 1.md`) that gives the whole doc within
    `FIFO_WRITER_WAIT` s.

    What it is (a file, or a stream read under that deadline) is decided from the descriptor
    opened, never from a look at the path before: a file swapped for a pipe or a terminal
    between the two is read as what was opened.

    Raises:
        tfhub.errors.DocFormatError: it cannot be read (a missing file: FileNotFoundError as
            its cause), is a folder, a socket or a terminal, is larger than `MAX_DOC_BYTES`, a
            pipe did not give it whole in time, or it is not UTF-8 (naming the offset).
    """
    path = os.fspath(doc)
    if _stdin_closed() and _names_stdin(path):
        raise _refused(
            path,
            "is standard input, which is closed (the command was run with `<&-`, or by a "
            "program that gave it none): give the doc's file (`--doc 1.md`), or pipe the doc "
            "in (`tfhub publish ... --doc /dev/stdin < 1.md`, `cat 1.md | tfhub publish ... "
            "--doc /dev/stdin`)",
        )
    try:
        fd = _open_doc(path)
        try:
            data = _read_opened(fd, path)
        finally:
            os.close(fd)
    except FileNotFoundError as err:  # As the cause: exit 7, "not found".
        raise errors.DocFormatError(
            f"Cannot read the doc {path}: no such file; give the doc's Markdown file (FILE.md). "
            f"Received: doc={path!r}",
            path=path,
            line=0,
        ) from err
    except OSError as err:
        raise errors.DocFormatError(
            f"Cannot read the doc {path}: {err.strerror or err}. Received: doc={path!r}",
            path=path,
            line=0,
        ) from err
    # DocFormatError if not UTF-8, naming the byte offset.
    return docs_text.decode_doc(data, path=path, shown=path, then=_THEN)


def _stdin_closed() -> bool:
    """Whether this process has no standard input: Python found descriptor 0 closed at start
    (`sys.stdin` is None; a file opened since may have taken that number), or it is closed."""
    if sys.stdin is None:
        return True
    try:
        os.fstat(0)
    except OSError:
        return True
    return False


def _names_stdin(path: str) -> bool:
    """Whether `path` names descriptor 0 of this process (`/dev/stdin`, `/dev/fd/0`,
    `/proc/self/fd/0`, or a symlink to one), followed link by link but never through
    descriptor 0 itself (it may be closed, or reused by another file)."""
    fds = os.path.realpath(f"/proc/{os.getpid()}/fd")
    for _ in range(_MAX_LINKS):
        folder, name = os.path.split(os.path.abspath(path))
        if name == "0" and os.path.realpath(folder) == fds:
            return True
        try:
            path = os.path.join(folder, os.readlink(path))
        except OSError:  # Not a link (or none at all): not standard input.
            return False
    return False


_MAX_LINKS = 40  # As Linux follows at most 40 symlinks in a path.


def _open_doc(path: str) -> int:
    """Opens the doc without blocking (a named pipe with no writer yet, or a device, cannot
    hang the open) and without making a terminal the controlling one.

    Raises:
        DocFormatError: it is a socket (which no open reads).
        OSError: it cannot be opened.
    """
    try:
        return open_without_waiting(path)
    except OSError as err:
        if err.errno == errno.ENXIO and _is_socket(path):
            raise _refused(
                path, f"is {_kind(stat.S_IFSOCK)}: give the doc's Markdown file (FILE.md)"
            ) from err
        raise


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _read_opened(fd: int, path: str) -> bytes:
    """The bytes of the opened doc `fd`, read as what `fstat` says it is: a regular file (in
    blocking mode), a pipe or a character device (without blocking, under the deadline);
    anything else is refused."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode):
        return _read_file(fd, path)
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return _read_stream(fd, path)
    raise _refused(path, f"is {_kind(mode)}: give the doc's Markdown file (FILE.md)")


def _refused(path: str, why: str) -> errors.DocFormatError:
    return errors.DocFormatError(
        f"The doc {path} {why}; nothing was published. Received: doc={path!r}",
        path=path,
        line=0,
    )


def _kind(mode: int) -> str:
    return "a folder" if stat.S_ISDIR(mode) else "a socket or a device, not a file"


def _read_file(fd: int, path: str) -> bytes:
    """The bytes of the regular file `fd`, refused beyond MAX_DOC_BYTES."""
    os.set_blocking(fd, True)
    chunks, size = [], 0
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
        size = _checked_size(size + len(chunk), path)
    return b"".join(chunks)


def _read_stream(fd: int, path: str) -> bytes:
    """The bytes of the pipe or device `fd` (non-blocking) up to its end, refused if it is a
    terminal, if the end does not come within FIFO_WRITER_WAIT s of the start (a writer that
    never writes, stalls or never closes), or beyond MAX_DOC_BYTES. Linux: `poll` on a named
    pipe waits for a first writer, then reports its data or its close."""
    if os.isatty(fd):
        raise _refused(
            path,
            "is a terminal, which gives no end of the doc: pipe the doc in (`tfhub publish "
            "... --doc /dev/stdin < 1.md`, or `--doc <(cat 1.md)`), or give the doc's file",
        )
    deadline = time.monotonic() + FIFO_WRITER_WAIT
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            raise _too_slow(path, wrote=bool(chunks))
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:  # Woken without data: wait again.
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size = _checked_size(size + len(chunk), path)


def _too_slow(path: str, *, wrote: bool) -> errors.DocFormatError:
    """The refusal of a pipe that gave no doc, or not its end (`wrote`), in time."""
    if not wrote:
        return _refused(
            path,
            f"is a named pipe no process wrote into within {FIFO_WRITER_WAIT:g} s: write the "
            "doc into it (`cat 1.md > PIPE`), or give the doc's file",
        )
    return _refused(
        path,
        f"is a pipe whose writer did not finish the doc (write it whole, then close the pipe) "
        f"within {FIFO_WRITER_WAIT:g} s: write the doc into it at once (`cat 1.md > PIPE`), "
        "or give the doc's file",
    )


def _checked_size(size: int, path: str) -> int:
    """`size`, refused beyond MAX_DOC_BYTES."""
    if size > MAX_DOC_BYTES:
        raise _refused(
            path,
            f"is larger than {MAX_DOC_BYTES // (1 << 20)} MiB (a doc's body is shown up to "
            "65,536 characters): give the doc's Markdown file",
        )
    return size


def check_first_line(text: str, shown: str, handle: DocHandle) -> None:
    """Refuses a given doc whose first line is not `# Module <handle>` before the model is
    loaded (which may take minutes), naming the doc's own file.

    Raises:
        DocValidationError: with that one problem.
    """
    first = text.split("\n", 1)[0]
    try:
        found = fmt.parse_first_line(first)
    except errors.InvalidHandleError:
        found = None
    if found == (DocKind.MODULE, handle):
        return
    problem = str(
        Problem(
            shown,
            1,
            f"the doc must start with '# Module {handle}'. Received: {short_repr(first)}",
        )
    )
    raise errors.DocValidationError(
        f"The doc of {handle} has 1 problem(s):\n{problem}", problems=[problem]
    )


def check_asset_path(text: str, shown: str, handle: DocHandle) -> None:
    """Refuses a given doc whose local asset-path is not `<version>.tar.gz`, the archive publish
    writes beside it, before the model is loaded (it was found after the load, and said to
    publish the model), or that gives asset-path on two lines (`doc_file.repeated_asset_path`).
    A URL, `legacy`, a doc that does not parse: left to `check_doc`.

    Raises:
        DocValidationError: with that one problem.
    """
    rel = f"{handle.publisher}/models/{handle.model}/{handle.version}.md"
    try:
        doc = fmt.parse_text(text, path=Path(shown), rel_path=rel, display_path=shown)
    except errors.DocFormatError:
        return
    try:
        declared = doc_file.asset_path(doc)  # Two lines: refused as validate would.
    except errors.DocValidationError as err:
        raise errors.DocValidationError(
            f"The doc of {handle} has 1 problem(s):\n{err.problems[0]}", problems=err.problems
        ) from err
    asset = declared.value if declared else "legacy"
    parts = fmt.url_parts(asset)
    expected = docs_layout.archive_path(Path(f"{handle.version}.md")).name
    if asset == "legacy" or parts is None or parts.scheme or os.path.normpath(asset) == expected:
        return
    problem = str(
        Problem(
            shown,
            declared.line if declared else 0,
            f"'asset-path' must be '{expected}', the archive `tfhub publish` writes beside the "
            f"doc (or a URL of the model). Received: {asset!r}",
        )
    )
    raise errors.DocValidationError(
        f"The doc of {handle} has 1 problem(s):\n{problem}", problems=[problem]
    )


def check_doc(
    staged: Path,
    root: str | os.PathLike[str],
    target: Path,
    handle: DocHandle,
    summary: signatures.SignatureSummary,
    *,
    shown: str | None = None,
) -> None:
    """Validates the staged doc as if it were at `target` (its archive is staged beside it);
    its problems name `shown` (default: `target`, relative to the hub folder)."""
    rel = target.relative_to(docs_layout.docs_dir(root)).as_posix()
    shown = shown or f"{docs_layout.DOCS_DIR_POSIX}/{rel}"
    try:
        doc = fmt.parse_text(
            staged.read_text(encoding="utf-8"), path=staged, rel_path=rel, display_path=shown
        )
    except errors.DocFormatError as err:
        raise errors.DocValidationError(str(err), problems=[str(err)]) from err
    problems = doc_rules.validate_doc(doc, tag_values=tags.load_tag_definitions(root))
    if doc.kind is not DocKind.MODULE or doc.handle != handle:
        problems.insert(0, Problem(shown, 1, f"the doc must start with '# Module {handle}'"))
    declared = doc.metadata.get(doc_rules.FORMAT, [])
    if declared and declared[0].value != summary.doc_format:
        problems.append(
            Problem(
                shown,
                declared[0].line,
                f"'format' says {declared[0].value!r} but the "
                f"model is a {summary.format}: use '{summary.doc_format}'",
            )
        )
    if problems:
        lines = [str(problem) for problem in problems]
        raise errors.DocValidationError(
            f"The doc of {handle} has {len(lines)} problem(s):\n" + "\n".join(lines),
            problems=lines,
        )


def publisher_doc_text(text: str | None, root: str | os.PathLike[str], handle: DocHandle) -> str:
    """The publisher doc a publisher's first model gets: `text` (mirror: the source hub's doc
    of that publisher) if it is a valid `# Publisher <publisher>` doc, else a starter doc (with
    a warning naming the problems of `text`: publish never leaves a hub that fails validate)."""
    publisher = handle.publisher
    starter_text = starter.starter_publisher_doc(publisher)
    if text is None:
        return starter_text
    path = fmt.doc_path(root, handle, DocKind.PUBLISHER)
    rel = path.relative_to(docs_layout.docs_dir(root)).as_posix()
    try:
        doc = fmt.parse_text(text, path=path, rel_path=rel)
        problems = [str(p) for p in doc_rules.validate_doc(doc, tag_values=None)]
        if doc.kind is not DocKind.PUBLISHER or doc.handle.publisher != publisher:
            problems.insert(0, f"{rel}:1: the doc must start with '# Publisher {publisher}'")
    except errors.DocFormatError as err:
        problems = [str(err)]
    if not problems:
        return text.replace("\r\n", "\n")
    logger.warning(
        "The source's doc of the publisher %s is not written (%s): writing a starter publisher "
        "doc instead; edit it.",
        publisher,
        "; ".join(problems),
    )
    return starter_text
