"""Which variable `VariablesMismatchError` names, for real models (session 46, review46 M3, M4,
L1): a TF2 variable by its checkpoint key without "/.ATTRIBUTES/VARIABLE_VALUE", as
`tf.train.list_variables` shows it (TensorFlow names a key by the shortest path to the
variable), never by one of its aliases ("keras_api/trainable_variables/0"); optimizer slot
variables (tf_keras' ".OPTIMIZER_SLOT") are compared too; and a variable whose graph gives it
a dtype TensorFlow does not know (DT_INVALID, a damaged graph) is reported, "invalid", instead
of the diagnosis raising a TypeError on top of TensorFlow's error.

Each damaged checkpoint is the model's own rewritten with `tf.raw_ops.SaveV2`: the same keys
(and object graph), one tensor in another dtype.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
from tests._helpers._across_workers import computed_once  # noqa: E402
from tests._helpers.checkpoints import checkpoint_tensors, write_checkpoint  # noqa: E402
from tests._helpers.models import save_tf1_ref_variable_model  # noqa: E402
from tests._helpers.warm_python import run_warm_python  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors, saved_model_proto  # noqa: E402
from tfhub.model_graph_checks import _object_variables  # noqa: E402

pytestmark = pytest.mark.tf

_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_COPIED = "(was variables/ copied from another model?)"

# A tf_keras model trained one step with a legacy Adam (slot variables "m" and "v"), saved
# with tf.saved_model.save, in a child: this process runs Keras 3.
_TF_KERAS_SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
import tf_keras
model = tf_keras.Sequential([tf_keras.Input((3,)), tf_keras.layers.Dense(2, name="d")])
model.compile(optimizer=tf_keras.optimizers.legacy.Adam(), loss="mse")
model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0, epochs=1)
tf.saved_model.save(model, sys.argv[1])
"""


class _Shared(tf.Module):
    """One variable under three names ("a", "b", "inner/c"), and another ("u")."""

    def __init__(self) -> None:
        super().__init__()
        shared = tf.Variable(tf.ones([2]), name="v")
        self.a = shared
        self.b = shared
        self.inner = tf.Module()
        self.inner.c = shared
        self.u = tf.Variable(tf.zeros([3]), name="u")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, x: Any) -> Any:
        return x + tf.reduce_sum(self.a) + tf.reduce_sum(self.u)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shared") / "model"
    tf.saved_model.save(_Shared(), str(path))
    return path


@pytest.fixture(scope="module")
def tf_keras_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tf_keras model _TF_KERAS_SCRIPT saves (read only): saved once per test run, by the
    first pytest worker that asks (`computed_once`)."""
    return Path(
        computed_once(
            tmp_path_factory, f"{__name__}.tf_keras_model", lambda: _save_tf_keras(tmp_path_factory)
        )
    )


def _save_tf_keras(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Runs _TF_KERAS_SCRIPT in a child; `tf_keras_model`'s folder."""
    path = tmp_path_factory.mktemp("tf_keras") / "model"
    run_warm_python(_TF_KERAS_SCRIPT, str(path))
    return str(path)


@pytest.fixture(scope="module")
def keras3_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Keras 3 Dense model with a built Adam, saved with tf.saved_model.save: its kernel's
    shortest path (its key) goes through the optimizer, not through its layer."""
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    path = tmp_path_factory.mktemp("keras3") / "model"
    tf.saved_model.save(model, str(path))
    return path


def _rewritten(healthy: Path, folder: Path, key: str, value: Any, **more: Any) -> Path:
    """A copy of `healthy` whose checkpoint holds `value` under `key` (and each of `more`
    under its key), the rest unchanged."""
    model = Path(shutil.copytree(healthy, folder / "model"))
    tensors = checkpoint_tensors(model)
    for name, replaced in {key: value, **more}.items():
        assert name in tensors, sorted(tensors)
        tensors[name] = replaced
    write_checkpoint(model, tensors)
    return model


def _load_problem(model: Path, upstream: type = tf.errors.InvalidArgumentError) -> str:
    """The problem `hub.load(model)` names: a VariablesMismatchError caused by TensorFlow's
    error, an `upstream`."""
    with pytest.raises(errors.VariablesMismatchError) as caught:
        hub.load(str(model))
    err = caught.value
    assert type(err.__cause__) is upstream, repr(err.__cause__)
    assert err.path == str(model)
    return err.problem


def test_a_variable_under_several_names_is_named_by_its_checkpoint_key(
    shared: Path, tmp_path: Path
) -> None:
    model = _rewritten(shared, tmp_path, f"a{_SUFFIX}", tf.ones([2], tf.float64))
    assert _load_problem(model) == (
        f"variables/ holds the variable 'a' as float64[2], its graph as float32[2] {_COPIED}"
    )


def test_a_tf_keras_kernel_is_named_as_list_variables_shows_it(
    tf_keras_model: Path, tmp_path: Path
) -> None:
    """Not 'keras_api/trainable_variables/0', an alias no checkpoint tool shows."""
    key = f"layer_with_weights-0/kernel{_SUFFIX}"
    model = _rewritten(tf_keras_model, tmp_path, key, tf.ones([3, 2], tf.float64))
    assert _load_problem(model) == (
        "variables/ holds the variable 'layer_with_weights-0/kernel' as float64[3, 2], its "
        f"graph as float32[3, 2] {_COPIED}"
    )


def test_a_tf_keras_optimizer_slot_is_compared(tf_keras_model: Path, tmp_path: Path) -> None:
    """Before, a slot variable was not walked: TensorFlow's bare InvalidArgumentError."""
    slot = "layer_with_weights-0/bias/.OPTIMIZER_SLOT/optimizer/m"
    model = _rewritten(tf_keras_model, tmp_path, f"{slot}{_SUFFIX}", tf.ones([2], tf.float64))
    assert _load_problem(model) == (
        f"variables/ holds the variable '{slot}' as float64[2], its graph as float32[2] {_COPIED}"
    )


def test_a_keras3_kernel_is_named_by_its_key(keras3_model: Path, tmp_path: Path) -> None:
    """Not '_layers/1/_kernel': the key's (shortest) path goes through the optimizer."""
    key = f"optimizer/_trainable_variables/0{_SUFFIX}"
    model = _rewritten(keras3_model, tmp_path, key, tf.ones([3, 2], tf.float64))
    assert _load_problem(model) == (
        "variables/ holds the variable 'optimizer/_trainable_variables/0' as float64[3, 2], "
        f"its graph as float32[3, 2] {_COPIED}"
    )


def _renumbered_object_graph(prefix: str) -> bytes:
    """The checkpoint's object graph with its nodes other than the root in reverse order (each
    reference renumbered): the same graph to TensorFlow's restore, which follows names from
    the root, but its node ids no longer those of the SavedModel's object graph."""
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(
        tf.train.load_checkpoint(prefix).get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
    )
    count = len(graph.nodes)
    new_id = [0, *range(count - 1, 0, -1)]
    renumbered = trackable_object_graph_pb2.TrackableObjectGraph()
    for old in [0, *range(count - 1, 0, -1)]:
        node = renumbered.nodes.add()
        node.CopyFrom(graph.nodes[old])
        for child in node.children:
            child.node_id = new_id[child.node_id]
        for slot in node.slot_variables:
            slot.original_variable_node_id = new_id[slot.original_variable_node_id]
            slot.slot_variable_node_id = new_id[slot.slot_variable_node_id]
    return renumbered.SerializeToString()


def test_a_slot_is_matched_by_its_variable_in_the_checkpoint_graph(
    tf_keras_model: Path, tmp_path: Path
) -> None:
    """A slot's variable is looked up by its id in the checkpoint's object graph, not by its
    id in the SavedModel's (the two numberings differ here; TensorFlow's restore follows
    names, so the healthy renumbered model loads)."""
    prefix = str(tf_keras_model / "variables" / "variables")
    object_graph = {"_CHECKPOINTABLE_OBJECT_GRAPH": _renumbered_object_graph(prefix)}
    kernel = f"layer_with_weights-0/kernel{_SUFFIX}"
    healthy = tf.train.load_checkpoint(prefix).get_tensor(kernel)
    same = _rewritten(tf_keras_model, tmp_path / "same", kernel, healthy, **object_graph)
    hub.load(str(same))
    slot = "layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/v"
    damaged = tf.ones([3, 2], tf.float64)
    model = _rewritten(tf_keras_model, tmp_path, f"{slot}{_SUFFIX}", damaged, **object_graph)
    assert _load_problem(model) == (
        f"variables/ holds the variable '{slot}' as float64[3, 2], its graph as float32[3, 2] "
        f"{_COPIED}"
    )


def test_a_slot_of_a_node_out_of_range_is_skipped(tf_keras_model: Path) -> None:
    """A damaged saved_model.pb whose optimizer names slot nodes it lacks: no IndexError
    from the diagnosis, the other variables still compared."""
    from tfhub import model_damage

    meta_graphs = saved_model_proto.read_saved_model_proto(str(tf_keras_model)).meta_graphs
    refs = [ref for node in meta_graphs[0].object_graph_def.nodes for ref in node.slot_variables]
    assert len(refs) == 4  # m and v of the kernel and the bias.
    for ref in refs:
        ref.slot_variable_node_id = 10**6
    prefix = str(tf_keras_model / "variables" / "variables")
    assert model_damage.variables_mismatch(prefix, meta_graphs) is None


@pytest.mark.parametrize("fixture", ["shared", "tf_keras_model", "keras3_model"])
def test_every_variable_is_walked_by_its_listed_name(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """The walk finds each variable `tf.train.list_variables` lists (slots included), each
    once, under the name it lists."""
    path: Path = request.getfixturevalue(fixture)
    prefix = str(path / "variables" / "variables")
    listed = sorted(
        name.removesuffix(_SUFFIX)
        for name, _ in tf.train.list_variables(prefix)
        if name.endswith(_SUFFIX)
    )
    meta_graph = saved_model_proto.read_saved_model_proto(str(path)).meta_graphs[0]
    reader = tf.train.load_checkpoint(prefix)
    walked = [(name, key) for name, key, *_ in _object_variables(reader, meta_graph)]
    assert sorted(name for name, _ in walked) == listed
    assert all(key == f"{name}{_SUFFIX}" for name, key in walked), walked


def test_a_tf2_variable_of_invalid_dtype_is_reported(shared: Path, tmp_path: Path) -> None:
    """A graph (saved_model.pb) giving 'u' DT_INVALID: TensorFlow's restore fails; the
    diagnosis names 'u' instead of raising TypeError from tf.dtypes.as_dtype(0)."""
    model = Path(shutil.copytree(shared, tmp_path / "model"))
    proto = saved_model_proto.read_saved_model_proto(str(model))
    nodes = proto.meta_graphs[0].object_graph_def.nodes
    cleared = [node for node in nodes if node.HasField("variable") and node.variable.name == "u"]
    assert len(cleared) == 1
    cleared[0].variable.dtype = 0
    (model / "saved_model.pb").write_bytes(proto.SerializeToString())
    assert _load_problem(model, TypeError) == (
        "variables/ holds the variable 'u' as float32[3], its graph as invalid[3] "
        "(is its graph damaged?)"
    )


def test_a_tf1_variable_without_a_dtype_is_reported(tmp_path: Path) -> None:
    """A TF1 graph's VariableV2 without its "dtype" attr (DT_INVALID when read)."""
    path = save_tf1_ref_variable_model(tmp_path / "model", 2)
    proto = saved_model_proto.read_saved_model_proto(str(path))
    graph = proto.meta_graphs[0].graph_def
    variables = [node for node in graph.node if node.op == "VariableV2"]
    assert [node.name for node in variables] == ["w"]
    del variables[0].attr["dtype"]
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    problem = _load_problem(path, ValueError)  # TensorFlow's "NodeDef missing attr 'dtype'".
    assert problem == (
        "variables/ holds the variable 'w' as float32[2], its graph as invalid[2] "
        "(is its graph damaged?)"
    ), problem
