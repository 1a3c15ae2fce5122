"""`build`: from the TFRecords of `generate` to an approximate nearest-neighbour index folder.

Writes `ann.index` (the index), `ann.index.mapping.json` (the items in id order),
`ann.index.json` (library, dimensions, metric, count, parameters) and copies the projection
matrix. With `upstream_format`, the index is annoy's and the mapping and matrix are also written
as upstream's pickles, so tensorflow_hub 0.10's `make_nearest_neighbour_index query` reads it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import errors
from ...utils.lazy import import_tensorflow
from . import ann, files
from .flag_values import required

logger = logging.getLogger(__name__)

_READ_BATCH = 4096


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


def embedding_files(embed_dir: str) -> list[str]:
    """The `*.tfrecords` files of an embedding folder, sorted (hidden names skipped, as a glob
    skips them). The folder is listed, not globbed, so glob characters in its name (`emb[1]`,
    `a*b`) are its own.

    Raises:
        tfhub.errors.EmbeddingFilesError: if there are none.
    """
    found = sorted(
        files.join(embed_dir, name)
        for name in files.list_names(embed_dir)
        if name.endswith(files.EMBED_FILE_SUFFIX) and not name.startswith(".")
    )
    if not found:
        where = f"in {embed_dir}"
        if not files.is_remote(embed_dir) and not os.path.isdir(embed_dir):
            kind = "is a file" if os.path.exists(embed_dir) else "does not exist"
            where = f"in {embed_dir}, which {kind}"
        raise errors.EmbeddingFilesError(
            f"No *{files.EMBED_FILE_SUFFIX} files {where}: run "
            "`make_nearest_neighbour_index generate` first. Received: "
            f"embed_output_dir={embed_dir!r}",
            path=embed_dir,
            problem="no embedding files",
        )
    return found


def _bad_records(
    embed_dir: str, problem: str, *, path: str | None = None, record: int | None = None
) -> errors.EmbeddingFilesError:
    """The error for embeddings that cannot be indexed (`path`: the file, if known, else the
    folder; `record`: the record's number in it, from 1, if known)."""
    return errors.EmbeddingFilesError(
        f"The embeddings in {embed_dir} cannot be indexed: {problem}. Received: "
        f"embed_output_dir={embed_dir!r}",
        path=path or embed_dir,
        problem=problem,
        record=record,
    )


def _parsed_batches(paths: list[str]) -> Any:
    """A `tf.data` pipeline of the records of `paths`, parsed in batches: `item` [b] (bytes)
    and `embedding` (ragged floats [b, None])."""
    tf = import_tensorflow("make_nearest_neighbour_index build")
    features = {
        "item": tf.io.FixedLenFeature([], tf.string),
        "embedding": tf.io.RaggedFeature(tf.float32),
    }
    dataset = tf.data.TFRecordDataset(paths).batch(_READ_BATCH)
    return dataset.map(lambda records: tf.io.parse_example(records, features))


def _op_message(err: Any) -> str:
    """A TensorFlow error's message without the op and function names around it."""
    message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", str(err.message))
    return re.sub(r"\s*\[Op:[^\]]*\].*$", "", message, flags=re.DOTALL).strip()


def _damage(paths: list[str], err: Any) -> str:
    """What is wrong with the embedding files, naming the first file that fails alone (the
    files are read again one by one: only after a failure)."""
    tf = import_tensorflow("make_nearest_neighbour_index build")
    problem = f"{type(err).__name__}: {_op_message(err)}"
    for path in paths:
        try:
            for _ in _parsed_batches([path]):
                pass
        except tf.errors.OpError as file_err:
            problem = f"{os.path.basename(path)} is damaged ({_op_message(file_err)})"
            return f"{problem}; run `make_nearest_neighbour_index generate` again"
    return problem


def _decoded(items: np.ndarray) -> tuple[list[str], int | None]:
    """The items as text, and the place of the first that is not UTF-8 (None if all are)."""
    texts: list[str] = []
    for place, item in enumerate(items):
        try:
            texts.append(item.decode("utf-8"))
        except UnicodeDecodeError:
            return texts, place
    return texts, None


# What to do about a record that cannot be indexed (ends the error's problem).
_NOT_UTF8 = (
    ": items must be UTF-8 text, as `generate` writes them; convert the input (e.g. iconv -f "
    "latin1 -t utf-8) and run `make_nearest_neighbour_index generate` again"
)
_EMPTY = (
    ": every record needs the floats of its `embedding`; run `make_nearest_neighbour_index "
    "generate` again, or remove the record"
)
_SIZES = (
    ": all embeddings must have one size; make the folder's files with one module and "
    "projection (run `make_nearest_neighbour_index generate` again)"
)
_NOT_FINITE = (
    ": an index cannot place NaN or infinite values; remove the record, or fix what made the "
    "embedding and run `make_nearest_neighbour_index generate` again"
)


def _item_problem(items: np.ndarray, not_utf8: int | None) -> tuple[int, str] | None:
    """The place of the first item that is not UTF-8 text (`not_utf8`) and what is wrong."""
    if not_utf8 is None:
        return None
    item = items[not_utf8]
    shown = repr(item[:40]) + ("..." if len(item) > 40 else "")
    return not_utf8, f"has an item that is not UTF-8 text ({shown}){_NOT_UTF8}"


def _size_problem(lengths: np.ndarray, dim: int) -> tuple[int, str] | None:
    """The place of the first embedding that is empty or not of `dim` floats (the first
    record's size), and what is wrong."""
    wrong = np.flatnonzero((lengths != dim) | (lengths == 0))
    if not wrong.size:
        return None
    place, length = int(wrong[0]), int(lengths[wrong[0]])
    if length == 0:
        return place, f"has an empty embedding (no floats){_EMPTY}"
    return place, f"has {length} floats in its embedding where the first record has {dim}{_SIZES}"


def _value_problem(values: np.ndarray, row_splits: np.ndarray) -> tuple[int, str] | None:
    """The place of the first embedding with a NaN or infinite value, and what is wrong.

    Args:
        values: the batch's embeddings, one after the other.
        row_splits: where each record's embedding starts in `values` (and where the last ends).
    """
    bad = np.flatnonzero(~np.isfinite(values))
    if not bad.size:
        return None
    place = int(np.searchsorted(row_splits, bad[0], side="right")) - 1
    return place, f"has {values[bad[0]]} in its embedding{_NOT_FINITE}"


def _locate(paths: list[str], index: int) -> tuple[str, int]:
    """The file and the record number in it (from 1) of record `index` (from 0) of `paths`."""
    tf = import_tensorflow("make_nearest_neighbour_index build")
    for path in paths[:-1]:  # Not in these, it is in the last (it was read).
        count = int(tf.data.TFRecordDataset(path).reduce(np.int64(0), lambda n, _: n + 1))
        if index < count:
            return path, index + 1
        index -= count
    return paths[-1], index + 1


def _record_error(
    embed_dir: str, paths: list[str], index: int, problem: str
) -> errors.EmbeddingFilesError:
    """The error for record `index` (from 0) of the files `paths`, naming its file and number."""
    path, number = _locate(paths, index)
    where = f"record {number} (counting from 1) of {os.path.basename(path)}"
    return _bad_records(embed_dir, f"{where} {problem}", path=path, record=number)


def read_embeddings(embed_dir: str) -> tuple[list[str], np.ndarray]:
    """Reads every (item, embedding) record of an embedding folder, in file order.

    Returns:
        The items and the float32 embeddings [n, dim].

    Raises:
        tfhub.errors.EmbeddingFilesError: no files or no records; damaged records (the file
            named); a record (its file and number named, `.path` and `.record`) whose item is
            not UTF-8 text, whose embedding is empty, of another size than the first record's,
            or holds NaN or infinite values.
    """
    paths = embedding_files(embed_dir)  # First: no TensorFlow needed to find none.
    tf = import_tensorflow("make_nearest_neighbour_index build")
    items: list[str] = []
    rows: list[np.ndarray] = []
    try:
        for batch in _parsed_batches(paths):
            raw, embeddings = batch["item"].numpy(), batch["embedding"]
            values, splits = embeddings.flat_values.numpy(), embeddings.row_splits.numpy()
            lengths = np.diff(splits)
            dim = rows[0].shape[1] if rows else int(lengths[0])
            texts, not_utf8 = _decoded(raw)
            problems = (
                _item_problem(raw, not_utf8),
                _size_problem(lengths, dim),
                _value_problem(values, splits),
            )
            bad = min((found for found in problems if found is not None), default=None)
            if bad is not None:
                raise _record_error(embed_dir, paths, len(items) + bad[0], bad[1])
            rows.append(values.reshape(len(raw), dim))
            items.extend(texts)
    except tf.errors.OpError as err:
        raise _bad_records(embed_dir, _damage(paths, err)) from err
    if not items:
        raise _bad_records(embed_dir, "the files hold no records")
    return items, np.concatenate(rows).astype(np.float32)


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
        raise _bad_records(
            embed_dir,
            f"the projection matrix has shape {matrix.shape} but the embeddings have size {dim}",
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
        tfhub.errors.OutputNotWritableError: the index folder cannot be written.
        tfhub.errors.ToolFlagError: an unknown library, or one upstream_format does not allow.
    """
    if not isinstance(config, BuildConfig):
        config = BuildConfig.from_flags(config)
    library = config.chosen_library()
    files.check_output_folder(config.index_output_dir, flag="index_output_dir")
    items, vectors = read_embeddings(config.embed_output_dir)
    logger.info("Read %d embeddings of size %d.", len(items), vectors.shape[1])
    index = ann.make_index(
        library,
        int(vectors.shape[1]),
        {"num_trees": config.num_trees} if library == "annoy" else {},
    )
    with (
        files.output_folder(config.index_output_dir, flag="index_output_dir") as output_dir,
        _staged(output_dir) as local,
    ):
        started = time.perf_counter()
        index.build(vectors)
        info = _index_info(index, len(items), time.perf_counter() - started)
        index.save(os.path.join(local, files.INDEX_FILENAME))
        files.write_mapping(local, items, upstream_pickle=config.upstream_format)
        files.write_json(os.path.join(local, files.INDEX_INFO_JSON), info)
        _copy_matrix(config, local, int(vectors.shape[1]))
    logger.info(
        "Built the %s index of %d items in %.2f s.", library, len(items), info["build_seconds"]
    )
    return info


@contextlib.contextmanager
def _staged(output_dir: str) -> Iterator[str]:
    """Yields the local folder to write the index files into: `output_dir` itself, or for a
    remote one (gs://...) a staging folder in TMPDIR (the libraries write local files only),
    copied to `output_dir` when the block succeeds and removed however it ends (Ctrl-C,
    SIGTERM or a failure left it, as big as the index)."""
    if not files.is_remote(output_dir):
        yield output_dir
        return
    import tempfile

    local = tempfile.mkdtemp(prefix="tfhub-ann-")
    try:
        yield local
        _upload(local, output_dir)
    finally:
        shutil.rmtree(local, ignore_errors=True)


def _upload(local: str, remote: str) -> None:
    """Copies a staged folder's files to a remote one (gs://...)."""
    gfile = import_tensorflow("Remote index folders").io.gfile
    for name in sorted(os.listdir(local)):
        gfile.copy(os.path.join(local, name), files.join(remote, name), overwrite=True)
