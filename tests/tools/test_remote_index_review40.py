"""A remote (ram://, gs://) nearest-neighbour index is copied to TMPDIR to be loaded (the ANN
libraries read local files). From session 40's review of that copy's removal: an error about a
damaged remote index named the copy (already deleted) instead of the index the user gave, and a
failed read of the remote file left a copy; every remote read of the tool raised TensorFlow's
error bare (now a DownloadError naming the path, as for a gs:// handle)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import files, index_builder, similarity_finder
from tfhub.tools.make_nearest_neighbour_index.index_builder import BuildConfig

pytestmark = pytest.mark.tf


def _build_remote(tmp_path: Path, remote: str) -> None:
    vectors = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    folder = tmp_path / "emb"
    folder.mkdir()
    nn.write_records(  # As `generate` writes them.
        folder / "emb-00000-of-00001.tfrecords",
        [(f"item {i}".encode(), vector.tolist()) for i, vector in enumerate(vectors)],
    )
    index_builder.run(BuildConfig(os.fspath(folder), remote, library="annoy"))


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR of this test alone: where the copies go."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(folder))
    return folder


def _copies(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith("tfhub-ann-")]


def test_a_damaged_remote_index_is_named_as_given(tmp_path: Path, temporary: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    remote = "ram://tfhub-review40/damaged/index"
    _build_remote(tmp_path, remote)
    index_file = files.IndexFiles.in_folder(remote).index
    data = files.read_bytes(index_file)
    with tf.io.gfile.GFile(index_file, "wb") as out:
        out.write(data[: len(data) // 2 + 1])  # Cut mid-item.
    with pytest.raises(errors.IndexFilesError) as info:
        similarity_finder.LoadedIndex(remote, query_dim=3)
    assert index_file in str(info.value) and info.value.path == index_file
    assert "tfhub-ann-" not in str(info.value)
    assert _copies(temporary) == []


def test_a_failed_read_of_a_remote_index_leaves_no_copy(
    tmp_path: Path, temporary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = pytest.importorskip("tensorflow")
    remote = "ram://tfhub-review40/unreadable/index"
    _build_remote(tmp_path, remote)
    index_file = files.IndexFiles.in_folder(remote).index
    real = tf.io.gfile.GFile

    def failing(path: str, mode: str = "r") -> object:  # The bucket's server failing mid-way.
        if path == index_file:
            raise tf.errors.UnavailableError(None, None, "503 with body 'try later'")
        return real(path, mode)

    monkeypatch.setattr(tf.io.gfile, "GFile", failing)
    with pytest.raises(errors.DownloadError) as info:
        similarity_finder.LoadedIndex(remote, query_dim=3)
    assert f"Cannot read {index_file}: 503 with body 'try later'" in str(info.value)
    assert isinstance(info.value.__cause__, tf.errors.UnavailableError)
    assert _copies(temporary) == []


@pytest.mark.parametrize("refused", ["exists", "GFile"])
def test_any_remote_read_of_the_tool_failing_is_a_download_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused: str
) -> None:
    """The mapping, ann.index.json and existence checks were read through tf.io.gfile with
    TensorFlow's OpError let out bare (a 403 on `exists` raises rather than saying False)."""
    tf = pytest.importorskip("tensorflow")
    remote = "ram://tfhub-review40/refused/index"
    _build_remote(tmp_path, remote)

    def refuse(path: str, *args: object) -> object:
        raise tf.errors.PermissionDeniedError(None, None, "403 with body 'no access'")

    monkeypatch.setattr(tf.io.gfile, refused, refuse)
    with pytest.raises(errors.DownloadError) as info:
        similarity_finder.LoadedIndex(remote, query_dim=3)
    assert "ram://tfhub-review40/refused/index" in str(info.value)
    assert "403 with body 'no access'" in str(info.value)
    assert "Check the path, your network and your access to it" in str(info.value)
