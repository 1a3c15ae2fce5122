"""hub.KerasLayer's SignatureRequiredError suggests the call the starter doc, the model page
and `tfhub inspect` show (one choice, keras/_arguments.signature_call), a call that runs.

It built its own suggestion: `output_key=<first output>` even for a signature of several
outputs, where the others show `signature_outputs_as_dict=True`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from tfhub import errors

pytestmark = [pytest.mark.tf]


@pytest.fixture(scope="module")
def two_outputs(tmp_path_factory: pytest.TempPathFactory) -> str:
    """No `__call__`; a serving signature of two outputs, double = 2x and half = x / 2."""
    import tensorflow as tf

    module = tf.Module()
    module.serve = tf.function(
        lambda x: {"double": 2.0 * x, "half": x / 2.0}, [tf.TensorSpec([None], tf.float32)]
    )
    path = str(tmp_path_factory.mktemp("two") / "model")
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path


def _suggested(message: str) -> dict[str, object]:
    """The keyword arguments the message suggests after "e.g. ", as Python reads them."""
    shown = message.split("e.g. ", 1)[1].split(" (its outputs", 1)[0].split(". Received")[0]
    call = ast.parse(f"f({shown})", mode="eval").body
    assert isinstance(call, ast.Call)
    return {word.arg: ast.literal_eval(word.value) for word in call.keywords}


def test_two_outputs_suggest_them_as_a_dict_and_the_suggestion_runs(two_outputs: str) -> None:
    import tfhub as hub

    with pytest.raises(errors.SignatureRequiredError) as caught:
        hub.KerasLayer(two_outputs)
    suggested = _suggested(str(caught.value))
    assert suggested == {"signature": "serving_default", "signature_outputs_as_dict": True}
    assert "(its outputs: ['double', 'half'])" in str(caught.value)
    assert caught.value.suggested is None  # No one output is *the* answer.
    outputs = hub.KerasLayer(two_outputs, **suggested)(np.array([4.0], np.float32))
    np.testing.assert_allclose(outputs["double"], [8.0])
    np.testing.assert_allclose(outputs["half"], [2.0])


def test_the_hub_side_uses_the_keras_side_s_choice() -> None:
    """keras/ does not import hub/ (the server side): the pure choice lives in keras/, and
    hub/keras_call.py adapts a signature summary to it."""
    from tfhub.hub import keras_call
    from tfhub.keras import _arguments

    assert keras_call.KerasCall is _arguments.KerasCall
    assert keras_call.signature_call is _arguments.signature_call
    source = Path(_arguments.__file__).read_text()
    assert "from ..hub" not in source and "tfhub.hub" not in source
