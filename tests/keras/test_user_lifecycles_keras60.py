"""hub.KerasLayer through whole lifecycles, the way users meet it (both flavours, tiny models).

A TF1 Hub module's signature with dict inputs, fine-tuned, saved as `.keras`, loaded after a
failed load (its folder was away) and fine-tuned again; a subclassed model holding a hub layer,
saved and loaded without `custom_objects` for the hub layer, then trained again.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_records import upstream_path
from tests.keras._support import Flavour

from tfhub import errors

pytestmark = pytest.mark.tf

# tf1_multi_sig's "sum_pair": a + scale * b, scale = 2 (tests/data/upstream/README.md).
PAIRS = {"a": np.array([1.0, 2.0], np.float32), "b": np.array([3.0, 4.0], np.float32)}
X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32)


@pytest.fixture(scope="module")
def tf1_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A writable copy of tf1_multi_sig (the test moves it away and back)."""
    target = tmp_path_factory.mktemp("tf1_keras60") / "tf1_multi_sig"
    return os.fspath(shutil.copytree(upstream_path("tf1_multi_sig"), target))


def _loader(flavour: Flavour) -> Any:
    keras = flavour.keras
    return keras.saving.load_model if flavour.name == "keras3" else keras.models.load_model


def _stems(weights: list[Any]) -> list[str]:
    """Weight names without ':0', '/' and the '_N' tf_keras adds while another layer holds it."""
    return [re.sub(r"_\d+$", "", w.name.split(":")[0].replace("/", "_")) for w in weights]


def _fit(model: Any, keras: Any, inputs: Any, targets: np.ndarray) -> None:
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(inputs, targets, epochs=1, batch_size=len(targets), verbose=0)


def test_tf1_signature_with_dict_inputs_fine_tunes_saves_and_loads_after_a_failed_load(
    flavour: Flavour, tf1_module: str, tmp_path: Path
) -> None:
    keras = flavour.keras
    inputs = {"a": keras.Input((), name="a"), "b": keras.Input((), name="b")}
    layer = flavour.layer(tf1_module, signature="sum_pair", output_key="default", trainable=True)
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict(PAIRS, verbose=0), [7.0, 10.0], rtol=1e-6)
    _fit(model, keras, PAIRS, np.zeros(2, np.float32))
    (scale,) = [w for w in layer.trainable_weights if "scale" in w.name]
    assert float(scale.numpy()) < 2.0  # Trained toward the zero targets.
    tuned = model.predict(PAIRS, verbose=0)
    path = os.fspath(tmp_path / "pairs.keras")
    model.save(path)

    away = shutil.move(tf1_module, tf1_module + ".away")
    try:
        with pytest.raises(errors.ModelNotFoundError):
            _loader(flavour)(path)
    finally:
        shutil.move(away, tf1_module)
    variables = shutil.move(os.path.join(tf1_module, "variables"), tf1_module + ".variables")
    try:
        with pytest.raises(errors.MissingModelFileError) as caught:
            _loader(flavour)(path)
    finally:
        shutil.move(variables, os.path.join(tf1_module, "variables"))
    # It said only "The model <folder> cannot be loaded: variables/ is missing. ...": not that
    # the saved file needs that folder, nor how to restore the weights without it.
    assert str(caught.value).startswith(
        f"The saved model's hub.KerasLayer {layer.name!r} loads the model it wraps from its "
        f"handle, {tf1_module!r}: The model {tf1_module} cannot be loaded: variables/ is missing."
    )
    assert "copy or export the model there again." in str(caught.value)  # Said once.
    assert str(caught.value).count("there again") == 1
    assert "Do as that says, or build your model again" in str(caught.value)
    assert "restore the weights with model.load_weights(" in str(caught.value)
    assert caught.value.path == tf1_module
    loaded = _loader(flavour)(path)  # The retry, with the module whole in its place.
    np.testing.assert_allclose(loaded.predict(PAIRS, verbose=0), tuned, rtol=1e-6)
    hub_layer = loaded.layers[-1]
    assert _stems(hub_layer.weights) == _stems(layer.weights)
    assert len(loaded.trainable_weights) == len(model.trainable_weights) == 5
    _fit(loaded, keras, PAIRS, np.zeros(2, np.float32))
    assert np.abs(loaded.predict(PAIRS, verbose=0) - tuned).max() > 1e-4


def _subclassed_model_class(flavour: Flavour) -> Any:
    keras = flavour.keras
    register = keras.saving.register_keras_serializable

    @register(package=f"keras60_{flavour.name}", name="Classifier")
    class Classifier(keras.Model):
        """A user's subclassed model: a trainable hub layer then a Dense head."""

        def __init__(self, handle: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.handle = handle
            self.encoder = flavour.layer(handle, trainable=True)
            self.head = keras.layers.Dense(1, kernel_initializer="ones")

        def call(self, inputs: Any, training: Any = None) -> Any:
            return self.head(self.encoder(inputs, training=training))

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "handle": self.handle}

    return Classifier


def test_subclassed_model_with_a_hub_layer_saves_loads_and_trains_again(
    flavour: Flavour, model_dir: dict[str, str], tmp_path: Path
) -> None:
    keras = flavour.keras
    model = _subclassed_model_class(flavour)(model_dir["tf2"])
    targets = np.ones((2, 1), np.float32)
    _fit(model, keras, X, targets)
    tuned = model.predict(X, verbose=0)
    path = os.fspath(tmp_path / "classifier.keras")
    model.save(path)
    loaded = _loader(flavour)(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), tuned, rtol=1e-5)
    assert _stems(loaded.encoder.weights) == _stems(model.encoder.weights)
    for own, reloaded in zip(model.encoder.weights, loaded.encoder.weights, strict=True):
        np.testing.assert_allclose(reloaded.numpy(), own.numpy(), rtol=1e-6)
    _fit(loaded, keras, X, targets)
    assert np.abs(loaded.predict(X, verbose=0) - tuned).max() > 1e-4
    np.testing.assert_allclose(model.predict(X, verbose=0), tuned, rtol=1e-6)  # Unshared.
