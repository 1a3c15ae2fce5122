"""The errors docs/keras.md ("Errors") promises, checked as a user meets them."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)


def test_a_signature_of_a_dropped_model_says_to_keep_the_model(flavour, model_dir) -> None:
    """`hub.KerasLayer(hub.load(handle).signatures["serving_default"], output_key=...)`: the
    signature's variables are read while the layer is built, after the loaded object is gone,
    and TensorFlow's bare AssertionError ("Called a function referencing variables which have
    been deleted") came out of the constructor instead of DeletedModelError."""
    with pytest.raises(errors.DeletedModelError, match=r"`model = hub.load\(handle\)`") as caught:
        flavour.layer(
            hub.load(model_dir["tf2"]).signatures["serving_default"], output_key="output_0"
        )
    assert isinstance(caught.value, AssertionError)  # As TensorFlow's error.
    assert "signatures" in str(caught.value)
    kept = hub.load(model_dir["tf2"])
    layer = flavour.layer(kept.signatures["serving_default"], output_key="output_0")
    gc.collect()
    assert layer(X).shape == (len(X), 2)


@pytest.mark.parametrize("kwargs", [{"foo": 1}, {"outputkey": "logits"}])
def test_a_keyword_the_layer_cannot_use_is_an_argument_error(flavour, model_dir, kwargs) -> None:
    """docs/keras.md: "any other argument the layer cannot use raises ArgumentError". An unknown
    keyword (a mistyped `output_key`) reached Keras's Layer, whose error is a bare ValueError in
    Keras 3 ("Unrecognized keyword arguments") and a bare TypeError in tf_keras (upstream's
    "Keyword argument not understood"). Now one tfhub class that is both, naming what was
    received."""
    with pytest.raises(errors.ArgumentTypeError, match="Received: ") as caught:
        flavour.layer(model_dir["tf2"], **kwargs)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)
    assert repr(next(iter(kwargs.values()))) in str(caught.value)
    assert flavour.layer(model_dir["tf2"], name="ok", dtype="float32")(X).shape == (len(X), 2)
