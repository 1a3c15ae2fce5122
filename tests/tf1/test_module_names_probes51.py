"""hub.Module names TensorFlow refuses as scope names are refused at construction (session 51).

Before: TensorFlow's bare ValueError ("'a b' is not a valid root scope name. ..."), naming neither
hub.Module nor `name=`; for a last part starting with "_" or "-" (`name="x/_y"`, or `"_y"`
under a variable scope) the module was even created, and only its first application failed
("'_y_apply_default' is not a valid root scope name"). Upstream 0.10.0 raised the same bare
ValueErrors; docs/tf1.md already refuses the digit cases of this problem with ArgumentError.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

MULTI = upstream_path("tf1_multi_sig")  # Made by tensorflow_hub 0.15.
X = np.ones([1, 3], np.float32)


@pytest.fixture(scope="module")
def spec() -> hub.ModuleSpec:
    return hub.load_module_spec(MULTI)


@pytest.mark.parametrize(
    ("outer", "name"),
    [
        (None, "a b"),
        (None, "_x"),
        (None, "-a"),
        (None, "\u00fc"),
        (None, "a:b"),
        (None, "a\\b"),
        (None, "x/_y"),
        (None, "a/-b"),
        (None, "a/b c"),
        ("outer", "_y"),
    ],
)
def test_a_name_tensorflow_refuses_is_an_argument_error_at_construction(
    spec: hub.ModuleSpec, outer: str | None, name: str
) -> None:
    with tf.Graph().as_default():
        with tf.compat.v1.variable_scope(outer or ""):
            with pytest.raises(errors.ArgumentError, match="name") as caught:
                hub.Module(spec, name=name)
        assert isinstance(caught.value, ValueError)  # As TensorFlow's error upstream let through.
        message = str(caught.value)
        assert f"Received: name={name!r}" in message
        assert "start with a letter" in message
        assert not tf.compat.v1.global_variables()  # Nothing imported.


@pytest.mark.parametrize("name", [".a", "a>b", "x/y-z", "a/_b/c", "a/.b", "enc_1"])
def test_names_tensorflow_takes_still_work(spec: hub.ModuleSpec, name: str) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec, name=name)
        y = module(X)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            assert session.run(y).shape == (1, 2)
