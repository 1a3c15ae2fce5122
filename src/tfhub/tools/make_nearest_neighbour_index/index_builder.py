"""`build`: from the TFRecords of `generate` to an approximate nearest-neighbour index folder.

Writes `ann.index` (the index), `ann.index.mapping.json` (the items in id order),
`ann.index.json` (library, dimensions, metric, count, parameters) and copies the projection
matrix and the record of the module that made the embeddings (`module_record`). With
`upstream_format`, the index is annoy's and the mapping and matrix are also written as
upstream's pickles, so tensorflow_hub 0.10's `make_nearest_neighbour_index query` reads it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import errors
from . import ann, embedding_records, files, module_record, storage
from .copies import Copies
from .embedding_records import bad_records
from .embedding_records import embedding_files as embedding_files
from .flag_values import MAX_TREES, check_whole_number, required

logger = logging.getLogger(__name__)

_READ_BATCH = 4096  # The records parsed at once (tests make it small).


@dataclasses.dataclass(frozen=True)
class BuildConfig:
    """What `build` does (upstream's flags plus the library choice).

    Attributes:
        embed_output_dir: the folder with the `*.tfrecords` of `generate`.
        index_output_dir: where the index goes (replaced).
        num_trees: annoy's number of trees (upstream's default 100).
        library: "annoy", "hnswlib", "faiss" or "usearch" (None: annoy with upstream_format,
            else ann.DEFAULT_LIBRARY).
        upstream_format: annoy index plus upstream's pickled mapping and matrix.
        allow_pickle: read an upstream-pickled projection matrix to check its size; it is
            then also written as .npy, so query reads the index without allow_pickle.
    """

    embed_output_dir: str
    index_output_dir: str
    num_trees: int = 100
    library: str | None = None
    upstream_format: bool = False
    allow_pickle: bool = False

    def __post_init__(self) -> None:
        """Checks `num_trees` as the command checks --num_trees.

        Raises:
            tfhub.errors.ArgumentTypeError: (a TypeError) it is not an int (a bool, a str).
            tfhub.errors.ArgumentError: (a ValueError) it is below 1 (annoy would build an
                index of no tree, whose queries find nothing) or above MAX_TREES (annoy
                takes a C int: it raised OverflowError once every record was read).
        """
        trees = "annoy's number of trees (default 100; more trees, better recall)"
        check_whole_number("num_trees", self.num_trees, trees, maximum=MAX_TREES)

    @classmethod
    def from_flags(cls, flags: Any) -> BuildConfig:
        """The config of an object with the tool's flags as attributes (absl's `FLAGS`, an
        `argparse.Namespace`), as upstream's `run(args)` read them: `--index_library` gives
        `library`; the optional flags it lacks or leaves None take their defaults.

        Raises:
            tfhub.errors.ToolFlagError: embed_output_dir or index_output_dir is absent or empty.
        """
        num_trees = getattr(flags, "num_trees", None)
        return cls(
            embed_output_dir=required(flags, "embed_output_dir", operation="build"),
            index_output_dir=required(flags, "index_output_dir", operation="build"),
            num_trees=cls.num_trees if num_trees is None else num_trees,
            library=getattr(flags, "index_library", None),
            upstream_format=bool(getattr(flags, "upstream_format", False)),
            allow_pickle=bool(getattr(flags, "allow_pickle", False)),
        )

    def chosen_library(self) -> str:
        """The library to build with (checks it fits upstream_format).

        Raises:
            tfhub.errors.ToolFlagError: a library other than annoy with upstream_format.
        """
        if self.upstream_format and self.library not in (None, "annoy"):
            raise errors.ToolFlagError(
                "--upstream_format writes annoy indexes (upstream reads nothing else). Drop "
                f"--index_library or set it to annoy. Received: index_library={self.library!r}",
                flag="index_library",
                value=self.library,
            )
        return self.library or ("annoy" if self.upstream_format else ann.DEFAULT_LIBRARY)


def read_embeddings(embed_dir: str) -> tuple[list[str], np.ndarray]:
    """Reads every (item, embedding) record of an embedding folder, in file order
    (`embedding_records.read_embeddings`, `_READ_BATCH` records at a time).

    Returns:
        The items and the float32 embeddings [n, dim].

    Raises:
        tfhub.errors.EmbeddingFilesError: see `embedding_records.read_embeddings`.
    """
    return embedding_records.read_embeddings(embed_dir, batch=_READ_BATCH)


def _copy_matrix(config: BuildConfig, output_dir: str, dim: int) -> None:
    """Copies the projection matrix files (and checks the matrix's size where it may be read).

    A matrix that was read is also written as .npy if only upstream's pickle held it (read
    with allow_pickle), so that `query` reads the index without --allow_pickle; with
    upstream_format, one that only exists as .npy is also written as upstream's pickle.
    """
    embed_dir = config.embed_output_dir
    matrix = None
    if files.exists(files.join(embed_dir, files.RANDOM_PROJECTION_NPY)) or config.allow_pickle:
        matrix = files.read_matrix(embed_dir, allow_pickle=config.allow_pickle)
    if matrix is not None and matrix.shape[1] != dim:
        raise bad_records(
            embed_dir,
            f"the projection matrix has shape {matrix.shape} but the embeddings have size {dim} "
            "(files of different runs of generate?); run `make_nearest_neighbour_index "
            "generate` again, which writes both",
        )
    for name in (files.RANDOM_PROJECTION_NPY, files.RANDOM_PROJECTION_FILENAME):
        source = files.join(embed_dir, name)
        if files.exists(source):
            with open(os.path.join(output_dir, name), "wb") as handle:
                handle.write(files.read_bytes(source))
    if matrix is None:
        if files.exists(files.join(embed_dir, files.RANDOM_PROJECTION_FILENAME)):
            logger.warning(
                "Copied upstream's pickled projection matrix of %s without reading it: "
                "querying the index needs --allow_pickle. If you trust the file, build with "
                "--allow_pickle, which also writes it as a safe .npy file.",
                embed_dir,
            )
        return
    no_npy = not os.path.exists(os.path.join(output_dir, files.RANDOM_PROJECTION_NPY))
    no_pickle = not os.path.exists(os.path.join(output_dir, files.RANDOM_PROJECTION_FILENAME))
    if no_npy or (config.upstream_format and no_pickle):
        files.write_matrix(output_dir, matrix, upstream_pickle=config.upstream_format and no_pickle)


def _module_record(embed_dir: str, dim: int) -> module_record.ModuleRecord | None:
    """The record of the module that made the embeddings of `embed_dir`, checked to fit them
    (size `dim`); None if the folder has none (upstream's, an earlier tfhub's).

    Raises:
        tfhub.errors.EmbeddingFilesError: the record is damaged, or names another size.
    """
    path = files.join(embed_dir, files.MODULE_RECORD_JSON)
    record = module_record.read(
        path,
        damaged=lambda path, problem: bad_records(
            embed_dir, f"{path} is damaged ({problem}); run generate again", path=path
        ),
    )
    if record is not None and record.vector_dim != dim:
        raise bad_records(
            embed_dir,
            f"{path} records embeddings of size {record.vector_dim} but the records have size "
            f"{dim} (files of different runs of generate?); run generate again",
            path=path,
        )
    return record


def _index_info(index: ann.AnnIndex, count: int, seconds: float) -> dict[str, Any]:
    return {
        "library": index.name,
        "dimensions": index.dim,
        "metric": "angular",
        "items": count,
        "params": index.params,
        "build_seconds": round(seconds, 3),
    }


def run(config: BuildConfig | Any) -> dict[str, Any]:
    """Builds the index folder; it appears only when everything was written.

    Args:
        config: what to build; or, as upstream's `run(args)` took, an object with the flags
            as attributes (absl's `FLAGS`).

    Returns:
        What ann.index.json says about the index (library, dimensions, items, ...).

    Raises:
        tfhub.errors.EmbeddingFilesError: the embeddings cannot be read.
        tfhub.errors.OutputNotWritableError: the index folder cannot be written, or holds
            other files; OutputTimeoutError (also a TimeoutError) if removing or making a
            remote one gives no answer in time.
        tfhub.errors.DownloadError: a remote folder's listing or file that cannot be read;
            RetryTimeoutError (also a TimeoutError) if a read gives no answer in time.
        tfhub.errors.ToolFlagError: an unknown library, or one upstream_format does not allow.
    """
    if not isinstance(config, BuildConfig):
        config = BuildConfig.from_flags(config)
    library = config.chosen_library()
    files.check_output_folder(config.index_output_dir, flag="index_output_dir")
    items, vectors = read_embeddings(config.embed_output_dir)
    plural = "" if len(items) == 1 else "s"
    logger.info("Read %d embedding%s of size %d.", len(items), plural, vectors.shape[1])
    _warn_of_zero_vectors(items, vectors)
    record = _module_record(config.embed_output_dir, int(vectors.shape[1]))
    index = ann.make_index(
        library,
        int(vectors.shape[1]),
        {"num_trees": config.num_trees} if library == "annoy" else {},
    )
    copies, distinct = _distinct(vectors, upstream_format=config.upstream_format)
    with _index_folder(config.index_output_dir) as local:
        started = time.perf_counter()
        index.build(distinct)
        info = _index_info(index, len(items), time.perf_counter() - started)
        info.update(copies.to_info())
        index.save(os.path.join(local, files.INDEX_FILENAME))
        files.write_mapping(local, items, upstream_pickle=config.upstream_format)
        files.write_json(os.path.join(local, files.INDEX_INFO_JSON), info)
        _copy_matrix(config, local, int(vectors.shape[1]))
        if record is not None:
            module_record.write(local, record, flag="index_output_dir")
    seconds = info["build_seconds"]
    logger.info("Built the %s index of %d item%s in %.2f s.", library, len(items), plural, seconds)
    return info


# Items of all-zero embeddings named in build's warning at most, and the characters shown of
# each (as record_checks shows an item).
_ZERO_ITEMS_SHOWN = 3
_ZERO_ITEM_CHARS = 40


def _warn_of_zero_vectors(items: list[str], vectors: np.ndarray) -> None:
    """Warns of the items whose embedding is all zeros (lines without a word the module
    embeds, e.g. only punctuation), naming the first `_ZERO_ITEMS_SHOWN` (repr: escaped; cut to
    `_ZERO_ITEM_CHARS` characters and "..."): each is as far from every query as from any other
    item, so no query finds it for its meaning.
    They are indexed all the same, as upstream's build indexed them."""
    zero = np.flatnonzero(~np.any(vectors, axis=1))
    if zero.size == 0:
        return
    shown = ", ".join(_cut(items[int(i)]) for i in zero[:_ZERO_ITEMS_SHOWN])
    if zero.size > _ZERO_ITEMS_SHOWN:
        shown += f" (and {zero.size - _ZERO_ITEMS_SHOWN} more)"
    logger.warning(
        "%d of the %d items %s an embedding of all zeros (no words the module embeds, e.g. "
        "only punctuation): as far from every query as from any other item, no query finds "
        "%s for %s meaning. Leave such lines out of the input. Received: %s",
        zero.size,
        len(items),
        "has" if zero.size == 1 else "have",
        "it" if zero.size == 1 else "them",
        "its" if zero.size == 1 else "their",
        shown,
    )


def _cut(item: str) -> str:
    """`item` as build's warning names it: its first `_ZERO_ITEM_CHARS` characters, escaped
    (repr), and "..." if there are more."""
    more = "..." if len(item) > _ZERO_ITEM_CHARS else ""
    return repr(item[:_ZERO_ITEM_CHARS]) + more


def _distinct(vectors: np.ndarray, *, upstream_format: bool) -> tuple[Copies, np.ndarray]:
    """The copies among `vectors` and the vectors to index: each distinct one once
    (`copies`), but every vector for upstream_format (upstream's query reads the index's ids
    as the items' ids)."""
    if upstream_format:
        return Copies.none(len(vectors)), vectors
    copies, distinct = Copies.of(vectors)
    if copies.vectors < copies.items:
        logger.info(
            "%d of the %d items are copies of another's vector: %d distinct vectors indexed.",
            copies.items - copies.vectors,
            copies.items,
            copies.vectors,
        )
    return copies, distinct


@contextlib.contextmanager
def _index_folder(output_dir: str) -> Iterator[str]:
    """Yields the local folder to write the index files into. For a local `output_dir`, the
    temporary folder `files.output_folder` renames into place when the block succeeds. For a
    remote one (gs://...), a staging folder in TMPDIR (the libraries write local files only):
    when the block succeeds, the remote folder is emptied (`storage.empty_folder`) and the
    files uploaded, so a failure while building leaves the old remote index as it was; the
    staging folder is removed however the block ends (Ctrl-C, SIGTERM or a failure left it,
    as big as the index).

    Raises:
        tfhub.errors.OutputNotWritableError: the folder cannot be written (`files.output_folder`;
            for a remote one, `storage`'s errors), or a file of a remote one's index that its
            staging folder in TMPDIR does not take (a full disk, the file-size limit), naming
            TMPDIR (`_staging_not_written`).
    """
    if not files.is_remote(output_dir):
        with files.output_folder(output_dir, flag="index_output_dir") as folder:
            yield folder
        return
    import tempfile

    local = tempfile.mkdtemp(prefix="tfhub-ann-")
    try:
        try:
            yield local
        except OSError as err:
            refused = _staging_not_written(err, local, output_dir)
            if refused is None:
                raise
            raise refused from err
        what = files.OUTPUT_FOLDERS["index_output_dir"]
        storage.empty_folder(output_dir, what=what, flag="index_output_dir")
        _upload(local, output_dir)
    finally:
        shutil.rmtree(local, ignore_errors=True)


def _staging_not_written(err: OSError, local: str, remote: str) -> Exception | None:
    """The error for a file of the index of `remote` that its staging folder `local` in TMPDIR
    does not take (a full disk or quota, the file-size limit), naming TMPDIR and what to do;
    None if `err` is not a refused write there (raise it as it is)."""
    import tempfile

    from ...utils.printable import escaped
    from ...utils.refused_writes import failed_write
    from ..output_errors import disk_full_error, not_written

    failed = disk_full_error(err) or failed_write(err, local)
    if failed is None:
        return None
    what = f"index of {escaped(remote)} in the temporary folder"
    return not_written(failed, tempfile.gettempdir(), what=what, flag="TMPDIR")


def _upload(local: str, remote: str) -> None:
    """Copies a staged folder's files to a remote one (gs://...), each in one call of
    TensorFlow's, with no time bound of tfhub's (`storage.upload`).

    Raises:
        tfhub.errors.OutputNotWritableError: a file TensorFlow's file system fails or refuses
            to write, named with --index_output_dir.
    """
    what = files.OUTPUT_FOLDERS["index_output_dir"]
    for name in sorted(os.listdir(local)):
        storage.upload(os.path.join(local, name), remote, name, what=what, flag="index_output_dir")
