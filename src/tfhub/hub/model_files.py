"""Check the model files of a version (its `.tar.gz` or model folder) as tfhub.dev's CI did.

tfhub.dev's validator opened each archive: every member must be safe to extract, have a file
name its pattern allows and be a file a SavedModel uses (`saved_model.pb`, `variables/...`,
`assets/...`, ...), and a `saved_model.pb` (or `.pbtxt`) at the root must parse. tfhub does the
same without TensorFlow: `saved_model.pb` is checked at the protobuf wire level (well-formed,
with at least one MetaGraph, field 2 of `SavedModel`). tfhub adds `fingerprint.pb`, which
TensorFlow writes since 2.12. So that tensorflow_hub users can download it too, each member must
also be one tensorflow_hub extracts: a file or a folder, each file after a member for its folder.
The archive is read once, front to back, as a file (large archives are not held in memory; nor is
`saved_model.pb`, whose fields are read past): not in tarfile's stream mode (`r|gz`), which skips a
member in 8 KB reads that each copy the whole decompressed buffer (up to ~8 MB for 8 KB of
compressed zeros: 128 MiB of zeros took 7.9 CPU-s against 0.13 s read as a file).
"""

from __future__ import annotations

import fnmatch
import io
import os
import posixpath
import re
import tarfile
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .. import _archive_tree, errors
from ..utils.paths import special_kind

# The files a SavedModel (TF2, TF1 Hub format, Keras) uses: tfhub.dev's list + fingerprint.pb.
ALLOWED_PATHS = (
    "saved_model.pb",
    "saved_model.pbtxt",
    "tfhub_module.pb",
    "keras_metadata.pb",
    "fingerprint.pb",
    "assets/*",
    "assets.extra/*",
    "variables/variables.*",
)
_NAME = r"[\w-][-!',_\w.=:% ]*"
_PATH = re.compile(f"{_NAME}(/{_NAME})*")
_PROTOS = ("saved_model.pb", "saved_model.pbtxt")
_META_GRAPHS_FIELD = 2
_CHUNK = 1 << 20  # Bytes read at once from a saved_model.pb(txt).
MAX_PROBLEMS = 10


_FIRST = re.compile(r"[\w-]")  # A part's first character (`_NAME`).
_LATER = re.compile(r"[-!',_\w.=:% ]")  # Its other characters.


def path_problem(path: str) -> str | None:
    """Why a file path (relative, `/`-separated) cannot be in a model, or None."""
    if not _PATH.fullmatch(path):
        return f"{path!r} is not a valid file path in a model: {_name_problem(path)}"
    if not any(fnmatch.fnmatch(path, pattern) for pattern in ALLOWED_PATHS):
        return (
            f"{path!r} is not a file a SavedModel uses (allowed: {', '.join(ALLOWED_PATHS)}); "
            "leave it out of the model"
        )
    return None


def _name_problem(path: str) -> str:
    """What in a path `_PATH` refuses breaks tfhub.dev's file-name pattern: an empty part, a
    part's first character, or a character no name may hold (a name written decomposed, NFD,
    as macOS tools write names, is told to be written composed)."""
    parts = path.split("/")
    if "" in parts:
        return "it has an empty part (a leading, trailing or doubled '/')"
    for part in parts:
        if not _FIRST.fullmatch(part[0]):
            return (
                f"its part {part!r} starts with {part[0]!r}; a part starts with a letter, a "
                "digit, '_' or '-' (no hidden files)"
            )
        bad = next((char for char in part[1:] if not _LATER.fullmatch(char)), None)
        if bad is not None:
            return _character_problem(path, bad)
    # Unreachable while _FIRST and _LATER spell _NAME.
    return "it does not match tfhub.dev's file-name pattern"


def _character_problem(path: str, char: str) -> str:
    """The problem of a character `char` of `path` that no file name in a model may hold."""
    name = unicodedata.name(char, "")
    shown = f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"
    problem = (
        f"it holds {shown}, which a file name in a model may not hold (letters, digits, "
        "spaces and -!',_.=:% only)"
    )
    composed = unicodedata.normalize("NFC", path)
    if composed != path and _PATH.fullmatch(composed):
        problem += (
            "; the name is written decomposed (NFD, as macOS tools write names): rename it to "
            "its composed (NFC) form, which prints the same"
        )
    return problem


def _varint(stream: IO[bytes], pos: int, first: bytes = b"") -> tuple[int, int]:
    """Reads a varint at byte `pos` of `stream` (its first byte already read, if given);
    returns (value, position after it)."""
    value = shift = 0
    while True:
        byte = first or stream.read(1)
        first = b""
        if not byte or shift > 63:
            raise ValueError("truncated varint")
        pos += 1
        value |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            return value, pos


def _skip(stream: IO[bytes], length: int, pos: int) -> int:
    """Reads past `length` bytes of `stream` in chunks (none held); returns the position."""
    while length > 0:
        chunk = stream.read(min(length, _CHUNK))
        if not chunk:
            raise ValueError("a field runs past the end")
        length -= len(chunk)
        pos += len(chunk)
    return pos


def saved_model_pb_problem(stream: IO[bytes]) -> str | None:
    """Why the bytes of `stream` are not a `SavedModel` message (top-level wire format), or
    None. The fields' contents are read past, not held: memory stays bounded whatever their
    size (an archive of a few MB can hold a saved_model.pb of many GB)."""
    pos, meta_graphs = 0, 0
    try:
        while first := stream.read(1):
            key, pos = _varint(stream, pos, first)
            field, wire = key >> 3, key & 7
            if field == 0 or wire not in (0, 1, 2, 5):
                raise ValueError(f"bad field key {key} at byte {pos}")
            if wire == 0:
                _, pos = _varint(stream, pos)
            elif wire == 2:
                length, pos = _varint(stream, pos)
                pos = _skip(stream, length, pos)
                meta_graphs += field == _META_GRAPHS_FIELD
            else:
                pos = _skip(stream, 8 if wire == 1 else 4, pos)
    except ValueError as err:
        return f"saved_model.pb does not parse as a SavedModel ({err})"
    return None if meta_graphs else "saved_model.pb holds no MetaGraph"


def _proto_problem(name: str, stream: IO[bytes]) -> str | None:
    """The problem of a root saved_model.pb or saved_model.pbtxt read from `stream`, or None;
    read in chunks, whatever its size."""
    if name == "saved_model.pb":
        return saved_model_pb_problem(stream)
    word, tail = b"meta_graphs", b""
    while chunk := stream.read(_CHUNK):
        if word in tail + chunk:
            return None
        tail = chunk[-(len(word) - 1) :]
    return "saved_model.pbtxt holds no meta_graphs"


def archive_problems(archive: Path) -> list[str]:
    """The problems of a model archive (`.tar.gz`); [] if tfhub.dev's CI would accept it.

    Args:
        archive: the archive file.

    Returns:
        One message per problem (at most MAX_PROBLEMS member problems, then a count).
    """
    problems: list[str] = []
    found_proto = False
    folders: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:gz") as tar:  # Not "r|gz": see the module's doc.
            for member in tar:
                problem, is_proto = _member_problem(tar, member, folders)
                found_proto |= is_proto
                if problem:
                    problems.append(problem)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        return [*problems, f"cannot be read as a .tar.gz archive ({err})"]
    return _finish(problems, found_proto)


def _member_problem(
    tar: tarfile.TarFile, member: tarfile.TarInfo, folders: set[str]
) -> tuple[str | None, bool]:
    """(problem or None, whether it is a root saved_model.pb(txt) that parses).

    `folders` holds the folders that the members before this one make; it is updated.
    """
    try:
        _archive_tree.normalized_name(member)
    except errors.ArchiveError as err:  # Unsafe, or a name too long for a filesystem.
        return str(err), False
    path = posixpath.normpath(member.name)
    problem = _extraction_problem(member, path, folders)
    if problem or not member.isfile():
        return problem, False
    problem = path_problem(path)
    if problem or path not in _PROTOS:
        return problem, False
    problem = _proto_problem(path, tar.extractfile(member) or io.BytesIO())
    return problem, problem is None


def _extraction_problem(member: tarfile.TarInfo, path: str, folders: set[str]) -> str | None:
    """Why tensorflow_hub could not extract the safe `member` (normalized `path`) in its place,
    or None.

    tensorflow_hub (every version) extracts only files and folders, and writes each file into
    a folder an earlier folder member made: it makes no parent folders (its tmp folder aside).
    tfhub extracts such archives, but a hub serves tensorflow_hub users too. A missing folder
    is reported once. (Hard links and special files never get here: they are unsafe.)
    """
    if member.isdir():
        while path not in ("", "."):
            folders.add(path)
            path = posixpath.dirname(path)
        return None
    if member.issym():
        return (
            f"{member.name!r} is a symlink: tensorflow_hub extracts only files and folders "
            '("Unexpected object type in tar archive"); put the file itself in the archive'
        )
    folder = posixpath.dirname(path)
    if not folder or folder in folders:
        return None
    folders.add(folder)
    return (
        f"{member.name!r} comes before any member for its folder {folder + '/'!r}: "
        "tensorflow_hub makes no parent folders, so it cannot extract this archive; pack the "
        "model folder with `tfhub pack` (or `tar czf ARCHIVE -C FOLDER .`)"
    )


def folder_problems(folder: Path) -> list[str]:
    """The problems of a model folder, by the same rules as `archive_problems`."""
    problems: list[str] = []
    found_proto = False
    for path, file in _files(folder):
        problem = path_problem(path)
        if file.is_symlink():
            problem = (
                f"{path!r} is a symlink: the server cannot pack it (copy what it leads to in "
                "its place)"
            )
        elif not file.is_file():
            kind = special_kind(os.fspath(file)) or "special file"
            problem = f"{path!r} is a {kind}: the server cannot pack it (remove it)"
        if problem is None and path in _PROTOS:
            with open(file, "rb") as data:
                problem = _proto_problem(path, data)
            found_proto |= problem is None
        if problem:
            problems.append(problem)
    return _finish(problems, found_proto)


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to `folder`, path) of every entry below it but folders, sorted; links to
    folders included (not walked into)."""
    for current, subdirs, files in os.walk(folder):
        subdirs.sort()
        linked = [name for name in subdirs if os.path.islink(os.path.join(current, name))]
        for name in sorted([*files, *linked]):
            file = Path(current) / name
            yield file.relative_to(folder).as_posix(), file


def is_damaged_proto(problem: str) -> bool:
    """True if a problem of `folder_problems` says the model's saved_model.pb (or .pbtxt) is
    damaged (does not parse, holds no MetaGraph): saving the model again is the remedy."""
    return problem.startswith(tuple(f"{name} " for name in _PROTOS))


def _finish(problems: list[str], found_proto: bool) -> list[str]:
    if not found_proto and not any(name in p for p in problems for name in _PROTOS):
        problems.append(
            "no saved_model.pb (or saved_model.pbtxt) at the root: not a TF2 SavedModel or TF1 "
            "Hub module"
        )
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more"]
    return problems
