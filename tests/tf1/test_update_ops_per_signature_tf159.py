"""A trainable hub.Module's UPDATE_OPS in a graph are those its application can run (tf159).

The rich module's `{"train"}` variant has batch norm on the `default` signature's input `x`.
Applying its `embed` signature listed that batch norm's update ops too (upstream 0.10.0 did the
same), and they need `x`, which that application never feeds: the usual
`tf.control_dependencies(UPDATE_OPS)` training step failed with "You must feed a value for
placeholder tensor 'module_apply_embed/x'". The eager module already left them out. Also the
fine-tuning lifecycle of that variant: train with its update ops, save with a `Saver`, export,
restore in a fresh graph, export again, reload each with either tag set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.tf1.conftest import EMBEDDINGS, hidden_np

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1
X = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0], [4.0, 0.5, -2.0]], np.float32)
WORDS = v1.SparseTensorValue([[0, 0], [0, 1], [1, 0]], [b"apple", b"cherry", b"durian"], [2, 2])
EXPECTED_EMBED = np.stack([EMBEDDINGS[0] + EMBEDDINGS[2], EMBEDDINGS[3]])


def _initialize(session: Any) -> None:
    session.run([v1.global_variables_initializer(), v1.tables_initializer()])


def _train_step(loss: Any) -> Any:
    """The TF1 training step of upstream's docs: the minimize waits for UPDATE_OPS."""
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
        return v1.train.GradientDescentOptimizer(0.05).minimize(loss)


def test_applying_a_signature_lists_no_update_op_needing_another_signatures_input(
    rich_spec: Any,
) -> None:
    with tf.Graph().as_default():
        module = hub.Module(rich_spec, trainable=True, tags={"train"})
        embedded = module(WORDS, signature="embed")
        assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []
        train_op = _train_step(tf.reduce_sum(embedded))
        with v1.Session() as session:
            _initialize(session)
            values = session.run(embedded)
            session.run(train_op)
            moving_mean = session.run(module.variable_map["bn/moving_mean"])
    np.testing.assert_allclose(values, EXPECTED_EMBED)
    np.testing.assert_allclose(moving_mean, np.zeros(4))


def test_each_application_keeps_the_update_ops_its_own_inputs_feed(rich_spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(rich_spec, trainable=True, tags={"train"})
        normalized = module(X)
        embedded = module(WORDS, signature="embed")
        update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        assert sorted({op.name.split("/")[0] for op in update_ops}) == ["module_apply_default"]
        assert len(update_ops) == 2
        train_op = _train_step(tf.reduce_sum(normalized) + tf.reduce_sum(embedded))
        with v1.Session() as session:
            _initialize(session)
            session.run(train_op)
            moving_mean = session.run(module.variable_map["bn/moving_mean"])
    np.testing.assert_allclose(moving_mean, 0.1 * hidden_np(X).mean(0), atol=1e-5)


def test_fine_tuned_train_variant_round_trips_through_saver_and_two_exports(
    rich_spec: Any, tmp_path: Path
) -> None:
    def build() -> tuple[Any, Any, Any]:
        module = hub.Module(rich_spec, trainable=True, tags={"train"})
        embedded = module(WORDS, signature="embed")
        loss = tf.reduce_mean(tf.square(module(X) - 1.0)) + tf.reduce_sum(embedded)
        return module, _train_step(loss), embedded

    with tf.Graph().as_default():
        module, train_op, _ = build()
        saver = v1.train.Saver()
        with v1.Session() as session:
            _initialize(session)
            for _ in range(3):
                session.run(train_op)
            tuned = session.run(module.variable_map)
            saver.save(session, str(tmp_path / "ckpt" / "model"))
            module.export(str(tmp_path / "first"), session)
    assert not np.allclose(tuned["bn/moving_mean"], 0.0)
    with tf.Graph().as_default():  # A fresh graph restores the Saver's names.
        module, _, embedded = build()
        with v1.Session() as session:
            v1.train.Saver().restore(session, str(tmp_path / "ckpt" / "model"))
            session.run(v1.tables_initializer())
            restored = session.run(module.variable_map)
            module.export(str(tmp_path / "second"), session)
    for folder in ("first", "second"):
        for tags in (None, {"train"}):
            with tf.Graph().as_default():
                module = hub.Module(str(tmp_path / folder), tags=tags)
                with v1.Session() as session:
                    _initialize(session)
                    reloaded = session.run(module.variable_map)
            for name, value in tuned.items():
                np.testing.assert_allclose(reloaded[name], value, err_msg=f"{folder} {name}")
                np.testing.assert_allclose(restored[name], value, err_msg=name)


def test_a_module_with_v1_control_flow_imported_whole_lists_the_same() -> None:
    """A graph with TF1 v1 control flow contexts is imported whole by each application: its
    UPDATE_OPS still lists only the update ops of the signature applied."""

    def module_fn(is_training: bool = False) -> None:
        x = v1.placeholder(tf.float32, [None])
        y = v1.placeholder(tf.float32, [None])
        total = v1.get_variable("total", initializer=0.0, trainable=False)
        if is_training:
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign_add(total, tf.reduce_sum(x)))
        hub.add_signature(inputs=x, outputs=tf.cond(tf.reduce_sum(x) > 0, lambda: x, lambda: -x))
        hub.add_signature("other", inputs=y, outputs=tf.cond(y[0] > 0, lambda: 2 * y, lambda: y))

    v1.disable_control_flow_v2()  # As TF1-era modules were built.
    try:
        spec = hub.create_module_spec(module_fn, tags_and_args=[({"train"}, {"is_training": True})])
    finally:
        v1.enable_control_flow_v2()
    assert "cond_context" in spec.get_meta_graph(tags={"train"}).collection_def
    with tf.Graph().as_default():
        module = hub.Module(spec, trainable=True, tags={"train"})
        doubled = module([1.0, 2.0], signature="other")
        assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []
        module([3.0, 4.0])
        (update,) = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(doubled), [2.0, 4.0])
            session.run(update)
            assert session.run(module.variable_map["total"]) == 7.0


@pytest.mark.parametrize("signature", ["default", "from_hidden"])
def test_an_update_op_behind_an_input_the_application_feeds_is_kept(signature: str) -> None:
    """`from_hidden` takes an inner tensor `h` of the graph as its input: its application feeds
    `h`, so the update op on `h` runs, though `h` is computed from `default`'s placeholder (as
    upstream; kept by the graph path, which stops at the inputs an application feeds)."""

    def module_fn(is_training: bool = False) -> None:
        x = v1.placeholder(tf.float32, [None, 2])
        w = v1.get_variable("w", initializer=np.eye(2, dtype=np.float32))
        hidden = tf.nn.relu(tf.matmul(x, w))
        mean = v1.get_variable("mean", initializer=tf.zeros([2]), trainable=False)
        if is_training:
            v1.add_to_collection(
                v1.GraphKeys.UPDATE_OPS, v1.assign(mean, tf.reduce_mean(hidden, 0))
            )
        hub.add_signature(inputs=x, outputs=hidden - mean)
        hub.add_signature("from_hidden", inputs=hidden, outputs=hidden - mean)

    spec = hub.create_module_spec(module_fn, tags_and_args=[({"train"}, {"is_training": True})])
    with tf.Graph().as_default():
        module = hub.Module(spec, trainable=True, tags={"train"})
        module(np.array([[1.0, 3.0]], np.float32), signature=signature)
        (update,) = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            session.run(update)
            np.testing.assert_allclose(session.run(module.variable_map["mean"]), [1.0, 3.0])
