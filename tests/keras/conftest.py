"""Fixtures for the KerasLayer tests: tiny models built once per test session (per worker)."""

from __future__ import annotations

import os

import pytest
from tests._helpers import models
from tests.keras._support import Flavour


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Paths of the tiny SavedModels of tests/_helpers/models.py, built once."""
    root = tmp_path_factory.mktemp("keras_models")
    builders = {
        "tf2": models.save_tf2_module,
        "text": models.save_text_embedding,
        "dropout": models.save_dropout_model,
        "batch_norm": models.save_batch_norm_model,
        "dict_io": models.save_dict_io_model,
        "scaled": models.save_scaled_model,
        "affine_defaults": models.save_affine_with_defaults,
    }
    return {name: build(os.fspath(root / name)) for name, build in builders.items()}


@pytest.fixture(params=["keras3", "tf_keras"])
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Runs a test once with Keras 3 and once with tf_keras."""
    return flavour_tuple(request.param)


def flavour_tuple(name: str) -> Flavour:
    """The Flavour of `name` ("keras3" or "tf_keras")."""
    if name == "keras3":
        import keras

        from tfhub.keras.layer import KerasLayer
    else:
        import tf_keras as keras

        from tfhub.keras.tf_keras_layer import KerasLayer
    return Flavour(name, KerasLayer, keras)
