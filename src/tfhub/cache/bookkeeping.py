"""The files tfhub keeps beside an entry: the descriptor (upstream's) and the manifest (tfhub's).

The manifest lists every file of the entry with its size and content hash. Its first line is a
small header (file count, total size, a bounded sample of files, the hash of the full list), so
`hub.resolve` and `tfhub cache list` read a few KB whatever the number of files; the second line
holds the full list, read by `tfhub cache verify`. The whole file is one JSON object::

    {"format": 2, "written_by": "tfhub", "algorithm": "sha256", "count": N, "size": S,
     "files_bytes": B, "files_digest": "<sha256 of line 2>", "sample": {"<path>": size, ...},
    "files": {"<path>": [size, "<hex digest>"], ...}}

`files_bytes` (the length of line 2) lets the bounded check see a truncated manifest with one
`fstat`; `files_digest` lets the full check see any change to the list.

Manifests of earlier tfhub versions (`{"files": {"<path>": size}}`) are read as sizes only.

This module reads them (it is on the path of resolving a cached handle); what only installs and
`tfhub cache verify` need lives beside it, loaded on first use and still reachable here as
`bookkeeping.X`: `entry_files` (the sizes and hashes of an entry's files), `manifest_writing`
(the manifest written at install) and `safe_writes` (whole-or-nothing writes, their errors).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from ..utils.redact import redact
from ..utils.regular_files import open_regular
from . import layout

if TYPE_CHECKING:
    from .entry_files import file_digest, list_files  # noqa: F401
    from .manifest_writing import (  # noqa: F401
        SAMPLE_LARGEST,
        SAMPLE_SPREAD,
        Digests,
        FetchResult,
        as_fetch_result,
        known_digests,
        manifest_of,
        manifest_text,
        write_manifest,
    )
    from .safe_writes import atomic_write_text, free_space_remedy, write_error  # noqa: F401

DEFAULT_ALGORITHM = "sha256"
_HEADER_LIMIT = 1 << 20
WRITTEN_BY_LINE = "Written by: tfhub"

# Names that moved to modules the path of resolving a cached handle never imports: still
# `bookkeeping.X` for their callers, loaded on first use (PEP 562).
_MOVED = {
    "file_digest": "entry_files",
    "list_files": "entry_files",
    "SAMPLE_LARGEST": "manifest_writing",
    "SAMPLE_SPREAD": "manifest_writing",
    "Digests": "manifest_writing",
    "FetchResult": "manifest_writing",
    "as_fetch_result": "manifest_writing",
    "known_digests": "manifest_writing",
    "manifest_of": "manifest_writing",
    "manifest_text": "manifest_writing",
    "write_manifest": "manifest_writing",
    "atomic_write_text": "safe_writes",
    "free_space_remedy": "safe_writes",
    "write_error": "safe_writes",
}


def __getattr__(name: str) -> Any:
    """A moved name, from its new home (kept here after the first use)."""
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__package__}.{home}"), name)
    globals()[name] = value
    return value


def open_text(path: str, *, errors: str = "strict") -> AbstractContextManager[TextIO | None]:
    """Opens a bookkeeping file (descriptor, manifest, tensorflow_hub's lock) to read as UTF-8
    text, without waiting: a named pipe in its place (one user's `mkfifo` in a shared cache)
    made every reader wait for a writer forever (review50a-F6).

    Returns:
        The open file, or (as a context giving None) nothing if it is not a regular file (a
        pipe, a device, a folder): callers take that for missing or corrupt.

    Raises:
        OSError: it is missing or unreadable (as `open`).
    """
    file = open_regular(path)
    if file is None:
        return nullcontext(None)
    return io.TextIOWrapper(file, encoding="utf-8", errors=errors)


# --- The descriptor (upstream's format, plus one line) -------------------------------------------


def descriptor_text(handle: str) -> str:
    """Returns the descriptor's content: upstream's three lines, then tfhub's mark.

    The handle is shown with its credentials redacted (the folder name stays sha1 of the handle
    as given). The last line tells tfhub that the entry must have a manifest.
    """
    import datetime
    import socket

    today = str(datetime.datetime.today())
    host = f"{socket.gethostname()} (PID:{os.getpid()})"
    return (
        f"Module: {redact(handle)}\nDownload Time: {today}\nDownloader Hostname: {host}\n"
        f"{WRITTEN_BY_LINE}\n"
    )


class Descriptor(NamedTuple):
    """What a descriptor file says."""

    handle: str | None
    download_time: str | None
    written_by_tfhub: bool


def read_descriptor(module_path: str) -> Descriptor | None:
    """Returns the entry's descriptor, or None if it has none (or it cannot be read)."""
    try:
        with open_text(layout.descriptor_path(module_path), errors="replace") as f:
            if f is None:
                return None
            lines = f.read(64 * 1024).splitlines()
    except OSError:
        return None
    return parse_descriptor(lines)


def parse_descriptor(lines: list[str]) -> Descriptor:
    """Parses a descriptor's lines (the handle is redacted, for descriptors of old versions)."""
    fields = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if sep and key not in fields:
            fields[key] = value.strip()
    handle = fields.get("Module")
    return Descriptor(
        handle=redact(handle) if handle is not None else None,
        download_time=fields.get("Download Time"),
        written_by_tfhub=WRITTEN_BY_LINE in lines,
    )


# --- The manifest ---------------------------------------------------------------------------------


class ManifestHeader(NamedTuple):
    """The first line of a manifest: enough to check an entry and list it in O(1)."""

    file_count: int
    size: int
    sample: dict[str, int]
    algorithm: str | None
    files_digest: str | None
    files_bytes: int | None = None


class Manifest(NamedTuple):
    """A whole manifest: every file's size and, if recorded, its content hash."""

    header: ManifestHeader
    sizes: dict[str, int]
    digests: dict[str, str] | None


def safe_relpath(rel: object) -> bool:
    """Returns True for a manifest path that stays inside the entry (no '..', not absolute)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


# What reading a manifest that is not tfhub's (damaged, cut short, foreign) raises: bad JSON,
# missing keys, values of the wrong type, and Infinity (JSON's float) where a count is expected.
_UNREADABLE = (ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError)


def parse_header(first_line: str) -> ManifestHeader | None:
    """Parses a manifest's first line; None if it is not a valid header (or format 1)."""
    try:
        raw = json.loads(first_line.rstrip().rstrip(",") + "}")
        sample = {str(k): int(v) for k, v in raw["sample"].items()}
        header = ManifestHeader(
            file_count=int(raw["count"]),
            size=int(raw["size"]),
            sample=sample,
            algorithm=str(raw["algorithm"]),
            files_digest=str(raw["files_digest"]),
            files_bytes=int(raw["files_bytes"]),
        )
    except _UNREADABLE:
        return None
    if raw.get("format") != 2 or not all(map(safe_relpath, sample)) or header.file_count < 1:
        return None
    return header


_header_memo: dict[str, tuple[tuple[int, int, int], ManifestHeader]] = {}
_MEMO_LIMIT = 1024


def read_header(module_path: str) -> ManifestHeader | None:
    """Returns the manifest's header, reading only its first line (a v1 manifest: read whole).

    Headers are remembered per (inode, mtime, size) of the manifest, so resolving a cached
    handle in a loop costs one `stat` here.

    Returns:
        None if there is no manifest or it is not valid.
    """
    path = layout.manifest_path(module_path)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    memo = _header_memo.get(path)
    if memo is not None and memo[0] == stamp:
        return memo[1]
    header = _read_header_file(path, stat.st_size)
    if header is not None:
        if len(_header_memo) >= _MEMO_LIMIT:
            _header_memo.clear()
        _header_memo[path] = (stamp, header)
    return header


def _read_header_file(path: str, file_size: int) -> ManifestHeader | None:
    try:
        with open_text(path) as text:
            if text is None:
                return None
            first = text.readline(_HEADER_LIMIT)
            header = parse_header(first)
            if header is not None:
                expected = len(first.encode("utf-8")) + (header.files_bytes or 0)
                return header if file_size == expected else None
            if not first.startswith('{"files"'):
                return None
            whole = first + text.read()
    except (OSError, UnicodeDecodeError):
        return None
    manifest = parse_manifest(whole)
    return manifest.header if manifest else None


def read_manifest(module_path: str) -> Manifest | None:
    """Returns the whole manifest, or None if there is none or it is not valid."""
    try:
        with open_text(layout.manifest_path(module_path)) as text:
            return parse_manifest(text.read()) if text is not None else None
    except (OSError, UnicodeDecodeError):
        return None


def parse_manifest(text: str) -> Manifest | None:
    """Parses a manifest (format 2, or format 1 of earlier tfhub versions: sizes only)."""
    first, _, body = text.partition("\n")
    header = parse_header(first)
    if header is not None:
        if hashlib.sha256(body.rstrip("\n").encode("utf-8")).hexdigest() != header.files_digest:
            return None
        return _parse_files(text, header)
    return _parse_v1(text)


def _parse_files(text: str, header: ManifestHeader) -> Manifest | None:
    try:
        files = json.loads(text)["files"]
        sizes = {str(rel): int(entry[0]) for rel, entry in files.items()}
        digests = {str(rel): str(entry[1]) for rel, entry in files.items()}
    except _UNREADABLE:
        return None
    if len(sizes) != header.file_count or not all(map(safe_relpath, sizes)):
        return None
    return Manifest(header=header, sizes=sizes, digests=digests)


def _parse_v1(text: str) -> Manifest | None:
    try:
        sizes = {str(k): int(v) for k, v in json.loads(text)["files"].items()}
    except _UNREADABLE:
        return None
    if not sizes or not all(map(safe_relpath, sizes)):
        return None
    header = ManifestHeader(
        file_count=len(sizes),
        size=sum(sizes.values()),
        sample=sizes,
        algorithm=None,
        files_digest=None,
    )
    return Manifest(header=header, sizes=sizes, digests=None)
