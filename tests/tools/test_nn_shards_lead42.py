"""`build` refuses an embedding folder missing some of Beam's shards (session 42).

`generate` into a gs:// folder moves its shards in one by one once its pipeline succeeded; a
run killed meanwhile leaves some of them (docs/tools.md), and a copy of a folder can be cut
short too. `build` read whatever `*.tfrecords` it found and indexed part of the items without
a word.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import embedding_records

pytestmark = pytest.mark.tf


def _shards(folder: Path, indexes: list[int], count: int, prefix: str = "emb") -> None:
    for index in indexes:
        name = f"{prefix}-{index:05d}-of-{count:05d}.tfrecords"
        nn.write_records(folder / name, [(f"item {index}".encode(), [float(index), 1.0])])


def test_a_folder_missing_a_shard_is_refused_naming_it(tmp_path: Path) -> None:
    _shards(tmp_path, [0, 2], 3)
    with pytest.raises(errors.EmbeddingFilesError) as caught:
        embedding_records.read_embeddings(os.fspath(tmp_path), batch=5)
    message = str(caught.value)
    assert "1 of its 3 shards emb-*-of-00003 are missing" in message, message
    assert "emb-00001-of-00003.tfrecords" in message and "generate` again" in message, message
    assert caught.value.path == os.fspath(tmp_path)


def test_many_missing_shards_are_counted_and_three_named(tmp_path: Path) -> None:
    _shards(tmp_path, [0], 6)
    with pytest.raises(errors.EmbeddingFilesError) as caught:
        embedding_records.embedding_files(os.fspath(tmp_path))
    message = str(caught.value)
    assert "5 of its 6 shards" in message and "and 2 more" in message, message
    assert "emb-00003-of-00006.tfrecords" in message, message
    assert "emb-00004-of-00006.tfrecords" not in message, message


def test_complete_shards_and_files_named_otherwise_are_read(tmp_path: Path) -> None:
    _shards(tmp_path, [0, 1], 2)
    _shards(tmp_path, [0], 1, prefix="extra")  # Another complete set, as a user may add.
    nn.write_records(tmp_path / "mine.tfrecords", [(b"mine", [9.0, 1.0])])
    items, _ = embedding_records.read_embeddings(os.fspath(tmp_path), batch=5)
    assert sorted(items) == ["item 0", "item 0", "item 1", "mine"]
