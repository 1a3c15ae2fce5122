"""A signature feeds TENSORS: an update op that reads ANOTHER output of the op whose output a
signature takes as its input still needs that op's inputs (lead59, after review rev59b).

The module: `x` a placeholder, `first, second = tf.split(relu(x), 2, axis=1)`; its signature
`from_first` takes `first` (output 0 of the split), and in the `{"train"}` variant an update
op assigns `mean(second)` (output 1 of the same split) to `stat`. Applying `from_first` feeds
`first` only: the split still has to run for `second`, and it needs `x`, which that
application never feeds. The walks that choose the update ops an application can run
(`module_apply.keep_feedable_update_ops` in a graph, `LoadedModel._feedable` eagerly) stopped
at the split as a whole ("fed"), so they kept the update op: a graph's usual
`tf.control_dependencies(UPDATE_OPS)` step and the eager call then failed with "You must feed a
value for placeholder tensor". The `default` signature (input `x`) still runs it.
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1
X = np.array([[1.0, 3.0, 5.0, 7.0], [3.0, -1.0, 1.0, 3.0]], np.float32)
FIRST = np.maximum(X, 0.0)[:, :2]
SECOND_MEAN = np.maximum(X, 0.0)[:, 2:].mean(0)  # [3, 5]


def _module_fn(is_training: bool = False) -> None:
    x = v1.placeholder(tf.float32, [None, 4])
    first, second = tf.split(tf.nn.relu(x), 2, axis=1)
    stat = v1.get_variable("stat", initializer=tf.zeros([2]), trainable=False)
    scale = v1.get_variable("scale", initializer=1.0)
    if is_training:
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign(stat, tf.reduce_mean(second, 0)))
    hub.add_signature(inputs=x, outputs=scale * first)
    hub.add_signature("from_first", inputs=first, outputs=scale * first)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    variants = [(set(), {}), ({"train"}, {"is_training": True})]
    spec = hub.create_module_spec(_module_fn, tags_and_args=variants)
    path = str(tmp_path_factory.mktemp("lead59") / "module")
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(path, session)
    return path


@pytest.mark.parametrize(
    ("signature", "value", "moved"),
    [
        ("from_first", FIRST, False),
        ("default", X, True),
    ],
)
def test_graph_training_step_runs_what_the_fed_tensors_allow(
    module_dir: str, signature: str, value: np.ndarray, moved: bool
) -> None:
    with tf.Graph().as_default():
        module = hub.Module(module_dir, trainable=True, tags={"train"})
        outputs = module(value, signature=signature)
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            step = tf.identity(outputs)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(step), FIRST)
            stat = session.run(module.variable_map["stat"])
    np.testing.assert_allclose(stat, SECOND_MEAN if moved else np.zeros(2))


@pytest.mark.parametrize(
    ("signature", "value", "moved"), [("from_first", FIRST, False), ("default", X, True)]
)
def test_eager_call_runs_what_the_fed_tensors_allow(
    module_dir: str, signature: str, value: np.ndarray, moved: bool
) -> None:
    module = hub.Module(module_dir, trainable=True, tags={"train"})
    np.testing.assert_allclose(module(value, signature=signature), FIRST)
    stat = module.variable_map["stat"].numpy()
    np.testing.assert_allclose(stat, SECOND_MEAN if moved else np.zeros(2))
