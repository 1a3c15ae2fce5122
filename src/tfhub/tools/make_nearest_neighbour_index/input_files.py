"""`generate`'s input files: the local files a `--data_file_pattern` matches, read as Beam reads
them (hidden names matched too, `.gz`, `.bz2` and `.xz` decompressed), checked before the
module loads; the items of the lines Beam reads; and, after a pipeline failed on text that is
not UTF-8, which file and line it was. Remote patterns (gs://...) are left to Beam."""

from __future__ import annotations

import codecs
import glob
import lzma
import os
import sys
import zlib
from collections.abc import Iterator
from typing import Any

from ... import errors
from ...utils.paths import non_folder_kind, special_kind
from ...utils.printable import BOM
from ...utils.text_encodings import marked_encoding
from . import files


def _input_error(pattern: str, message: str, problem: str) -> errors.EmbeddingFilesError:
    return errors.EmbeddingFilesError(
        f"{message} Received: data_file_pattern={pattern!r}", path=pattern, problem=problem
    )


def _local_matches(pattern: str) -> list[str]:
    """The local paths `pattern` matches, as Beam's ReadFromText matches them (apache_beam's
    `FileSystems.match`): `*` within a name, `**` any characters, `/` included
    (`data/**.txt` reaches sub-folders), a pattern ending in `/` the files below that folder,
    hidden names too (`data/*` matches `data/.DS_Store`). Python's glob, where `**` is one name
    and `data/` the folder, refused patterns that Beam (and upstream, which handed the pattern
    to Beam unchecked) read. Where Beam matches no file, what glob matches instead (folders,
    a special file) is returned, for the error to say what the pattern found."""
    from apache_beam.io.filesystem import BeamIOError
    from apache_beam.io.filesystems import FileSystems

    try:
        (result,) = FileSystems.match([pattern])
        found = [metadata.path for metadata in result.metadata_list]
    except BeamIOError:  # A listing refused: glob says what is there.
        found = []
    if found:
        return found
    if sys.version_info >= (3, 11):
        return glob.glob(pattern, include_hidden=True)  # novermin
    return glob.glob(pattern)


def check(pattern: str) -> None:
    """Checks that a local pattern matches files that hold text (Beam checks remote ones).

    Raises:
        tfhub.errors.EmbeddingFilesError: no file matches, only folders match, every file
            is empty or holds blank lines only, or a file does not decompress as its name
            says.
    """
    if files.is_remote(pattern):
        return  # Beam checks remote patterns when it reads them.
    matches = _local_matches(pattern)
    if not matches:
        message = f"No file matches --data_file_pattern {pattern}."
        if os.path.exists(pattern):  # Its name has glob characters: `titles[1].txt`.
            message += (
                f" It is a pattern, and the file of that name does not match it: write the "
                f"name's glob characters as {glob.escape(pattern)} does."
            )
        raise _input_error(pattern, message, "no file matches")
    found = [path for path in matches if os.path.isfile(path)]
    if not found and any(os.path.isdir(path) for path in matches):
        example = os.path.join(matches[0], "*.txt")
        message = f"--data_file_pattern {pattern} matches only folders: match files ({example})."
        raise _input_error(pattern, message, "only folders match")
    if not found:
        message = (
            f"--data_file_pattern {pattern} matches no regular file ({matches[0]} "
            f"{_what_is(matches[0])}): Beam reads text files, which it can split. Write the "
            "lines to a file first."
        )
        raise _input_error(pattern, message, "no regular file matches")
    _refuse_archives(pattern, found)
    _check_some_text(pattern, found)


def _what_is(path: str) -> str:
    """What a path that glob matched is, where it is neither a file nor a folder, as the end
    of a sentence naming it: a special file's kind ("is a FIFO"), or the link to nothing (a
    loop of links) it is, in `utils.paths.non_folder_kind`'s words."""
    kind = special_kind(path)
    if kind is not None:
        return f"is a {kind}"
    if os.path.islink(path) and not os.path.exists(path):
        return non_folder_kind(path)
    return "is a special file"


def _refuse_archives(pattern: str, found: list[str]) -> None:
    """Refuses an archive among the local files `pattern` matched (by its first bytes, read as
    Beam reads it): Beam reads a tar inside titles.tar.gz as text, and its header and NUL
    padding were embedded as items.

    Raises:
        tfhub.errors.EmbeddingFilesError: naming the first archive and what it is.
    """
    for path in found:
        archive = _archive_kind(_head(path))
        if archive is not None:
            message = (
                f"{path}, matched by --data_file_pattern {pattern}, is {archive}, which Beam "
                "does not unpack: extract its text files first, and match those."
            )
            raise _input_error(pattern, message, "an archive")


def _head(path: str) -> bytes:
    """The first 512 bytes of a local input file, read as Beam reads it (b"" if it cannot be
    read so: `_has_text` names that file)."""
    try:
        with _read_as_beam(path) as handle:
            return bytes(handle.read(512))
    except _UNREADABLE:
        return b""


def _archive_kind(head: bytes) -> str | None:
    """What archive a file starting with `head` is ("a tar archive", "a ZIP archive"...; a tar
    by its header's checksum, which no line of text has), or None. A Zstandard stream is no
    archive: Beam decompresses it when its name ends in .zst (`packed_remedy`)."""
    from ..._archive import ZSTD_MAGIC, is_v7_tar_header, other_archive_kind  # Magics' home.

    if head.startswith(ZSTD_MAGIC):
        return None
    return "a tar archive" if is_v7_tar_header(head) else other_archive_kind(head)


def _check_some_text(pattern: str, found: list[str]) -> None:
    """Checks that some of the files `pattern` matched holds a line with text.

    Raises:
        tfhub.errors.EmbeddingFilesError: every file is empty, or holds blank lines only.
    """
    if not any(os.path.getsize(path) for path in found):
        message = (
            f"The {len(found)} file(s) matching --data_file_pattern {pattern} are empty: "
            "put one item to embed on each line."
        )
        raise _input_error(pattern, message, "empty files")
    if not any(_has_text(pattern, path) for path in found):
        message = (
            f"The {len(found)} file(s) matching --data_file_pattern {pattern} hold blank lines "
            "only (they are skipped): put one item to embed on each line."
        )
        raise _input_error(pattern, message, "blank lines only")


# How a file that is not what its name's ending says fails to decompress (gzip and deflate,
# bzip2, lzma/xz; a cut-short one: EOFError).
_UNREADABLE = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError)


def _read_as_beam(path: str) -> Any:
    """A local input file opened as Beam reads it: decompressed if its name says it is
    compressed (`.gz`, `.bz2`, ...), in binary."""
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.open(path)


def _has_text(pattern: str, path: str) -> bool:
    """Whether a local file `pattern` matched holds a line with an item, by the pipeline's
    rule (`items_of_line`: Unicode whitespace, U+00A0 and U+2003 included, is blank), read
    in chunks (a file of one huge line is not read whole). Bytes that are not UTF-8 count as
    text: the pipeline names their file and line.

    Raises:
        tfhub.errors.EmbeddingFilesError: the file cannot be decompressed as its name says.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    line = ""  # The part of a line read so far (kept short while it is blank).
    try:
        with _read_as_beam(path) as handle:
            while chunk := handle.read(1 << 16):
                *lines, line = (line + decoder.decode(chunk)).split("\n")
                if _any_item([*lines, line]):
                    return True
                line = line[:2] if line.startswith(BOM) else line[:1]  # Blank: its start.
    except _UNREADABLE as err:
        message = (
            f"{path}, matched by --data_file_pattern {pattern}, cannot be read as Beam reads it "
            f"(decompressed as its name's ending says): {err}. Rename or replace the file."
        )
        raise _input_error(pattern, message, "unreadable file") from err
    return _any_item([line + decoder.decode(b"", final=True)])


def _any_item(lines: list[str]) -> bool:
    """Whether any of `lines` (ended at LF, as Beam ends them) holds an item."""
    return any(True for line in lines for _ in items_of_line(line))


def items_of_line(line: str) -> Iterator[str]:
    """The items of a line read from the input, as Python reads text lines: Beam ends lines at
    LF and CRLF only, so a file with classic Mac line ends (a lone CR) read as one item.
    Blank ones (empty, or whitespace only) have no text to embed (upstream indexed them as
    items, found as empty matches); the UTF-8 byte-order mark that some editors put at a
    file's start is no text either (Beam left it in the first item, which was then embedded
    as another text than the line)."""
    for item in line.removeprefix(BOM).split("\r"):
        if item.strip():
            yield item


def other_unicode_encoding(path: str) -> str | None:
    """The encoding other than UTF-8 ("UTF-16", "UTF-32") that a local input file's start (read
    as Beam reads it) marks it as, or None: no such byte-order mark, or no such file."""
    return marked_encoding(_head(path))


# Compressed streams that Beam decompresses when the file's name ends so: `sniff`'s kind (and
# Zstandard's first bytes) -> what the file is, and the ending.
_RENAME_TO = {
    "gzip": ("gzip-compressed", ".gz"),
    "bz2": ("bzip2-compressed", ".bz2"),
    "xz": ("xz-compressed", ".xz"),
    "zstd": ("Zstandard-compressed", ".zst"),
}


def packed_remedy(path: str) -> str | None:
    """What a local input file that Beam read as text is, if its first bytes (read as Beam
    reads it) say it is compressed or an archive, and what to do; None if they do not (or
    there is no such file). Beam decompresses a file by its name's ending only, and unpacks
    no archive: converting such bytes as text (iconv) would make text of them."""
    from ..._archive import ZSTD_MAGIC, sniff

    head = _head(path)
    kind = "zstd" if head.startswith(ZSTD_MAGIC) else sniff(head)
    if kind in _RENAME_TO:
        what, ending = _RENAME_TO[kind]
        return (
            f"the file is {what}, and Beam decompresses a file by its name's ending only: "
            f"name it *{ending}"
        )
    archive = _archive_kind(head)
    if archive is None:
        return None
    return f"the file is {archive}, which Beam does not unpack: extract its text files first"


def first_non_utf8_line(pattern: str) -> tuple[str, int] | None:
    """The first local file and line (from 1) matching `pattern` that is not UTF-8, if any."""
    if files.is_remote(pattern):
        return None
    for path in sorted(_local_matches(pattern)):
        if not os.path.isfile(path):
            continue
        try:
            with _read_as_beam(path) as handle:
                for number, line in enumerate(iter(handle.readline, b""), 1):
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError:
                        return path, number
        except _UNREADABLE:  # Not what its name says: Beam says what is wrong.
            continue
    return None
