"""An eager hub.Module of a TF1 module with a partitioned variable (review49a-F3).

TensorFlow's `tf.compat.v1.saved_model.load_v2` lists each partition of such a module twice;
the second copy lives in the loader's function graph and cannot be read eagerly ("is out of
scope"). `trainable_variables` listed both, so a regularizer over them, or anything that read
them, failed with TensorFlow's bare TypeError.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import partitioned_tf1_module as pm

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

IDS = np.array([0, 3, 1], np.int64)


@pytest.fixture(scope="module")
def module_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return pm.save_partitioned_module(os.fspath(tmp_path_factory.mktemp("part49") / "module"))


def test_trainable_variables_list_each_partition_once_and_readable(module_path: str) -> None:
    module = hub.Module(module_path, trainable=True)
    variables = module.trainable_variables
    assert [v.name for v in variables] == ["emb/part_0:0", "emb/part_1:0", "scale:0"]
    parts = module.variable_map["emb"]
    assert [id(v) for v in variables] == [
        id(parts[0]),
        id(parts[1]),
        id(module.variable_map["scale"]),
    ]
    l2 = tf.add_n([tf.reduce_sum(tf.square(v)) for v in variables])  # Reads each one.
    np.testing.assert_allclose(float(l2), float((pm.EMB**2).sum() + (pm.SCALE**2).sum()))
    assert sorted(v.name for v in module.variables) == [
        "count:0",
        "emb/part_0:0",
        "emb/part_1:0",
        "scale:0",
    ]


def test_gradient_tape_trains_the_partitions_the_module_reads(
    module_path: str, tmp_path: Path
) -> None:
    module = hub.Module(module_path, trainable=True)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(module(IDS))
    gradients = tape.gradient(loss, module.trainable_variables)
    assert all(g is not None for g in gradients)
    for variable, gradient in zip(module.trainable_variables, gradients, strict=True):
        variable.assign_sub(0.1 * tf.convert_to_tensor(gradient))
    emb = np.concatenate([v.numpy() for v in module.variable_map["emb"]])
    scale = module.variable_map["scale"].numpy()
    assert not np.allclose(emb, pm.EMB) and not np.allclose(scale, pm.SCALE)
    want = pm.expected(IDS, emb=emb, scale=scale)
    np.testing.assert_allclose(module(IDS).numpy(), want, rtol=1e-6)
    module.export(os.fspath(tmp_path / "tuned"))
    np.testing.assert_allclose(hub.Module(os.fspath(tmp_path / "tuned"))(IDS).numpy(), want)
