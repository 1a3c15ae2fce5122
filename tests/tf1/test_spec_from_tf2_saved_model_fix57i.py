"""create_module_spec_from_saved_model's refusal of a TF2 SavedModel says a true reason.

It said "its variables are saved by object" for every TF2 SavedModel, also for one with no
variables (fix57e; tensorflow_hub 0.10.0 took that one in a graph). The message now says
why for that model: it has none, and tfhub takes only TF1 SavedModels here.
"""

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


class _Scaler(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = tf.Variable(3.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return x * self.scale


def test_tf2_saved_model_without_variables_is_refused_with_a_true_reason(tmp_path: Path) -> None:
    tf.saved_model.save(_Doubler(), str(tmp_path / "m"))
    with pytest.raises(errors.NotATF1ModuleError) as caught:
        hub.create_module_spec_from_saved_model(str(tmp_path / "m"))
    message = str(caught.value)
    assert "variables are saved by object" not in message
    assert "it has no variables" in message and "hub.load(path)" in message


def test_tf2_saved_model_with_variables_keeps_its_reason(tmp_path: Path) -> None:
    tf.saved_model.save(_Scaler(), str(tmp_path / "m"))
    with pytest.raises(errors.NotATF1ModuleError, match="its variables are saved by object"):
        hub.create_module_spec_from_saved_model(str(tmp_path / "m"))
