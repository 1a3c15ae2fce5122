"""Which module and projection made the embeddings of a folder, recorded beside them.

`generate` writes `embedding_module.json` with its other files (atomically, as they are);
`build` checks that it fits the embeddings and copies it into the index folder; `query` compares
it with its own `--module_url`, so that a query embedded by another module, whose distances to
the items would mean nothing, is a `ModuleMismatchError` instead of arbitrary "nearest" items.
Folders without the record (upstream's tool and earlier tfhub versions wrote none) are read as
before: the module cannot be checked, which is logged at DEBUG only (their queries print
what they printed before).

Two handles name the same module when:
    - both lead to local folders (a download in the cache included) and the folders' model
      files are equal: saved_model.pb (or .pbtxt), a TF1 module's tfhub_module.pb and
      variables/variables.index, which holds a checksum of every variable's values (their
      data files and the assets are not read). A moved or copied folder, a URL and its folder
      in the cache, are then one module; a folder whose files were replaced is another.
    - else (a model read remotely, gs://..., whose files are not read here): the handles name
      the same place (`module_handles.module_key`: a path with its links followed, a URL as
      its download is cached), or resolve to the same folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from typing import Any

from ... import errors
from ...cache.entry_files import file_digest
from ...utils.numbers import is_whole_number
from ...utils.redact import redact
from ..module_handles import module_key, resolve_model_folder
from . import files, storage
from .file_names import MODULE_RECORD_JSON, OUTPUT_FOLDERS
from .index_files import IndexFiles

logger = logging.getLogger(__name__)

# The model files whose bytes identify a module (never the variables' data: gigabytes).
_IDENTIFYING_FILES = (
    "saved_model.pb",
    "saved_model.pbtxt",
    "tfhub_module.pb",
    os.path.join("variables", "variables.index"),
)
# How the flag that skips the check is named, in the command and in Python.
OVERRIDE = "--allow_other_module (allow_other_module=True in Python)"


def model_digest(folder: str) -> str | None:
    """A digest of the local model folder's identifying files (`_IDENTIFYING_FILES`, by name
    and content: each file's sha256 as the cache's `file_digest` reads it), "sha256:<hex>";
    None if it holds none of them or one cannot be read."""
    digest = hashlib.sha256()
    found = False
    for name in _IDENTIFYING_FILES:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        found = True
        try:
            content = file_digest(path, "sha256")
        except OSError as err:
            logger.debug("Cannot read %s for the module's digest: %s", path, err)
            return None
        digest.update(f"{name.replace(os.sep, '/')}\0{content}\0".encode())
    return f"sha256:{digest.hexdigest()}" if found else None


@dataclasses.dataclass(frozen=True)
class ModuleIdentity:
    """A module as the record names it.

    Attributes:
        url: the handle as given (--module_url).
        key: where the handle points (`module_handles.module_key`).
        folder: the local folder it resolved to (links followed), or None if remote.
        digest: `model_digest` of that folder, or None.
    """

    url: str
    key: str
    folder: str | None
    digest: str | None

    @classmethod
    def of(cls, handle: str, resolved: str) -> ModuleIdentity:
        """The identity of `handle`, resolved to `resolved` (a local folder, or a remote path
        whose files are not read)."""
        if files.is_remote(resolved):
            return cls(handle, module_key(handle), None, None)
        folder = os.path.realpath(resolved)
        return cls(handle, module_key(handle), folder, model_digest(folder))

    def places(self) -> set[str]:
        """Where it is: its key (credentials hidden, as the record holds it), and its folder
        if local."""
        return {redact(self.key)} | ({self.folder} if self.folder else set())


@dataclasses.dataclass(frozen=True)
class ModuleRecord:
    """What embedding_module.json records.

    Attributes:
        module: the module that made the embeddings.
        embedding_dim: the size of its embeddings.
        projected_dim: the size they were projected to, or None for no projection.
    """

    module: ModuleIdentity
    embedding_dim: int
    projected_dim: int | None = None

    @property
    def vector_dim(self) -> int:
        """The size of the vectors written (after projection)."""
        return self.projected_dim or self.embedding_dim

    def to_json(self) -> dict[str, Any]:
        """The record as the file holds it: the handle's credentials hidden (`redact`), as
        no secret is written."""
        return {
            "module_url": redact(self.module.url),
            "module_key": redact(self.module.key),
            "module_folder": self.module.folder,
            "module_digest": self.module.digest,
            "embedding_dim": self.embedding_dim,
            "projected_dim": self.projected_dim,
        }

    @classmethod
    def from_json(cls, data: object) -> ModuleRecord | str:
        """The record the file held, or what is wrong with it (a short phrase)."""
        if not isinstance(data, dict):
            return f"it holds a JSON {type(data).__name__}, not an object"
        problem = _problem(data)
        if problem is not None:
            return problem
        module = ModuleIdentity(
            str(data["module_url"]),
            str(data["module_key"]),
            data.get("module_folder"),
            data.get("module_digest"),
        )
        projected_dim = data.get("projected_dim")
        return cls(
            module,
            int(data["embedding_dim"]),
            None if projected_dim is None else int(projected_dim),
        )


# A record's fields: the texts it must hold, and those that may be null.
_NAMES = ("module_url", "module_key")
_FOLDER_AND_DIGEST = ("module_folder", "module_digest")


def _problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a record's fields (a short phrase), or None."""
    if not all(isinstance(data.get(name), str) and data[name] for name in _NAMES):
        return "module_url and module_key must be non-empty strings"
    if not all(isinstance(data.get(name), (str, type(None))) for name in _FOLDER_AND_DIGEST):
        return "module_folder and module_digest must be strings or null"
    embedding_dim, projected_dim = data.get("embedding_dim"), data.get("projected_dim")
    if not is_whole_number(embedding_dim) or embedding_dim < 1:
        return f"embedding_dim {embedding_dim!r} is not a positive whole number"
    if projected_dim is not None and not (
        is_whole_number(projected_dim) and 1 <= projected_dim <= embedding_dim
    ):
        return f"projected_dim {projected_dim!r} is not a whole number in 1..embedding_dim"
    return None


def write(folder: str, record: ModuleRecord, *, flag: str) -> None:
    """Writes the record into an output folder being written (local, or a remote staging
    folder: written in TMPDIR, then uploaded, `storage.upload`, named by `flag` in errors).

    Raises:
        OSError: a failed local write, naming the file; tfhub.errors.OutputNotWritableError
            for a failed upload.
    """
    if not files.is_remote(folder):
        files.write_json(os.path.join(folder, MODULE_RECORD_JSON), record.to_json())
        return
    with tempfile.TemporaryDirectory(prefix="tfhub-record-") as local:
        write(local, record, flag=flag)
        path = os.path.join(local, MODULE_RECORD_JSON)
        storage.upload(path, folder, MODULE_RECORD_JSON, what=OUTPUT_FOLDERS[flag], flag=flag)


def read(path: str, *, damaged: Callable[[str, str], Exception]) -> ModuleRecord | None:
    """Reads a record (local or remote; UTF-8, with or without a BOM), or None if there is
    none.

    Args:
        path: the file.
        damaged: makes the error for a damaged file, from its path and the problem.

    Raises:
        What `damaged` makes; tfhub.errors.DownloadError for a remote read that fails.
    """
    if not files.exists(path):
        return None
    try:  # utf-8-sig: a leading BOM (an editor's, as Notepad saves) is not part of the JSON.
        data = json.loads(files.read_bytes(path).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise damaged(path, f"it is not JSON ({err})") from err
    record = ModuleRecord.from_json(data)
    if isinstance(record, str):
        raise damaged(path, record)
    return record


def differs(recorded: ModuleIdentity, current: ModuleIdentity) -> str | None:
    """How `current` is not the module `recorded` names (see the module's docstring), as a
    phrase; None if it is the same module."""
    same_place = bool(recorded.places() & current.places())
    if recorded.digest and current.digest:
        if recorded.digest == current.digest:
            return None
        if same_place:
            return "its files have changed since the embeddings were made"
        return "the two models' files differ"
    if same_place:
        return None
    return "they are two places, and the files of a remote model are not compared"


def check_index_module(
    index_files: IndexFiles, module_url: str, *, allow_other_module: bool
) -> ModuleRecord | None:
    """The index's record of the module that made its embeddings (None without one), checked
    against the query's `module_url` (`check_module`) before that module loads.

    Raises:
        tfhub.errors.ModuleMismatchError: (a ValueError) another module than the record names.
        tfhub.errors.IndexFilesError: a damaged record.
        tfhub.errors.ModuleUnavailableError: `module_url` leads to no model folder.
    """
    recorded = read(index_files.module_record, damaged=_damaged_record)
    if recorded is None:  # At DEBUG: such folders are queried as before, stderr included.
        logger.debug(
            "The index in %s does not record which module made its embeddings (upstream's "
            "tool and earlier tfhub versions did not): that it was %s cannot be checked.",
            index_files.where,
            module_url,
        )
        return None
    current = ModuleIdentity.of(module_url, resolve_model_folder(module_url, flag="module_url"))
    check_module(
        recorded,
        current,
        where=index_files.where,
        path=index_files.module_record,
        allow_other_module=allow_other_module,
    )
    return recorded


def _damaged_record(path: str, problem: str) -> Exception:
    """The error for an index's damaged record."""
    return errors.IndexFilesError(
        f"The record of the module that made the index's embeddings, {path}, is damaged "
        f"({problem}): build the index again. Received: {path!r}",
        path=path,
        problem=problem,
    )


def check_module(
    recorded: ModuleRecord,
    current: ModuleIdentity,
    *,
    where: str,
    path: str,
    allow_other_module: bool,
) -> None:
    """Checks that the query's module is the one whose embeddings an index holds.

    Args:
        recorded: the index's record.
        current: the query's module.
        where: the index folder (or file), for messages.
        path: the record's file, for messages.
        allow_other_module: log a different module instead of raising.

    Raises:
        tfhub.errors.ModuleMismatchError: (a ValueError) another module, naming both handles.
    """
    problem = differs(recorded.module, current)
    if problem is None:
        return
    if allow_other_module:
        logger.info(
            "The index in %s holds embeddings of %s, not of %s (%s): queried all the same, as "
            "--allow_other_module asks.",
            redact(where),
            redact(recorded.module.url),
            redact(current.url),
            problem,
        )
        return
    raise _mismatch(recorded.module, current, where=where, path=path, problem=problem)


def _mismatch(
    recorded: ModuleIdentity, current: ModuleIdentity, *, where: str, path: str, problem: str
) -> errors.ModuleMismatchError:
    return errors.ModuleMismatchError(
        f"The index in {where} holds embeddings of the module {recorded.url}, not of "
        f"{current.url} ({problem}): the distances of its items to a query would mean nothing. "
        f"Query with --module_url={recorded.url}, or run generate and build with this module; "
        f"if it is the same model, moved or exported again, pass {OVERRIDE}. Received: "
        f"module_url={current.url!r}, recorded in {path}",
        module_url=current.url,
        recorded=recorded.url,
        path=path,
        problem=problem,
    )


def check_projection(
    recorded: ModuleRecord | None, projected_dim: int | None, *, path: str
) -> None:
    """Checks that an index's projection matrix (`projected_dim` columns, None without one) is
    the one its record names.

    Raises:
        tfhub.errors.IndexFilesError: it is not (files of two runs).
    """
    if recorded is None or recorded.projected_dim == projected_dim:
        return
    raise errors.IndexFilesError(
        f"{path} records {_projection(recorded.projected_dim)}, but the index's projection "
        f"matrix gives {_projection(projected_dim)}: the files come from different runs; run "
        f"generate and build again. Received: {path!r}",
        path=path,
        problem="projection",
    )


def _projection(projected_dim: int | None) -> str:
    """A projection as messages name it."""
    if not projected_dim:
        return "no projection"
    return f"a projection to {projected_dim} dimension{'' if projected_dim == 1 else 's'}"
