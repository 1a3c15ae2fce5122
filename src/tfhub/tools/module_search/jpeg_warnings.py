"""libjpeg's warnings for slightly damaged JPEGs, said with the file's name.

A JPEG cut short, or with a few bad bytes, still decodes (its missing part grey or smeared),
but libjpeg writes a line such as "Corrupt JPEG data: premature end of data segment" to file
descriptor 2, past Python and naming no file: with thousands of images, nobody can tell which
one. `jpeg_warnings_named` holds back what a decode writes there; if libjpeg warned, it decodes
each JPEG once more, alone, to find the files it warned of, and logs one warning naming them.
The other lines are written to stderr as they were. A dataset without damaged JPEGs pays one
temporary file per decode of the whole dataset.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence

from ...utils import native_stderr
from .. import image_decoding, image_folders

logger = logging.getLogger(__name__)

# libjpeg(-turbo)'s warnings (jerror.h's JWRN_*): the decode goes on after them.
_LIBJPEG_WARNING = re.compile(
    r"Corrupt JPEG data: .*|Premature end of JPEG file|Invalid SOS parameters for sequential "
    r"JPEG|Inconsistent progression sequence .*|Warning: unknown JFIF revision number .*|"
    r"Unknown Adobe color transform code .*|Application transferred too many scanlines"
)
_JPEG_START = b"\xff\xd8\xff"


class Warned:
    """The JPEG files libjpeg warned of (`files`), once they were looked for (`searched`): the
    next decodes of the same files (another image size) are not searched nor reported again."""

    def __init__(self) -> None:
        self.searched = False
        self.files: tuple[str, ...] = ()


def libjpeg_lines(text: str) -> tuple[list[str], list[str]]:
    """(libjpeg's warning lines, the other lines) of what was written to descriptor 2."""
    ours: list[str] = []
    others: list[str] = []
    for line in text.splitlines():
        (ours if _LIBJPEG_WARNING.fullmatch(line.strip()) else others).append(line)
    return ours, others


@contextlib.contextmanager
def jpeg_warnings_named(paths: Sequence[str], warned: Warned, *, dataset: str) -> Iterator[None]:
    """Runs a decode of `paths` in its body, holding back what it writes to descriptor 2; then
    logs one warning naming the JPEG files libjpeg warned of (looked for once per `warned`),
    and writes the other lines to stderr. If the body raises, all is written as it was.

    Args:
        paths: the image files the body decodes.
        warned: what an earlier decode of the same files found (updated).
        dataset: the dataset's name, for the warning.
    """
    written = native_stderr.Captured()
    try:
        with native_stderr.captured() as written:
            yield
    except BaseException:
        _write_to_stderr(written.text.splitlines())
        raise
    lines, others = libjpeg_lines(written.text)
    _write_to_stderr(others)
    if lines and not warned.searched:
        try:
            warned.files, warned.searched = warned_files(paths), True
        except BaseException:  # Ctrl-C while searching: libjpeg's lines, rather than none.
            _write_to_stderr(lines)
            raise
        if not warned.files:  # Not found again: libjpeg's own lines, rather than nothing.
            _write_to_stderr(lines)
            return
        logger.warning(
            "libjpeg found %d JPEG file(s) of %s damaged (%s), decoded as far as they could be "
            "(a part of the image likely grey or smeared): %s. Replace or remove them for a "
            "fair ranking.",
            len(warned.files),
            dataset,
            lines[0].strip(),
            image_folders.named(warned.files),
        )


def warned_files(paths: Sequence[str]) -> tuple[str, ...]:
    """The JPEG files of `paths` (by their first bytes, as TensorFlow picks the decoder) whose
    decode makes libjpeg warn: each decoded alone, what it writes to descriptor 2 read after
    it (a temporary file; none made: no file found). What else reaches descriptor 2 meanwhile
    (another thread's lines, TensorFlow's) is written to stderr after the search."""
    import tensorflow as tf

    jpegs = [path for path in paths if _is_jpeg(path)]
    found, others = [], []
    try:
        spool = tempfile.TemporaryFile()
    except OSError:
        return ()
    try:
        with spool, native_stderr.redirected(spool.fileno()):
            for path in jpegs:
                before = os.fstat(spool.fileno()).st_size
                with contextlib.suppress(tf.errors.OpError, ValueError):  # Named elsewhere.
                    image_decoding.decode_one(image_decoding.path_tensor((path,))[0], (1, 1))
                grown = os.fstat(spool.fileno()).st_size - before
                text = os.pread(spool.fileno(), grown, before).decode("utf-8", "replace")
                ours, theirs = libjpeg_lines(text)
                found += [path] if ours else []
                others += theirs  # Another thread's, TensorFlow's: written as they were.
    finally:
        _write_to_stderr(others)
    return tuple(found)


def _is_jpeg(path: str) -> bool:
    """True if the file starts as a JPEG does (False if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(_JPEG_START)) == _JPEG_START
    except OSError:
        return False


def _write_to_stderr(lines: Sequence[str]) -> None:
    """Writes `lines` to stderr, where they were going."""
    if lines and sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("".join(f"{line}\n" for line in lines))
            sys.stderr.flush()
