"""hub.KerasLayer probed as a Keras 3 user uses it today (session 46): mixed precision,
saving, XLA, `training=`, shared and toggled layers, config round trips and wrong values.

Each test pins a fix made here or a promise of docs/keras.md; tiny real SavedModels
(tests/_helpers/models.py through the `model_dir` fixture), no mocks.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tfhub import errors

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32)


def test_an_empty_signature_calls_the_model_as_upstream(flavour, model_dir) -> None:
    """`signature=""` means no signature, as upstream tested `if signature` (the layer called
    the object); it failed with "'_UserObject' object has no attribute
    'structured_input_signature'". A signature that is not a string lists the signatures
    (upstream: "unhashable type: 'list'")."""
    layer = flavour.layer(model_dir["tf2"], signature="")
    np.testing.assert_allclose(layer(X), flavour.layer(model_dir["tf2"])(X))
    assert "signature" not in layer.get_config()
    again = flavour.layer.from_config(json.loads(json.dumps(layer.get_config())))
    np.testing.assert_allclose(again(X), layer(X))
    with pytest.raises(TypeError, match=r"\['features', 'serving_default'\]") as info:
        flavour.layer(model_dir["tf2"], signature=["features"], output_key="hidden")
    assert isinstance(info.value, errors.ArgumentTypeError)


def test_an_empty_output_key_of_a_signature_lists_its_outputs(flavour, model_dir) -> None:
    """`signature=..., output_key=""` returned the whole dict of outputs (as upstream, which
    tested `if output_key`), and `get_config()` left the empty key out, so the saved model
    failed to load ("either output_key or signature_outputs_as_dict=True should be set"). No
    output has an empty name: the layer says so when built, listing the outputs."""
    with pytest.raises(errors.UnknownOutputKeyError, match=r"\['hidden', 'logits'\]") as info:
        flavour.layer(model_dir["tf2"], signature="features", output_key="")
    assert info.value.available == ["hidden", "logits"]


def test_a_trainable_layer_trains_a_model_that_a_frozen_layer_also_wraps(flavour, model_dir):
    """`obj = hub.load(h)` used frozen by one layer (a feature extractor), then by a trainable
    layer to fine-tune it: the second trains obj's variables, in both flavours. In Keras 3 the
    layers share one Keras variable per variable, and the frozen layer had made it
    non-trainable for good: the trainable layer had no trainable weights (only an ERROR log),
    `fit` left the model as it was, and even `layer.trainable = True` could not help."""
    import tfhub as hub

    keras = flavour.keras
    obj = hub.load(model_dir["tf2"])
    frozen = flavour.layer(obj, trainable=False)
    extractor = keras.Sequential([keras.Input((3,)), frozen])
    tuned = flavour.layer(obj, trainable=True)
    assert len(tuned.trainable_weights) == 4
    assert frozen.trainable_weights == []
    model = keras.Sequential([keras.Input((3,)), tuned, keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = [variable.numpy() for variable in obj.trainable_variables]
    model.fit(X, np.ones((2, 2), np.float32), epochs=1, batch_size=2, verbose=0)
    for old, variable in zip(before, obj.trainable_variables, strict=True):
        assert not np.allclose(old, variable.numpy()), variable.name
    np.testing.assert_allclose(extractor.predict(X, verbose=0), tuned(X), rtol=1e-6)
