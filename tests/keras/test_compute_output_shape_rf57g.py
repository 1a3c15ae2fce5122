"""`compute_output_shape` of a layer it cannot trace says what to do, in both flavours.

Without `output_shape`, the layer traces the model on dense inputs of the layer's dtype
(float32 unless `dtype=` is given). A text model then cannot be traced: both flavours raise
NotImplementedError (tf_keras's own class, as upstream's layer raised it), and both say why and
what to pass (`output_shape=`, `dtype=tf.string`). tf_keras's own message told the user to
implement `compute_output_shape` on `KerasLayer`, a tfhub class.
"""

from __future__ import annotations

import os

import pytest
from tests._helpers import models

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return models.save_text_embedding(os.fspath(tmp_path_factory.mktemp("rf57g") / "text"))


def test_untraceable_model_says_to_pass_output_shape_or_dtype(flavour, text_model: str) -> None:
    layer = flavour.layer(text_model)
    with pytest.raises(NotImplementedError) as caught:
        layer.compute_output_shape((None,))
    message = str(caught.value)
    assert "implement the `compute_output_shape`" not in message
    assert f"hub.KerasLayer could not infer the output shape of {text_model!r}" in message
    assert "pass output_shape=..." in message
    assert "dtype=tf.string" in message  # The call's own error, why it failed, is kept.
    assert "Received: inputs=float32[None]" in message
    assert caught.value.__cause__ is not None


def test_traceable_and_declared_shapes_unchanged(flavour, text_model: str) -> None:
    import tensorflow as tf

    traced = flavour.layer(text_model, dtype=tf.string).compute_output_shape((None,))
    declared = flavour.layer(text_model, output_shape=[4]).compute_output_shape((7,))
    assert tuple(traced) == (None, 4)
    assert tuple(declared) == (7, 4)
