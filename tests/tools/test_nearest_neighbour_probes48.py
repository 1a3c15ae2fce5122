"""Session 48's fixes of review48c's findings on make_nearest_neighbour_index: a query returns
min(k, n) items over an index of many copies of a vector (F1), the upstream-format pickle of the
projection matrix is readable by NumPy 1.x (F3), and Unicode-blank inputs are refused before the
module loads (F4)."""

from __future__ import annotations

import glob
import os
import pickle
import pickletools
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.nearest_neighbour import NumpyStoredIndex

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import ann, files, input_files, safe_pickle
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

LIBRARIES = ["annoy", "hnswlib", "faiss", "usearch"]
_PACKAGES = {"annoy": "annoy", "hnswlib": "hnswlib", "faiss": "faiss", "usearch": "usearch.index"}


def _copies_and_others(copies: int, others: int) -> tuple[np.ndarray, np.ndarray]:
    """`copies` rows of one vector, then `others` distinct rows (16-d), and a query near the
    copied vector."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(1, 16))
    vectors = np.vstack([np.tile(base, (copies, 1)), rng.normal(size=(others, 16))])
    return vectors.astype(np.float32), (base[0] + 0.01 * rng.normal(size=16)).astype(np.float32)


def _exact(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Angular distances of every row to `query`, sorted."""
    return np.sort(ann.angular(ann.normalized(vectors) @ ann.normalized(query)))


# --- F1: min(k, n) items, whatever the library --------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(("copies", "others"), [(300, 0), (300, 100)])
def test_a_query_over_many_copies_returns_every_item_asked_for(
    library: str, copies: int, others: int
) -> None:
    """hnswlib raised "Cannot return the results in a contiguous 2D array"; faiss returned 228
    of 300 copies and USearch 247: each now returns min(k, n) distinct items, nearest first,
    with the distances an exact search finds."""
    pytest.importorskip(_PACKAGES[library])
    vectors, query = _copies_and_others(copies, others)
    index = ann.make_index(library, 16)
    index.build(vectors)
    for k in (copies, len(vectors), len(vectors) + 5):
        ids, distances = index.query(query, k)
        wanted = min(k, len(vectors))
        assert len(ids) == len(set(ids.tolist())) == wanted, (library, k, len(ids))
        assert np.all(np.diff(distances) >= -1e-6)
        if k >= len(vectors):  # Every item: exact (an HNSW walk may miss copies for fewer).
            np.testing.assert_allclose(distances, _exact(vectors, query), atol=1e-3)
            assert sorted(ids[:copies].tolist()) == list(range(copies))


class _ShortLibrary(NumpyStoredIndex):
    """An index over NumPy whose search returns only half the items asked for, as faiss's
    and USearch's HNSW did over copies, or raises hnswlib's error for it (`raising`)."""

    name = "short"

    def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.params.get("raising"):
            raise RuntimeError(
                "Cannot return the results in a contiguous 2D array. Probably ef or M is too small"
            )
        return np.arange(k // 2, dtype=np.int64), np.zeros(k // 2, np.float32)


@pytest.mark.parametrize("raising", [False, True], ids=["fewer", "hnswlib-error"])
def test_a_search_that_falls_short_is_answered_exactly(raising: bool) -> None:
    """Fewer than k items from the library (or hnswlib's error) for k below the index's size:
    the exact search over the stored vectors answers (in steps of EXACT_CHUNK_VALUES)."""
    vectors, query = _copies_and_others(30, 25_000)
    index = _ShortLibrary(16, {"raising": raising})
    index.build(vectors)
    ids, distances = index.query(query, 40)
    np.testing.assert_allclose(distances, _exact(vectors, query)[:40], atol=1e-3)
    assert sorted(ids[:30].tolist()) == list(range(30))


def test_another_runtime_error_of_the_library_is_raised() -> None:
    class Broken(_ShortLibrary):
        def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            raise RuntimeError("index is damaged")

    index = Broken(16, {})
    index.build(np.ones((5, 16)))
    with pytest.raises(RuntimeError, match="index is damaged"):
        index.query(np.ones(16), 2)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_loaded_index_of_copies_answers_in_full(library: str, tmp_path: Path) -> None:
    """The exact search reads the vectors a loaded index file stores (not the build's)."""
    pytest.importorskip(_PACKAGES[library])
    vectors, query = _copies_and_others(300, 0)
    built = ann.make_index(library, 16)
    built.build(vectors)
    built.save(os.fspath(tmp_path / "ann.index"))
    loaded = ann.make_index(library, 16)
    assert loaded.load(os.fspath(tmp_path / "ann.index")) == 300
    ids, _ = loaded.query(query, 300)
    assert sorted(ids.tolist()) == list(range(300))


# --- F3: the upstream-format matrix pickle reads under NumPy 1.x ---------------------------------


def _upstream_matrix(folder: Path) -> tuple[np.ndarray, Path]:
    folder.mkdir(exist_ok=True)
    matrix = np.random.default_rng(0).normal(size=(8, 3))
    files.write_matrix(os.fspath(folder), matrix, upstream_pickle=True)
    return matrix, folder / files.RANDOM_PROJECTION_FILENAME


def test_the_matrix_pickle_names_numpy_core_not_numpy_underscore_core(tmp_path: Path) -> None:
    """NumPy 2's own pickle names numpy._core.multiarray, which NumPy < 1.26 lacks; ours
    names numpy.core.multiarray._reconstruct (and numpy.ndarray, numpy.dtype), as NumPy 1.x
    wrote it, and both our safe reader and pickle.load read it back."""
    matrix, path = _upstream_matrix(tmp_path)
    data = path.read_bytes()
    names = [arg for _, arg, _ in pickletools.genops(data) if isinstance(arg, str)]
    assert "numpy.core.multiarray" in names and "_reconstruct" in names
    assert not [name for name in names if "_core" in name]
    assert data[:2] == b"\x80\x04"  # protocol 4, as before
    np.testing.assert_array_equal(pickle.loads(data), matrix)
    read = safe_pickle.load_pickle(os.fspath(path), allow_pickle=True, what="matrix")
    np.testing.assert_array_equal(read, matrix)
    assert read.dtype == np.float64


def _numpy_one_wheel() -> str | None:
    """A local NumPy 1.x wheel for this Python (the machine's /opt/pypi* mirrors), if any."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(glob.glob(f"/opt/pypi*/files/numpy-1.*-{tag}-{tag}-manylinux*x86_64.whl"))
    return found[0] if found else None


@pytest.mark.skipif(_numpy_one_wheel() is None, reason="no local NumPy 1.x wheel in /opt/pypi*")
def test_numpy_one_reads_the_matrix_pickle_as_upstream_does(tmp_path: Path) -> None:
    """Upstream's query (pickle.load) under NumPy 1.x (1.23 here) reads the file: before the
    fix it failed with "No module named 'numpy._core'"."""
    matrix, path = _upstream_matrix(tmp_path / "out")
    numpy_one = tmp_path / "numpy1"
    with zipfile.ZipFile(str(_numpy_one_wheel())) as wheel:
        wheel.extractall(numpy_one)
    script = (
        "import pickle, sys, numpy\n"
        "assert numpy.__version__.startswith('1.'), numpy.__version__\n"
        "with open(sys.argv[1], 'rb') as handle:\n"
        "    print(pickle.load(handle).tolist())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.fspath(numpy_one)}
    done = subprocess.run(
        [sys.executable, "-s", "-c", script, os.fspath(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(matrix.tolist())


# --- F4: one blank-line rule for generate's pre-check and its pipeline ---------------------------

_UNICODE_BLANK = [
    "\u00a0\n\u2003\n",  # no-break space, em space: the review's file
    "\x1c\x1d\n\x1e\x1f\r\n\x85\n",  # separators and NEL, which str.strip() removes
    "\ufeff\u3000\n\u2028\n",  # a byte-order mark, then an ideographic space
]


@pytest.mark.parametrize("blank", _UNICODE_BLANK, ids=["nbsp", "separators", "bom-ideographic"])
def test_unicode_blank_lines_are_refused_before_the_module_loads(
    blank: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-check counted only ASCII whitespace as blank, the pipeline (items_of_line) all
    that str.strip() removes: generate loaded the module, wrote an empty shard and said
    "Embeddings ... written"; only build found no records. Now it is refused first (the module
    path here does not exist: loading it would be another error)."""
    pytest.importorskip("apache_beam")
    (tmp_path / "blank.txt").write_text(blank, encoding="utf-8")
    assert not [item for line in blank.split("\n") for item in input_files.items_of_line(line)]
    argv = ["generate", f"--data_file_pattern={tmp_path / 'blank.txt'}",
            f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'e'}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "hold blank lines only" in line, line
    assert sorted(os.listdir(tmp_path)) == ["blank.txt"]


@pytest.mark.parametrize(
    ("content", "has_text"),
    [
        (" \ufeff\n", True),  # a mark inside a line is text to the pipeline too
        ("\ufeff \n", False),  # a mark starting a line is not
        (" " * 65535 + "\u00a0\n", False),  # NBSP's two bytes across the 64 KiB chunks
        ("\u2003" * 40000 + "\nx", True),  # text after a blank line longer than a chunk
        (" " * 65536 + "\ufeff\n", True),  # a mark inside a line, just after a chunk
        ("\n" * 70000 + "\ufeff\u00a0\n", False),  # ... a mark starting a line after it
    ],
    ids=[
        "mark-inside",
        "mark-first",
        "split-nbsp",
        "long-blank-then-x",
        "mark-after-chunk",
        "late-mark",
    ],
)
def test_the_pre_check_reads_lines_as_the_pipeline_does(
    content: str, has_text: bool, tmp_path: Path
) -> None:
    pytest.importorskip("apache_beam")
    (tmp_path / "a.txt").write_text(content, encoding="utf-8")
    items = [item for line in content.split("\n") for item in input_files.items_of_line(line)]
    assert bool(items) == has_text
    if has_text:
        input_files.check(os.fspath(tmp_path / "a.txt"))
    else:
        with pytest.raises(errors.EmbeddingFilesError, match="hold blank lines only"):
            input_files.check(os.fspath(tmp_path / "a.txt"))


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_query_for_no_item_asks_no_library(library: str) -> None:
    """k 0 (or an empty index): no item, without the library's own assertion (faiss's search
    with k 0 fails with a bare AssertionError)."""
    pytest.importorskip(_PACKAGES[library])
    index = ann.make_index(library, 4)
    index.build(np.random.default_rng(0).normal(size=(3, 4)))
    ids, distances = index.query(np.ones(4, np.float32), 0)
    assert ids.shape == distances.shape == (0,)


def test_a_query_for_every_item_is_exact_whatever_the_graph_walk_finds() -> None:
    """k >= n: USearch's walk over 300 copies and 100 others returned all 400 items but, for
    k 300 of them, 68 far ones before copies; for every item no walk is asked."""

    class Scrambled(_ShortLibrary):
        def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            return np.arange(k)[::-1].copy(), np.zeros(k, np.float32)  # k items, wrong order

    vectors, query = _copies_and_others(30, 10)
    index = Scrambled(16, {})
    index.build(vectors)
    ids, distances = index.query(query, 100)
    np.testing.assert_allclose(distances, _exact(vectors, query), atol=1e-3)
    assert sorted(ids[:30].tolist()) == list(range(30))
    # At most half the index (exact_search.EXACT_SHARE): the library's answer.
    assert len(index.query(query, 20)[0]) == 20
    assert index.query(query, 20)[0][0] == 19
