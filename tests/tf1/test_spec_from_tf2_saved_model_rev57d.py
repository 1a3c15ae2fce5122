"""create_module_spec_from_saved_model's refusal of a TF2 SavedModel names the writers of a TF1
SavedModel it takes, not `tf.compat.v1.saved_model` as a whole: `tf.compat.v1.saved_model.save`
is `tf.saved_model.save` and writes the very TF2 SavedModel refused (rev57d, TF 2.21). A model
whose variable lives in a nested object still gets the variables reason (the object graph
lists every node, nested or not); a SavedModel of `simple_save` (the Builder) has no object
graph and is taken."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


class _Doubler(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return x * 2.0


class _Inner(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = tf.Variable(3.0)


class _Outer(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _Inner()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return x * self.inner.scale


def test_the_refusal_names_the_tf1_writers_not_compat_v1_save(tmp_path: Path) -> None:
    assert tf.compat.v1.saved_model.save is tf.saved_model.save
    tf.compat.v1.saved_model.save(_Doubler(), str(tmp_path / "m"))
    with pytest.raises(errors.NotATF1ModuleError) as caught:
        hub.create_module_spec_from_saved_model(str(tmp_path / "m"))
    message = str(caught.value)
    assert "(saved with tf.compat.v1.saved_model)" not in message, message
    assert "tf.compat.v1.saved_model.Builder or simple_save" in message, message


def test_a_variable_in_a_nested_object_gets_the_variables_reason(tmp_path: Path) -> None:
    tf.saved_model.save(_Outer(), str(tmp_path / "m"))
    with pytest.raises(errors.NotATF1ModuleError, match="its variables are saved by object"):
        hub.create_module_spec_from_saved_model(str(tmp_path / "m"))


def test_a_simple_save_saved_model_is_taken(tmp_path: Path) -> None:
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        scale = tf.compat.v1.get_variable(
            "scale", [], initializer=tf.compat.v1.constant_initializer(3.0)
        )
        session.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.saved_model.simple_save(
            session, str(tmp_path / "m"), {"x": x}, {"y": x * scale}
        )
    spec = hub.create_module_spec_from_saved_model(str(tmp_path / "m"))
    names = spec.get_signature_names(tags={"serve"})  # type: ignore[attr-defined]
    assert names == ["serving_default"]
