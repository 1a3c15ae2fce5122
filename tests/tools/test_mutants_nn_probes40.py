"""Tests that kill mutants of make_nearest_neighbour_index's modules that the other tests let
live (session 40's hand mutation pass over Beam's logs, options, output and worker, the local
runner, the pipeline's errors, the configs, files, storage, the generator, builder and finder,
the index libraries, the readers, the safe pickles and the text embedding): each test names the
decision it pins down."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub.tools.make_nearest_neighbour_index.index_builder import BuildConfig


def _embeddings(folder: Path, count: int = 6, dim: int = 3) -> np.ndarray:
    """An embedding folder as generate writes it: `count` records of `dim` floats."""
    folder.mkdir()
    vectors = np.random.default_rng(0).normal(size=(count, dim)).astype(np.float32)
    nn.write_records(
        folder / "emb-00000-of-00001.tfrecords",
        [(f"item {i}".encode(), vector.tolist()) for i, vector in enumerate(vectors)],
    )
    return vectors


@pytest.mark.tf
def test_a_query_of_a_remote_index_leaves_no_copy_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The libraries read local files: a remote index is copied to TMPDIR to be loaded, and
    the copy (as big as the index) was left there by every query."""
    from tfhub.tools.make_nearest_neighbour_index import index_builder, similarity_finder

    vectors = _embeddings(tmp_path / "emb")
    remote = "ram://tfhub-probes40/query/index"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(temporary))
    for library in ("annoy", "hnswlib"):
        index_builder.run(BuildConfig(os.fspath(tmp_path / "emb"), remote, library=library))
        loaded = similarity_finder.LoadedIndex(remote, query_dim=3)
        assert loaded.search(vectors[2], 1)[0].item == "item 2"
        assert [name for name in os.listdir(temporary) if name.startswith("tfhub-ann-")] == []
