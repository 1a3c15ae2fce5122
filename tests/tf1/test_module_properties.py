"""hub.Module (the TF1 Hub format) on constructions and calls Hypothesis picks over upstream's
own modules: tags, signatures, inputs as a tensor, a dict, a list or of the wrong dtype,
`as_dict`, in a graph: each builds and runs in a session, or fails with a tfhub error that is
also the builtin upstream raised (ValueError, TypeError, KeyError, RuntimeError), never an
internal one."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from hypothesis import event, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tests._helpers.properties import property_settings  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

_MODULES = ["tf1_multi_sig", "tf1_train_tags", "tf1_text_vocab"]
_TAGS = st.sampled_from([None, None, set(), {"train"}, {"serve"}])
_SIGNATURE = st.sampled_from([None, None, "default", "sum_pair", "tokens", "nope"])
_INPUTS = {
    "floats [2, 3]": lambda: tf.ones((2, 3)),
    "floats [2]": lambda: tf.ones((2,)),
    "pair": lambda: {"a": tf.ones((2,)), "b": tf.ones((2,))},
    "pair missing b": lambda: {"a": tf.ones((2,))},
    "pair plus c": lambda: {"a": tf.ones((2,)), "b": tf.ones((2,)), "c": tf.ones((2,))},
    "strings": lambda: tf.constant(["the cat", "hello"]),
    "ints [2, 3]": lambda: tf.ones((2, 3), tf.int32),
    "python list": lambda: [[1.0, 2.0, 3.0]],
    "list of two": lambda: [tf.ones((2,)), tf.ones((2,))],
}


@property_settings(40)
@given(
    module=st.sampled_from(_MODULES),
    tags=_TAGS,
    trainable=st.booleans(),
    signature=_SIGNATURE,
    inputs=st.sampled_from(sorted(_INPUTS)),
    as_dict=st.sampled_from([None, True, False]),
)
def test_any_construction_and_call_runs_or_raises_a_tfhub_error(
    upstream_dir, module, tags, trainable, signature, inputs, as_dict
):
    stage = "build"
    with tf.Graph().as_default():
        try:
            m = hub.Module(str(upstream_dir / module), trainable=trainable, tags=tags)
            stage = "call"
            kwargs = {} if as_dict is None else {"as_dict": as_dict}
            outputs = m(_INPUTS[inputs](), signature=signature, **kwargs)
            stage = "run"
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                session.run(tf.compat.v1.tables_initializer())
                values = session.run(outputs)
        except errors.TFHubError as err:
            assert isinstance(err, ValueError | TypeError | KeyError | RuntimeError), repr(err)
            event(f"{stage}: {type(err).__name__}")
            return
    event("ran")
    for value in tf.nest.flatten(values):
        assert np.isfinite(np.asarray(value, np.float64)).all()
