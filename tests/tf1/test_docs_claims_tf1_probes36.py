"""Claims of docs/tf1.md and docs/export.md that no earlier probe checked (session 36, second pass).

Real TF1 modules built with hub.create_module_spec, real tf.compat.v1 checkpoints, and a real
tmpfs for a full disk. Each test quotes the claim it checks in its docstring.
"""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([[1.0], [2.0], [-3.0]], np.float32)


def _scale_module_fn(size: int = 0) -> None:
    """y = x * s; `size` > 0 adds an unused variable of `size` floats (a large module)."""
    x = tf.compat.v1.placeholder(tf.float32, [None, 1])
    s = tf.compat.v1.get_variable("s", [], initializer=tf.compat.v1.ones_initializer())
    if size:
        tf.compat.v1.get_variable("big", [size], initializer=tf.compat.v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=x * s)


def _serving_input_fn() -> Any:
    x = tf.compat.v1.placeholder(tf.float32, [None, 1], name="x")
    return types.SimpleNamespace(features={"x": x}, receiver_tensors={"x": x})


def _estimator(spec: Any, model_dir: Path) -> Any:
    """An object with `model_fn` that registers one `hub.Module(spec)` under "scale"."""

    def model_fn(features: Any, labels: Any, mode: Any, params: Any) -> Any:
        module = hub.Module(spec, name="scale")
        hub.register_module_for_export(module, "scale")
        return types.SimpleNamespace(predictions=module(features["x"]))

    return types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=os.fspath(model_dir))


def _checkpoint(model_dir: Path, values: dict[str, np.ndarray]) -> str:
    """Writes a checkpoint of variables `values` and a global step into model_dir."""
    with tf.Graph().as_default():
        for name, value in values.items():
            tf.compat.v1.get_variable(name, initializer=np.asarray(value, np.float32))
        tf.compat.v1.train.create_global_step()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver().save(session, os.fspath(model_dir / "model.ckpt"))


# --- docs/export.md ------------------------------------------------------------------------------


def test_a_checkpoint_holding_a_variable_in_another_shape_names_it(tmp_path: Path) -> None:
    """docs/export.md: "a checkpoint that does not match the graph — `ExportError` names the
    missing variables (and those stored with another shape)", raised before anything is
    written."""
    _checkpoint(tmp_path, {"scale/s": np.array([2.0, 3.0])})  # The module's `s` is a scalar.
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    spec = hub.create_module_spec(_scale_module_fn)
    with pytest.raises(errors.ExportError) as caught:
        exporter.export(_estimator(spec, tmp_path), os.fspath(tmp_path / "export"))
    message = str(caught.value)
    assert "variables of another shape: scale/s (graph [], checkpoint [2])" in message
    assert "missing variables" not in message
    assert not (tmp_path / "export").exists()


def test_a_data_file_as_checkpoint_path_gets_its_prefix_suggested(tmp_path: Path) -> None:
    """docs/export.md: "a `checkpoint_path` that is not a checkpoint (upstream's ValueError "The
    passed save_path is not a valid checkpoint", as `ExportError`; a `.index` or `.data-…` file
    gets its prefix suggested)" (tests/tf1/test_module_exporter.py gives the `.index` file)."""
    prefix = _checkpoint(tmp_path, {"scale/s": np.array(4.0)})
    (data,) = [n for n in os.listdir(tmp_path) if n.startswith("model.ckpt.data-")]
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    estimator = _estimator(hub.create_module_spec(_scale_module_fn), tmp_path)
    with pytest.raises(errors.ExportError) as caught:
        exporter.export(
            estimator, os.fspath(tmp_path / "export"), checkpoint_path=str(tmp_path / data)
        )
    assert isinstance(caught.value, ValueError)
    assert f"prefix such as {prefix}," in str(caught.value)
    assert not (tmp_path / "export").exists()
    export_dir = exporter.export(estimator, os.fspath(tmp_path / "export"), checkpoint_path=prefix)
    module = hub.load(os.fsdecode(os.path.join(export_dir, b"scale")))
    np.testing.assert_allclose(module.signatures["default"](tf.constant(X))["default"], X * 4.0)


def test_an_export_failing_on_a_full_disk_removes_its_temp_folder(tmp_path: Path) -> None:
    """docs/export.md: "A failed export removes its `temp-<timestamp>` folder", and, from
    docs/tf1.md, `Module.export` "On a full disk (or quota) ... raises `ExportWriteError` (an
    `ExportError` and an `OSError`)": a module of 1 MB exported onto a 256 kB tmpfs."""
    from tests._helpers import mounts

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    size = 256 * 1024
    _checkpoint(model_dir, {"scale/s": np.array(2.0), "scale/big": np.ones([size])})
    estimator = _estimator(hub.create_module_spec(lambda: _scale_module_fn(size)), model_dir)
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with mounts.tmpfs(tmp_path / "disk", "size=256k") as disk:
        export_path = os.fspath(disk / "exports")
        with pytest.raises(errors.ExportWriteError) as caught:
            exporter.export(estimator, export_path)
        assert isinstance(caught.value, OSError)
        message = str(caught.value)  # The folder the caller named, not the hidden temp- one.
        assert message.startswith(f"Cannot write the export to {export_path}: no space left")
        assert "Free space on its disk" in message and "temp-" not in message
        assert message.endswith(f"Received: export_path={export_path!r}")
        left = [os.path.join(root, name) for root, dirs, files in os.walk(disk) for name in files]
        # export_path too: the export made it (a failed export removes the folders it made).
        assert left == [] and not os.path.lexists(disk / "exports")


def test_an_export_path_on_a_read_only_disk_is_named_in_the_error(tmp_path: Path) -> None:
    """docs/export.md: errors name `export_path` (an `ExportWriteError`, as for a file in the
    way), never the hidden `temp-<timestamp>/<name>` folder the modules are written into."""
    from tests._helpers import mounts

    _checkpoint(tmp_path, {"scale/s": np.array(2.0)})
    estimator = _estimator(hub.create_module_spec(_scale_module_fn), tmp_path)
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with mounts.tmpfs(tmp_path / "ro", "size=64k,ro") as disk:
        for export_path in (os.fspath(disk), os.fspath(disk / "exports")):
            with pytest.raises(errors.ExportWriteError) as caught:
                exporter.export(estimator, export_path)
            message = str(caught.value)
            assert message.startswith(f"Cannot write the export to {export_path}: Read-only")
            assert "temp-" not in message
            assert message.endswith(f"Received: export_path={export_path!r}")
        assert os.listdir(disk) == []


# The child exports two registered modules into argv[1] from the checkpoint in argv[2], and is
# killed (SIGKILL) when the exporter writes the second one.
_KILLED_EXPORTER_CHILD = """
import os, signal, sys, types
import tensorflow as tf
import tfhub as hub

export_path, model_dir = sys.argv[1], sys.argv[2]

def module_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 1])
    s = tf.compat.v1.get_variable("s", [], initializer=tf.compat.v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=x * s)

spec = hub.create_module_spec(module_fn)

class KilledWhileWriting:
    def export(self, path, session):
        os.kill(os.getpid(), signal.SIGKILL)

def model_fn(features):
    module = hub.Module(spec, name="scale")
    hub.register_module_for_export(module, "a_scale")
    hub.register_module_for_export(KilledWhileWriting(), "b_killed")
    return types.SimpleNamespace(predictions=module(features["x"]))

def serving_input_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 1])
    return types.SimpleNamespace(features={"x": x}, receiver_tensors={"x": x})

estimator = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=model_dir)
hub.LatestModuleExporter("tf_hub", serving_input_fn).export(estimator, export_path)
"""


def test_an_exporter_killed_half_way_leaves_only_its_temp_folder(tmp_path: Path) -> None:
    """docs/export.md: "one killed half-way leaves it [its `temp-<timestamp>` folder] (as
    upstream), never under a timestamped name, so TF Serving and the garbage collection ignore
    it: delete it by hand"."""
    import signal

    from tests._helpers.warm_python import run_warm_python

    _checkpoint(tmp_path, {"scale/s": np.array(3.0)})
    export_path = tmp_path / "exports"
    args = (os.fspath(export_path), os.fspath(tmp_path))
    child = run_warm_python(_KILLED_EXPORTER_CHILD, *args, timeout=120, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    (left,) = os.listdir(export_path)
    assert left.startswith("temp-") and left[len("temp-") :].isdigit()
    assert os.listdir(export_path / left) == ["a_scale"]

    spec = hub.create_module_spec(_scale_module_fn)
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn, exports_to_keep=1)
    first = exporter.export(_estimator(spec, tmp_path), os.fspath(export_path))
    second = exporter.export(_estimator(spec, tmp_path), os.fspath(export_path))
    assert first != second
    assert sorted(os.listdir(export_path)) == sorted([left, os.path.basename(second).decode()])
    module = hub.load(os.fsdecode(os.path.join(second, b"scale")))
    np.testing.assert_allclose(module.signatures["default"](tf.constant(X))["default"], X * 3.0)


def test_an_export_never_writes_into_a_temp_folder_another_export_left(tmp_path: Path) -> None:
    """docs/export.md: a killed export's `temp-<timestamp>` folder stays "never under a
    timestamped name". An export started in the same second took the same `temp-` folder,
    wrote its modules beside the killed export's, and renamed the mix to `<timestamp>`."""
    import time

    _checkpoint(tmp_path, {"scale/s": np.array(3.0)})
    export_path = tmp_path / "exports"
    now = int(time.time())
    left = [f"temp-{second}" for second in range(now - 1, now + 2)]
    for name in left:
        (export_path / name / "stale_module").mkdir(parents=True)
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    spec = hub.create_module_spec(_scale_module_fn)
    export_dir = exporter.export(_estimator(spec, tmp_path), os.fspath(export_path))
    assert os.listdir(export_dir) == [b"scale"]
    assert int(os.path.basename(export_dir)) > now + 1
    for name in left:
        assert os.listdir(export_path / name) == ["stale_module"]


# --- docs/tf1.md ---------------------------------------------------------------------------------


def test_module_export_into_a_read_only_folder_is_an_export_write_error(tmp_path: Path) -> None:
    """docs/tf1.md: `Module.export(path, session)` "On a full disk (or quota), or a local folder
    it may not write, ... raises `ExportWriteError` (an `ExportError` and an `OSError`) naming
    `path`, and removes the folder if it made it" — in a graph and eagerly, onto a read-only
    tmpfs (root may write any folder), and `ModuleSpec.export` too."""
    from tests._helpers import mounts

    spec = hub.create_module_spec(_scale_module_fn)
    with mounts.tmpfs(tmp_path / "ro", "size=64k,ro") as disk:
        target = os.fspath(disk / "module")
        with tf.Graph().as_default():
            module = hub.Module(spec)
            with tf.compat.v1.Session() as sess:
                sess.run(tf.compat.v1.global_variables_initializer())
                with pytest.raises(errors.ExportWriteError) as in_graph:
                    module.export(target, sess)
        with pytest.raises(errors.ExportWriteError) as eagerly:
            hub.Module(spec).export(target)
        checkpoint = _checkpoint(tmp_path, {"s": np.array(1.0)})
        with pytest.raises(errors.ExportWriteError) as of_spec:
            spec.export(target, checkpoint_path=checkpoint)
        for caught in (in_graph, eagerly, of_spec):
            assert isinstance(caught.value, OSError)
            assert isinstance(caught.value, errors.ExportError)
            assert target in str(caught.value)
        assert os.listdir(disk) == []


def _quick_start_module_fn(is_training: bool = False) -> None:
    """The Quick start's `module_fn`; its message says which variant the call built."""
    x = tf.compat.v1.placeholder(tf.float32, [None, 3])
    w = tf.compat.v1.get_variable("w", initializer=np.eye(3, dtype=np.float32))
    hub.add_signature(inputs=x, outputs={"default": tf.matmul(x, w), "sum": tf.reduce_sum(x, 1)})
    about = b"training" if is_training else b"serving"
    hub.attach_message("about", tf.train.BytesList(value=[about]))


def test_the_quick_starts_tags_and_args_comment_builds_two_graph_variants(tmp_path: Path) -> None:
    """docs/tf1.md Quick start: `hub.create_module_spec(module_fn)  # or
    tags_and_args=[(set(), {...}), ({"train"}, {...})]`, and `module.get_attached_message(key,
    type, required=False)` reads "the module's own tags, as upstream" — in a graph, eagerly and
    after an export."""
    spec = hub.create_module_spec(
        _quick_start_module_fn,
        tags_and_args=[(set(), {"is_training": False}), ({"train"}, {"is_training": True})],
    )
    assert sorted(sorted(tags) for tags in spec.get_tags()) == [[], ["train"]]
    path = os.fspath(tmp_path / "module")
    with tf.Graph().as_default():
        train = hub.Module(spec, tags={"train"}, trainable=True)
        assert train.get_attached_message("about", tf.train.BytesList).value == [b"training"]
        y = train(np.ones([2, 3], np.float32), as_dict=True)["sum"]
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            np.testing.assert_allclose(sess.run(y), [3.0, 3.0])
            train.export(path, sess)
    exported = hub.load_module_spec(path)
    for tags, about in ((None, b"serving"), ("train", b"training"), ({"train"}, b"training")):
        assert exported.get_attached_message("about", tf.train.BytesList, tags=tags).value == [
            about
        ]
        eager = hub.Module(path, tags=tags)
        assert eager.get_attached_message("about", tf.train.BytesList).value == [about]
        np.testing.assert_allclose(eager(np.ones([1, 3], np.float32)), np.ones([1, 3]))


# --- docs/feature_columns.md ---------------------------------------------------------------------


class _UnlistedEmbedding(tf.Module):
    """A text embedding saved as a plain tf.Module: its SavedModel lists no `variables`."""

    def __init__(self) -> None:
        super().__init__()
        self.table = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, sentences: Any) -> Any:
        return tf.gather(self.table, tf.strings.to_hash_bucket_fast(sentences, 3))


def _column_model(tf_keras: Any, column: Any) -> tuple[Any, Any]:
    inputs = {"s": tf_keras.Input(shape=(), dtype=tf.string, name="s")}
    features = tf_keras.layers.DenseFeatures([column])
    return tf_keras.Model(inputs, tf_keras.layers.Dense(1)(features(inputs))), features


def test_a_tf2_model_listing_no_variables_trains_saves_and_initializes_them(
    tmp_path: Path,
) -> None:
    """docs/feature_columns.md, Graph mode: a TF2 SavedModel that lists neither `variables` nor
    `trainable_variables` gives `text_embedding_column_v2` the variables it tracks, as
    `hub.KerasLayer` does: a trainable column trains them in `fit`, a `.keras` file keeps the
    fine-tuned values, a frozen column keeps them, and tf_keras' graph mode initializes them.
    (The page said such a model's variables were neither trained nor saved nor initialized.)"""
    tf_keras = pytest.importorskip("tf_keras")
    path = os.fspath(tmp_path / "embedding")
    tf.saved_model.save(_UnlistedEmbedding(), path)
    assert not hasattr(hub.load(path), "variables")
    folder_values = np.arange(6, dtype=np.float32).reshape(3, 2)
    sentences, labels = np.array(["a", "b", "c"]), np.ones([3, 1], np.float32)
    for trainable in (True, False):
        model, features = _column_model(
            tf_keras, hub.text_embedding_column_v2("s", path, trainable=trainable)
        )
        model.compile(tf_keras.optimizers.SGD(0.1), "mse")
        (table,) = features.weights
        assert len(features.trainable_weights) == int(trainable)
        model.fit({"s": sentences}, labels, epochs=2, verbose=0)
        assert np.allclose(table.numpy(), folder_values) is not trainable
        saved = os.fspath(tmp_path / f"model_{trainable}.keras")
        model.save(saved)
        (reloaded,) = tf_keras.models.load_model(saved).get_layer(features.name).weights
        np.testing.assert_allclose(reloaded.numpy(), table.numpy())
    with tf.Graph().as_default():  # tf_keras' graph mode; no initializer run by hand.
        model, _ = _column_model(tf_keras, hub.text_embedding_column_v2("s", path))
        assert model.predict({"s": sentences}, verbose=0).shape == (3, 1)
