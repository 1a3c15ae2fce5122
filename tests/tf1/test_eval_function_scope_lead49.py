"""eval_function_for_module applies every signature name add_signature takes, also one that
cannot start a root scope ("_x", "-x", ">x", a non-ASCII first letter; review49f-F1: TensorFlow's
bare "is not a valid root scope name" ValueError)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf


def test_every_signature_name_evaluates() -> None:
    names = ["_x", "-x", ">x", "é", "a b", "x"]

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x * 2)
        for factor, name in enumerate(names, start=3):
            hub.add_signature(name=name, inputs=x, outputs=x * factor)

    spec = hub.create_module_spec(module_fn)
    with hub.eval_function_for_module(spec) as run:
        for factor, name in enumerate(names, start=3):
            got = run(np.array([1.0], np.float32), signature=name)
            assert got.tolist() == [float(factor)], name
        assert run(np.array([1.0], np.float32)).tolist() == [2.0]
