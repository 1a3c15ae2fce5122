"""Reading the embedding records `generate` wrote (the `*.tfrecords` of an embedding folder)
for `build`: every (item, embedding) pair, in file order, checked (`record_checks`), with an
error naming the file and the record that cannot be indexed."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from ... import errors
from ...utils.lazy import import_tensorflow
from ...utils.printable import op_message
from . import files, storage
from .record_checks import decoded, item_problem, size_problem, value_problem

# A shard as Beam names it: emb-00001-of-00003.tfrecords.
_SHARD = re.compile(
    r"(?P<prefix>.*)-(?P<index>\d{5,})-of-(?P<count>\d{5,})" + re.escape(files.EMBED_FILE_SUFFIX)
)


def embedding_files(embed_dir: str) -> list[str]:
    """The `*.tfrecords` files of an embedding folder, sorted (hidden names skipped, as a glob
    skips them). The folder is listed, not globbed, so glob characters in its name (`emb[1]`,
    `a*b`) are its own.

    Raises:
        tfhub.errors.EmbeddingFilesError: if there are none, or if shards named as Beam names
            them (`emb-00001-of-00003.tfrecords`) are missing some of theirs (a copy cut
            short, or a `generate` into a gs:// folder killed while moving its files in).
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
    _check_shards(embed_dir, [name.rsplit("/", 1)[-1] for name in found])
    return found


def _check_shards(embed_dir: str, names: list[str]) -> None:
    """Raises EmbeddingFilesError if a set of shards (same prefix and count) lacks one."""
    sets: dict[tuple[str, int], set[int]] = {}
    for name in names:
        shard = _SHARD.fullmatch(name)
        if shard is not None:
            key = (shard["prefix"], int(shard["count"]))
            sets.setdefault(key, set()).add(int(shard["index"]))
    for (prefix, count), indexes in sorted(sets.items()):
        missing = [index for index in range(count) if index not in indexes]
        if missing:
            shown = ", ".join(
                f"{prefix}-{index:05d}-of-{count:05d}{files.EMBED_FILE_SUFFIX}"
                for index in missing[:3]
            )
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise bad_records(
                embed_dir,
                f"{len(missing)} of its {count} shards {prefix}-*-of-{count:05d} are missing "
                f"({shown}{more}): the folder is incomplete (a copy cut short, or a generate "
                "killed while putting its files in place); run `make_nearest_neighbour_index "
                "generate` again",
            )


def bad_records(
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


def _parsed_batches(paths: list[str], batch: int) -> Any:
    """A `tf.data` pipeline of the records of `paths`, parsed in batches of `batch` records:
    `item` [b] (bytes) and `embedding` (ragged floats [b, None])."""
    tf = import_tensorflow("make_nearest_neighbour_index build")
    features = {
        "item": tf.io.FixedLenFeature([], tf.string),
        "embedding": tf.io.RaggedFeature(tf.float32),
    }
    dataset = tf.data.TFRecordDataset(paths).batch(batch)
    return dataset.map(lambda records: tf.io.parse_example(records, features))


def _damage(paths: list[str], err: Any, batch: int) -> str:
    """What is wrong with the embedding files, naming the first file that fails alone (the
    files are read again one by one: only after a failure)."""
    tf = import_tensorflow("make_nearest_neighbour_index build")
    problem = f"{type(err).__name__}: {op_message(err)}"
    for path in paths:
        try:
            for _ in _parsed_batches([path], batch):
                pass
        except tf.errors.OpError as file_err:
            problem = f"{os.path.basename(path)} is damaged ({op_message(file_err)})"
            return f"{problem}; run `make_nearest_neighbour_index generate` again"
    return problem


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
    embed_dir: str, paths: list[str], index: int, problem: str, named: dict[str, str]
) -> errors.EmbeddingFilesError:
    """The error for record `index` (from 0) of the files `paths`, naming its file (by its
    name in `named`, for a local copy of a remote file) and number."""
    path, number = _locate(paths, index)
    path = named.get(path, path)
    where = f"record {number} (counting from 1) of {os.path.basename(path)}"
    return bad_records(embed_dir, f"{where} {problem}", path=path, record=number)


def read_embeddings(embed_dir: str, *, batch: int) -> tuple[list[str], np.ndarray]:
    """Reads every (item, embedding) record of an embedding folder, in file order, `batch`
    records at a time.

    Returns:
        The items and the float32 embeddings [n, dim].

    Raises:
        tfhub.errors.EmbeddingFilesError: no files or no records; damaged records (the file
            named); a record (its file and number named, `.path` and `.record`) whose item is
            not UTF-8 text, whose embedding is empty, of another size than the first record's,
            or holds NaN or infinite values.
        tfhub.errors.DownloadError: a remote (gs://) record file that TensorFlow's file system
            fails or refuses to read, or (RetryTimeoutError) a step of its read (copied in
            steps, `storage.local_copies`) without an answer in time.
    """
    found = embedding_files(embed_dir)  # First: no TensorFlow needed to find none.
    with storage.local_copies(found) as paths:  # tf.data reads gs:// with no time bound.
        return _read_records(embed_dir, paths, batch, dict(zip(paths, found, strict=True)))


def _read_records(
    embed_dir: str, paths: list[str], batch: int, named: dict[str, str]
) -> tuple[list[str], np.ndarray]:
    """`read_embeddings` of the local files `paths` (`named`: the names of copies)."""
    tf = import_tensorflow("make_nearest_neighbour_index build")
    items: list[str] = []
    rows: list[np.ndarray] = []
    try:
        for records in _parsed_batches(paths, batch):
            raw, embeddings = records["item"].numpy(), records["embedding"]
            values, splits = embeddings.flat_values.numpy(), embeddings.row_splits.numpy()
            lengths = np.diff(splits)
            dim = rows[0].shape[1] if rows else int(lengths[0])
            texts, not_utf8 = decoded(raw)
            problems = (
                item_problem(raw, not_utf8),
                size_problem(lengths, dim),
                value_problem(values, splits),
            )
            bad = min((found for found in problems if found is not None), default=None)
            if bad is not None:
                raise _record_error(embed_dir, paths, len(items) + bad[0], bad[1], named)
            rows.append(values.reshape(len(raw), dim))
            items.extend(texts)
    except tf.errors.OpError as err:
        raise bad_records(embed_dir, _damage(paths, err, batch)) from err
    if not items:
        raise bad_records(embed_dir, "the files hold no records")
    return items, np.concatenate(rows).astype(np.float32)
