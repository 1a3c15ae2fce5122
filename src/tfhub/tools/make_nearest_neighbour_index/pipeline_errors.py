"""What a failed `generate` pipeline raises: the tfhub error a step raised, a Ctrl-C that Beam
wrapped, or one `PipelineError` with the cause and, where tfhub can tell, what to do (a full
disk, a file past the file-size limit, an input that is not UTF-8 text)."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator

from ... import errors
from ..output_errors import FILE_SIZE_LIMIT_TODO
from . import input_files
from .generate_config import GenerateConfig

# A traceback's last line: an exception's class name (maybe dotted), then its message.
EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)(?::|$)")


def _chain(err: BaseException) -> Iterator[BaseException]:
    """`err`, then the errors it wraps (its cause, or else its context), outermost first."""
    seen: BaseException | None = err
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


# An OSError's number in a cause line: all that a worker process's error keeps of it
# ("RuntimeError: OSError: [Errno 27] File too large [while running 'Write TFRecords/...']").
_ERRNO_IN_CAUSE = re.compile(r"\bOSError: \[Errno (\d+)\]")


def _errnos(err: BaseException, cause: str) -> set[int]:
    """The OSError numbers of a runner's error: of the errors it is or wraps, and the one its
    `cause` line names (a worker process's, relayed as text)."""
    numbers = {seen.errno for seen in _chain(err) if isinstance(seen, OSError) and seen.errno}
    named = _ERRNO_IN_CAUSE.search(cause)
    return numbers | {int(named.group(1))} if named else numbers


def _disk_full(err: BaseException, cause: str) -> bool:
    """Whether a runner's error (with its `cause` line) is a write refused for a full disk
    (or quota)."""
    return bool(_errnos(err, cause) & errors.DISK_FULL_ERRNOS)


def _file_size_limited(err: BaseException, cause: str) -> bool:
    """Whether a runner's error (with its `cause` line) is a write past the file-size limit
    (EFBIG: `ulimit -f`, FAT32's 4 GiB)."""
    return errno.EFBIG in _errnos(err, cause)


def interrupted(err: BaseException) -> bool:
    """Whether a runner's error is a Ctrl-C that Beam wrapped (RuntimeError("KeyboardInterrupt
    [while running 'Embed']"))."""
    return any(
        isinstance(seen, KeyboardInterrupt) or str(seen).startswith("KeyboardInterrupt")
        for seen in _chain(err)
    )


def step_error(err: errors.TFHubError) -> errors.TFHubError:
    """The tfhub error a step raised, where Beam raised a copy of it instead: the same class
    made from the message alone plus " [while running 'Embed']" (so without the fields the
    error carries, and with the message no longer ending in what was received)."""
    original = err.__context__
    if getattr(err, "_tagged_with_step", False) and type(original) is type(err):
        return original  # type: ignore[return-value]
    return err


def hint(err: BaseException, cause: str, config: GenerateConfig) -> str:
    """What to do about a pipeline failure, where tfhub can tell (else "")."""
    if _disk_full(err, cause):
        return (
            f" The disk of {config.embed_output_dir} is full: free space on it, or choose a "
            "folder on a disk with room."
        )
    if _file_size_limited(err, cause):  # The disk may have room: the file may not grow.
        return f" {FILE_SIZE_LIMIT_TODO}"
    if not cause.startswith("UnicodeDecodeError"):
        return ""
    where = input_files.first_non_utf8_line(config.data_file_pattern)
    place = f"Line {where[1]} of {where[0]}" if where else "A line of the input"
    todo = "convert the file (e.g. iconv -f latin1 -t utf-8)"
    encoding = input_files.other_unicode_encoding(where[0]) if where else None
    if encoding is not None:  # From latin1, its text would be embedded as mojibake.
        todo = (
            f"the file is {encoding} text (it starts with {encoding}'s byte-order mark, as "
            "Windows PowerShell's > and Notepad's \"Unicode\" write one): convert it (e.g. "
            f"iconv -f {encoding} -t UTF-8)"
        )
    elif where:  # A .zip, or gzip bytes named .txt: no text to convert.
        todo = input_files.packed_remedy(where[0]) or todo
    if where and os.path.basename(where[0]).startswith("."):
        todo = (
            "it is a hidden file, which Beam's patterns match too (a shell's do not): match "
            f"your text files only (e.g. {os.path.join(os.path.dirname(where[0]), '*.txt')}), "
            f"or {todo}"
        )
    return f" {place} is not UTF-8 text: {todo}."


def pipeline_error(err: Exception, runner: str, config: GenerateConfig) -> errors.PipelineError:
    """The one error for a pipeline that failed on `runner` with `err`: the cause (the last
    line of a worker's traceback, else the error's class and message) and what to do."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    cause = lines[-1] if lines else ""
    if not EXCEPTION_LINE.match(cause):  # A worker's error ends with its traceback's.
        cause = f"{type(err).__name__}: {cause}".rstrip(": ")
    return errors.PipelineError(
        f"The Beam pipeline failed on the {runner}: {cause} (nothing was written to "
        f"{config.embed_output_dir}).{hint(err, cause, config)} Received: runner={runner!r}",
        runner=runner,
        cause=cause,
    )
