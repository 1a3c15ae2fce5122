"""A TF2 SavedModel whose checkpoint holds a variable in another dtype or shape than its object
graph (session 46): `hub.load` and `hub.KerasLayer` raise `VariablesMismatchError`, as TF1 Hub
modules did already (tests/tf1/test_damaged_modules_probes44.py), naming the folder, the
variable and both dtypes; it is also what TensorFlow raised (`InvalidArgumentError` for a dtype,
`ValueError` for a shape). Before, TensorFlow's bare error ("expected dtype float does not
equal original dtype double") named no model. A model that loads pays nothing for the check.

The damaged checkpoint is the model's own rewritten with `tf.raw_ops.SaveV2`: the same keys
(and object graph), one tensor in another dtype or shape.
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
from tests._helpers.checkpoints import checkpoint_tensors, write_checkpoint  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors, model_damage  # noqa: E402

pytestmark = pytest.mark.tf

_V = "v/.ATTRIBUTES/VARIABLE_VALUE"
_W = "inner/w/.ATTRIBUTES/VARIABLE_VALUE"


class _Small(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.v = tf.Variable(tf.ones([2]), name="v")
        self.inner = tf.Module()
        self.inner.w = tf.Variable(tf.zeros([3, 4]), name="w")
        self.inner.outer = self  # A cycle in the object graph: walked once.

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x: Any) -> Any:
        return x * tf.reduce_sum(self.v) + tf.reduce_sum(self.inner.w)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("healthy") / "model"
    tf.saved_model.save(_Small(), str(path))
    return path


def _rewritten(healthy: Path, folder: Path, key: str, value: Any) -> Path:
    """A copy of `healthy` whose checkpoint holds `value` under `key`, the rest unchanged."""
    model = Path(shutil.copytree(healthy, folder / "model"))
    write_checkpoint(model, {**checkpoint_tensors(model), key: value})
    return model


# damage -> (key, the value written, what TensorFlow raised, the problem named)
_DAMAGES: dict[str, tuple[str, Callable[[], Any], type, str]] = {
    "dtype": (
        _V,
        lambda: tf.ones([2], tf.float64),
        tf.errors.InvalidArgumentError,
        "variables/ holds the variable 'v' as float64[2], its graph as float32[2]",
    ),
    "shape": (
        _V,
        lambda: tf.ones([3]),
        ValueError,
        "variables/ holds the variable 'v' as float32[3], its graph as float32[2]",
    ),
    "nested dtype": (
        _W,
        lambda: tf.zeros([3, 4], tf.int32),
        tf.errors.InvalidArgumentError,
        "variables/ holds the variable 'inner/w' as int32[3, 4], its graph as float32[3, 4]",
    ),
}

_LOADERS: dict[str, Callable[[Path], object]] = {
    "hub.load": lambda model: hub.load(str(model))(tf.ones([1, 3])),
    "hub.KerasLayer": lambda model: hub.KerasLayer(str(model))(tf.ones([1, 3])),
}


@pytest.mark.parametrize("loader", sorted(_LOADERS))
@pytest.mark.parametrize("damage", sorted(_DAMAGES))
def test_a_variable_of_another_dtype_or_shape_is_named(
    healthy: Path, tmp_path: Path, damage: str, loader: str
) -> None:
    key, value, upstreams, problem = _DAMAGES[damage]
    model = _rewritten(healthy, tmp_path, key, value())
    with pytest.raises(errors.VariablesMismatchError) as caught:
        _LOADERS[loader](model)
    err = caught.value
    assert isinstance(err, tf.errors.InvalidArgumentError), repr(err)
    assert isinstance(err, errors.DamagedModelError) and isinstance(err, upstreams), repr(err)
    assert isinstance(err.__cause__, upstreams), repr(err.__cause__)  # TensorFlow's, kept.
    assert err.path == str(model)
    assert err.problem == f"{problem} (was variables/ copied from another model?)"
    assert str(err) == (
        f"The model {model} cannot be loaded: {err.problem}. "
        "Check the path, or copy or export the model there again."
    )
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.path) == (type(err), str(err), err.path)


def test_a_healthy_model_is_not_checked(healthy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison runs only after TensorFlow's restore failed: a model that loads reads
    its checkpoint once, in TensorFlow's restore."""
    checked: list[str] = []
    real = model_damage.variables_mismatch

    def counted(prefix: str, meta_graphs: Any) -> str | None:
        checked.append(prefix)
        return real(prefix, meta_graphs)

    monkeypatch.setattr(model_damage, "variables_mismatch", counted)
    assert float(hub.load(str(healthy))(tf.ones([1, 3]))[0, 0]) == 2.0
    assert float(hub.KerasLayer(str(healthy))(tf.ones([1, 3]))[0, 0]) == 2.0
    assert checked == []


def test_a_checkpoint_that_fits_its_graph_is_no_mismatch(healthy: Path) -> None:
    """`variables_mismatch` of the healthy model: None (the object graph is walked, every
    variable found fits)."""
    from tfhub import saved_model_proto

    meta_graphs = saved_model_proto.read_saved_model_proto(str(healthy)).meta_graphs
    prefix = str(healthy / "variables" / "variables")
    assert model_damage.variables_mismatch(prefix, meta_graphs) is None
