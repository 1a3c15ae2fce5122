"""Where one index's files are (`IndexFiles`: a folder's, or files named one by one), and the
check that an index folder exists (naming the previous index a killed build moved aside)."""

from __future__ import annotations

import dataclasses
import os

from ... import errors
from .. import atomic_output
from .file_names import (
    INDEX_FILENAME,
    MAPPING_FILENAME,
    MODULE_RECORD_JSON,
    RANDOM_PROJECTION_FILENAME,
)
from .storage import is_remote, join


@dataclasses.dataclass(frozen=True)
class IndexFiles:
    """Where one index's files are, under upstream's names (the safe files tfhub writes sit
    beside them: the same name plus .json or .npy).

    Attributes:
        index: the ANN index file (its description, ann.index.json, beside it).
        mapping: upstream's pickled mapping (`mapping`.json read first).
        matrix: upstream's pickled projection matrix (`matrix`.npy read first), or None for
            none (the index holds the module's own embeddings).
        received: how the caller named them, for messages ("index_output_dir='index'").
        folder: the index folder, if the files are a folder's.
    """

    index: str
    mapping: str
    matrix: str | None
    received: str
    folder: str | None = None

    @classmethod
    def in_folder(cls, folder: str) -> IndexFiles:
        """The files of an index folder, as build writes them."""
        return cls(
            index=join(folder, INDEX_FILENAME),
            mapping=join(folder, MAPPING_FILENAME),
            matrix=join(folder, RANDOM_PROJECTION_FILENAME),
            received=f"index_output_dir={folder!r}",
            folder=folder,
        )

    @property
    def module_record(self) -> str:
        """The record of the module that made the embeddings (`module_record`): in the
        folder, or beside the index file."""
        if self.folder is not None:
            return join(self.folder, MODULE_RECORD_JSON)
        beside = self.index.rsplit("/", 1)[0] if "/" in self.index else "."
        if not is_remote(self.index):
            beside = os.path.dirname(self.index) or os.curdir
        return join(beside, MODULE_RECORD_JSON)

    @property
    def where(self) -> str:
        """The folder, or else the index file: what messages name."""
        return self.folder if self.folder is not None else self.index

    def check_exists(self) -> None:
        """Checks that the folder (or, without one, the local index file) exists; remote
        paths are left to the reading.

        Raises:
            tfhub.errors.IndexFilesError: it does not exist.
        """
        if self.folder is not None:
            check_index_folder(self.folder)
        elif not is_remote(self.index) and not os.path.isfile(self.index):
            what = "is not a file" if os.path.exists(self.index) else "does not exist"
            raise errors.IndexFilesError(
                f"The index file {self.index} {what}: build the index first "
                f"(make_nearest_neighbour_index build), or pass its file. Received: "
                f"{self.received}",
                path=self.index,
                problem=what,
            )


def check_index_folder(folder: str) -> None:
    """Checks that a local index folder exists (remote folders are not checked).

    Raises:
        tfhub.errors.IndexFilesError: the folder does not exist, or is a file.
    """
    if is_remote(folder) or os.path.isdir(folder):
        return
    what = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
    moved = atomic_output.moved_aside(folder) if what == "does not exist" else None
    todo = (
        "build the index first (make_nearest_neighbour_index build), or pass its folder"
        if moved is None
        else f"a build killed while it replaced the index left the previous one at {moved}; "
        "build again (which also puts it back first), or rename it back"
    )
    raise errors.IndexFilesError(
        f"The index folder {folder} {what}: {todo}. Received: index_output_dir={folder!r}",
        path=folder,
        problem=what,
    )
