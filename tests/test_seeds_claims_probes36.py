"""The three tensorflow_hub pages this project implements, claim by claim, where no other test
checked them (session 36 probes): the package overview (its functions' defaults, its package
contents, hub.KerasLayer's docstring), hub.KerasLayer's reference page (its Keras 2 properties and
methods, in Keras 3 and in tf_keras) and the TF1 Hub format guide (hub.Module in a TF1 graph,
the guide's own `module_fn`, fine-tuning and export). tfhub.dev handles are replaced by tiny
models built here, by tensorflow_hub's own fixtures (tests/data/upstream) and by a server on
127.0.0.1."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers import models
from tests._helpers._across_workers import computed_once
from tests._helpers.upstream_records import upstream_path
from tests.keras._support import Flavour
from tests.keras.conftest import flavour_tuple

pytestmark = pytest.mark.tf

TF1_MULTI_SIG = upstream_path("tf1_multi_sig")  # default: x[None,3] -> {default, hidden}.
TF1_TRAIN_TAGS = upstream_path("tf1_train_tags")  # Graph variants: set() and {"train"}.


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Tiny SavedModels of tests/_helpers/models.py, built once per test run by the first
    pytest worker that asks (`computed_once`; the tests only load them)."""

    def build_all() -> dict[str, str]:
        root = tmp_path_factory.mktemp("seeds_models")
        builders = {
            "tf2": models.save_tf2_module,
            "dict_io": models.save_dict_io_model,
            "scaled": models.save_scaled_model,
        }
        return {name: build(os.fspath(root / name)) for name, build in builders.items()}

    return computed_once(tmp_path_factory, f"{__name__}.model_dir", build_all)


@pytest.fixture(params=["keras3", "tf_keras"])
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Runs a test once with Keras 3 and once with tf_keras (each class imported explicitly)."""
    return flavour_tuple(request.param)


# --- The package overview (000) -------------------------------------------------------------

# Its FUNCTIONS section, as printed there.
OVERVIEW_FUNCTIONS = """
add_signature(name=None, inputs=None, outputs=None)
attach_image_module_info(image_module_info)
create_module_spec(module_fn, tags_and_args=None, drop_collections=None)
create_module_spec_from_saved_model(saved_model_path, drop_collections=None)
get_expected_image_size(module_or_spec, signature=None, input_name=None)
get_num_image_channels(module_or_spec, signature=None, input_name=None)
image_embedding_column(key, module_spec, image_size=None)
load(handle, tags=None, options=None)
load_module_spec(path)
register_module_for_export(module, export_name)
resolve(handle)
sparse_text_embedding_column(key, module_spec, combiner, default_value, trainable=False)
text_embedding_column(key, module_spec, trainable=False)
text_embedding_column_v2(key, module_path, output_key=None, trainable=False)
""".strip().splitlines()

KERAS_LAYER_INIT = (
    "(handle, trainable=False, arguments=None, _sentinel=None, tags=None, signature=None, "
    "signature_outputs_as_dict=None, output_key=None, output_shape=None, load_options=None, "
    "**kwargs)"
)

PACKAGE_CONTENTS = """
compressed_module_resolver config estimator feature_column feature_column_v2 file_utils
image_module_info_pb2 image_util keras_layer meta_graph_lib module module_attachment_pb2
module_def_pb2 module_impl module_spec module_v2 native_module registry resolver saved_model_lib
saved_model_module tensor_info tf_utils tools uncompressed_module_resolver version
""".split()


def _plain_signature(function: Any, *, drop_self: bool = False) -> str:
    """`(a, b=None, **kwargs)`: names and defaults, without annotations."""
    parameters = list(inspect.signature(function).parameters.values())[1 if drop_self else 0 :]
    return str(inspect.Signature([p.replace(annotation=p.empty) for p in parameters]))


@pytest.mark.parametrize("line", OVERVIEW_FUNCTIONS, ids=lambda line: line.split("(")[0])
def test_each_function_takes_the_overviews_parameters_and_defaults(line: str) -> None:
    """Its names and its defaults (test_upstream_signatures checks the names only)."""
    import tfhub as hub

    name, _, parameters = line.partition("(")
    assert _plain_signature(getattr(hub, name)) == "(" + parameters


def test_keras_layer_takes_the_overviews_parameters_in_both_flavours() -> None:
    import tfhub as hub
    from tfhub.keras.layer import KerasLayer as Keras3Layer
    from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

    for layer_class in (hub.KerasLayer, Keras3Layer, TfKerasLayer):
        assert _plain_signature(layer_class.__init__, drop_self=True) == KERAS_LAYER_INIT


def test_the_package_contents_import_and_tools_is_a_package() -> None:
    for name in PACKAGE_CONTENTS:
        importlib.import_module(f"tfhub.{name}")
    assert hasattr(importlib.import_module("tfhub.tools"), "__path__")


def test_the_overviews_classes() -> None:
    """Module and ModuleSpec are classes, ImageModuleInfo a protobuf message, KerasLayer a Keras
    layer (of the flavour in use; both are offered)."""
    import keras
    import tf_keras
    from google.protobuf import message

    import tfhub as hub
    from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

    assert inspect.isclass(hub.Module) and inspect.isclass(hub.ModuleSpec)
    assert issubclass(hub.ImageModuleInfo, message.Message)
    assert issubclass(hub.KerasLayer, keras.layers.Layer)
    assert issubclass(TfKerasLayer, tf_keras.layers.Layer)


# --- hub.KerasLayer's docstring (000) and reference page (001), in both flavours -------------


def test_the_docstrings_text_embedding_example(flavour, tmp_path: Path) -> None:
    """`hub.KerasLayer("/tmp/text_embedding_model", output_shape=[20], input_shape=[],
    dtype=tf.string)`: outputs [batch_size, 20] from a [batch_size] tf.string input."""
    import tensorflow as tf

    _, KerasLayer, keras = flavour
    handle = models.save_text_embedding(os.fspath(tmp_path / "text_embedding_model"), dim=20)
    layer = KerasLayer(handle, output_shape=[20], input_shape=[], dtype=tf.string)
    model = keras.Sequential([layer, keras.layers.Dense(1)])
    sentences = ["hello world", "apple"]
    assert tuple(model.output_shape) == (None, 1)
    assert tuple(layer.output_shape) == (None, 20) and layer.dtype == "string"
    np.testing.assert_allclose(
        layer(tf.constant(sentences)), models.text_embedding_expected(sentences, dim=20), rtol=1e-6
    )


def test_tf1_defaults_tags_signature_and_output_key(flavour) -> None:
    """For a TF1 Hub module: no `tags` means the empty tag set, no `signature` means "default",
    no `output_key` means the "default" output, and `signature_outputs_as_dict=True` (without a
    signature) returns all the default signature's outputs."""
    _, KerasLayer, _ = flavour
    x = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]], np.float32)
    unset = KerasLayer(TF1_TRAIN_TAGS)(x).numpy()
    np.testing.assert_allclose(unset, KerasLayer(TF1_TRAIN_TAGS, tags=set())(x))
    assert not np.allclose(unset, KerasLayer(TF1_TRAIN_TAGS, tags={"train"})(x))

    outputs = KerasLayer(TF1_MULTI_SIG, signature_outputs_as_dict=True)(x)
    assert sorted(outputs) == ["default", "hidden"]
    explicit = KerasLayer(TF1_MULTI_SIG, signature="default", output_key="default")(x)
    np.testing.assert_allclose(KerasLayer(TF1_MULTI_SIG)(x), explicit)
    np.testing.assert_allclose(outputs["default"], explicit)
    np.testing.assert_allclose(KerasLayer(TF1_MULTI_SIG, output_key="hidden")(x), outputs["hidden"])


def test_output_shape_as_a_nest_like_the_outputs(flavour, model_dir) -> None:
    """`output_shape`: "a tuple or nested tuples", without the batch size, with the nesting of
    the callable's outputs (here a dict of two outputs); kept in the config."""
    _, KerasLayer, keras = flavour
    layer = KerasLayer(model_dir["dict_io"], output_shape={"sum": [2], "prod": [2]})
    outputs = layer({"a": keras.Input((2,)), "b": keras.Input((2,))})
    assert {key: tuple(value.shape) for key, value in outputs.items()} == {
        "sum": (None, 2),
        "prod": (None, 2),
    }
    assert layer.get_config()["output_shape"] == {"sum": [2], "prod": [2]}


def test_arguments_are_json_in_the_config_and_not_checkpointed(flavour, model_dir, tmp_path):
    """`arguments`: "must be JSON-serializable to save the Keras config" and are not tracked
    by the layer's checkpointing dependencies: a checkpoint holds the model's variable only."""
    import tensorflow as tf

    _, KerasLayer, _ = flavour
    layer = KerasLayer(model_dir["scaled"], arguments={"scale": 3.0})
    assert json.loads(json.dumps(layer.get_config()["arguments"])) == {"scale": 3.0}
    saved = tf.train.Checkpoint(layer=layer).write(os.fspath(tmp_path / "ckpt"))
    names = [name for name, _ in tf.train.list_variables(saved)]
    assert not any("scale" in name or "argument" in name for name in names), names
    assert sum(name.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for name in names) == 2  # w, counter


def test_properties_of_a_layer_never_called(flavour, model_dir) -> None:
    """`input`, `output`, `input_shape`, `output_shape`, `input_mask` of a layer not connected
    to any input raise AttributeError; `metrics` is empty and `activity_regularizer` None."""
    layer = flavour.layer(model_dir["tf2"])
    for name in ("input", "output", "input_shape", "output_shape", "input_mask"):
        with pytest.raises(AttributeError):
            getattr(layer, name)
    assert list(layer.metrics) == [] and layer.activity_regularizer is None
    assert all(v is w for v, w in zip(layer.variables, layer.weights, strict=True))
    assert all(
        v is w for v, w in zip(layer.trainable_variables, layer.trainable_weights, strict=True)
    )
    assert all(
        v is w
        for v, w in zip(layer.non_trainable_variables, layer.non_trainable_weights, strict=True)
    )


def test_losses_carry_gradients_under_a_tape(flavour, model_dir) -> None:
    """`losses`: "accessing `losses` under a `tf.GradientTape` will propagate gradients back to
    the corresponding variables" (the regularized kernels; not the biases)."""
    import tensorflow as tf

    layer = flavour.layer(model_dir["tf2"], trainable=True)
    with tf.GradientTape() as tape:
        total = tf.add_n(layer.losses)
    gradients = tape.gradient(total, layer.trainable_variables)
    reached = [
        (v, g) for v, g in zip(layer.trainable_variables, gradients, strict=True) if g is not None
    ]
    assert len(reached) == 2  # Two regularized kernels: 0.01 * sum(K ** 2), gradient 0.02 * K.
    for variable, gradient in reached:
        np.testing.assert_allclose(gradient, 0.02 * variable.numpy(), rtol=1e-6)


def test_activity_regularizer_adds_its_loss(flavour, model_dir) -> None:
    """`activity_regularizer`: "Optional regularizer function for the output of this layer",
    given through **kwargs to the Layer constructor."""
    import tensorflow as tf

    _, KerasLayer, keras = flavour
    layer = KerasLayer(model_dir["tf2"], activity_regularizer=keras.regularizers.L2(0.5))
    outputs = layer(tf.ones([2, 3]))
    expected = 0.5 * float(tf.reduce_sum(tf.square(outputs))) / 2  # Keras: per example.
    activity = [float(loss) for loss in layer.losses if float(loss) != 0.0]  # tf_keras: 0, 0 too
    assert activity == pytest.approx([expected], rel=1e-5)


def test_build_count_params_and_set_weights(flavour, model_dir) -> None:
    """`build(input_shape)` may be called before the first call; `count_params()` counts the
    weights (tf_keras: ValueError before the layer is built, as upstream's Keras did; Keras 3
    builds the layer when it wraps the weights); `set_weights` raises ValueError when the list
    does not match the layer's weights."""
    import tensorflow as tf

    layer = flavour.layer(model_dir["tf2"])
    if flavour.name == "tf_keras":
        with pytest.raises(ValueError, match="isn't built"):
            layer.count_params()
    layer.build((None, 3))
    assert layer.built and layer.count_params() == 3 * 4 + 4 + 4 * 2 + 2 + 4
    assert tuple(layer(tf.ones([1, 3])).shape) == (1, 2)
    weights = layer.get_weights()
    with pytest.raises(ValueError):
        layer.set_weights(weights[:1])
    with pytest.raises(ValueError):
        layer.set_weights([np.zeros((9, 9), np.float32)] * len(weights))


def test_compute_mask_as_documented(flavour, model_dir) -> None:
    """`compute_mask(inputs, mask=None)`: the layer takes no masks, so None without a mask, and
    (as upstream's Keras said) a TypeError naming the layer when given one. Keras 3's own
    `compute_mask(inputs, previous_mask)` took no call with `inputs` alone."""
    import tensorflow as tf

    layer = flavour.layer(model_dir["tf2"], name="hub_layer")
    assert _plain_signature(type(layer).compute_mask, drop_self=True) == "(inputs, mask=None)"
    x = tf.ones([2, 3])
    assert layer.compute_mask(x) is None and layer.compute_mask(x, None) is None
    with pytest.raises(TypeError, match="hub_layer.*does not support masking"):
        layer.compute_mask(x, tf.ones([2, 3], tf.bool))
    assert not layer.supports_masking


def test_a_masked_input_still_reaches_a_keras3_layer(model_dir) -> None:
    """With compute_mask overridden, Keras 3 must still treat the layer as one without masking
    support (it warns and drops the mask, as before), not call compute_mask with the mask."""
    import warnings

    import keras

    from tfhub.keras.layer import KerasLayer

    inputs = keras.Input((3,))
    masked = keras.layers.Masking(0.0)(inputs)
    ones = np.ones((2, 3), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras: "this layer does not support masking".
        model = keras.Model(inputs, KerasLayer(model_dir["tf2"])(masked))
        predicted = model.predict(ones, verbose=0)
    np.testing.assert_allclose(predicted, models.tf2_module_expected(ones)["logits"], rtol=1e-5)


def test_hub_keras_layer_in_a_tf1_graph() -> None:
    """ "It can be called both in eager and graph mode": hub.KerasLayer (Keras 3) in a tf.Graph,
    run by a tf.compat.v1.Session (tests/keras/test_layer.py does tf_keras)."""
    import tensorflow as tf

    import tfhub as hub

    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    eager = hub.KerasLayer(upstream_path("tf2_saved_model"))(x).numpy()
    with tf.Graph().as_default():
        layer = hub.KerasLayer(upstream_path("tf2_saved_model"))
        placeholder = tf.compat.v1.placeholder(tf.float32, [None, 3])
        outputs = layer(placeholder)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(outputs, {placeholder: x}), eager, rtol=1e-6)


# --- The TF1 Hub format guide (002), in a TF1 graph ------------------------------------------


def _small_module_fn() -> None:
    """The guide's shape of module_fn in raw ops: x[None,5] -> hidden[None,7] -> y[None,3]."""
    import tensorflow as tf

    import tfhub as hub

    inputs = tf.compat.v1.placeholder(dtype=tf.float32, shape=[None, 5])
    w1 = tf.compat.v1.get_variable("layer1/kernel", initializer=tf.ones([5, 7]))
    layer1 = tf.matmul(inputs, w1)
    w2 = tf.compat.v1.get_variable("layer2/kernel", initializer=tf.ones([7, 3]))
    layer2 = tf.matmul(layer1, w2)
    hub.add_signature(inputs=inputs, outputs=dict(default=layer2, hidden_activations=layer1))


def test_a_module_from_a_path_joins_the_graph(tmp_path: Path) -> None:
    """`hub.Module("path/to/a/module_dir")` adds the module's variables to the current graph
    and their initializers read the exported (here: fine-tuned) values; `y = m(x)` may be
    called again, adding ops but sharing the weights; `as_dict=True` gives every output."""
    import tensorflow as tf

    import tfhub as hub

    v1 = tf.compat.v1
    spec = hub.create_module_spec(_small_module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)  # From a spec: no checkpoint, the variables' initializers.
        outputs = module(np.ones([1, 5], np.float32))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(outputs), [[35.0] * 3])
            kernel = next(v for v in module.variables if "layer1" in v.name)
            session.run(kernel.assign(tf.fill([5, 7], 2.0)))  # "Fine-tuned".
            module.export(os.fspath(tmp_path / "module_dir"), session)
    assert (tmp_path / "module_dir" / "tfhub_module.pb").is_file()

    with tf.Graph().as_default():
        module = hub.Module(os.fspath(tmp_path / "module_dir"))
        names = sorted(v.name for v in v1.global_variables())
        assert names == ["module/layer1/kernel:0", "module/layer2/kernel:0"]
        first = module(np.ones([1, 5], np.float32))
        second = module(np.full([1, 5], 2.0, np.float32))
        every = module(np.ones([1, 5], np.float32), as_dict=True)
        assert sorted(v.name for v in v1.global_variables()) == names  # Weights shared.
        assert sorted(every) == ["default", "hidden_activations"]
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())  # Reads the exported values.
            np.testing.assert_allclose(session.run(first), [[70.0] * 3])
            np.testing.assert_allclose(session.run(second), [[140.0] * 3])
            np.testing.assert_allclose(session.run(every["hidden_activations"]), [[10.0] * 7])


def test_a_relative_module_dir_and_a_fine_tuned_export(tmp_path: Path, monkeypatch) -> None:
    """`hub.Module("path/to/a/module_dir")` (a relative path), made trainable, fine-tuned and
    exported with `export(path, session)`: "used both for the first export and for exporting
    fine-tuned modules"."""
    import tensorflow as tf

    import tfhub as hub

    v1 = tf.compat.v1
    monkeypatch.chdir(tmp_path)
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_small_module_fn))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export("path/to/a/module_dir", session)
    with tf.Graph().as_default():
        module = hub.Module("path/to/a/module_dir", trainable=True)
        assert len(v1.trainable_variables()) == 2
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            kernel = next(v for v in module.variables if "layer2" in v.name)
            session.run(kernel.assign(tf.fill([7, 3], 0.5)))
            module.export("path/to/fine_tuned", session)
    with tf.Graph().as_default():
        outputs = hub.Module("path/to/fine_tuned")(np.ones([1, 5], np.float32))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(outputs), [[17.5] * 3])  # 5 * 7 * 0.5


def test_signatures_dict_inputs_and_as_dict() -> None:
    """`m(dict(...), signature=..., as_dict=True)`: inputs by the signature's keys, all of
    them required; without `as_dict` a signature with several outputs gives "default"."""
    import tensorflow as tf

    import tfhub as hub

    a, b = np.array([1.0, 2.0], np.float32), np.array([10.0, 20.0], np.float32)
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    with tf.Graph().as_default():
        module = hub.Module(TF1_MULTI_SIG)
        assert sorted(module.get_signature_names()) == ["default", "sum_pair"]
        pair = module(dict(a=a, b=b), signature="sum_pair", as_dict=True)
        single = module(x, as_dict=False)
        both = module(x, as_dict=True)
        with pytest.raises(TypeError, match=r"missing \['b'\]"):
            module(dict(a=a), signature="sum_pair")
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            assert sorted(pair) == ["default"]
            np.testing.assert_allclose(session.run(pair["default"]), a + 2.0 * b)
            np.testing.assert_allclose(session.run(single), session.run(both["default"]))


def test_a_module_url_is_cached_in_tfhub_cache_dir(
    upstream_dir: Path, served_dir: Path, server: Any, tmp_path: Path, monkeypatch
) -> None:
    """ "When a module is created from a URL, its content is downloaded and cached in the local
    system's temporary directory; TFHUB_CACHE_DIR overrides that location" (set here after
    import, as users do): in TF1 graphs, downloaded once."""
    import tensorflow as tf

    import tfhub as hub

    shutil.copy(upstream_dir / "tf1_multi_sig.tar.gz", served_dir)
    url = server.url("tf1_multi_sig.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "my_cache"))
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    results = []
    for _ in range(2):
        with tf.Graph().as_default():
            outputs = hub.Module(url)(x)
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                results.append(session.run(outputs))
    np.testing.assert_allclose(results[0], results[1])
    gets = [path for method, path, _ in server.state.requests if method == "GET"]
    assert len(gets) == 1, gets
    entries = [
        p for p in (tmp_path / "my_cache").iterdir() if p.is_dir() and not p.name.startswith(".")
    ]
    assert [p.name for p in entries] == [hashlib.sha1(url.encode()).hexdigest()]
    assert (entries[0] / "tfhub_module.pb").is_file()


_GUIDE_SCRIPT = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf  # The guide's tf.placeholder and tf.layers (TF1 style).
import tfhub as hub

def module_fn():
  inputs = tf.placeholder(dtype=tf.float32, shape=[None, 50])
  layer1 = tf.layers.dense(inputs, 200)
  layer2 = tf.layers.dense(layer1, 100)
  outputs = dict(default=layer2, hidden_activations=layer1)
  # Add default signature.
  hub.add_signature(inputs=inputs, outputs=outputs)

spec = hub.create_module_spec(module_fn)

def regularized_module_fn():  # For publishers: "tf.layers.dense(..., kernel_regularizer=...)".
  inputs = tf.placeholder(dtype=tf.float32, shape=[None, 50])
  l2 = lambda w: 0.01 * tf.reduce_sum(tf.square(w))
  layer1 = tf.layers.dense(inputs, 200, kernel_regularizer=l2)
  hub.add_signature(inputs=inputs, outputs=tf.layers.dense(layer1, 100))

result = {}
x = np.linspace(-1.0, 1.0, 100, dtype=np.float32).reshape(2, 50)
with tf.Graph().as_default():
  m = hub.Module(spec)
  outputs = m(x, as_dict=True)
  result["shapes"] = {key: value.shape.as_list() for key, value in outputs.items()}
  result["variables"] = sorted(v.name for v in tf.global_variables())
  with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    result["default_shape"] = list(session.run(outputs["default"]).shape)
with tf.Graph().as_default():
  m = hub.Module(hub.create_module_spec(regularized_module_fn))
  y = m(x)
  with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    m.export(sys.argv[1], session)
    exported = session.run(y)
for trainable in (True, False):
  with tf.Graph().as_default():
    m = hub.Module(sys.argv[1], trainable=trainable)
    y = m(x)
    losses = tf.losses.get_regularization_losses()
    kernel = [v for v in m.variables if v.name.endswith("dense/kernel:0")]
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      result[str(trainable)] = {
          "same_outputs": bool(np.allclose(session.run(y), exported)),
          "losses": [float(v) for v in session.run(losses)],
          "l2": float(0.01 * np.sum(session.run(kernel[0]) ** 2)),
          "trainable_variables": len(tf.trainable_variables()),
      }
print("RESULT" + json.dumps(result))
"""


@pytest.mark.slow
def test_the_guides_module_fn_export_and_fine_tuning(tmp_path: Path) -> None:
    """The guide's `module_fn` as written (tf.placeholder, tf.layers.dense: TF1's layers need
    TF_USE_LEGACY_KERAS=1 beside Keras 3), `hub.create_module_spec(module_fn)` used in a graph;
    a publisher's kernel_regularizer exported with the module, which a consumer's
    `hub.Module(..., trainable=True)` brings into `tf.losses.get_regularization_losses()` with
    trainable variables (a frozen module brings neither)."""
    from tests._helpers.python_process import child_env
    from tests._helpers.warm_python import run_warm_python

    proc = run_warm_python(
        _GUIDE_SCRIPT, str(tmp_path / "exported"), env=child_env(TF_USE_LEGACY_KERAS="1")
    )
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT"))
    result = json.loads(line[len("RESULT") :])
    assert result["shapes"] == {"default": [2, 100], "hidden_activations": [2, 200]}
    assert result["default_shape"] == [2, 100]
    assert result["variables"] == [
        "module/dense/bias:0",
        "module/dense/kernel:0",
        "module/dense_1/bias:0",
        "module/dense_1/kernel:0",
    ]
    trained, frozen = result["True"], result["False"]
    assert trained["same_outputs"] and frozen["same_outputs"]
    assert trained["losses"] == pytest.approx([trained["l2"]], rel=1e-5)
    assert trained["trainable_variables"] == 4
    assert frozen["losses"] == [] and frozen["trainable_variables"] == 0
    assert (tmp_path / "exported" / "tfhub_module.pb").is_file()


def test_input_and_output_shape_of_a_layer_shared_by_inputs_of_two_shapes(flavour) -> None:
    """`input_shape`: "Only applicable if the layer has exactly one input, ... or if all inputs
    have the same shape"; else AttributeError, pointing to `get_input_shape_at(node_index)`
    (tf_keras's words). Keras 3's layer answered with its first call's shape."""
    _, KerasLayer, keras = flavour
    same = KerasLayer(lambda x: x * 2.0)
    same(keras.Input((3,)))
    same(keras.Input((3,)))
    assert tuple(same.input_shape) == (None, 3) and tuple(same.output_shape) == (None, 3)

    shared = KerasLayer(lambda x: x * 2.0)
    shared(keras.Input((3,)))
    shared(keras.Input((5,)))
    with pytest.raises(AttributeError, match="different input shapes.*get_input_shape_at"):
        _ = shared.input_shape
    with pytest.raises(AttributeError, match="different output shapes.*get_output_shape_at"):
        _ = shared.output_shape
    assert tuple(shared.get_input_shape_at(1)) == (None, 5)
    assert tuple(shared.get_output_shape_at(0)) == (None, 3)
