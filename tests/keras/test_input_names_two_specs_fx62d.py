"""A model whose __call__ was traced for two dict structures: the names note compares the
inputs with the spec closest to them (review of d6e86dd0).

Only the first dict input spec was compared: a __call__ traced for {a, b} and for {x, y},
given {x}, was told "The inputs dict lacks ['a', 'b'] ... It takes no input named ['x']",
though x is an input it takes. Now the spec sharing the most names with the inputs is the one
compared, and a name is called unknown only if no spec has it. A real SavedModel whose
tf.function __call__ has two concrete input structures.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from tfhub import errors

pytestmark = pytest.mark.tf

X = np.ones((1, 2), np.float32)


@pytest.fixture(scope="module")
def handle(tmp_path_factory: pytest.TempPathFactory) -> str:
    """__call__ traced for {"a", "b"} and for {"x", "y"} (float32 [None, 2] each): the sum."""
    import tensorflow as tf

    class TwoDicts(tf.Module):
        @tf.function
        def __call__(self, inputs: dict[str, Any]) -> Any:
            return tf.add_n(list(inputs.values()))

    model = TwoDicts()
    for names in (("a", "b"), ("x", "y")):
        spec = {name: tf.TensorSpec([None, 2], tf.float32) for name in names}
        model.__call__.get_concrete_function(spec)
    path = os.fspath(tmp_path_factory.mktemp("fx62d_two_dicts") / "model")
    tf.saved_model.save(model, path)
    return path


def _said(layer: Any, inputs: dict[str, Any]) -> str:
    with pytest.raises(errors.CallInputSpecError) as caught:
        layer(inputs)
    return str(caught.value)


def test_inputs_of_the_second_spec_are_compared_with_it(flavour, handle) -> None:
    layer = flavour.layer(handle)
    said = _said(layer, {"x": X})
    assert "The inputs dict lacks ['y']: add them to it." in said, said
    assert "lacks ['a'" not in said, said
    assert "takes no input named" not in said, said
    np.testing.assert_allclose(layer({"x": X, "y": X}), 2 * X)  # The remedy works.


def test_a_name_no_spec_has_is_unknown_and_one_another_spec_has_is_not(flavour, handle) -> None:
    layer = flavour.layer(handle)
    said = _said(layer, {"x": X, "y": X, "z": X})
    assert "It takes no input named ['z']: leave them out." in said, said
    assert "lacks" not in said, said
    said = _said(layer, {"x": X, "a": X, "y": X})  # Closest: {x, y}; `a` is another spec's.
    assert "takes no input named" not in said, said
