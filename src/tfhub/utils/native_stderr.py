"""What native libraries (TensorFlow's C++ runtime, its converters) write to file descriptor 2.

They write there directly, past Python's `sys.stderr`: the only way to keep such lines off the
terminal, or to read them, is to point descriptor 2 elsewhere while they run.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def redirected(target_fd: int) -> Iterator[None]:
    """Points file descriptor 2 at `target_fd` while the block runs, then back (also if the
    block raises; closed again if it was closed: `cmd 2>&-`). Python's own `sys.stderr`
    writes go there too meanwhile."""
    _flush_stderr()
    try:
        saved: int | None = os.dup(2)
    except OSError:  # Descriptor 2 is closed.
        saved = None
    try:
        os.dup2(target_fd, 2)
        yield
    finally:
        _flush_stderr()
        if saved is None:
            os.close(2)
        else:
            os.dup2(saved, 2)
            os.close(saved)


def _flush_stderr() -> None:
    if sys.stderr is not None:  # None: started with descriptor 2 closed.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()


class Captured:
    """The text written to file descriptor 2 during a `captured()` block (`text`, set when the
    block ends)."""

    def __init__(self) -> None:
        self.text = ""


@contextlib.contextmanager
def captured() -> Iterator[Captured]:
    """Collects what is written to file descriptor 2 while the block runs, in a temporary file
    (nothing shown); the yielded object's `text` holds it once the block has ended. Where no
    temporary file can be made (TMPDIR read-only or full), nothing is collected and the
    output goes to stderr as usual."""
    import tempfile  # Not at import: `tfhub.utils.lazy` imports this module on every start.

    result = Captured()
    try:
        spool = tempfile.TemporaryFile()
    except OSError:
        yield result
        return
    with spool:
        try:
            with redirected(spool.fileno()):
                yield result
        finally:
            spool.seek(0)
            result.text = spool.read().decode("utf-8", errors="replace")
