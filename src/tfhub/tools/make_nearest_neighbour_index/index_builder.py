"""`build`: from the TFRecords of `generate` to an approximate nearest-neighbour index folder.

Writes `ann.index` (the index), `ann.index.mapping.json` (the items in id order),
`ann.index.json` (library, dimensions, metric, count, parameters) and copies the projection
matrix. With `upstream_format`, the index is annoy's and the mapping and matrix are also written
as upstream's pickles, so tensorflow_hub 0.10's `make_nearest_neighbour_index query` reads it.
"""

from __future__ import annotations

import dataclasses
import glob
import logging
import os
import re
import shutil
import time
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
        allow_pickle: read an upstream-pickled projection matrix to check its size.
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
    """The `*.tfrecords` files of an embedding folder, sorted.

    Raises:
        tfhub.errors.EmbeddingFilesError: if there are none.
    """
    pattern = files.join(embed_dir, "*" + files.EMBED_FILE_SUFFIX)
    found = sorted(
        import_tensorflow("build").io.gfile.glob(pattern)
        if files.is_remote(pattern)
        else glob.glob(pattern)
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


def _bad_records(embed_dir: str, problem: str) -> errors.EmbeddingFilesError:
    return errors.EmbeddingFilesError(
        f"The embeddings in {embed_dir} cannot be indexed: {problem}. Received: "
        f"embed_output_dir={embed_dir!r}",
        path=embed_dir,
        problem=problem,
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


def read_embeddings(embed_dir: str) -> tuple[list[str], np.ndarray]:
    """Reads every (item, embedding) record of an embedding folder, in file order.

    Returns:
        The items and the float32 embeddings [n, dim].

    Raises:
        tfhub.errors.EmbeddingFilesError: no files, damaged records, or mixed embedding sizes.
    """
    paths = embedding_files(embed_dir)  # First: no TensorFlow needed to find none.
    tf = import_tensorflow("make_nearest_neighbour_index build")
    items: list[str] = []
    rows: list[np.ndarray] = []
    try:
        for batch in _parsed_batches(paths):
            lengths = set(batch["embedding"].row_lengths().numpy().tolist())
            if len(lengths) != 1 or (rows and lengths != {rows[0].shape[1]}):
                sizes = sorted(lengths | ({rows[0].shape[1]} if rows else set()))
                raise _bad_records(embed_dir, f"the embeddings have different sizes {sizes}")
            rows.append(batch["embedding"].to_tensor().numpy())
            items.extend(item.decode("utf-8") for item in batch["item"].numpy())
    except tf.errors.OpError as err:
        raise _bad_records(embed_dir, _damage(paths, err)) from err
    if not items:
        raise _bad_records(embed_dir, "the files hold no records")
    return items, np.concatenate(rows).astype(np.float32)


def _copy_matrix(config: BuildConfig, output_dir: str, dim: int) -> None:
    """Copies the projection matrix files (and checks the matrix's size where it may be read).

    With upstream_format, a matrix that only exists as .npy is also written as upstream's pickle.
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
    pickled = os.path.join(output_dir, files.RANDOM_PROJECTION_FILENAME)
    if config.upstream_format and matrix is not None and not os.path.exists(pickled):
        files.write_matrix(output_dir, matrix, upstream_pickle=True)


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
    with files.output_folder(config.index_output_dir, flag="index_output_dir") as output_dir:
        local = output_dir if not files.is_remote(output_dir) else _local_staging()
        started = time.perf_counter()
        index.build(vectors)
        info = _index_info(index, len(items), time.perf_counter() - started)
        index.save(os.path.join(local, files.INDEX_FILENAME))
        files.write_mapping(local, items, upstream_pickle=config.upstream_format)
        files.write_json(os.path.join(local, files.INDEX_INFO_JSON), info)
        _copy_matrix(config, local, int(vectors.shape[1]))
        if local != output_dir:
            _upload(local, output_dir)
    logger.info(
        "Built a %s index of %d items in %.2f s.", library, len(items), info["build_seconds"]
    )
    return info


def _local_staging() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="tfhub-ann-")


def _upload(local: str, remote: str) -> None:
    """Copies a staged folder to a remote one (gs://...), then removes the staging."""
    gfile = import_tensorflow("Remote index folders").io.gfile
    try:
        for name in sorted(os.listdir(local)):
            gfile.copy(os.path.join(local, name), files.join(remote, name), overwrite=True)
    finally:
        shutil.rmtree(local, ignore_errors=True)
