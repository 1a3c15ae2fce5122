"""An eager hub.Module of a TF1 module with a partitioned variable lists each partition once,
as a readable eager variable (review49a-F3, session 49): TensorFlow's TF1 loader also lists a
dead copy of each partition, which `trainable_variables` held ("is out of scope and cannot be
used here" on any read: an L2 term, a checkpoint)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


@pytest.fixture(scope="module")
def partitioned_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A module whose embedding `emb` [4, 2] (all ones) is split in two partitions."""

    def module_fn() -> None:
        ids = tf1.placeholder(tf.int64, [None])
        emb = tf1.get_variable(
            "emb",
            [4, 2],
            initializer=tf1.ones_initializer(),
            partitioner=tf1.fixed_size_partitioner(2),
        )
        hub.add_signature(inputs=ids, outputs=tf.nn.embedding_lookup(emb, ids))

    path = str(Path(tmp_path_factory.mktemp("partitioned")) / "module")
    hub.Module(hub.create_module_spec(module_fn)).export(path)
    return path


def test_trainable_variables_list_each_partition_once_and_read(partitioned_module):
    module = hub.Module(partitioned_module, trainable=True)
    variables = module.trainable_variables
    assert [v.name for v in variables] == ["emb/part_0:0", "emb/part_1:0"]
    l2 = tf.add_n([tf.reduce_sum(tf.square(v)) for v in variables])
    assert float(l2) == 8.0
    assert {id(v) for v in variables} == {id(p) for p in module.variable_map["emb"]}


def test_every_trainable_variable_gets_a_gradient(partitioned_module):
    module = hub.Module(partitioned_module, trainable=True)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(module(np.array([0, 3], np.int64)))
    gradients = tape.gradient(loss, module.trainable_variables)
    assert all(g is not None for g in gradients)


@pytest.mark.parametrize("trainable", [True, False])
def test_a_keras_layer_of_it_lists_each_partition_once_and_saves(
    partitioned_module, tmp_path, trainable
):
    keras = pytest.importorskip("keras")
    layer = hub.KerasLayer(partitioned_module, trainable=trainable)
    model = keras.Sequential([keras.Input((), dtype="int64"), layer])
    assert len(layer.weights) == 2
    assert [w.shape for w in model.get_weights()] == [(2, 2), (2, 2)]
    model.save_weights(str(tmp_path / "w.weights.h5"))
