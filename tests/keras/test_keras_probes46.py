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
