"""Tests that kill mutants of the tools' modules the other tests let live (session 39's hand
mutation pass over image_store, image_folders, make_image_classifier and the nearest-neighbour
index's build and query): each test names the decision it pins down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub.tools import image_folders, image_store


def _image_folder(root: Path, per_class: int = 3) -> image_folders.ImageFiles:
    image_sets.make_image_folder(
        root, classes=("circle", "square"), per_class=per_class, formats=("png",)
    )
    return image_folders.list_image_files(os.fspath(root))


# --- image_store ----------------------------------------------------------------------------------


@pytest.mark.tf
def test_the_first_pass_yields_only_full_batches_and_the_short_last_one(tmp_path: Path) -> None:
    """The decoding pass ends with an empty marker batch (it marks the images tried): it is
    dropped, so the first pass yields the same batches as a later one (image_store's filter of
    `tf.size(batch) > 0`)."""
    store = image_store.ImageStore(_image_folder(tmp_path / "imgs"), (8, 8))
    for _ in range(2):  # Decoded, then kept.
        sizes = [int(index.shape[0]) for index, _ in store.batches(np.arange(6), 4)]
        assert sizes == [4, 2]


@pytest.mark.tf
def test_a_pass_over_more_images_than_an_ended_one_decodes_them_all(tmp_path: Path) -> None:
    """A pass is read from the kept copy only when every image it asks for was tried by an
    ended pass (`tf.reduce_all`): after a pass over 3 of 6 images, a pass over all 6 decodes
    them, instead of yielding the 3 kept ones only."""
    store = image_store.ImageStore(_image_folder(tmp_path / "imgs"), (8, 8))
    part = [int(i) for index, _ in store.batches(np.arange(3), 4) for i in index]
    assert part == [0, 1, 2]
    every = [int(i) for index, _ in store.batches(np.arange(6), 4) for i in index]
    assert sorted(every) == list(range(6))
    assert sorted(int(i) for i in store.kept(np.arange(6))[0]) == list(range(6))


# --- make_nearest_neighbour_index: the ANN back-ends --------------------------------------------


def _vectors(count: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(count, dim)).astype(np.float32)


@pytest.mark.parametrize("library", ["annoy", "hnswlib", "faiss", "usearch"])
def test_a_query_for_more_matches_than_items_gives_each_item_once(library: str) -> None:
    """k above the item count: faiss pads its answer with id -1 (dropped: `ids >= 0`); every
    library gives each of the items once, nearest first."""
    pytest.importorskip("usearch.index" if library == "usearch" else library)
    from tfhub.tools.make_nearest_neighbour_index import ann

    vectors = _vectors(5)
    index = ann.make_index(library, 8)
    index.build(vectors)
    ids, distances = index.query(vectors[2], 9)
    assert sorted(ids.tolist()) == [0, 1, 2, 3, 4]
    assert ids[0] == 2 and distances[0] == pytest.approx(0.0, abs=1e-3)
    assert list(distances) == sorted(distances)


def test_an_unknown_index_library_is_the_flags_error() -> None:
    """`make_index` and `require_installed` refuse a library they do not know by the flag
    (a ToolFlagError, a ValueError), not with a KeyError."""
    from tfhub import errors
    from tfhub.tools.make_nearest_neighbour_index import ann

    for call in (lambda: ann.make_index("scann", 8), lambda: ann.require_installed("scann")):
        with pytest.raises(errors.ToolFlagError, match="index_library='scann'") as caught:
            call()
        assert caught.value.flag == "index_library" and caught.value.value == "scann"


# --- make_nearest_neighbour_index: build and query --------------------------------------------

_EMBEDS = Path(__file__).resolve().parents[1] / "data" / "nearest_neighbour" / "embeds"


def _embeds(tmp_path: Path, *, matrix: bool = False) -> str:
    """A copy of upstream's embedding folder (its records; its pickled matrix if asked)."""
    folder = tmp_path / "embeds"
    folder.mkdir()
    for each in _EMBEDS.iterdir():
        if each.suffix == ".tfrecords" or matrix:
            (folder / each.name).write_bytes(each.read_bytes())
    return os.fspath(folder)


def _build(tmp_path: Path, **config: object) -> tuple[str, dict[str, Any]]:
    from tfhub.tools.make_nearest_neighbour_index import index_builder

    index_dir = os.fspath(tmp_path / "index")
    embeds = _embeds(tmp_path, matrix=bool(config.pop("matrix", False)))
    built = index_builder.BuildConfig(embeds, index_dir, **config)
    return index_dir, index_builder.run(built)


@pytest.mark.tf
def test_an_index_and_a_mapping_of_different_counts_are_refused(tmp_path: Path) -> None:
    """`LoadedIndex` compares the index's count with the mapping's (`count != len(items)`):
    a mapping of one item fewer is refused, not read with the last item's id unmapped."""
    import json

    from tfhub import errors
    from tfhub.tools.make_nearest_neighbour_index import similarity_finder

    index_dir, info = _build(tmp_path, library="hnswlib")
    mapping = Path(index_dir) / "ann.index.mapping.json"
    items = json.loads(mapping.read_text(encoding="utf-8"))
    mapping.write_text(json.dumps(items[:-1]), encoding="utf-8")
    with pytest.raises(errors.IndexFilesError, match="do not belong together") as caught:
        similarity_finder.LoadedIndex(index_dir, query_dim=int(info["dimensions"]))
    assert caught.value.problem == "count mismatch"


@pytest.mark.tf
def test_a_projection_matrix_the_module_does_not_fit_is_refused_on_load(
    tmp_path: Path, text_module: str
) -> None:
    """The module's embeddings (8 dimensions) must fit the matrix's rows (`matrix.shape[0]`):
    a matrix of 7 rows is an IndexDimensionError when the finder loads, not a NumPy error at
    the first query."""
    from tfhub import errors
    from tfhub.tools.make_nearest_neighbour_index import similarity_finder

    index_dir, info = _build(tmp_path, library="annoy")
    matrix = np.ones((7, int(info["dimensions"])), np.float32)
    np.save(Path(index_dir) / "random_projection.matrix.npy", matrix)
    with pytest.raises(errors.IndexDimensionError, match="projection matrix takes 7"):
        similarity_finder.SimilarityFinder(text_module, index_dir)
