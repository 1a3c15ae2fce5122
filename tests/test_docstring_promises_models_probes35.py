"""Docstring promises of the model-facing public API (`hub.Module`, `hub.KerasLayer`, the TF1
format functions, the feature columns, `hub.export_layer`) that no other test checked, each
triggered for real on tiny models built here (session 35 probes)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from tests._helpers import image_models, models  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _linear_module_fn() -> None:
    """x[None, 3] -> x @ w, w[3, 2] of ones."""
    x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
    w = tf.compat.v1.get_variable("w", initializer=tf.ones([3, 2]))
    hub.add_signature(inputs={"x": x}, outputs=tf.matmul(x, w))


@pytest.fixture(scope="module")
def linear_spec() -> Any:
    return hub.create_module_spec(_linear_module_fn)


@pytest.fixture(scope="module")
def tf2_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return models.save_tf2_module(os.fspath(tmp_path_factory.mktemp("probes35") / "tf2"))


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return models.save_text_embedding(os.fspath(tmp_path_factory.mktemp("probes35") / "text"))


@pytest.fixture(scope="module")
def dict_and_no_call_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(a text model whose `__call__` returns {"a", "b"}, a SavedModel without `__call__`)."""
    root = tmp_path_factory.mktemp("probes35_text")
    spec = tf.TensorSpec([None], tf.string)

    class DictOut(tf.Module):
        @tf.function(input_signature=[spec])
        def __call__(self, text: Any) -> dict[str, Any]:
            batch = tf.shape(text)[0]
            return {"a": tf.ones([batch, 2]), "b": tf.zeros([batch, 2])}

    class NoCall(tf.Module):
        @tf.function(input_signature=[spec])
        def embed(self, text: Any) -> Any:
            return tf.ones([tf.shape(text)[0], 2])

    dict_out, no_call = os.fspath(root / "dict_out"), os.fspath(root / "no_call")
    tf.saved_model.save(DictOut(), dict_out)
    tf.saved_model.save(NoCall(), no_call)
    return dict_out, no_call


def _assert_picklable(err: BaseException) -> None:
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err) and str(copy) == str(err)


# --- ModuleSpec.export ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["no_such_prefix", "empty_folder"])
def test_spec_export_from_a_path_that_holds_no_checkpoint(
    linear_spec: Any, tmp_path: Path, where: str
) -> None:
    """`checkpoint_path: the checkpoint that holds the module's variables`: a path with no
    checkpoint was TensorFlow's NotFoundError ("Unsuccessful TensorSliceReader constructor"),
    not a tfhub error; it is an ExportError (a ValueError, as for LatestModuleExporter) naming
    the path and what to pass, and nothing is written."""
    checkpoint = tmp_path / where
    if where == "empty_folder":
        checkpoint.mkdir()
    out = tmp_path / "out"
    with pytest.raises(errors.ExportError) as caught:
        linear_spec.export(os.fspath(out), checkpoint_path=os.fspath(checkpoint))
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert os.fspath(checkpoint) in message
    assert "model.ckpt-1000" in message and f"Received: checkpoint_path='{checkpoint}'" in message
    assert not out.exists()
    _assert_picklable(caught.value)


# --- create_module_spec, add_signature, attach_message ---------------------------------------


def test_create_module_spec_refuses_a_module_fn_that_is_not_callable() -> None:
    """`module_fn: builds the module's graph`: an int was Python's bare "'int' object is not
    callable" from deep inside; it is an ArgumentTypeError (still a TypeError) saying so."""
    with pytest.raises(errors.ArgumentTypeError) as caught:
        hub.create_module_spec(3)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)
    assert "module_fn" in str(caught.value) and str(caught.value).endswith(
        "Received: 3 of type int"
    )


def test_create_module_spec_refuses_a_tag_set_given_twice() -> None:
    """The docstring's ModuleSpecError covers a repeated tag set; its message said only
    "Tags [] used repeatedly": it now says each graph variant needs its own tag set."""
    with pytest.raises(errors.ModuleSpecError) as caught:
        hub.create_module_spec(_linear_module_fn, tags_and_args=[(set(), {}), (set(), {})])
    message = str(caught.value)
    assert "used repeatedly" in message and "its own set of tags" in message
    assert "Received: tags_and_args=" in message


@pytest.mark.parametrize("key", ["1k", "_k", "a-b", 3])
def test_attach_message_with_a_malformed_key_says_what_a_key_is(key: Any) -> None:
    """`key: a Python identifier starting with a letter`: the ModuleSpecError said only
    "called with malformed key"; it now says what a key must be and what it got."""

    def module_fn() -> None:
        _linear_module_fn()
        hub.attach_message(key, tf.train.BytesList(value=[b"x"]))

    with pytest.raises(errors.ModuleSpecError) as caught:
        hub.create_module_spec(module_fn)
    message = str(caught.value)
    assert "malformed key" in message and "starting with a letter" in message
    assert message.endswith(f"Received: key={key!r}")


def test_add_signature_takes_bytes_names_and_keys_as_upstream() -> None:
    """`SignatureValueTypeError if name or a key ... is not a string`: bytes are strings
    there, as upstream took them; they come back as str."""

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        hub.add_signature(b"sig", inputs={b"in": x}, outputs={b"out": x * 2.0})

    spec = hub.create_module_spec(module_fn)
    assert spec.get_signature_names() == ["sig"]
    assert list(spec.get_input_info_dict("sig")) == ["in"]
    assert list(spec.get_output_info_dict("sig")) == ["out"]


# --- hub.Module ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [3, None, b"/tmp/module"])
def test_module_of_something_that_is_not_a_spec_or_handle(spec: Any) -> None:
    """`spec: a ModuleSpec, or a handle (a str or a path)`: anything else is a ModuleSpecError
    (a ValueError, as upstream's "Unknown module spec type") that says what to pass."""
    with pytest.raises(errors.ModuleSpecError) as caught:
        hub.Module(spec)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and "Unknown module spec type" in message
    assert "hub.load_module_spec" in message and message.endswith(f"Received: spec={spec!r}")


def test_module_returns_sparse_outputs_and_takes_none_for_no_inputs() -> None:
    """`inputs: ... or None if it has none`; `Returns: A tensor (dense, sparse or ragged)`."""

    def module_fn() -> None:
        dense = tf.constant([[0.0, 2.0], [3.0, 0.0]])
        hub.add_signature(outputs={"default": tf.sparse.from_dense(dense), "dense": dense})

    spec = hub.create_module_spec(module_fn)
    module = hub.Module(spec)  # Eagerly.
    sparse = module(None)
    assert isinstance(sparse, tf.SparseTensor)
    np.testing.assert_array_equal(tf.sparse.to_dense(sparse), [[0.0, 2.0], [3.0, 0.0]])
    assert sorted(module(as_dict=True)) == ["default", "dense"]


# --- register_module_for_export --------------------------------------------------------------


def test_register_module_for_export_of_a_taken_name_says_what_to_do(linear_spec: Any) -> None:
    """`ExportError if export_name is already taken`: the message said nothing of what to do.
    (`export_name: str, or bytes as upstream took`: a bytes name takes the str's place.)"""
    with tf.Graph().as_default():
        module = hub.Module(linear_spec)
        hub.register_module_for_export(module, b"first")
        with pytest.raises(errors.ExportError) as caught:
            hub.register_module_for_export(module, "first")
    assert "Choose another export_name" in str(caught.value)


# --- KerasLayer ------------------------------------------------------------------------------


def test_keras_layer_shapes_before_it_is_connected(tf2_model: str) -> None:
    """`input_shape` / `output_shape`: AttributeError (so `hasattr` is False) saying what to do,
    until the layer is called on a keras.Input; `input_shape=` answers at once."""
    import keras

    layer = hub.KerasLayer(tf2_model)
    with pytest.raises(AttributeError, match="called on a keras.Input and got no input_shape="):
        layer.input_shape  # noqa: B018
    with pytest.raises(AttributeError, match="call it on a keras.Input first"):
        layer.output_shape  # noqa: B018
    assert not hasattr(layer, "output_shape")
    assert hub.KerasLayer(tf2_model, input_shape=(3,)).input_shape == (None, 3)
    keras.Sequential([keras.Input((3,)), layer])
    assert layer.input_shape == (None, 3) and layer.output_shape == (None, 2)


def _layer_classes() -> list[Any]:
    from tfhub.keras.layer import KerasLayer
    from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

    return [KerasLayer, TfKerasLayer]


@pytest.mark.parametrize("flavour", [0, 1], ids=["keras3", "tf_keras"])
def test_keras_layer_refuses_non_dict_arguments_and_options_for_a_callable(
    tf2_model: str, flavour: int
) -> None:
    """`ValueError: ... a callable handle with tags or load_options, or a non-dict arguments`
    (ArgumentErrors, ValueErrors as upstream raised), in both Keras flavours."""
    layer_class = _layer_classes()[flavour]
    with pytest.raises(errors.ArgumentError) as caught:
        layer_class(tf2_model, arguments=[("training", False)])
    assert isinstance(caught.value, ValueError)
    assert "`arguments` must be a dict. Received: arguments=[('training', False)]" in str(
        caught.value
    )
    options = tf.saved_model.LoadOptions()
    with pytest.raises(errors.ArgumentError, match="mutually exclusive.*load_options=<"):
        layer_class(lambda x: x, load_options=options)
    with pytest.raises(errors.ArgumentError, match=r"Received: tags=\['serve'\]"):
        layer_class(lambda x: x, tags=["serve"])


@pytest.mark.parametrize("flavour", [None, 0, 1], ids=["hub.load", "keras3", "tf_keras"])
def test_load_options_that_are_not_load_options_are_an_argument_type_error(
    tf2_model: str, flavour: int | None
) -> None:
    """TensorFlow's own answer was an AttributeError from deep inside its loader."""
    with pytest.raises(errors.ArgumentTypeError) as caught:
        if flavour is None:
            hub.load(tf2_model, options=3)
        else:
            _layer_classes()[flavour](tf2_model, load_options=3)
    assert isinstance(caught.value, TypeError)
    assert "must be a tf.saved_model.LoadOptions" in str(caught.value)
    assert "Received: options=3" in str(caught.value)
    _assert_picklable(caught.value)


# --- text_embedding_column_v2 ----------------------------------------------------------------


def test_text_embedding_column_v2_output_key_and_call_promises(
    dict_and_no_call_models: tuple[str, str], text_model: str
) -> None:
    """`UnknownOutputKeyError if output_key is not one of the outputs (listed)`,
    `ValueError if __call__ returns a dict and output_key is None`, `TFHubLoadError if ...
    no __call__`; and output_key on a model that returns a single tensor."""
    dict_out, no_call = dict_and_no_call_models
    with pytest.raises(errors.UnknownOutputKeyError) as caught:
        hub.text_embedding_column_v2("text", dict_out, output_key="zz")
    assert caught.value.available == ["a", "b"] and "Received: output_key='zz'" in str(caught.value)
    with pytest.raises(ValueError, match=r"keys \['a', 'b'\].*pass output_key"):
        hub.text_embedding_column_v2("text", dict_out)
    with pytest.raises(errors.TFHubLoadError, match="has no callable __call__"):
        hub.text_embedding_column_v2("text", no_call)
    with pytest.raises(errors.UnknownOutputKeyError, match="not a dict, so output_key must be"):
        hub.text_embedding_column_v2("text", text_model, output_key="a")
    assert hub.text_embedding_column_v2("text", dict_out, output_key="b").name


# --- export_layer ----------------------------------------------------------------------------


def test_export_layer_returns_the_folder_as_a_str(tf2_model: str, tmp_path: Path) -> None:
    """`Returns: export_dir`, as a str also for a pathlib.Path, loadable again."""
    layer = hub.KerasLayer(tf2_model)
    exported = hub.export_layer(layer, tmp_path / "copy")  # type: ignore[arg-type]
    assert exported == os.fspath(tmp_path / "copy") and isinstance(exported, str)
    x = np.ones([1, 3], np.float32)
    np.testing.assert_allclose(hub.KerasLayer(exported)(x), layer(x), rtol=1e-6)


@pytest.mark.parametrize("export_dir", [3, None])
def test_export_layer_refuses_an_export_dir_that_is_not_a_path(
    tf2_model: str, export_dir: Any
) -> None:
    """`export_dir: the folder to write`: an int or None was os.fspath's bare TypeError; it is
    an ArgumentTypeError (still a TypeError) saying what to pass."""
    with pytest.raises(errors.ArgumentTypeError) as caught:
        hub.export_layer(hub.KerasLayer(tf2_model), export_dir)
    assert isinstance(caught.value, TypeError)
    assert "hub.export_layer" in str(caught.value)
    kind = type(export_dir).__name__
    assert str(caught.value).endswith(f"Received: export_dir={export_dir!r} of type {kind}")


def test_export_layer_refuses_an_empty_export_dir(
    tf2_model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty `export_dir` was an ExportWriteError "Cannot write the export to : No such file
    or directory" (as if the disk refused it); it is an ExportError naming the mistake, as
    `Module.export` and `ModuleSpec.export` raise, and the working directory stays empty."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.ExportError) as caught:
        hub.export_layer(hub.KerasLayer(tf2_model), "")
    assert not isinstance(caught.value, errors.ExportWriteError)
    assert "empty" in str(caught.value) and str(caught.value).endswith("Received: export_dir=''")
    assert list(tmp_path.iterdir()) == []


def test_export_layer_takes_a_bytes_export_dir(tf2_model: str, tmp_path: Path) -> None:
    """A bytes folder name, which `Module.export` and `ModuleSpec.export` take, was a bare
    "cannot use a string pattern on a bytes-like object"; it is written, and returned as str."""
    target = os.fsencode(tmp_path / "bytes_dir")
    exported = hub.export_layer(hub.KerasLayer(tf2_model), target)  # type: ignore[arg-type]
    assert exported == os.fsdecode(target)
    assert (tmp_path / "bytes_dir" / "saved_model.pb").is_file()


# --- ModuleSpec inspection -------------------------------------------------------------------


@pytest.mark.parametrize(
    "method", ["get_input_info_dict", "get_output_info_dict", "get_signature_names"]
)
def test_spec_inspection_of_an_unknown_graph_variant_or_signature(
    linear_spec: Any, method: str
) -> None:
    """Upstream's docstrings: "KeyError: if there is no such signature or graph variant"; its
    code raised ValueError for the signature. Both hold: the graph variant is a KeyError, the
    signature a ValueError, each listing what exists."""
    with pytest.raises(errors.UnknownGraphVariantError) as caught:
        getattr(linear_spec, method)(tags={"serve"})
    assert isinstance(caught.value, KeyError) and caught.value.available == [[]]
    if method == "get_signature_names":
        return
    with pytest.raises(errors.UnknownSignatureError) as missing:
        getattr(linear_spec, method)("nope")
    assert isinstance(missing.value, ValueError) and missing.value.available == ["default"]
    assert "Received: signature='nope'" in str(missing.value)


# --- get_expected_image_size -----------------------------------------------------------------


@pytest.fixture(scope="module")
def image_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A TF1 image module (input "images") that attaches ImageModuleInfo (32, 32)."""
    path = tmp_path_factory.mktemp("probes35_image") / "image"
    return image_models.save_tf1_image_module(path, image_size=(32, 32), dim=4)


def test_expected_image_size_refuses_an_unknown_input_name_even_with_image_module_info(
    image_module: str,
) -> None:
    """`InputSpecError: if the input is missing`: with an ImageModuleInfo attached, a misspelt
    `input_name` returned the info's size as if it were right (a misspelt `signature` was
    already refused: "a typo must not pass"); it is refused too, naming the inputs."""
    spec = hub.load_module_spec(image_module)
    assert hub.get_expected_image_size(spec) == [32, 32]
    assert hub.get_expected_image_size(spec, input_name="images") == [32, 32]
    with pytest.raises(errors.InputSpecError) as caught:
        hub.get_expected_image_size(spec, input_name="image")
    assert isinstance(caught.value, ValueError)
    assert "missing input 'image'" in str(caught.value) and "['images']" in str(caught.value)
    with pytest.raises(errors.UnknownSignatureError):
        hub.get_expected_image_size(spec, signature="nope")


def test_upstream_export_module_spec_checks_as_spec_export(
    linear_spec: Any, tmp_path: Path
) -> None:
    """tensorflow_hub's `module.export_module_spec(spec, path, checkpoint_path, fn)`, the helper
    behind `ModuleSpec.export`, skipped its checks: a path without a checkpoint was TensorFlow's
    NotFoundError, an empty `path` wrote the module into the working directory."""
    from tfhub.module import export_module_spec

    with pytest.raises(errors.ExportError, match="There is no checkpoint at"):
        export_module_spec(linear_spec, os.fspath(tmp_path / "a"), os.fspath(tmp_path), str)
    with pytest.raises(errors.ExportError, match="export path is empty"):
        export_module_spec(linear_spec, "", os.fspath(tmp_path / "ckpt"), str)
    assert list(tmp_path.iterdir()) == []


def test_attach_image_module_info_takes_only_an_image_module_info() -> None:
    """`image_module_info: a hub.ImageModuleInfo message`: another protocol message was
    attached as is, and `get_expected_image_size` then failed with protobuf's DecodeError (or
    read a wrong size). It is a ModuleSpecError (a ValueError) when the module is made."""

    def module_fn(message: Any) -> Any:
        def build() -> None:
            images = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3], name="images")
            hub.add_signature(inputs={"images": images}, outputs=tf.reduce_mean(images, [1, 2]))
            hub.attach_image_module_info(message)

        return build

    with pytest.raises(errors.ModuleSpecError) as caught:
        hub.create_module_spec(module_fn(tf.train.Int64List(value=[1, 2, 3])))
    assert isinstance(caught.value, ValueError)
    assert "hub.ImageModuleInfo" in str(caught.value)
    assert str(caught.value).endswith("Received: image_module_info of type Int64List")
    info = hub.ImageModuleInfo()
    info.default_image_size.height, info.default_image_size.width = 5, 6
    assert hub.get_expected_image_size(hub.create_module_spec(module_fn(info))) == [5, 6]


# --- LatestModuleExporter --------------------------------------------------------------------


class _EstimatorWithoutModelDir:
    """`any object with model_fn, config, optional params, and ... latest_checkpoint()`."""

    def __init__(self, spec: Any, model_dir: Path) -> None:
        self.spec, self.config, self._model_dir = spec, None, os.fspath(model_dir)

    def model_fn(self, features: Any, labels: Any, mode: Any, config: Any = None) -> None:
        hub.register_module_for_export(hub.Module(self.spec), "linear")

    def latest_checkpoint(self) -> str | None:
        return tf.train.latest_checkpoint(self._model_dir)


def test_latest_module_exporter_takes_a_features_dict_and_latest_checkpoint(
    linear_spec: Any, tmp_path: Path
) -> None:
    """`serving_input_fn: ... (or a features dict)`, an estimator with `latest_checkpoint()`
    and no `model_dir`, `checkpoint_path: ... or a folder: its latest checkpoint`; `Returns:
    export_path/<timestamp> as bytes, holding one module folder per export name`."""
    model_dir = tmp_path / "model"
    with tf.Graph().as_default():
        module = hub.Module(linear_spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(module.variable_map["w"].assign(np.full([3, 2], 3.0, np.float32)))
            saver = tf.compat.v1.train.Saver()
            saver.save(session, os.fspath(model_dir / "model.ckpt"), global_step=7)
    exporter = hub.LatestModuleExporter("hub", lambda: {"x": tf.ones([1, 3])})
    estimator = _EstimatorWithoutModelDir(linear_spec, model_dir)
    for checkpoint_path in (None, os.fspath(model_dir)):
        exported = exporter.export(estimator, os.fspath(tmp_path / "exports"), checkpoint_path)
        assert isinstance(exported, bytes)
        assert os.path.dirname(exported) == os.fsencode(tmp_path / "exports")
        module_dir = os.path.join(os.fsdecode(exported), "linear")
        with hub.eval_function_for_module(module_dir) as f:
            np.testing.assert_allclose(f(np.ones([1, 3], np.float32)), [[9.0, 9.0]])


# --- hub.load --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_tag_sets_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A TF1 SavedModel (not a Hub module) with MetaGraphs tagged ["train"] and ["eval"]."""
    path = os.fspath(tmp_path_factory.mktemp("probes35_tags") / "two_tag_sets")
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None], name="x")
        y = x * v1.get_variable("w", initializer=2.0)
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(path)
            builder.add_meta_graph_and_variables(
                session, ["train"], signature_def_map={"serving_default": signature}
            )
            builder.add_meta_graph(["eval"], signature_def_map={"serving_default": signature})
            builder.save()
    return path


def test_load_without_tags_of_a_model_with_several_tag_sets(two_tag_sets_model: str) -> None:
    """`tags: ... Defaults to the only/serve one`: with two tag sets there is none to default
    to, and TensorFlow's bare ValueError came through (from hub.load and hub.KerasLayer). It
    is an UnknownTagsError (still a ValueError) listing the tag sets in `.available`."""
    for load in (hub.load, hub.KerasLayer):
        with pytest.raises(errors.UnknownTagsError) as caught:
            load(two_tag_sets_model)
        message = str(caught.value)
        assert isinstance(caught.value, ValueError)
        assert caught.value.available == [["train"], ["eval"]]
        assert two_tag_sets_model in message and "pass tags=" in message
        assert message.endswith("Received: tags=None")
    loaded = hub.load(two_tag_sets_model, tags="eval")
    outputs = loaded.signatures["serving_default"](x=tf.constant([1.5]))
    np.testing.assert_allclose(outputs["y"], [3.0])


# --- TF1 feature columns over a SavedModel ---------------------------------------------------


def test_tf1_columns_over_a_saved_model_say_what_to_use_for_that_column(
    tf2_model: str, text_model: str
) -> None:
    """`NotATF1ModuleError: if the handle is a TF2 SavedModel`: image_embedding_column's message
    advised hub.text_embedding_column_v2 for an image model; each column now names its own way
    out, and a TF1 SavedModel's (hub.create_module_spec_from_saved_model)."""
    with pytest.raises(errors.NotATF1ModuleError) as image:
        hub.image_embedding_column("images", tf2_model)
    assert "text_embedding_column_v2" not in str(image.value)
    assert "hub.KerasLayer(handle)" in str(image.value)
    for column in (hub.text_embedding_column, hub.sparse_text_embedding_column):
        kwargs = {"combiner": "mean", "default_value": None} if "sparse" in column.__name__ else {}
        with pytest.raises(errors.NotATF1ModuleError) as text:
            column("text", text_model, **kwargs)
        assert "hub.text_embedding_column_v2" in str(text.value)
    for caught in (image, text):
        assert "hub.create_module_spec_from_saved_model(path)" in str(caught.value)
