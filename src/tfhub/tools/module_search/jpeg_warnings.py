"""libjpeg's warnings for slightly damaged JPEGs, said with the file's name.

A JPEG cut short, or with a few bad bytes, still decodes (its missing part grey or smeared),
but libjpeg writes a line such as "Corrupt JPEG data: premature end of data segment" to file
descriptor 2, past Python and naming no file: with thousands of images, nobody can tell which
one. `jpeg_warnings_named` holds back what a decode writes there; if libjpeg warned, it decodes
each JPEG once more, alone, to find the files it warned of, and logs one warning naming them.
The other lines are written to stderr as they were, but for those of the files the decode
could not decode at all (`Decoding.failed`, which the caller's error names): libjpeg's error
line for such a file ("Input file read error") names no file either, and such a file is not
one "decoded as far as it could be". A dataset without damaged JPEGs pays one temporary file
per decode of the whole dataset.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import logging
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import IO

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
_PIECE = 64 * 1024  # Bytes of a held line read at once: memory stays bounded.
_MAX_PER_FILE = 1 << 20  # Bytes read back after one JPEG's decode in the search.


class Warned:
    """The JPEG files libjpeg warned of (`files`), once they were looked for (`searched`): the
    next decodes of the same files (another image size) are not searched nor reported again."""

    def __init__(self) -> None:
        self.searched = False
        self.files: tuple[str, ...] = ()


@dataclasses.dataclass
class Decoding:
    """What the body of `jpeg_warnings_named` says of its decode: the files it could not
    decode at all (`failed`), which the caller's error names."""

    failed: tuple[str, ...] = ()


def libjpeg_lines(text: str) -> tuple[list[str], list[str]]:
    """(libjpeg's warning lines, the other lines) of what was written to descriptor 2."""
    ours: list[str] = []
    others: list[str] = []
    for line in text.splitlines():
        (ours if _LIBJPEG_WARNING.fullmatch(line.strip()) else others).append(line)
    return ours, others


@contextlib.contextmanager
def jpeg_warnings_named(
    paths: Sequence[str], warned: Warned, *, dataset: str
) -> Iterator[Decoding]:
    """Runs a decode of `paths` in its body, holding back what it writes to descriptor 2 (in a
    temporary file; where none can be made, nothing is held back); then logs one warning naming
    the JPEG files libjpeg warned of (looked for once per `warned`) among those that decoded,
    and writes the other lines to stderr as they were written, less the lines of the files the
    body sets as `Decoding.failed` (each decoded alone again to know them). If the body raises,
    all is written as it was.

    Args:
        paths: the image files the body decodes.
        warned: what an earlier decode of the same files found (updated).
        dataset: the dataset's name, for the warning.
    """
    decoding = Decoding()
    spool = _new_spool()
    if spool is None:  # TMPDIR read-only or full: libjpeg's lines reach stderr as they come.
        yield decoding
        return
    with spool:
        try:
            with native_stderr.redirected(spool.fileno()):
                yield decoding
        except BaseException:
            _give_back(spool, "all")
            raise
        dropped = failed_lines(decoding.failed)
        first = _give_back(spool, "others", drop=dropped)
        if first is None or warned.searched:
            return
        failed = set(decoding.failed)
        try:
            decoded = [path for path in paths if path not in failed]
            warned.files, warned.searched = warned_files(decoded), True
        except BaseException:  # Ctrl-C while searching: libjpeg's lines, rather than none.
            _give_back(spool, "libjpeg", drop=dropped)
            raise
        if not warned.files:  # Not found again: libjpeg's own lines, rather than nothing.
            _give_back(spool, "libjpeg", drop=dropped)
            return
        logger.warning(
            "libjpeg found %d JPEG file(s) of %s damaged (%s), decoded as far as they could be "
            "(a part of the image likely grey or smeared): %s. Replace or remove them for a "
            "fair ranking.",
            len(warned.files),
            dataset,
            first,
            image_folders.named(warned.files),
        )


def warned_files(paths: Sequence[str]) -> tuple[str, ...]:
    """The JPEG files of `paths` (by their first bytes, as TensorFlow picks the decoder) whose
    decode succeeds and makes libjpeg warn: each decoded alone (`_decode_alone`)."""
    jpegs = [path for path in paths if _is_jpeg(path)]
    return tuple(
        path
        for path, decoded, written in _decode_alone(jpegs)
        if decoded and libjpeg_lines(written.decode("utf-8", "replace"))[0]
    )


def failed_lines(paths: Sequence[str]) -> Counter[bytes]:
    """The lines (with their line ends) that the decodes of `paths` which fail write to
    descriptor 2, counted: libjpeg's error ("Input file read error") and warnings of files
    that cannot be decoded, whose error names them. Empty for no path (nothing decoded)."""
    lines: Counter[bytes] = Counter()
    for _, decoded, written in _decode_alone(paths) if paths else ():
        lines.update(() if decoded else written.splitlines(keepends=True))
    return lines


def _decode_alone(paths: Sequence[str]) -> list[tuple[str, bool, bytes]]:
    """Each of `paths` decoded alone: (path, whether it decoded, what it wrote to descriptor 2
    meanwhile, read from a temporary file; none made: no result). What else reaches
    descriptor 2 (another thread's lines, TensorFlow's) is written to stderr after, less
    libjpeg's warnings and the lines of the decodes that failed (named elsewhere)."""
    import tensorflow as tf

    done: list[tuple[str, bool, bytes]] = []
    spool = _new_spool()
    if spool is None:
        return done
    with spool:
        failed: Counter[bytes] = Counter()
        try:
            with native_stderr.redirected(spool.fileno()):
                for path in paths:
                    before = os.fstat(spool.fileno()).st_size
                    try:
                        image_decoding.decode_one(image_decoding.path_tensor((path,))[0], (1, 1))
                        decoded = True
                    except (tf.errors.OpError, ValueError):  # Named elsewhere.
                        decoded = False
                    # pread: descriptor 2 shares the spool's offset, which a seek would move.
                    # One decode writes a line or two; the cap bounds another thread's flood.
                    grown = min(os.fstat(spool.fileno()).st_size - before, _MAX_PER_FILE)
                    written = os.pread(spool.fileno(), grown, before)
                    done.append((path, decoded, written))
                    failed.update(() if decoded else written.splitlines(keepends=True))
        finally:  # Another thread's lines, TensorFlow's: written as they were.
            _give_back(spool, "others", drop=failed)
    return done


def _new_spool() -> IO[bytes] | None:
    """A temporary file to hold descriptor 2's lines in, or None where none can be made."""
    try:
        return tempfile.TemporaryFile()
    except OSError:
        return None


def _give_back(spool: IO[bytes], which: str, *, drop: Counter[bytes] | None = None) -> str | None:
    """Writes the lines held in `spool` to stderr as they were written: "all", the "others"
    (not libjpeg's warnings) or only "libjpeg"'s; streamed in bounded pieces. A line is split at
    newlines only, a carriage return kept inside it; libjpeg's warning is known where a whole
    line, or its part after the last carriage return (a progress line drawn over), is one; a
    line longer than a piece is given back as it was. Whole lines in `drop` (as often as it
    counts them) are neither written nor known, whatever `which` is.

    Returns:
        libjpeg's first warning line held (stripped), or None.
    """
    drop = Counter(drop)  # Consumed here, not in the caller's.
    first = None
    ended = True
    line_start = True  # The piece read starts a line (a longer line's rest does not).
    out = _Stderr()
    spool.seek(0)
    while piece := spool.readline(_PIECE):
        whole = line_start and (piece.endswith(b"\n") or len(piece) < _PIECE)
        line_start = piece.endswith(b"\n")
        if whole and drop[piece] > 0:
            drop[piece] -= 1
            continue
        ours = _libjpeg_part(piece) if whole else None
        if ours is not None and first is None:
            first = ours.decode("utf-8", "replace").strip()
        if which == "all" or ours is None:
            written = piece if which != "libjpeg" else b""
        elif which == "others":
            written = piece[: len(piece) - len(ours)]  # The progress drawn before it, if any.
        else:
            written = ours
        if written:
            out.write(written)
            ended = written.endswith(b"\n")
    if not ended:
        out.write(b"\n")
    out.flush()
    return first


def _libjpeg_part(line: bytes) -> bytes | None:
    """The end of `line` (a whole line) that is libjpeg's warning, with its line end: all of
    it, or its part after the last carriage return; None if neither is one."""
    text = line[:-1] if line.endswith(b"\n") else line
    text = text[:-1] if text.endswith(b"\r") else text
    part = line[text.rfind(b"\r") + 1 :]
    found = _LIBJPEG_WARNING.fullmatch(part.decode("utf-8", "replace").strip())
    return part if found else None


class _Stderr:
    """Bytes to `sys.stderr` (its binary buffer if it has one, else decoded, a character cut
    between two writes kept whole), errors ignored: a closed or missing stderr loses the
    lines, as it would have."""

    def __init__(self) -> None:
        self._text = sys.stderr
        self._buffer = getattr(sys.stderr, "buffer", None)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self._text.flush()  # What Python wrote before, first.

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if self._buffer is not None:
                self._buffer.write(data)
            elif self._text is not None:
                self._text.write(self._decoder.decode(data))

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if self._buffer is None and self._text is not None:
                self._text.write(self._decoder.decode(b"", final=True))
            (self._buffer or self._text).flush()


def _is_jpeg(path: str) -> bool:
    """True if the file starts as a JPEG does (False if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(_JPEG_START)) == _JPEG_START
    except OSError:
        return False
