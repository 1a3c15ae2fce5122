"""What the first bytes of a stream are: a tar archive (plain or gzip/bz2/xz-compressed), an
HTML page, another kind of archive (ZIP, Zstandard, 7-Zip, ...) or something else, and the words
that tell the user what a stream that is no model archive is and what to give instead. What is
wrong with a compressed stream whose data cannot be decoded is `_archive_decoder_errors`'s.

`_archive.extract` asks it before reading a member; a download's content decoding
(`_http_encoding`) and the tools' input checks ask it too.
"""

from __future__ import annotations

import posixpath
import tarfile
import urllib.parse

from ._archive_decoder_errors import COMPRESSIONS as _COMPRESSIONS

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import Any

_GZIP_MAGIC = b"\x1f\x8b"


def sniff(head: bytes) -> str:
    """Classifies the first bytes of a stream: "gzip", "tar", "bz2", "xz", "html" or "unknown"."""
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar" or is_v7_tar_header(head):
        return "tar"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        return "html"
    return "unknown"


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # A Zstandard stream's first bytes.
# Archives and compressors that are not TF Hub's, by their first bytes: named in the error.
_OTHER_ARCHIVES = (
    ((b"PK\x03\x04", b"PK\x05\x06"), "a ZIP archive"),
    ((ZSTD_MAGIC,), "a Zstandard stream (.zst)"),
    ((b"7z\xbc\xaf\x27\x1c",), "a 7-Zip archive"),
    ((b"Rar!\x1a\x07",), "a RAR archive"),
    ((b"\x04\x22\x4d\x18",), "an LZ4 stream"),
)


def other_archive_kind(head: bytes) -> str | None:
    """What another kind of archive `head` starts, e.g. "a ZIP archive"; None if none."""
    return next((what for magics, what in _OTHER_ARCHIVES if head.startswith(magics)), None)


def not_an_archive_message(source: str, head: bytes, kind: str, *, local: bool) -> str:
    """Why `source`, whose content starts with `head` (`sniff` says `kind`: "html" or
    "unknown"), is no model archive. A download's words are kept (its caller adds "Check the
    handle."); a local file's say what it is and what to give instead."""
    if kind != "html":
        return _not_a_tar_message(source, head, local=local)
    if not local:
        return (
            f"{source} does not appear to be a valid module. It answered an HTML page instead "
            "of a model archive (a login page, an error page or a model page without the "
            "hosting protocol?)."
        )
    return (
        f"{source} does not appear to be a valid module. It is an HTML page, not a model "
        "archive (a model page, a login page or an error page, saved in its place?): get the "
        "archive itself (the model page's download link) and give that file."
    )


def _not_a_tar_message(source: str, head: bytes, *, local: bool) -> str:
    """Why `source`, whose content starts with `head` and is no tar archive, is no model, and
    what to do. A model file's name (a `.keras` file, which is a ZIP archive, or an `.h5`)
    gets what a local file of that name is told (`model_file_kind`): unpacked, it is no
    SavedModel folder. A download's unknown content is left to its caller's advice."""
    from .model_folder_checks import other_model_file_kind  # The error path: not at import.

    other = other_archive_kind(head)
    name = posixpath.basename(urllib.parse.urlsplit(source).path)
    model_file = other_model_file_kind(name)
    if model_file is not None and model_file[0] != other:
        what, todo = model_file
        return (
            f"{source} does not appear to be a valid module. It is {what}, not a tar archive "
            f"of a SavedModel folder as TF Hub models are. {todo}"
        )
    if other is not None:
        return (
            f"{source} does not appear to be a valid module. Its content is {other}, not a "
            "tar archive (plain, or compressed with gzip, bzip2 or xz) as TF Hub models "
            "are: unpack it and pack the model folder again (`tfhub pack FOLDER -o "
            "model.tar.gz`, or `tar czf`)."
        )
    what = f"starts with {head[:16]!r}" if head else "it is empty: 0 bytes"
    message = (
        f"{source} does not appear to be a valid module. Its content is not a .tar, "
        f".tar.gz or .tgz archive ({what})"
    )
    if not local:
        return f"{message}."
    if not head:
        return f"{message}: get a fresh copy of the archive."
    return (
        f"{message}: give the model's archive, or pack its SavedModel folder into one "
        "(`tfhub pack FOLDER -o model.tar.gz`)."
    )


# The name of a tar archive compressed so.
_TAR_SUFFIXES = {"gzip": ".tar.gz", "bz2": ".tar.bz2", "xz": ".tar.xz"}


def compressed_twice_message(source: str, kind: str, inner: bytes, *, local: bool) -> str | None:
    """Why `source`, a `kind` stream ("gzip", "bz2", "xz") whose decompressed bytes start with
    `inner`, is no model archive when `inner` is compressed again (a .tar.gz gzipped once
    more: by a server or an upload that compresses what it stores without a Content-Encoding
    to say so, or a `.tar.gz.gz` renamed); None if `inner` is not compressed, or is a tar
    header (whose first member's name may start as a compressed stream does, e.g. "BZh")."""
    inner_kind = sniff(inner)
    if kind not in _COMPRESSIONS or inner_kind not in _COMPRESSIONS:
        return None
    if inner[257:262] == b"ustar" or is_v7_tar_header(inner):
        return None
    outer, tool = _COMPRESSIONS[kind], _COMPRESSIONS[inner_kind]
    message = (
        f"{source} does not appear to be a valid module. It is compressed twice: its {outer} "
        f"stream holds a {tool} stream, not a tar archive (compressed again by a server or an "
        "upload that compresses what it stores, or a file renamed)"
    )
    if not local:
        return f"{message}; the server's owner can store the archive as it is."
    archive = f"model{_TAR_SUFFIXES[inner_kind]}"
    return f"{message}: decompress it once (`{outer} -dc FILE > {archive}`) and give that."


def is_v7_tar_header(head: bytes) -> bool:
    """True for a pre-POSIX tar header (no "ustar" magic) whose checksum is right."""
    if len(head) < 512 or not head[:1].strip(b"\0"):
        return False
    try:
        tar: Any = tarfile  # nti and calc_chksums are not in typeshed.
        return tar.nti(head[148:156]) in tar.calc_chksums(head[:512])
    except (tarfile.HeaderError, ValueError):
        return False


def read_head(stream: Any, size: int = 512) -> bytes:
    """Reads until `size` bytes or the end: a first network read may be short."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        data = stream.read(size - got)
        if not data:
            break
        parts.append(bytes(data))
        got += len(data)
    return b"".join(parts)
