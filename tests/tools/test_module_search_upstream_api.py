"""module_search's Python API as tensorflow_hub's module paths held it: `utils` (distance
matrices, k-NN error rates, loading a tensorflow_datasets split and a module's embedding
function) and `search` (absl `FLAGS`, `main(argv)`, `compute_score`). Results are checked
against brute force written here, on random data without ties."""

from __future__ import annotations

import pickle
import sys
import types
from typing import Any

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools.module_search import lib, search, utils


def _brute_distances(train: np.ndarray, test: np.ndarray, measure: str) -> np.ndarray:
    out = np.empty((len(test), len(train)))
    for i, a in enumerate(test):
        for j, b in enumerate(train):
            if measure == "cosine":
                out[i, j] = 1 - float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))
            else:
                out[i, j] = float(np.sum((a - b) ** 2))
    return out


def _brute_knn_error(d: np.ndarray, y_train: np.ndarray, y_test: np.ndarray, k: int) -> float:
    """Majority vote of the k nearest, a tie won by the smallest label (scikit-learn's
    KNeighborsClassifier, which upstream's utils_test compares with)."""
    wrong = 0
    for i, row in enumerate(d):
        nearest = sorted(range(len(row)), key=lambda j: row[j])[:k]
        votes = [int(y_train[j]) for j in nearest]
        predicted = max(sorted(set(votes)), key=votes.count)  # First of the most common.
        wrong += predicted != y_test[i]
    return wrong / len(d)


@pytest.mark.parametrize("measure", ["squared_l2", "cosine"])
def test_distance_matrices_and_error_rates(measure: str) -> None:
    rng = np.random.default_rng(3)
    x_train, x_test = rng.normal(size=(23, 6)), rng.normal(size=(11, 6))
    y_train, y_test = rng.integers(0, 3, 23), rng.integers(0, 3, 11)
    d = utils.compute_distance_matrix(x_train, x_test, measure)
    assert d.shape == (11, 23) and d.dtype == np.float64
    np.testing.assert_allclose(d, _brute_distances(x_train, x_test, measure), atol=1e-9)
    for k in (1, 2, 3, 5, 6):
        expected = _brute_knn_error(d, y_train, y_test, k)
        assert utils.knn_errorrate(d, y_train, y_test, k=k) == pytest.approx(expected)

    loo = utils.compute_distance_matrix_loo(x_train, measure)
    assert np.all(np.isinf(np.diag(loo)))
    off_diagonal = ~np.eye(23, dtype=bool)
    brute = _brute_distances(x_train, x_train, measure)
    np.testing.assert_allclose(loo[off_diagonal], brute[off_diagonal], atol=1e-9)
    for k in (1, 3, 4):
        expected = _brute_knn_error(loo, y_train, y_train, k)
        assert utils.knn_errorrate_loo(loo, y_train, k=k) == pytest.approx(expected)
    # Several k's at once (upstream's later API): one rate each, largest k first.
    rates = utils.knn_errorrate(d, y_train, y_test, k=[5, 1, 5, 3])
    assert rates == [utils.knn_errorrate(d, y_train, y_test, k=k) for k in (5, 3, 1)]
    with pytest.raises(ValueError, match="k must be between 1 and"):
        utils.knn_errorrate(d, y_train, y_test, k=0)
    if measure == "squared_l2":  # What the command ranks by, computed a block at a time.
        assert lib.loo_1nn_error(x_train, y_train) == utils.knn_errorrate_loo(loo, y_train)


def test_an_unknown_measure_is_upstreams_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="Method 'l1' is not implemented") as caught:
        utils.compute_distance_matrix_loo(np.ones((2, 2)), "l1")
    assert isinstance(caught.value, errors.UnknownMeasureError)
    assert pickle.loads(pickle.dumps(caught.value)).available == ["squared_l2", "cosine"]


def test_load_data_reads_a_local_tensorflow_datasets_split(monkeypatch) -> None:
    """tensorflow_datasets is not a dependency: a stand-in with its `load` plays it."""
    import tensorflow as tf

    calls: list[dict[str, Any]] = []

    def load(name: str, **kwargs: Any) -> Any:
        calls.append({"name": name, **kwargs})
        if name != "shapes":
            raise AssertionError(f"Dataset {name}: could not find data in ~/tensorflow_datasets")
        return tf.data.Dataset.from_tensor_slices({"label": [0, 1, 2, 1]})

    monkeypatch.setitem(sys.modules, "tensorflow_datasets", types.SimpleNamespace(load=load))
    data = utils.load_data("shapes", "train", num_examples=3)
    assert [int(x["label"]) for x in data] == [0, 1, 2]
    assert calls == [
        {"name": "shapes", "split": "train", "shuffle_files": False, "download": False}
    ]
    with pytest.raises(errors.DatasetUnavailableError, match="not downloaded"):
        utils.load_data("nope", "train")
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(
        errors.DatasetUnavailableError, match=r"not installed \(pip install tensorflow-datasets\)"
    ):
        utils.load_data("shapes", "train")


@pytest.mark.tf
def test_embedding_fn_flags_main_and_compute_score(
    shape_images, image_modules, monkeypatch, capsys
) -> None:
    import tensorflow as tf

    embed = utils.load_embedding_fn(image_modules["fixed"])
    vectors = np.asarray(embed(tf.zeros((2, 32, 32, 3))))
    assert vectors.shape == (2, 8)

    spec = {"dataset": str(shape_images), "split": "train", "num_examples": 12}
    score = search.compute_score(image_modules["fixed"], spec)
    assert score.shape == () and 0.0 <= float(score) <= 1.0
    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 12))
    assert float(score) == lib.score_module(image_modules["fixed"], dataset).error
    with pytest.raises(errors.ToolFlagError, match="train split only"):
        search.compute_score(image_modules["fixed"], {**spec, "split": "test"})

    assert search.utils is utils
    with pytest.raises(ValueError, match="--dataset is a required argument"):
        search.main(["search"])
    monkeypatch.setattr(search.FLAGS["dataset"], "value", f"{shape_images}#12")
    monkeypatch.setattr(search.FLAGS["module"], "value", [image_modules["fixed"]])
    with pytest.raises(ValueError, match="Too many command-line arguments"):
        search.main(["search", "extra"])
    assert search.main(["search"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"# Module ranking for {shape_images}#12 (12 images")
    assert out[2].split()[4] == image_modules["fixed"]
