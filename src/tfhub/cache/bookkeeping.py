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
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import posixpath
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import NamedTuple, TextIO

from .. import errors
from ..utils.printable import escaped
from ..utils.redact import redact
from ..utils.regular_files import open_regular
from . import layout

DEFAULT_ALGORITHM = "sha256"
# What an extraction may report: {relative path: (size, hex hash)} and the hashlib algorithm name.
Digests = Mapping[str, tuple[int, str]]
FetchResult = tuple[Digests, str]
SAMPLE_LARGEST = 16
SAMPLE_SPREAD = 48
_HEADER_LIMIT = 1 << 20
_READ_CHUNK = 1 << 20
WRITTEN_BY_LINE = "Written by: tfhub"


# --- Writing safely -------------------------------------------------------------------------------


def atomic_write_text(path: str, text: str) -> None:
    """Writes a file through a unique temporary file and a rename: never half-written.

    Raises:
        tfhub.errors.CacheError: naming the file, if it cannot be written (full disk, quota,
            read-only folder); no temporary file is left.
    """
    tmp = f"{path}.{layout.unique_suffix()}{layout.PART_SUFFIX}"
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as err:
        root = os.path.dirname(path)  # Bookkeeping files lie beside the entries.
        raise write_error(f"Cannot write {path}", err, root=root, path=path) from err
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)


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


def free_space_remedy(root: str, *, quota: bool = False) -> str:
    """What to do when the disk of the cache folder `root` is full (its room is named: a disk
    out of inodes has bytes free), or, with `quota` (EDQUOT), when this user's disk quota is
    used up: the disk's figures are not named then, since the disk may have plenty of room."""
    from ..utils.paths import disk_room
    from ..utils.refused_writes import capitalized, quota_used_up

    shown = escaped(root)
    if quota:
        used_up = quota_used_up(f"on the disk of the cache folder {shown}")
        return (
            f"{capitalized(used_up)}: `tfhub cache prune` and `tfhub cache rm` remove entries, "
            "or remove other files of yours there, or ask the administrator for a larger "
            "quota; or set TFHUB_CACHE_DIR to a folder where you have room."
        )
    room = disk_room(root)
    return (
        f"Free space on the disk of the cache folder {shown}"
        f"{f' ({room.describe(shown)})' if room else ''}: `tfhub cache prune` and `tfhub cache "
        "rm` remove entries; or set TFHUB_CACHE_DIR to a folder on a disk with room."
    )


def write_error(failed: str, err: OSError, *, root: str, path: str) -> errors.CacheError:
    """The error for an OSError while writing into the cache folder `root`.

    Args:
        failed: what could not be done, e.g. "Cannot write <file>" (its control characters, a
            newline in a path, are shown escaped).
        err: the OSError.
        root: the cache folder (named in what to do when the disk is full).
        path: the error's `path` attribute.

    Returns:
        A CacheError saying what failed, why (a full disk or quota, or the system's reason) and
        what to do.
    """
    failed = escaped(failed)
    if err.errno in errors.DISK_FULL_ERRNOS:
        quota = err.errno == errno.EDQUOT
        todo = free_space_remedy(root, quota=quota)
        why = "your disk quota is exceeded" if quota else "the disk is full"
        return errors.DiskFullError(err.errno, f"{failed}: {why}. {todo}", path=path, remedy=todo)
    why = f"{err.strerror or err}"
    todo = "Check the folder's permissions, or set TFHUB_CACHE_DIR to a writable folder."
    if err.errno == errno.ENAMETOOLONG:  # Not a matter of permissions: the cache folder's path.
        size = len(os.fsencode(os.fspath(root)))
        todo = (
            f"The cache folder's path is {size} bytes (a name in it longer than its filesystem "
            "allows, os.pathconf PC_NAME_MAX, or the whole path over PC_PATH_MAX with the "
            "cache's own names): set TFHUB_CACHE_DIR to a shorter path."
        )
    return errors.CacheError(err.errno, f"{failed}: {why}. {todo}", path=path)


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


def list_files(folder: str) -> dict[str, int]:
    """Returns {relative path: size} of every file below `folder` ('/' separators).

    A link to a file counts as the file it leads to (its size, as the checks read it through
    the link: recording the link's own size made every later check find it "damaged"); a
    link that leads nowhere is no file.
    """
    files: dict[str, int] = {}
    for dirpath, _, filenames in os.walk(folder):
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            try:
                size = os.stat(full).st_size
            except OSError:
                continue  # A dangling link (the archive's checks allowed it: it points inside).
            files[os.path.relpath(full, folder).replace(os.sep, "/")] = size
    return files


def file_digest(path: str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """Returns the hex content hash of a file, never waiting: a named pipe in place of a model
    file (one user's `mkfifo` in a shared cache, in an entry or in the folder a killed install
    left) made `verify --deep`, and a resolve that finishes a killed install, wait for a writer
    forever (rf51d-F2).

    Raises:
        OSError: it is missing or unreadable (as `open`), or not a regular file (EINVAL: a
            pipe, a socket, a device or a folder), whose content is no model file's.
    """
    digest = hashlib.new(algorithm)
    data = open_regular(path)
    if data is None:
        raise OSError(errno.EINVAL, "not a regular file: a named pipe or a device", path)
    with data:
        while chunk := data.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_text(sizes: Mapping[str, int], digests: Mapping[str, str], *, algorithm: str) -> str:
    """Returns a manifest's content (format 2) for files with these sizes and hashes."""
    files = {rel: [sizes[rel], digests[rel]] for rel in sorted(sizes)}
    body = '"files": ' + json.dumps(files, separators=(",", ":")) + "}"
    header = {
        "format": 2,
        "written_by": "tfhub",
        "algorithm": algorithm,
        "count": len(files),
        "size": sum(sizes.values()),
        "files_bytes": len(body.encode("utf-8")) + 1,
        "files_digest": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "sample": _sample(sizes),
    }
    return json.dumps(header, separators=(",", ":"))[:-1] + ",\n" + body + "\n"


def _sample(sizes: Mapping[str, int]) -> dict[str, int]:
    """Picks the files checked on every resolve: the largest ones and a spread of the rest."""
    names = sorted(sizes)
    if len(names) <= SAMPLE_LARGEST + SAMPLE_SPREAD:
        return {rel: sizes[rel] for rel in names}
    chosen = set(sorted(names, key=lambda rel: (-sizes[rel], rel))[:SAMPLE_LARGEST])
    step = len(names) / SAMPLE_SPREAD
    chosen.update(names[int(i * step)] for i in range(SAMPLE_SPREAD))
    chosen.update(rel for rel in names if posixpath.basename(rel) in _KEY_FILES)
    return {rel: sizes[rel] for rel in sorted(chosen)}


_KEY_FILES = frozenset(
    {"saved_model.pb", "saved_model.pbtxt", "tfhub_module.pb", "variables.index"}
)


def as_fetch_result(value: object) -> FetchResult | None:
    """Returns what a fetch returned if it reports hashes, else None.

    A fetch reports them as `(digests, algorithm)` or as an object with `.files` ({path: (size,
    hex)}) and `.algorithm`, such as the `_archive.ExtractResult` of an extraction.
    """
    files, algorithm = getattr(value, "files", None), getattr(value, "algorithm", None)
    if isinstance(files, Mapping) and isinstance(algorithm, str) and algorithm:
        return files, algorithm
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Mapping):
        if isinstance(value[1], str) and value[1]:
            return value[0], value[1]
    return None


def known_digests(files: Mapping[str, int], fetched: FetchResult | None) -> dict[str, str]:
    """Returns the reported hashes of the files whose reported size matches what is on disk."""
    if not fetched:
        return {}
    digests, _ = fetched
    return {rel: hexd for rel, (size, hexd) in digests.items() if files.get(rel) == size}


def write_manifest(
    module_path: str,
    files: Mapping[str, int],
    *,
    digests: Mapping[str, str] | None = None,
    algorithm: str | None = None,
    source_dir: str | None = None,
) -> None:
    """Records the files of an entry beside it (sizes and content hashes), atomically.

    Args:
        module_path: the entry's folder (the manifest goes beside it).
        files: {relative path: size}.
        digests: {relative path: hex hash}, e.g. computed while extracting; the files missing
            from it are hashed here by reading them from `source_dir`.
        algorithm: the `hashlib` name of `digests`' algorithm (default sha256).
        source_dir: where the files are now (default `module_path`), to hash what is missing.

    Raises:
        tfhub.errors.CacheError: if the manifest cannot be written (naming it).
    """
    text = manifest_of(source_dir or module_path, files, digests=digests, algorithm=algorithm)
    atomic_write_text(layout.manifest_path(module_path), text)


def manifest_of(
    folder: str,
    files: Mapping[str, int],
    *,
    digests: Mapping[str, str] | None = None,
    algorithm: str | None = None,
) -> str:
    """Returns the manifest text of `files` in `folder`, hashing those `digests` lacks (as
    `write_manifest`, which writes it; an install that replaces an entry writes it itself, at
    the moment it chooses)."""
    algorithm = algorithm or DEFAULT_ALGORITHM
    known = dict(digests or {})
    for rel in files:
        if rel not in known:
            known[rel] = file_digest(os.path.join(folder, *rel.split("/")), algorithm)
    return manifest_text(files, known, algorithm=algorithm)


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
