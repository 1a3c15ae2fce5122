"""Session 50's fixes of review50c's findings on make_nearest_neighbour_index and module_search:
an output folder that is the working directory (or holds it) is refused, not swapped away from
under the caller (F3); an index over many copies of one vector still finds the other items
(F4); a negative or non-integer seed is refused before the module loads, naming it (F1); an
exact match is at distance 0.0000 whatever the library (F5)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests.tools._nn_support import write_records

from tfhub import errors
from tfhub.tools import atomic_output
from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable
from tfhub.tools.make_image_classifier.outputs import Outputs
from tfhub.tools.make_nearest_neighbour_index import (
    ann,
    embedding_generator,
    files,
    index_builder,
)
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main
from tfhub.tools.make_nearest_neighbour_index.copies import Copies
from tfhub.tools.make_nearest_neighbour_index.similarity_finder import LoadedIndex

# --- F3: the working directory as an output folder ----------------------------------------------


@pytest.mark.parametrize("given", [".", "{cwd}", "..", "{parent}"])
def test_an_output_folder_that_is_or_holds_the_working_directory_is_refused(
    given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_folder renamed the caller's working directory aside, put a new folder at its path
    and deleted the old one: the shell stood in a deleted folder. Now refused, before anything
    is written, naming the flag and what to do; the working directory stays."""
    cwd = tmp_path / "outer" / "emb"
    cwd.mkdir(parents=True)
    (cwd / "keep.txt").write_text("x")
    monkeypatch.chdir(cwd)
    path = given.format(cwd=cwd, parent=cwd.parent)
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with atomic_output.write_folder(path, what="embedding folder", flag="embed_output_dir"):
            pytest.fail("the block ran")
    message = str(caught.value)
    assert "working directory" in message and "embed_output_dir=" in message, message
    assert "cd " in message, message
    assert os.path.samefile(os.getcwd(), cwd) and (cwd / "keep.txt").read_text() == "x"
    assert sorted(os.listdir(cwd.parent)) == ["emb"]  # No temporary or old copy left.


@pytest.mark.parametrize("flag", ["embed_output_dir", "index_output_dir"])
def test_the_tools_check_refuses_the_working_directory_before_any_work(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_output_folder accepted `.` (empty, or holding only the tool's files)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError) as caught:
        files.check_output_folder(".", flag=flag)
    assert f"{flag}='.'" in str(caught.value)
    assert "cd .. and --" in str(caught.value)


def test_make_image_classifier_refuses_the_working_directory_as_saved_model_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--saved_model_dir is replaced whole, as the tool's folders are: `.` is refused before
    training; --summaries_dir, written into in place, may be `.`."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError, match="working directory"):
        check_outputs_writable(Outputs(saved_model_dir="."))
    check_outputs_writable(Outputs(summaries_dir="."))


def test_a_folder_beside_the_working_directory_is_still_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the working directory and its parents are refused: a sibling (whose name starts
    the same) and a sub-folder are written as before."""
    (tmp_path / "emb").mkdir()
    monkeypatch.chdir(tmp_path / "emb")
    for path in ("../emb2", "sub"):
        with atomic_output.write_folder(path, what="index folder", flag="index_output_dir") as tmp:
            Path(tmp, "ann.index").write_text("new")
        assert Path(path, "ann.index").read_text() == "new"


# --- F4: many copies of one vector ---------------------------------------------------------------


def _copies_then_others(copies: int, others: int) -> np.ndarray:
    """`copies` rows of one 16-d vector, then `others` random rows."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(copies + others, 16)).astype(np.float32)
    vectors[:copies] = vectors[0]
    return vectors


def _build(tmp_path: Path, vectors: np.ndarray, **config: object) -> Path:
    """An index folder built by `build` from records of `vectors` (items "item<i>")."""
    embeds, index = tmp_path / "emb", tmp_path / "idx"
    embeds.mkdir()
    records = [(f"item{i}".encode(), vector.tolist()) for i, vector in enumerate(vectors)]
    write_records(embeds / "emb-00000-of-00001.tfrecords", records)
    index_builder.run(index_builder.BuildConfig(str(embeds), str(index), **config))  # type: ignore[arg-type]
    return index


def test_an_item_among_many_copies_of_another_is_found(tmp_path: Path) -> None:
    """With 4,500 copies of one vector and 500 other items, the default hnswlib index answered
    a query for one of the others with three far copies (its graph was the copies'); each
    distinct vector is now indexed once and expanded into its items at query time."""
    vectors = _copies_then_others(4500, 500)
    index = _build(tmp_path, vectors)
    loaded = LoadedIndex(str(index), query_dim=16)
    for i in (4500, 4777, 4999):
        matches = loaded.search(vectors[i], 3)
        assert matches[0].item == f"item{i}" and matches[0].distance < 0.01, matches
        assert all(match.item != "item0" for match in matches), matches
    assert loaded.index.count() == 501 and loaded.copies.vectors == 501
    near_copies = loaded.search(vectors[0], 5)
    assert [match.item for match in near_copies] == [f"item{i}" for i in range(5)]
    assert len({m.distance for m in near_copies}) == 1
    everything = loaded.search(vectors[4999], 6000)
    assert sorted(match.item for match in everything) == sorted(f"item{i}" for i in range(5000))


def test_an_upstream_format_index_keeps_every_vector(tmp_path: Path) -> None:
    """Upstream's query reads annoy's ids as the items' ids: no copy is folded there."""
    pytest.importorskip("annoy")
    index = _build(tmp_path, _copies_then_others(30, 10), upstream_format=True)
    loaded = LoadedIndex(str(index), query_dim=16, allow_pickle=True)
    assert loaded.index.count() == 40 and loaded.copies.vectors == 40


def test_copies_round_trip_through_the_index_description() -> None:
    """The pairs written to ann.index.json give back which vector holds each item."""
    vectors = np.array([[1, 0], [0, 1], [1, 0], [2, 2], [0, 1], [1, 0]], np.float32)
    copies, distinct = Copies.of(vectors)
    np.testing.assert_array_equal(distinct, [[1, 0], [0, 1], [2, 2]])
    np.testing.assert_array_equal(copies.vector_of, [0, 1, 0, 2, 1, 0])
    info = copies.to_info()
    assert info == {"vectors": 3, "copies": [[2, 0], [4, 1], [5, 0]]}
    again = Copies.from_info(info, 6, path="ann.index.json")
    np.testing.assert_array_equal(again.vector_of, copies.vector_of)
    ids, distances = again.expand(np.array([1, 0]), np.array([0.0, 0.5], np.float32), 4)
    assert ids.tolist() == [1, 4, 0, 2] and distances.tolist() == [0.0, 0.0, 0.5, 0.5]
    assert Copies.of(vectors[:2])[0].to_info() == {}


@pytest.mark.parametrize("pairs", [[[2, 2]], [[1, 5]], [[3, 1], [1, 0]], [["a", 0]], [[1]], 7])
def test_a_damaged_copies_record_is_an_index_files_error(pairs: object) -> None:
    with pytest.raises(errors.IndexFilesError, match="build the index again"):
        Copies.from_info({"copies": pairs}, 4, path="ann.index.json")


# --- F1: --seed ---------------------------------------------------------------------------------


def test_a_negative_seed_is_a_flag_error_before_the_module_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """NumPy's "expected non-negative integer" came after the module loaded, naming no flag."""
    monkeypatch.chdir(tmp_path)
    Path("lines.txt").write_text("stocks fall\n")
    argv = ["generate", "--data_file_pattern=lines.txt", "--embed_output_dir=out", "--seed=-1"]
    assert tool_main([*argv, "--module_url=no_module"]) != 0  # A module's error if loaded.
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tfhub: error: --seed must be") and "Received: seed=-1" in line, line
    assert sorted(os.listdir(tmp_path)) == ["lines.txt"]


@pytest.mark.parametrize(
    ("seed", "error"),
    [(-1, errors.ArgumentError), (1.5, errors.ArgumentTypeError), ("3", errors.ArgumentTypeError)],
)
def test_the_python_api_checks_the_seed_when_made(seed: object, error: type) -> None:
    """GenerateConfig accepted them; the run then died on NumPy's bare ValueError/TypeError."""
    with pytest.raises(error, match="seed"):
        embedding_generator.GenerateConfig("in.txt", "m", "out", projected_dim=4, seed=seed)  # type: ignore[arg-type]
    with pytest.raises(error, match="seed"):
        embedding_generator.random_projection_matrix(8, 4, seed=seed)  # type: ignore[arg-type]
    embedding_generator.GenerateConfig("in.txt", "m", "out", seed=0)  # 0 is a seed.


# --- F5: an exact match is at distance 0 ---------------------------------------------------------

_PACKAGES = {"annoy": "annoy", "hnswlib": "hnswlib", "faiss": "faiss", "usearch": "usearch.index"}


@pytest.mark.parametrize("library", sorted(_PACKAGES))
@pytest.mark.parametrize("dim", [128, 768])
def test_a_stored_vector_is_found_at_distance_zero(library: str, dim: int) -> None:
    """hnswlib printed 0.0010-0.0013 for the item itself, faiss 0.0006 (float32 1 - cos
    through the sqrt); annoy 0.0000. Now the returned items' distances are computed in
    float64 from the stored vectors, and the exact search's too."""
    pytest.importorskip(_PACKAGES[library])
    vectors = np.random.default_rng(0).normal(size=(400, dim)).astype(np.float32)
    index = ann.make_index(library, dim)
    index.build(vectors)
    for i in range(0, 400, 20):
        ids, distances = index.query(vectors[i], 3)  # The library's search.
        assert ids[0] == i and f"{distances[0]:.4f}" == "0.0000", (i, distances)
        assert np.all(np.diff(distances) >= 0)
        wide = vectors.astype(np.float64)
        unit = wide[ids] / np.linalg.norm(wide[ids], axis=1, keepdims=True)
        cosines = unit @ (wide[i] / np.linalg.norm(wide[i]))
        np.testing.assert_allclose(distances, np.sqrt(np.maximum(0, 2 - 2 * cosines)), atol=1e-6)
    ids, distances = index.query(vectors[7], 400)  # The exact search.
    assert ids[0] == 7 and f"{distances[0]:.4f}" == "0.0000", distances[:3]
