"""A Keras weights file (`*.weights.h5`, what `model.save_weights` writes) given as a handle:
it was called "a Keras model file" to load with keras.models.load_model, which fails on it
("No model config found in the file"); it holds weights only (session 60's probe). The file is
a real one, and what the message says to do is done."""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

import tfhub as hub
from tfhub import errors

PROBLEM = "it is a Keras weights file (weights only, no model), not a model folder. "
TODO = "Build the model in code and call model.load_weights(FILE)"
NOT_LOAD_MODEL = "(keras.models.load_model finds no model in it)"


def _tiny_model() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "model.weights.h5"
    model = _tiny_model()
    model.save_weights(str(path))
    return path


@pytest.mark.parametrize("call", ["load", "KerasLayer", "load upper case"])
def test_a_weights_file_is_named_as_weights_only(weights_file: Path, call: str):
    path = weights_file
    if call == "load upper case":  # The endings match in any case, as the others do.
        path = weights_file.with_name("MODEL.WEIGHTS.H5")
        shutil.copy(weights_file, path)
    with pytest.raises(errors.MissingModelFileError) as caught:
        getattr(hub, call.split()[0])(str(path))
    message = str(caught.value)
    assert PROBLEM + TODO in message, message
    assert "keras.models.load_model" not in message.replace(NOT_LOAD_MODEL, ""), message


def test_a_served_weights_file_is_named_as_weights_only(weights_file: Path, server, served_dir):
    """hub.resolve of a URL: its content is no tar archive; its name says what it is."""
    shutil.copy(weights_file, served_dir / "model.weights.h5")
    with pytest.raises(errors.TFHubError) as caught:
        hub.resolve(server.url("model.weights.h5"))
    message = str(caught.value)
    assert "It is a Keras weights file (weights only, no model)" in message, message
    assert TODO in message, message


def test_what_the_message_says_works_and_load_model_does_not(weights_file: Path):
    with pytest.raises(ValueError, match="No model config"):
        keras.models.load_model(str(weights_file))
    model = _tiny_model()
    model.load_weights(str(weights_file))
    assert model(np.ones((1, 3), "float32")).shape == (1, 2)
