"""A `ModuleSpec` of one's own, whose `_create_impl` returns a subclass of upstream's
`module_impl.ModuleImpl` interface (as tensorflow_hub 0.10's module_test built them): hub.Module
checks the inputs against the spec, asks the impl for the outputs, variables and export."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tfhub as hub
from tfhub import module_impl, module_spec, tensor_info

pytestmark = pytest.mark.tf


class DoublingImpl(module_impl.ModuleImpl):
    """Doubles its input `x`, plus a variable `offset` (0.5) for its `with_offset` signature."""

    def __init__(self, name: str) -> None:
        super().__init__()  # Upstream's interface has nothing to initialize.
        import tensorflow as tf

        with tf.compat.v1.variable_scope(name):
            self.offset = tf.compat.v1.get_variable("offset", initializer=0.5)
        self.exported: list[str] = []

    def create_apply_graph(self, signature, input_tensors, name):
        import tensorflow as tf

        with tf.name_scope(name):
            doubled = 2.0 * input_tensors["x"]
            return {"default": doubled + self.offset if signature == "with_offset" else doubled}

    def export(self, path, session):
        self.exported.append(path)

    @property
    def variable_map(self):
        return {"offset": self.offset}


class DoublingSpec(module_spec.ModuleSpec):
    def __init__(self) -> None:
        self.impls: list[DoublingImpl] = []

    def get_signature_names(self, tags=None):
        return ["default", "with_offset"]

    def get_tags(self):
        return [frozenset()]

    def get_input_info_dict(self, signature=None, tags=None):
        import tensorflow as tf

        return {"x": tensor_info.ParsedTensorInfo(tf.float32, [None], False)}

    def get_output_info_dict(self, signature=None, tags=None):
        import tensorflow as tf

        return {"default": tensor_info.ParsedTensorInfo(tf.float32, [None], False)}

    def _get_attached_bytes(self, key, tags):
        return None

    def _create_impl(self, name, trainable, tags):
        self.impls.append(DoublingImpl(name))
        return self.impls[-1]


def test_a_module_of_ones_own_impl() -> None:
    import tensorflow as tf

    spec = DoublingSpec()
    with tf.Graph().as_default():
        module = hub.Module(spec)
        x = tf.constant([1.0, 2.0])
        outputs: list[Any] = [
            module(x),
            module(x, signature=""),
            module({"x": x}, signature="with_offset"),
        ]
        assert module.variables == [spec.impls[0].offset]
        assert module.variable_map == {"offset": spec.impls[0].offset}
        assert module.get_regularization_losses() == []
        with pytest.raises(ValueError, match="x"):  # Checked against the spec's inputs.
            module({"y": x})
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            doubled, default, offset = session.run(outputs)
            module.export("/where/to", session)
    np.testing.assert_allclose(doubled, [2.0, 4.0])
    np.testing.assert_allclose(default, [2.0, 4.0])
    np.testing.assert_allclose(offset, [2.5, 4.5])
    assert spec.impls[0].exported == ["/where/to"]


def test_the_interface_says_what_a_subclass_lacks() -> None:
    impl = module_impl.ModuleImpl()
    assert impl.get_signature_name(None) == impl.get_signature_name("") == "default"
    with pytest.raises(NotImplementedError):
        impl.create_apply_graph("default", {}, "m")
    with pytest.raises(NotImplementedError):
        impl.export("/p", None)
    with pytest.raises(NotImplementedError):
        _ = impl.variable_map
