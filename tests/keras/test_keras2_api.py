"""hub.KerasLayer keeps the Keras 2 `Layer` members that upstream's API page lists for it (in
../shared/seeds: the `hub.KerasLayer` reference page of tensorflow_hub 0.10), in both flavours:
Keras 3 and tf_keras 2.21 dropped some (`apply`, `get_losses_for`, the node accessors)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

# Every property and method the page lists (its `itemprop="property"` entries).
DOCUMENTED_MEMBERS = """
activity_regularizer dtype dynamic input input_mask input_shape losses metrics name
non_trainable_variables non_trainable_weights output output_mask output_shape
trainable_variables trainable_weights updates variables weights __call__ __delattr__ __init__
__setattr__ apply build compute_mask compute_output_shape count_params from_config get_config
get_input_at get_input_mask_at get_input_shape_at get_losses_for get_output_at
get_output_mask_at get_output_shape_at get_updates_for get_weights set_weights
""".split()


def test_every_documented_member_is_there(flavour, model_dir):
    layer = flavour.layer(model_dir["tf2"])
    missing = [  # Class members (some raise until the layer is called), or instance attributes.
        name
        for name in DOCUMENTED_MEMBERS
        if not hasattr(type(layer), name) and not hasattr(layer, name)
    ]
    assert missing == []


def test_deprecated_aliases_work_and_warn(flavour, model_dir):
    layer = flavour.layer(model_dir["tf2"])
    x = np.ones((2, 3), np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_allclose(layer.apply(x), layer(x))
        assert layer.get_losses_for(None) == list(layer.losses)
        assert layer.get_updates_for(None) == []
    said = " ".join(str(w.message) for w in caught)
    for name in ("apply", "get_losses_for", "get_updates_for"):
        assert f"`layer.{name}` is deprecated" in said


def test_keras3_node_accessors_of_a_shared_layer(model_dir):
    import keras

    from tfhub.keras.layer import KerasLayer

    layer = KerasLayer(model_dir["tf2"])
    with pytest.raises(AttributeError, match="never been called"):
        layer.get_input_at(0)
    first, second = keras.Input((3,)), keras.Input((3,))
    masked = keras.layers.Masking(0.0)(first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras: "this layer does not support masking".
        out_first, out_second = layer(masked), layer(second)
    assert layer.get_input_at(1) is second and layer.get_output_at(0) is out_first
    assert layer.get_output_at(1) is out_second
    assert layer.get_input_shape_at(0) == (None, 3) and layer.get_output_shape_at(1) == (None, 2)
    assert layer.get_input_mask_at(0) is not None and layer.get_input_mask_at(1) is None
    assert layer.get_output_mask_at(0) is None  # As upstream's layer: no mask support.
    with pytest.raises(AttributeError, match="multiple inbound nodes.*get_input_mask_at"):
        _ = layer.input_mask
    with pytest.raises(ValueError, match="only 2 inbound nodes"):
        layer.get_output_at(2)
    assert (layer.dynamic, layer.updates) == (False, [])
    once = KerasLayer(model_dir["tf2"])
    once(second)
    assert once.input_mask is None and once.output_mask is None
