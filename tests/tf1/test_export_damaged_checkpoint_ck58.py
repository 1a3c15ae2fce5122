"""A TF1 export from a checkpoint whose files are there but damaged says it is damaged.

`ModuleSpec.export(path, checkpoint_path=...)` and `hub.LatestModuleExporter.export` read the
module's variables from a checkpoint. One whose `.index` is cut short, empty or garbage was
called missing ("There is no checkpoint at ...", sending the user to look for the wrong thing);
one whose data file is cut short or garbage let TensorFlow's bare "Graph execution error" out of
the restore (naming no file). Each now raises `ExportCheckpointDamagedError` (an ExportError)
naming the checkpoint, the file and TensorFlow's reason, and saying what to do, before anything
is written.

The class is also what TensorFlow 2.21 raises for the same checkpoint on upstream 0.10.0's path,
run here as upstream ran it (its `export_module_spec`: `init_from_checkpoint`, then the session's
initializer; its exporter: `Saver(sharded=True).restore`): a bare OpError (index, ModuleSpec),
DataLossError (index, exporter; a checksum that does not match), OutOfRangeError (a data file
cut short: `ExportCheckpointTruncatedError`).
"""

from __future__ import annotations

import os
import pickle
import types
from collections.abc import Callable
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
INDEX, DATA = "model.ckpt.index", "model.ckpt.data-00000-of-00001"


def _module_fn() -> None:
    x = v1.placeholder(tf.float32, [None])
    v = v1.get_variable("v", [64], initializer=v1.constant_initializer(10.0))
    hub.add_signature(inputs=x, outputs=x * v)


@pytest.fixture(scope="module")
def spec() -> object:
    return hub.create_module_spec(_module_fn)


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of "v" ([64] floats, 3.0) and of the exporter's "m/v", written by a Saver."""
    folder = tmp_path_factory.mktemp("whole")
    with tf.Graph().as_default():
        for name in ("v", "m/v"):
            v1.get_variable(name, [64], initializer=v1.constant_initializer(3.0))
        v1.train.create_global_step()
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            v1.train.Saver().save(session, str(folder / "model.ckpt"))
    return folder


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


# name -> (file, damage, tfhub's class, TensorFlow's reason)
DAMAGES: dict[str, tuple[str, Callable[[bytes], bytes], str, str]] = {
    "index cut in half": (INDEX, _half, "ExportCheckpointDamagedError", "not an sstable"),
    "index of 0 bytes": (INDEX, lambda _: b"", "ExportCheckpointDamagedError", "too short"),
    "index of garbage": (
        INDEX,
        lambda data: b"x" * len(data),
        "ExportCheckpointDamagedError",
        "not an sstable",
    ),
    "data cut in half": (DATA, _half, "ExportCheckpointTruncatedError", "Read less bytes"),
    "data of 0 bytes": (DATA, lambda _: b"", "ExportCheckpointTruncatedError", "Read less bytes"),
    "data of garbage": (
        DATA,
        lambda data: b"\1" * len(data),
        "ExportCheckpointDamagedError",
        "Checksum does not match",
    ),
}


def _damaged(whole: Path, tmp_path: Path, damage: str) -> Path:
    """A copy of the checkpoint `whole` in `tmp_path/ckpt`, with `damage` done to it."""
    folder = tmp_path / "ckpt"
    folder.mkdir()
    for name in os.listdir(whole):
        (folder / name).write_bytes((whole / name).read_bytes())
    (folder / "checkpoint").write_text('model_checkpoint_path: "model.ckpt"\n')  # Relative.
    file, harm, _, _ = DAMAGES[damage]
    (folder / file).write_bytes(harm((folder / file).read_bytes()))
    return folder


def _upstream_export_error(prefix: str) -> BaseException:
    """What upstream 0.10.0's `export_module_spec` met in TensorFlow for this checkpoint."""
    with tf.Graph().as_default():
        variable = v1.get_variable("module/v", [64])
        try:
            v1.train.init_from_checkpoint(prefix, {"v": variable})
            with v1.Session() as session:
                session.run(v1.global_variables_initializer())
        except tf.errors.OpError as err:
            return err
    raise AssertionError(f"TensorFlow read the damaged checkpoint {prefix}")


def _check_error(err: BaseException, damage: str, given: str, prefix: str) -> None:
    file, _, cls, reason = DAMAGES[damage]
    assert type(err) is getattr(errors, cls), repr(err)
    assert isinstance(err, errors.ExportCheckpointDamagedError)
    assert isinstance(err, errors.ExportError) and isinstance(err, ValueError)
    message = str(err)
    assert message.startswith(f"The checkpoint at {prefix} is damaged: "), message
    assert f"ckpt/{file}" in message and reason in message, message
    assert "There is no checkpoint" not in message and "Graph execution error" not in message
    assert "\n" not in message and "Save the checkpoint again" in message, message
    assert message.endswith(f"Received: checkpoint_path={given!r}"), message
    assert err.path == given and file in err.problem
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err) and (str(copy), copy.path) == (message, err.path)


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_spec_export_from_a_damaged_checkpoint_says_so(spec, whole, tmp_path, damage) -> None:
    prefix = str(_damaged(whole, tmp_path, damage) / "model.ckpt")
    with pytest.raises(errors.ExportError) as caught:
        spec.export(str(tmp_path / "out"), checkpoint_path=prefix)
    _check_error(caught.value, damage, prefix, prefix)
    assert isinstance(caught.value, type(_upstream_export_error(prefix)))  # As upstream's.
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage", ["index cut in half", "data cut in half"])
def test_spec_export_from_a_folder_names_its_damaged_checkpoint(
    spec, whole, tmp_path, damage
) -> None:
    folder = _damaged(whole, tmp_path, damage)
    with pytest.raises(errors.ExportError) as caught:
        spec.export(str(tmp_path / "out"), checkpoint_path=str(folder))
    _check_error(caught.value, damage, str(folder), str(folder / "model.ckpt"))
    assert not (tmp_path / "out").exists()


def test_tensorflows_classes_for_a_damaged_checkpoint() -> None:
    """The classes a user of upstream catches: tfhub's are each of them."""
    assert issubclass(errors.ExportCheckpointDamagedError, tf.errors.DataLossError)
    assert issubclass(errors.ExportCheckpointTruncatedError, tf.errors.OutOfRangeError)
    assert issubclass(errors.ExportCheckpointTruncatedError, errors.ExportCheckpointDamagedError)
    assert not issubclass(errors.ExportCheckpointDamagedError, tf.errors.NotFoundError)


def _estimator(spec: object, model_dir: Path) -> object:
    def model_fn(features):
        module = hub.Module(spec, name="m")
        hub.register_module_for_export(module, "m")
        return types.SimpleNamespace(predictions=module(features["x"]), scaffold=None)

    return types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=str(model_dir))


def _serving_input_fn() -> dict:
    return {"x": v1.placeholder(tf.float32, [None])}


def _upstream_restore_error(prefix: str) -> BaseException:
    """What upstream 0.10.0's exporter met: a sharded Saver's restore of the checkpoint."""
    with tf.Graph().as_default():
        v1.get_variable("m/v", [64])
        saver = v1.train.Saver(sharded=True)
        with v1.Session() as session:
            try:
                saver.restore(session, prefix)
            except tf.errors.OpError as err:
                return err
    raise AssertionError(f"TensorFlow restored the damaged checkpoint {prefix}")


@pytest.mark.parametrize("damage", ["index cut in half", "data cut in half", "data of garbage"])
def test_module_exporter_from_a_damaged_checkpoint_says_so(spec, whole, tmp_path, damage) -> None:
    folder = _damaged(whole, tmp_path, damage)
    prefix = str(folder / "model.ckpt")
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with pytest.raises(errors.ExportError) as caught:
        exporter.export(_estimator(spec, folder), str(tmp_path / "export"), checkpoint_path=prefix)
    _check_error(caught.value, damage, prefix, prefix)
    assert isinstance(caught.value, type(_upstream_restore_error(prefix)))  # As upstream's.
    assert not (tmp_path / "export").exists() or not os.listdir(tmp_path / "export")


def test_a_whole_checkpoint_still_exports(spec, whole, tmp_path) -> None:
    spec.export(str(tmp_path / "out"), checkpoint_path=str(whole / "model.ckpt"))
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    exported = exporter.export(_estimator(spec, whole), str(tmp_path / "export"))
    for module in (tmp_path / "out", Path(os.fsdecode(exported)) / "m"):
        with tf.Graph().as_default():
            out = hub.Module(str(module))([1.0])
            with v1.Session() as session:
                session.run(v1.global_variables_initializer())
                assert session.run(out)[0] == 3.0
