"""Eagerly, a trainable TF1 module runs the UPDATE_OPS its signature's inputs feed (upd59).

The module: `x` a placeholder, `hidden = relu(x @ w)`, and in its `{"train"}` variant an update
op assigns `mean(hidden)` to `mean`. Its signatures: `default` (input `x`), `from_hidden` (input
`hidden`, an inner tensor of the graph, not a placeholder) and `other` (a placeholder `y`, with
an update op that adds `sum(y)` to `total`). Eagerly (`hub.Module`, `hub.KerasLayer`, both
through `LoadedModel.training_function`), applying `default` or `from_hidden` left the `mean`
update out, so `mean` stayed [0, 0] while a graph's `hub.Module` (and upstream's) moved it:
the walk from the update op went on past the input the signature feeds, and any other
signature's input (the inner `hidden` too) counted as one the call cannot feed. Now the rule
is the graph path's (`module_apply.keep_feedable_update_ops`, tests/tf1/
test_update_ops_per_signature_tf159.py): the walk stops at the fed inputs, and only another
signature's unfed placeholder leaves an update op out (`total`'s, when `default` is applied).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1
X = np.array([[1.0, 3.0], [3.0, -1.0]], np.float32)
HIDDEN = np.maximum(X, 0.0)  # w is the identity.
Y = np.array([2.0, 5.0], np.float32)
SIGNATURE_INPUTS = {"default": X, "from_hidden": HIDDEN, "other": Y}


def _module_fn(is_training: bool = False) -> None:
    x = v1.placeholder(tf.float32, [None, 2])
    w = v1.get_variable("w", initializer=np.eye(2, dtype=np.float32))
    hidden = tf.nn.relu(tf.matmul(x, w))
    scale = v1.get_variable("scale", initializer=1.0)
    mean = v1.get_variable("mean", initializer=tf.zeros([2]), trainable=False)
    y = v1.placeholder(tf.float32, [None])
    total = v1.get_variable("total", initializer=0.0, trainable=False)
    if is_training:
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign(mean, tf.reduce_mean(hidden, 0)))
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign_add(total, tf.reduce_sum(y)))
    hub.add_signature(inputs=x, outputs=scale * (hidden - mean))
    hub.add_signature("from_hidden", inputs=hidden, outputs=scale * (hidden - mean))
    hub.add_signature("other", inputs=y, outputs=y + total)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The module (both variants) exported with its initial values."""
    variants = [(set(), {}), ({"train"}, {"is_training": True})]
    spec = hub.create_module_spec(_module_fn, tags_and_args=variants)
    path = str(tmp_path_factory.mktemp("upd59") / "module")
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(path, session)
    return path


@pytest.fixture(scope="module")
def graph_state(module_dir: str) -> dict[str, dict[str, np.ndarray]]:
    """{signature: {variable: value}} after one application and its UPDATE_OPS in a graph."""
    state = {}
    for signature, value in SIGNATURE_INPUTS.items():
        with tf.Graph().as_default():
            module = hub.Module(module_dir, trainable=True, tags={"train"})
            module(value, signature=signature)
            update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            with v1.Session() as session:
                session.run(v1.global_variables_initializer())
                session.run(update_ops)
                state[signature] = session.run(module.variable_map)
    return state


def _state(variables: dict[str, Any]) -> dict[str, np.ndarray]:
    return {name: np.asarray(variables[name].numpy()) for name in ("mean", "total")}


def test_graph_mode_moves_what_each_signature_feeds(graph_state: dict[str, Any]) -> None:
    """The reference the eager paths must match (as upstream's hub.Module in a graph)."""
    for signature in ("default", "from_hidden"):
        np.testing.assert_allclose(graph_state[signature]["mean"], [2.0, 1.5])
        assert graph_state[signature]["total"] == 0.0
    np.testing.assert_allclose(graph_state["other"]["mean"], [0.0, 0.0])
    assert graph_state["other"]["total"] == 7.0


@pytest.mark.parametrize("signature", ["default", "from_hidden", "other"])
def test_eager_module_runs_the_update_ops_its_signature_feeds(
    module_dir: str, graph_state: dict[str, Any], signature: str
) -> None:
    module = hub.Module(module_dir, trainable=True, tags={"train"})
    outputs = module(SIGNATURE_INPUTS[signature], signature=signature)
    state = _state(module.variable_map)
    for name, value in state.items():
        np.testing.assert_allclose(value, graph_state[signature][name], err_msg=name)
    if signature != "other":  # Read before or after the update: unordered, as in a graph.
        means = (np.zeros(2), graph_state[signature]["mean"])
        assert any(np.allclose(outputs, HIDDEN - mean) for mean in means), outputs


def test_eager_module_not_trainable_runs_no_update_op(module_dir: str) -> None:
    module = hub.Module(module_dir, tags={"train"})
    module(HIDDEN, signature="from_hidden")
    state = _state(module.variable_map)
    np.testing.assert_allclose(state["mean"], [0.0, 0.0])


@pytest.mark.parametrize("signature", ["default", "from_hidden"])
def test_trainable_keras_layer_moves_the_statistics_in_a_training_step(
    module_dir: str, graph_state: dict[str, Any], signature: str
) -> None:
    layer = hub.KerasLayer(
        module_dir, signature=signature, output_key="default", tags=["train"], trainable=True
    )
    stats = {w.name.split("/")[-1].split(":")[0]: w for w in layer.non_trainable_weights}
    value = SIGNATURE_INPUTS[signature]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(value, training=True)))
    gradients = tape.gradient(loss, layer.trainable_weights)
    pairs = [
        (g, w) for g, w in zip(gradients, layer.trainable_weights, strict=True) if g is not None
    ]
    assert pairs  # `scale` at least: from_hidden does not read `w`.
    tf.keras.optimizers.SGD(0.1).apply_gradients(pairs)
    np.testing.assert_allclose(stats["mean"].numpy(), graph_state[signature]["mean"])
    assert stats["total"].numpy() == 0.0
    layer(value, training=False)  # Inference runs no update op.
    np.testing.assert_allclose(stats["mean"].numpy(), graph_state[signature]["mean"])


def test_keras_model_train_on_batch_moves_the_statistics(
    module_dir: str, graph_state: dict[str, Any]
) -> None:
    layer = hub.KerasLayer(module_dir, tags=["train"], trainable=True)
    model = tf.keras.Sequential([tf.keras.Input((2,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(X, np.zeros_like(X))
    (mean,) = [w for w in layer.non_trainable_weights if "mean" in w.name]
    np.testing.assert_allclose(mean.numpy(), graph_state["default"]["mean"])


def test_module_export_after_eager_training_keeps_the_moved_statistics(
    module_dir: str, tmp_path: Path
) -> None:
    module = hub.Module(module_dir, trainable=True, tags={"train"})
    module(HIDDEN, signature="from_hidden")
    module.export(str(tmp_path / "tuned"))
    reloaded = hub.Module(str(tmp_path / "tuned"), tags={"train"})
    np.testing.assert_allclose(reloaded.variable_map["mean"].numpy(), [2.0, 1.5])


def test_v1_control_flow_between_placeholder_and_update_op(tmp_path: Path) -> None:
    """The forward pass from another signature's placeholder goes through TF1 v1 control
    flow (`Switch`/`Merge`, a `while_loop`'s cycle) to the update op it blocks."""

    def module_fn(is_training: bool = False) -> None:
        x = v1.placeholder(tf.float32, [None])
        y = v1.placeholder(tf.float32, [None])
        total = v1.get_variable("total", initializer=0.0, trainable=False)
        y_sum = tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s + y[0]), (0, 0.0))[1]
        x_sum = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.reduce_sum(x), lambda: 0.0)
        if is_training:
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign_add(total, x_sum))
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign_add(total, 100 * y_sum))
        hub.add_signature(inputs=x, outputs=x + total)
        hub.add_signature("other", inputs=y, outputs=y + total)

    v1.disable_control_flow_v2()  # As TF1-era modules were built.
    try:
        spec = hub.create_module_spec(module_fn, tags_and_args=[({"train"}, {"is_training": True})])
    finally:
        v1.enable_control_flow_v2()
    assert "while_context" in spec.get_meta_graph(tags={"train"}).collection_def
    module = hub.Module(spec, trainable=True, tags={"train"})
    module(np.array([3.0, 4.0], np.float32))
    assert module.variable_map["total"].numpy() == 7.0
    module(np.array([0.5], np.float32), signature="other")
    assert module.variable_map["total"].numpy() == 107.0
