"""A dict of inputs whose names differ from the model's: the error names them (session 62).

TensorFlow's error, which tensorflow_hub's layer let through, named a missing or unexpected
input ("missing a required argument: 'scale'", "got an unexpected keyword argument 'z'").
tfhub's CallInputSpecError said only "Pass inputs of that dtype and shape", listing what the
model takes and what it got, so a user who left out an input, or misspelt one, was told to fix
dtypes and shapes. It now names what the dict lacks (for a signature also: or give it as
`arguments=`) and what it has that the model does not take.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from tests._helpers import models

from tfhub import errors

pytestmark = pytest.mark.tf

X = np.ones((1, 2), np.float32)


@pytest.fixture(scope="module")
def handles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`dict_io`: __call__ takes a dict {"a", "b"}; `signed`: signature "serving_default"
    takes x[None, 2] and scale[] and returns {"y": x * 2 * scale}."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("p62k_names")

    class Signed(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0)

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 2], tf.float32, name="x"),
                tf.TensorSpec([], tf.float32, name="scale"),
            ]
        )
        def serve(self, x: Any, scale: Any) -> Any:
            return {"y": x * self.w * scale}

    signed = Signed()
    tf.saved_model.save(signed, os.fspath(root / "signed"), signatures=signed.serve)
    return {
        "dict_io": models.save_dict_io_model(os.fspath(root / "dict_io")),
        "signed": os.fspath(root / "signed"),
    }


def _said(layer: Any, inputs: dict[str, Any]) -> str:
    with pytest.raises(errors.CallInputSpecError) as caught:
        layer(inputs)
    assert isinstance(caught.value, TypeError)  # As TensorFlow's error that upstream raised.
    return str(caught.value)


def test_a_signature_input_left_out_is_named_with_both_remedies(flavour, handles) -> None:
    layer = flavour.layer(handles["signed"], signature="serving_default", output_key="y")
    said = _said(layer, {"x": X})
    assert "The inputs dict lacks ['scale']: add them to it (or to arguments=" in said
    assert "It takes no input" not in said
    given = flavour.layer(
        handles["signed"], signature="serving_default", output_key="y", arguments={"scale": 3.0}
    )
    np.testing.assert_allclose(given({"x": X}), X * 6.0)  # The remedy works.


def test_a_misspelt_signature_input_is_named_both_ways(flavour, handles) -> None:
    layer = flavour.layer(
        handles["signed"], signature="serving_default", output_key="y", arguments={"scale": 3.0}
    )
    said = _said(layer, {"z": X})
    assert "lacks ['x']" in said and "It takes no input named ['z']: leave them out." in said
    assert "lacks ['scale']" not in said  # `arguments` gives it.


def test_dict_inputs_of_a_call_name_what_is_missing_and_extra(flavour, handles) -> None:
    layer = flavour.layer(handles["dict_io"], output_key="sum")
    said = _said(layer, {"a": X})
    assert "The inputs dict lacks ['b']: add them to it." in said  # No `arguments=` for these.
    said = _said(layer, {"a": X, "b": X, "c": X})
    assert "It takes no input named ['c']" in said and "lacks" not in said


def test_inputs_of_the_right_names_get_no_names_note(flavour, handles) -> None:
    layer = flavour.layer(handles["dict_io"], output_key="sum")
    said = _said(layer, {"a": X, "b": np.ones((1, 2), np.int32)})
    assert "lacks" not in said and "takes no input" not in said
    assert "int32[1, 2]" in said
