"""TF2 SavedModels damaged on disk, loaded by `hub.load` and `hub.KerasLayer`: each damage ends
in an error that is tfhub's (naming the folder and the file, saying what to do) and also what
upstream's tensorflow_hub 0.16.1 raised, so `except` clauses written for upstream keep working
(session 45; tests/tf1/test_damaged_modules_probes44.py is the TF1 table).

Upstream raised, on TensorFlow 2.21 (probed; `test_the_table_is_what_upstream_raised` asks it
again): a bare `tf.errors.OpError` for a missing data shard, a corrupt shard and an index that
is no sstable, an `IndexError` for a shard cut short, a builtin `FileNotFoundError`, `OSError`
or `ValueError` for the rest (TensorFlow's loader turns its NotFoundError into a
FileNotFoundError).

Last, the tidy of the same session: a TF1 spec's checkpoint checks live in one record
(`tf1.module_impl.CheckpointChecks`), each run once per spec.
"""

from __future__ import annotations

import builtins
import importlib.util
import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests._helpers import models
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

# The source models: `save_tf2_module` (float inputs [None, 3]), `save_text_embedding` (a
# vocabulary asset read by a lookup table's initializer) and `small` (one variable `v`) with
# the same model in float64 and in shape [3], whose variables/ are copied over its own.
_SOURCES = ("tf2", "text", "small", "small64", "small3")


def _save_small(path: str, dtype: Any = None, shape: tuple[int, ...] = (2,)) -> str:
    class Small(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.v = tf.Variable(tf.ones(shape, dtype or tf.float32), name="v")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: Any) -> Any:
            return x * tf.reduce_sum(tf.cast(self.v, tf.float32))

    tf.saved_model.save(Small(), path)
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sources")
    return {
        "tf2": Path(models.save_tf2_module(str(base / "tf2"))),
        "text": Path(models.save_text_embedding(str(base / "text"))),
        "small": Path(_save_small(str(base / "small"))),
        "small64": Path(_save_small(str(base / "small64"), tf.float64)),
        "small3": Path(_save_small(str(base / "small3"), shape=(3,))),
    }


def _shard(model: Path) -> Path:
    (shard,) = (model / "variables").glob("variables.data-*")
    return shard


def _write(path: Path, content: bytes) -> None:
    path.write_bytes(content)


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _variables_of(other: str) -> Callable[[Path, dict[str, Path]], None]:
    def harm(model: Path, sources: dict[str, Path]) -> None:
        shutil.rmtree(model / "variables")
        shutil.copytree(sources[other] / "variables", model / "variables")

    return harm


def _remove_asset(model: Path) -> None:
    (asset,) = (model / "assets").iterdir()
    asset.unlink()


def _on(harm: Callable[[Path], object]) -> Callable[[Path, dict[str, Path]], None]:
    """A harm of the model alone (it needs no other source model)."""

    def harm_model(model: Path, _: dict[str, Path]) -> None:
        harm(model)

    return harm_model


# damage -> (source model, harm, tfhub's class, upstream's class, the problem named). A class
# is a name: "tfhub:X" (tfhub.errors.X), "tf:X" (tf.errors.X) or a builtin's.
_Row = tuple[str, Callable[[Path, dict[str, Path]], None], str, str, str]
_TABLE: dict[str, _Row] = {
    "no saved_model.pb": (
        "tf2",
        _on(lambda m: (m / "saved_model.pb").unlink()),
        "tfhub:MissingModelFileError",
        "ValueError",
        "it holds no saved_model.pb, so it is not a SavedModel",
    ),
    "empty saved_model.pb": (
        "tf2",
        _on(lambda m: _write(m / "saved_model.pb", b"")),
        "tfhub:DamagedModelError",
        "ValueError",
        "saved_model.pb (0 bytes) holds no MetaGraph",
    ),
    "truncated saved_model.pb": (
        "tf2",
        _on(lambda m: _cut(m / "saved_model.pb")),
        "tfhub:DamagedModelError",
        "OSError",
        "bytes) is truncated or damaged",
    ),
    "garbage saved_model.pb": (
        "tf2",
        _on(lambda m: _write(m / "saved_model.pb", b"\xff" * 300)),
        "tfhub:DamagedModelError",
        "OSError",
        "saved_model.pb (300 bytes) is truncated or damaged",
    ),
    "no variables folder": (
        "tf2",
        _on(lambda m: shutil.rmtree(m / "variables")),
        "tfhub:MissingModelFileError",
        "FileNotFoundError",
        "variables/ is missing",
    ),
    "no variables index": (
        "tf2",
        _on(lambda m: (m / "variables" / "variables.index").unlink()),
        "tfhub:MissingModelFileError",
        "FileNotFoundError",
        "variables/variables.index is missing",
    ),
    "no data shard": (
        "tf2",
        _on(lambda m: _shard(m).unlink()),
        "tfhub:ModelFileNotFoundError",
        "tf:OpError",
        "variables/variables.data-* is missing",
    ),
    "truncated data shard": (
        "tf2",
        _on(lambda m: _cut(_shard(m))),
        "tfhub:TruncatedCheckpointError",
        "IndexError",
        "(Read less bytes than requested)",
    ),
    "zero-length data shard": (
        "tf2",
        _on(lambda m: _write(_shard(m), b"")),
        "tfhub:TruncatedCheckpointError",
        "IndexError",
        "(Read less bytes than requested)",
    ),
    "zero-filled data shard": (
        "tf2",
        _on(lambda m: _write(_shard(m), bytes(_shard(m).stat().st_size))),
        "tfhub:CorruptCheckpointError",
        "tf:OpError",
        "Checksum does not match",
    ),
    "index not an sstable": (
        "tf2",
        _on(lambda m: _write(m / "variables" / "variables.index", b"x" * 200)),
        "tfhub:CorruptCheckpointError",
        "tf:OpError",
        "not an sstable",
    ),
    "variable of another dtype": (
        "small",
        _variables_of("small64"),
        "tfhub:VariablesMismatchError",
        "tf:InvalidArgumentError",
        "variables/ holds the variable 'v' as float64[2], its graph as float32[2]",
    ),
    "variable of another shape": (
        "small",
        _variables_of("small3"),
        "tfhub:VariablesMismatchError",
        "ValueError",
        "variables/ holds the variable 'v' as float32[3], its graph as float32[2]",
    ),
    "missing asset": (
        "text",
        _on(_remove_asset),
        "tfhub:MissingModelFileError",
        "FileNotFoundError",
        "assets/_vocab_text is missing",
    ),
}


def _class(name: str) -> type:
    """The class a `_TABLE` name stands for."""
    kind, _, short = name.rpartition(":")
    if kind == "tfhub":
        return getattr(errors, short)
    if kind == "tf":
        return getattr(tf.errors, short)
    return getattr(builtins, short)


def _damaged(sources: dict[str, Path], damage: str, folder: Path) -> Path:
    source, harm, *_ = _TABLE[damage]
    model = Path(shutil.copytree(sources[source], folder / "model"))
    harm(model, sources)
    return model


def _inputs(damage: str) -> Any:
    return tf.constant(["hello world"]) if _TABLE[damage][0] == "text" else tf.ones([1, 3])


_LOADERS: dict[str, Callable[[Path, Any], object]] = {
    "hub.load": lambda model, x: hub.load(str(model))(x),
    "hub.KerasLayer": lambda model, x: hub.KerasLayer(str(model))(x),
}


@pytest.mark.parametrize("loader", sorted(_LOADERS))
@pytest.mark.parametrize("damage", sorted(_TABLE))
def test_a_damaged_tf2_model_raises_tfhubs_class_and_upstreams(
    sources: dict[str, Path], tmp_path: Path, damage: str, loader: str
) -> None:
    _, _, ours, upstreams, problem = _TABLE[damage]
    model = _damaged(sources, damage, tmp_path)
    with pytest.raises(Exception) as caught:
        _LOADERS[loader](model, _inputs(damage))
    err = caught.value
    assert isinstance(err, _class(upstreams)), repr(err)
    assert type(err) is _class(ours), repr(err)  # A class that is already upstream's stays.
    if not isinstance(err, errors.DamagedModelError):
        assert not problem and not isinstance(err, errors.TFHubError), repr(err)
        return
    assert problem in err.problem and err.path == str(model), err.problem
    assert str(err) == (  # The message of the tfhub class, unchanged: what, where, what to do.
        f"The model {model} cannot be loaded: {err.problem}. "
        "Check the path, or copy or export the model there again."
    )
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.path, again.problem) == (
        type(err),
        str(err),
        err.path,
        err.problem,
    )


_UPSTREAM_SCRIPT = """
import json, sys
import tensorflow as tf
import tensorflow_hub
found = {}
for damage, (model, text) in json.loads(sys.argv[1]).items():
    x = tf.constant(["hello world"]) if text else tf.ones([1, 3])
    try:
        tensorflow_hub.load(model)(x)
        found[damage] = []
    except Exception as err:
        found[damage] = [f"{c.__module__}.{c.__qualname__}" for c in type(err).__mro__]
print(json.dumps(found))
"""


def test_the_table_is_what_upstream_raised(sources: dict[str, Path], tmp_path: Path) -> None:
    """tensorflow_hub 0.16.1 loads each damaged folder in a child: the class the table names
    as upstream's catches what it raised (so tfhub's error, which is also that class, does)."""
    if importlib.util.find_spec("tensorflow_hub") is None:
        pytest.skip("tensorflow_hub is not installed (`./run test` installs 0.16.1)")
    folders = {}
    for index, damage in enumerate(sorted(_TABLE)):
        model = _damaged(sources, damage, tmp_path / str(index))
        folders[damage] = (str(model), _TABLE[damage][0] == "text")
    done = run_warm_python(_UPSTREAM_SCRIPT, json.dumps(folders), timeout=300)
    raised = json.loads(done.stdout.strip().splitlines()[-1])
    for damage, mro in raised.items():
        wanted = _class(_TABLE[damage][3])
        assert f"{wanted.__module__}.{wanted.__qualname__}" in mro, (damage, mro)


_TF_KERAS_SCRIPT = """
import json, sys
import tensorflow as tf
import tfhub as hub
from tfhub import errors
from tfhub.keras import _compat
assert _compat.use_legacy_keras()
found = {}
for damage, model in json.loads(sys.argv[1]).items():
    try:
        hub.KerasLayer(model)(tf.ones([1, 3]))
        found[damage] = None
    except Exception as err:
        found[damage] = [type(err).__name__, isinstance(err, errors.DamagedModelError),
                         isinstance(err, tf.errors.OpError), isinstance(err, IndexError)]
print(json.dumps(found))
"""


def test_tf_keras_layer_raises_the_same_classes(sources: dict[str, Path], tmp_path: Path) -> None:
    """The tf_keras KerasLayer (TF_USE_LEGACY_KERAS=1, in a child) loads through `hub.load`'s
    diagnosis too: a missing shard is also an OpError, a cut one also an IndexError."""
    folders = {
        damage: str(_damaged(sources, damage, tmp_path / str(index)))
        for index, damage in enumerate(("no data shard", "truncated data shard"))
    }
    env = child_env(TF_USE_LEGACY_KERAS="1")
    done = run_warm_python(_TF_KERAS_SCRIPT, json.dumps(folders), env=env, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {
        "no data shard": ["ModelFileNotFoundError", True, True, False],
        "truncated data shard": ["TruncatedCheckpointError", True, True, True],
    }


# --- tf1: a spec's checkpoint checks run once per spec (its CheckpointChecks), not per Module ----


def _module_fn() -> None:
    w = tf.compat.v1.get_variable("w", initializer=[2.0, 3.0])
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    hub.add_signature(inputs=x, outputs=x * w)


def test_a_tf1_specs_data_sizes_are_checked_once_per_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub.tf1 import native_spec

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_module_fn))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(str(tmp_path / "module"), session)
    checked: list[str] = []
    real = native_spec.data_shortfall

    def counted(prefix: str) -> str | None:
        checked.append(prefix)
        return real(prefix)

    monkeypatch.setattr(native_spec, "data_shortfall", counted)
    spec = hub.load_module_spec(str(tmp_path / "module"))
    for _ in range(3):
        with tf.Graph().as_default():
            hub.Module(spec)
    assert len(checked) == 1
    with tf.Graph().as_default():
        hub.Module(hub.load_module_spec(str(tmp_path / "module")))
    assert len(checked) == 2  # Another spec: checked once of its own.
