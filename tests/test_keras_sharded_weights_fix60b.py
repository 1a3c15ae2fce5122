"""Keras 3's sharded weights (`model.save_weights("X.weights.json", max_shard_size=...)`: the
`X.weights.json` index beside `X_00000.weights.h5` shards) given as a handle: hub.load and
KerasLayer called the index "a file" to pass the SavedModel folder of; it is named a Keras
weights file, as a `*.weights.h5` is, with the same advice, which works on it (review of
session 60). The files are real ones, from a tiny Dense model."""

from __future__ import annotations

import inspect
from pathlib import Path

import keras
import numpy as np
import pytest

import tfhub as hub
from tfhub import errors

PROBLEM = "it is a Keras weights file (weights only, no model), not a model folder. "
TODO = "Build the model in code and call model.load_weights(FILE)"

if "max_shard_size" not in inspect.signature(keras.Model.save_weights).parameters:
    pytest.skip(
        f"keras {keras.__version__} has no sharded save_weights (max_shard_size)",
        allow_module_level=True,
    )


def _tiny_model() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sharded")
    _tiny_model().save_weights(str(folder / "model.weights.json"), max_shard_size=1e-7)
    assert sorted(p.name for p in folder.iterdir()) == [
        "model.weights.json",
        "model_00000.weights.h5",
    ]
    return folder / "model.weights.json"


@pytest.mark.parametrize("call", ["load", "KerasLayer"])
def test_a_sharded_weights_index_is_named_as_weights_only(sharded: Path, call: str) -> None:
    with pytest.raises(errors.MissingModelFileError) as caught:
        getattr(hub, call)(str(sharded))
    message = str(caught.value)
    assert PROBLEM + TODO in message, message


def test_what_the_message_says_works_on_the_sharded_weights(sharded: Path) -> None:
    model = _tiny_model()
    model.load_weights(str(sharded))
    assert model(np.ones((1, 3), "float32")).shape == (1, 2)
