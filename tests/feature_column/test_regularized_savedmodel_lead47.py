"""A tf_keras model with a trainable TF1 column whose module has a regularizer saves in the
SavedModel format: its loss was a lambda with a default argument, which tf_keras' SavedModel
export could not encode ("NotEncodableError ... UnknownArgument"; review47d M5)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

v1 = tf.compat.v1
_TABLE = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def _module_fn() -> None:
    text = v1.placeholder(tf.string, [None])
    table = v1.get_variable(
        "table", initializer=_TABLE, regularizer=lambda w: 0.5 * tf.reduce_sum(w)
    )
    outputs = tf.gather(table, tf.strings.to_hash_bucket_fast(text, 3))
    hub.add_signature(inputs={"text": text}, outputs={"default": outputs})


def test_a_regularized_trainable_column_saves_as_a_saved_model(tmp_path):
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_module_fn))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(str(tmp_path / "module"), session)
    column = hub.text_embedding_column("r", str(tmp_path / "module"), trainable=True)
    inputs = {"r": tf_keras.Input([], dtype=tf.string, name="r")}
    model = tf_keras.Model(inputs, tf_keras.layers.DenseFeatures([column])(inputs))
    assert [float(loss) for loss in model.losses] == [10.5]
    model.save(str(tmp_path / "saved"), save_format="tf")
    reloaded = tf_keras.models.load_model(str(tmp_path / "saved"), compile=False)
    batch = {"r": tf.constant(["a", "b"])}
    np.testing.assert_allclose(reloaded(batch).numpy(), model(batch).numpy())
