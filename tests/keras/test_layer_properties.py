"""hub.KerasLayer on argument combinations Hypothesis picks (signature, output_key, output_shape,
arguments, trainable, signature_outputs_as_dict) over real models, called on inputs that fit or
not: each combination builds and calls, or fails with a tfhub error that is also the builtin
upstream raised (ValueError, TypeError, KeyError), never an internal AttributeError or
IndexError."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from hypothesis import event, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tests._helpers.properties import property_settings  # noqa: E402
from tests.keras.conftest import flavour_tuple  # noqa: E402

from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

_MODELS = ["tf2", "text", "dict_io", "scaled", "affine_defaults"]
_INPUTS = {
    "floats3": lambda: np.ones((2, 3), np.float32),
    "floats2": lambda: np.ones((2, 2), np.float32),
    "floats1": lambda: np.ones((2, 1), np.float32),
    "strings": lambda: tf.constant(["the cat", "hello world"]),
    "dict": lambda: {"a": tf.ones((2, 2)), "b": tf.ones((2, 2))},
    "list of strings": lambda: ["the cat", "sat"],
    "ints": lambda: np.ones((2, 3), np.int32),
}
_KWARGS = st.fixed_dictionaries(
    {},
    optional={
        "signature": st.sampled_from(["serving_default", "features", "nope"]),
        "output_key": st.sampled_from(["hidden", "logits", "sum", "output_0", "nope"]),
        "output_shape": st.sampled_from([[4], [2], [], [None], [3, 3]]),
        "arguments": st.sampled_from([{"scale": 2.0}, {"nope": 1}, {"a": 2.0}, {"b": 1.0}]),
        "trainable": st.booleans(),
        "signature_outputs_as_dict": st.booleans(),
    },
)


@property_settings(60)
@given(
    flavour_name=st.sampled_from(["keras3", "tf_keras"]),
    model=st.sampled_from(_MODELS),
    kwargs=_KWARGS,
    inputs=st.sampled_from(sorted(_INPUTS)),
)
def test_any_combination_builds_and_calls_or_raises_a_tfhub_error(
    model_dir, flavour_name, model, kwargs, inputs
):
    flavour = flavour_tuple(flavour_name)
    stage = "build"
    try:
        layer = flavour.layer(model_dir[model], **kwargs)
        stage = "call"
        outputs = layer(_INPUTS[inputs]())
    except errors.TFHubError as err:
        assert isinstance(err, ValueError | TypeError | KeyError | RuntimeError), repr(err)
        event(f"{stage}: {type(err).__name__}")
        return
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as err:
        # TensorFlow's own answer to values its kernels refuse (e.g. a reshape that cannot fit).
        event(f"{stage}: TensorFlow {type(err).__name__}")
        return
    event("ran")
    for tensor in tf.nest.flatten(outputs):
        assert np.isfinite(np.asarray(tensor, np.float64)).all()
