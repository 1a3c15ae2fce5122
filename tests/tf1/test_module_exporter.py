"""hub.register_module_for_export and hub.LatestModuleExporter on checkpoints of a real TF1 loop."""

from __future__ import annotations

import os
import types

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [-2.0, 1.0]], np.float32)
Y = X @ np.array([[2.0], [-3.0]], np.float32) + 1.0


def _linear_module_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    w = tf.compat.v1.get_variable("w", [2, 1], initializer=tf.compat.v1.zeros_initializer())
    b = tf.compat.v1.get_variable("b", [1], initializer=tf.compat.v1.zeros_initializer())
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w) + b)


def _scale_module_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 1])
    s = tf.compat.v1.get_variable("s", [], initializer=tf.compat.v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=x * s)


class _Spec(types.SimpleNamespace):
    """What a model_fn returns here: predictions, loss, train_op (and no scaffold)."""


def _make_model_fn(linear_spec, scale_spec):
    def model_fn(features, labels, mode, params):
        linear = hub.Module(linear_spec, trainable=True, name="linear")
        scale = hub.Module(scale_spec, trainable=True, name="scale")
        hub.register_module_for_export(linear, "linear")
        hub.register_module_for_export(scale, "scale")
        predictions = scale(linear(features["x"]))
        if mode == "infer":
            return _Spec(predictions=predictions, scaffold=None)
        loss = tf.reduce_mean(tf.square(predictions - labels))
        optimizer = tf.compat.v1.train.GradientDescentOptimizer(params["learning_rate"])
        global_step = tf.compat.v1.train.get_or_create_global_step()
        return _Spec(loss=loss, train_op=optimizer.minimize(loss, global_step=global_step))

    return model_fn


def _train(estimator, steps, restore_from=None):
    """A real tf.compat.v1 training loop that writes checkpoints to estimator.model_dir."""
    with tf.Graph().as_default():
        features = {"x": tf.constant(X)}
        spec = estimator.model_fn(features, tf.constant(Y), "train", estimator.params)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            if restore_from:
                saver.restore(session, restore_from)
            for _ in range(steps):
                session.run(spec.train_op)
            step = session.run(tf.compat.v1.train.get_global_step())
            return saver.save(session, os.path.join(estimator.model_dir, "model.ckpt"), step)


def _serving_input_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
    return types.SimpleNamespace(features={"x": x}, receiver_tensors={"x": x})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """An estimator-like object (no tf.estimator in TF 2.21), checkpoints after 20 and 40 steps."""
    model_dir = tmp_path_factory.mktemp("model_dir")
    specs = hub.create_module_spec(_linear_module_fn), hub.create_module_spec(_scale_module_fn)
    estimator = types.SimpleNamespace(
        model_fn=_make_model_fn(*specs),
        config=None,
        params={"learning_rate": 0.05},
        model_dir=os.fspath(model_dir),
    )
    first = _train(estimator, 20)
    latest = _train(estimator, 20, restore_from=first)
    assert latest.endswith("model.ckpt-40")
    return estimator, first, latest


def _checkpoint_prediction(checkpoint):
    w = tf.train.load_variable(checkpoint, "linear/w")
    b = tf.train.load_variable(checkpoint, "linear/b")
    s = tf.train.load_variable(checkpoint, "scale/s")
    return (X @ w + b) * s


def test_export_writes_every_registered_module_with_trained_values(trained, tmp_path):
    estimator, _, checkpoint = trained  # export() defaults to the latest checkpoint.
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    assert exporter.name == "tf_hub"
    export_dir = exporter.export(estimator, os.fspath(tmp_path / "export"))
    assert isinstance(export_dir, bytes)
    name = os.path.basename(export_dir).decode()
    assert len(name) == 10 and name.isdigit()
    assert sorted(os.listdir(export_dir)) == [b"linear", b"scale"]
    assert os.listdir(tmp_path / "export") == [name]  # the temp- folder is gone.
    linear = hub.load(os.fsdecode(os.path.join(export_dir, b"linear")))
    scale = hub.load(os.fsdecode(os.path.join(export_dir, b"scale")))
    hidden = linear.signatures["default"](default=tf.constant(X))["default"]
    output = scale.signatures["default"](default=hidden)["default"].numpy()
    np.testing.assert_allclose(output, _checkpoint_prediction(checkpoint), rtol=1e-5)
    # Training moved the weights away from their zero initialization.
    assert np.abs(tf.train.load_variable(checkpoint, "linear/w")).max() > 0.1


def test_export_uses_given_checkpoint_and_keeps_newest(trained, tmp_path):
    estimator, first, latest = trained
    export_path = tmp_path / "export"
    for old in ("1000000000", "1000000001", "1000000002"):  # older exports of an earlier run
        (export_path / old).mkdir(parents=True)
    (export_path / "keep-me").mkdir()
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn, exports_to_keep=2)
    export_dir = exporter.export(estimator, os.fspath(export_path), checkpoint_path=first)
    kept = sorted(os.listdir(export_path))
    assert kept == ["1000000002", os.path.basename(export_dir).decode(), "keep-me"]
    with tf.Graph().as_default():
        module = hub.Module(os.fsdecode(os.path.join(export_dir, b"linear")))
        output = module(tf.constant(X))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            result = session.run(output)
    w, b = (tf.train.load_variable(first, f"linear/{n}") for n in ("w", "b"))
    np.testing.assert_allclose(result, X @ w + b, rtol=1e-5)
    w_latest = tf.train.load_variable(latest, "linear/w")
    assert np.abs(X @ w_latest - X @ w).max() > 1e-3  # the two checkpoints differ.


def test_exports_to_keep_must_be_positive():
    with pytest.raises(errors.ExportError, match="exports_to_keep=0"):
        hub.LatestModuleExporter("tf_hub", _serving_input_fn, exports_to_keep=0)
    assert hub.LatestModuleExporter("x", _serving_input_fn, exports_to_keep=None).name == "x"


@pytest.mark.parametrize("count", [1.5, "3", True])
def test_exports_to_keep_must_be_a_whole_number(count):
    # 1.5 was accepted, and the export then failed in its garbage collection (a list slice).
    with pytest.raises(TypeError, match=f"Received: exports_to_keep={count!r}") as info:
        hub.LatestModuleExporter("tf_hub", _serving_input_fn, exports_to_keep=count)
    assert isinstance(info.value, errors.ArgumentTypeError)


def test_checkpoint_path_may_be_a_folder_and_must_be_a_checkpoint(trained, tmp_path):
    estimator, _, latest = trained
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    export_dir = exporter.export(
        estimator, os.fspath(tmp_path / "export"), checkpoint_path=estimator.model_dir
    )
    with tf.Graph().as_default():
        module = hub.Module(os.fsdecode(os.path.join(export_dir, b"scale")))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            value = session.run(module.variable_map["s"])
    assert value == tf.train.load_variable(latest, "scale/s")
    # Upstream's Saver raised ValueError ("not a valid checkpoint"), not a tf.errors.NotFoundError.
    index = latest + ".index"
    for wrong in (tmp_path / "nope", tmp_path / "export", index):
        with pytest.raises(errors.ExportError, match="checkpoint") as info:
            exporter.export(estimator, os.fspath(tmp_path / "again"), checkpoint_path=str(wrong))
        assert isinstance(info.value, ValueError)
        assert f"Received: checkpoint_path={str(wrong)!r}" in str(info.value)
    assert f"prefix such as {latest}," in str(info.value)  # The .index file was given.
    assert not os.path.exists(tmp_path / "again")


@pytest.mark.parametrize("estimator", ["/tmp/model_dir", types.SimpleNamespace(model_dir="/x")])
def test_estimator_without_model_fn_says_what_it_needs(estimator, tmp_path):
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with pytest.raises(TypeError, match="has no tf.estimator, any object with model_fn") as info:
        exporter.export(estimator, os.fspath(tmp_path / "export"))
    assert isinstance(info.value, errors.ArgumentTypeError)
    assert f"Received: estimator of type {type(estimator).__name__}" in str(info.value)


def test_empty_export_path_is_refused(trained, tmp_path, monkeypatch):
    estimator, _, _ = trained
    monkeypatch.chdir(tmp_path)
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with pytest.raises(errors.ExportError, match="export_path is empty"):
        exporter.export(estimator, "")
    assert os.listdir(tmp_path) == []


def test_export_path_below_a_file_is_refused_naming_it(trained, tmp_path):
    # The module's export failed midway, naming the hidden temp-<timestamp>/<name> folder.
    estimator, _, _ = trained
    (tmp_path / "notes.txt").write_text("x")
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    for export_path in (tmp_path / "notes.txt", tmp_path / "notes.txt" / "exports"):
        with pytest.raises(errors.ExportWriteError, match="notes.txt is a file") as info:
            exporter.export(estimator, str(export_path))
        assert "temp-" not in str(info.value)
        assert str(info.value).endswith(f"Received: export_path={str(export_path)!r}")
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_checkpoint_not_matching_graph_names_missing_variables(trained, tmp_path):
    estimator, _, _ = trained
    with tf.Graph().as_default():
        tf.compat.v1.get_variable("linear/w", [2, 1])
        tf.compat.v1.get_variable("other", [3])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            partial = tf.compat.v1.train.Saver().save(session, os.fspath(tmp_path / "partial"))
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with pytest.raises(errors.ExportError) as info:
        exporter.export(estimator, os.fspath(tmp_path / "export"), checkpoint_path=partial)
    assert "missing variables: linear/b, scale/s" in str(info.value)  # Not the global step.
    assert not os.path.exists(tmp_path / "export") or not os.listdir(tmp_path / "export")


def test_export_from_a_plain_loop_without_global_step(trained, tmp_path):
    # The exporter creates a global step, as upstream; the checkpoint of a plain loop has none,
    # and restoring failed ("missing variables: global_step ... written by the same model").
    estimator, _, _ = trained
    with tf.Graph().as_default():
        predictions = estimator.model_fn({"x": tf.constant(X)}, None, "infer", None).predictions
        loss = tf.reduce_mean(tf.square(predictions - Y))
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.05).minimize(loss)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for _ in range(5):
                session.run(train_op)
            plain = tf.compat.v1.train.Saver().save(session, os.fspath(tmp_path / "ckpt" / "m"))
    assert "global_step" not in dict(tf.train.list_variables(plain))
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    export_dir = exporter.export(estimator, os.fspath(tmp_path / "export"), checkpoint_path=plain)
    with tf.Graph().as_default():
        linear = hub.Module(os.fsdecode(os.path.join(export_dir, b"linear")))
        scale = hub.Module(os.fsdecode(os.path.join(export_dir, b"scale")))
        output = scale(linear(tf.constant(X)))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            result = session.run(output)
    np.testing.assert_allclose(result, _checkpoint_prediction(plain), rtol=1e-5)


def test_no_checkpoint_and_no_registered_module(tmp_path):
    def model_fn(features, labels, mode):
        tf.compat.v1.get_variable("v", [1])
        return types.SimpleNamespace(predictions=features["x"])

    estimator = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=os.fspath(tmp_path))
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with pytest.raises(errors.ExportError, match="no checkpoint"):
        exporter.export(estimator, os.fspath(tmp_path / "export"))
    with tf.Graph().as_default():
        tf.compat.v1.get_variable("v", [1])
        tf.compat.v1.train.create_global_step()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver().save(session, os.fspath(tmp_path / "model.ckpt"))
    assert exporter.export(estimator, os.fspath(tmp_path / "export")) is None
    assert not os.path.exists(tmp_path / "export")


def test_register_module_for_export_rules():
    spec = hub.create_module_spec(_scale_module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        hub.register_module_for_export(module, "a")
        with pytest.raises(errors.ExportError, match="already a module registered .* 'a'"):
            hub.register_module_for_export(module, "a")
        with pytest.raises(errors.ExportError, match="plain folder name"):
            hub.register_module_for_export(module, "a/b")
        hub.register_module_for_export(module, b"c")  # Upstream's exporter took bytes too.
        with pytest.raises(errors.ExportError, match="already a module registered .* 'c'"):
            hub.register_module_for_export(module, "c")
        with pytest.raises(
            errors.ExportError, match=r"\(a str or bytes\). Received: export_name=5"
        ):
            hub.register_module_for_export(module, 5)
    # The argument is checked before eager mode (upstream checked neither), and the message
    # names both, so fixing one does not lead to the other error.
    for wrong in (spec, object()):
        with pytest.raises(errors.ArgumentTypeError, match="needs a hub.Module") as info:
            hub.register_module_for_export(wrong, "a")
        assert "tf.Graph, which does not exist in eager mode" in str(info.value)
        assert str(info.value).endswith(f"Received: module of type {type(wrong).__name__}")
    with pytest.raises(errors.EagerNotSupportedError, match="tf.Graph"):
        hub.register_module_for_export(hub.Module(spec), "a")  # A right module, eagerly.


@pytest.mark.parametrize("kind", ["spec", "layer"])
def test_register_module_for_export_refuses_what_cannot_be_exported(kind):
    # Both were accepted, and the exporter failed later (AttributeError, or a spec's
    # "Missing mandatory checkpoint_path").
    spec = hub.create_module_spec(_scale_module_fn)
    with tf.Graph().as_default():
        module = spec if kind == "spec" else types.SimpleNamespace(name="a Keras layer")
        with pytest.raises(TypeError, match="needs a hub.Module") as info:
            hub.register_module_for_export(module, "a")
        assert isinstance(info.value, errors.ArgumentTypeError)
        assert f"Received: module of type {type(module).__name__}" in str(info.value)
        assert tf.compat.v1.get_collection(("__tfhub_export_modules",)) == []


def test_export_with_partitioned_variables_from_monitored_training_session(tmp_path):
    """A model_fn with a partitioned variable, trained by MonitoredTrainingSession with Adam.

    The Saver writes a partitioned variable under one key (its full shape); the checkpoint
    check must not report its partitions as missing.
    """
    spec = hub.create_module_spec(_linear_module_fn)

    def model_fn(features, labels, mode, config):
        linear = hub.Module(spec, trainable=True, name="linear")
        hub.register_module_for_export(linear, "linear")
        partitioner = tf.compat.v1.fixed_size_partitioner(2)
        bias = tf.compat.v1.get_variable("bias", [4, 1], partitioner=partitioner)
        predictions = linear(features["x"]) + tf.reduce_sum(bias)
        if mode == "infer":
            return _Spec(predictions=predictions, scaffold=None)
        loss = tf.reduce_mean(tf.square(predictions - labels))
        step = tf.compat.v1.train.get_or_create_global_step()
        return _Spec(train_op=tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss, step))

    model_dir = os.fspath(tmp_path / "model_dir")
    estimator = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=model_dir)
    with tf.Graph().as_default():
        spec_ = model_fn({"x": tf.constant(X)}, tf.constant(Y), "train", None)
        with tf.compat.v1.train.MonitoredTrainingSession(checkpoint_dir=model_dir) as session:
            for _ in range(10):
                session.run(spec_.train_op)
    checkpoint = tf.train.latest_checkpoint(model_dir)
    assert checkpoint.endswith("model.ckpt-10")
    assert dict(tf.train.list_variables(checkpoint))["bias"] == [4, 1]
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn, exports_to_keep=1)
    export_dir = exporter.export(estimator, os.fspath(tmp_path / "export"))
    linear = hub.load(os.fsdecode(os.path.join(export_dir, b"linear")))
    output = linear.signatures["default"](default=tf.constant(X))["default"].numpy()
    w, b = (tf.train.load_variable(checkpoint, f"linear/{n}") for n in ("w", "b"))
    assert np.abs(w).max() > 0.1  # trained away from zeros
    np.testing.assert_allclose(output, X @ w + b, rtol=1e-5)


def test_module_of_the_export_folder_points_at_the_modules_in_it(trained, tmp_path):
    # It said only "it has neither tfhub_module.pb nor saved_model.pb".
    estimator, _, _ = trained
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    export_dir = os.fsdecode(exporter.export(estimator, os.fspath(tmp_path / "export")))
    with pytest.raises(errors.NotATF1ModuleError) as info:
        hub.Module(export_dir)
    assert str(info.value) == (
        f"{export_dir} is not a TF1 Hub module: it has neither tfhub_module.pb nor "
        "saved_model.pb. It holds no saved_model.pb, but its folder linear/ does. Did you mean "
        f"{os.path.join(export_dir, 'linear')}?"
    )


class _ExportBeside:
    """A module whose export, once written, sees another export make the (empty) timestamped
    folder this export is renamed to, as an exporter started in the same second would."""

    def __init__(self, module):
        self.module = module

    def export(self, path, session):
        self.module.export(path, session)
        temp = os.path.dirname(os.fsdecode(path))
        stamp = os.path.basename(temp).removeprefix("temp-")
        os.mkdir(os.path.join(os.path.dirname(temp), stamp))


def test_export_never_renames_onto_a_timestamped_folder_made_meanwhile(trained, tmp_path):
    # The rename of temp-<seconds> overwrote (gfile_io.rename's default): the other export's
    # folder was replaced. Upstream's tf.io.gfile.rename never overwrote.
    estimator, _, _ = trained
    specs = hub.create_module_spec(_linear_module_fn), hub.create_module_spec(_scale_module_fn)

    def model_fn(features, labels, mode, params):
        linear = hub.Module(specs[0], name="linear")
        scale = hub.Module(specs[1], name="scale")
        hub.register_module_for_export(_ExportBeside(linear), "linear")
        return _Spec(predictions=scale(linear(features["x"])), scaffold=None)

    racing = types.SimpleNamespace(
        model_fn=model_fn, config=None, params={}, model_dir=estimator.model_dir
    )
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with pytest.raises(tf.errors.AlreadyExistsError) as info:
        exporter.export(racing, os.fspath(tmp_path / "export"))
    assert isinstance(info.value, errors.ModuleExistsError)
    assert "appeared while this export was written" in str(info.value)
    (stamp,) = os.listdir(tmp_path / "export")  # The other's, untouched; no temp- folder.
    assert len(stamp) == 10 and os.listdir(tmp_path / "export" / stamp) == []


def test_garbage_collection_of_a_missing_export_base_raises_tensorflows_not_found(tmp_path):
    # Its listing raised DownloadError (not an OpError) since it was bounded; upstream, and a
    # caller's `except tf.errors.OpError`, expect TensorFlow's NotFoundError.
    from tfhub.tf1.export import garbage_collect_exports

    with pytest.raises(tf.errors.NotFoundError):
        garbage_collect_exports(os.fspath(tmp_path / "missing"), 1)
