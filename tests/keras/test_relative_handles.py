"""A KerasLayer on a relative path keeps it in its config (as upstream); loading elsewhere says
the handle was relative and to what it was resolved (issue 10 item 20)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def test_relative_handle_kept_and_explained_elsewhere(flavour, model_dir, tmp_path, monkeypatch):
    built_in, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    shutil.copytree(model_dir["tf2"], built_in / "models" / "x")
    elsewhere.mkdir()
    monkeypatch.chdir(built_in)
    keras = flavour.keras
    inputs = keras.Input((3,))
    model = keras.Model(inputs, flavour.layer(os.path.join("models", "x"))(inputs))
    saved = os.fspath(tmp_path / "model.keras")
    model.save(saved)
    config = model.layers[-1].get_config()
    assert config["handle"] == os.path.join("models", "x")  # upstream's config value
    np.testing.assert_allclose(
        keras.models.load_model(saved).predict(np.ones((1, 3)), verbose=0),
        model.predict(np.ones((1, 3)), verbose=0),
    )
    monkeypatch.chdir(elsewhere)
    with pytest.raises(errors.ModelNotFoundError) as info:
        flavour.layer(config["handle"])
    message = str(info.value)
    assert message.startswith(f"{os.path.join('models', 'x')} does not exist.")  # upstream's
    assert "is a relative path" in message
    assert repr(os.fspath(elsewhere / "models" / "x")) in message
    for load in (lambda: flavour.layer.from_config(config), lambda: keras.models.load_model(saved)):
        with pytest.raises(
            Exception, match="is a relative path"
        ):  # tf_keras wraps it in a TypeError
            load()
