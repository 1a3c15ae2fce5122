"""Feature columns as users apply them (session 59): symbolic Keras inputs given to
`input_layer`, copies of columns, one column in two models, clones, and a model saved, loaded,
trained and saved again."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from tests.feature_column._support import IMAGE_FC, IMAGE_V1, SENTENCES, TEXT_V1, TEXT_V2

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

COLUMNS = {
    "tf1": lambda: hub.text_embedding_column("s", TEXT_V1, trainable=True),
    "tf2": lambda: hub.text_embedding_column_v2("s", TEXT_V2, trainable=True),
}


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_a_keras_3_input_says_to_use_a_keras_layer(kind):
    """Keras 3 has no feature columns: a keras.Input reaching a column gets the remedy (before,
    Keras' "wrap tf_fn in a layer" and "Pass a dict of features holding under 's' a tensor of
    strings", which the user had done)."""
    keras = pytest.importorskip("keras")
    inputs = {"s": keras.Input(shape=(), dtype="string", name="s")}
    with pytest.raises(errors.CallInputSpecError) as raised:
        tf.compat.v1.feature_column.input_layer(inputs, [COLUMNS[kind]()])
    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert "Keras 3" in message and "hub.KerasLayer" in message, message
    assert "Pass a dict of features" not in message, message


def test_a_keras_3_input_in_tf_keras_dense_features_gets_the_same_remedy():
    keras = pytest.importorskip("keras")
    inputs = {"s": keras.Input(shape=(), dtype="string", name="s")}
    with pytest.raises(errors.CallInputSpecError, match="hub.KerasLayer"):
        tf_keras.layers.DenseFeatures([COLUMNS["tf2"]()])(inputs)


def test_a_tf_keras_input_given_to_input_layer_says_to_use_dense_features():
    inputs = {"s": tf_keras.Input(shape=(), dtype=tf.string, name="s")}
    with pytest.raises(errors.CallInputSpecError) as raised:
        tf.compat.v1.feature_column.input_layer(inputs, [COLUMNS["tf1"]()])
    message = str(raised.value)
    assert "tf_keras.layers.DenseFeatures" in message, message
    assert "Pass a dict of features" not in message, message


def _model(column):
    inputs = {"s": tf_keras.Input(shape=(), dtype=tf.string, name="s")}
    features = tf_keras.layers.DenseFeatures([column], name="features")(inputs)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1, name="head")(features))
    model.compile(tf_keras.optimizers.SGD(0.1), "mse")
    return model


FEATURES = {"s": np.array(SENTENCES)}
LABELS = np.ones((len(SENTENCES), 1), np.float32)


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_one_column_in_two_models_trains_each_models_own_module(kind):
    """A column object is a recipe: each DenseFeatures loads its own module (as upstream's
    state manager made each layer its own), and a deep copy embeds as the column does."""
    column = COLUMNS[kind]()
    first, second = _model(column), _model(copy.deepcopy(column))
    assert copy.deepcopy(column) == column
    before = second.get_layer("features").weights[0].numpy().copy()
    np.testing.assert_array_equal(first.get_layer("features").weights[0].numpy(), before)
    first.fit(FEATURES, LABELS, epochs=1, verbose=0)
    moved = np.abs(first.get_layer("features").weights[0].numpy() - before).max()
    assert moved > 1e-4
    np.testing.assert_array_equal(second.get_layer("features").weights[0].numpy(), before)
    clone = tf_keras.models.clone_model(second)  # Through get_config/from_config; the head
    embedded = [m.get_layer("features")(FEATURES).numpy() for m in (clone, second)]  # is new.
    np.testing.assert_allclose(*embedded, atol=1e-6)


@pytest.mark.parametrize(("kind", "suffix"), [("tf1", ".h5"), ("tf2", ".keras")])
def test_saved_loaded_trained_and_saved_again(kind, suffix, tmp_path):
    """fit -> save -> load -> fit -> save -> load: the second file holds the second training."""
    model = _model(COLUMNS[kind]())
    model.fit(FEATURES, LABELS, epochs=1, verbose=0)
    model.save(tmp_path / f"first{suffix}")
    loaded = tf_keras.models.load_model(tmp_path / f"first{suffix}")
    first = loaded.predict(FEATURES, verbose=0)
    np.testing.assert_allclose(first, model.predict(FEATURES, verbose=0), atol=1e-6)
    loaded.fit(FEATURES, LABELS, epochs=1, verbose=0)
    loaded.save(tmp_path / f"second{suffix}")
    again = tf_keras.models.load_model(tmp_path / f"second{suffix}")
    second = again.predict(FEATURES, verbose=0)
    assert np.abs(second - first).max() > 1e-4
    np.testing.assert_allclose(second, loaded.predict(FEATURES, verbose=0), atol=1e-6)


@pytest.mark.parametrize("reuse", [True, None], ids=["reused-scope", "re-entered-scope"])
def test_tf1_columns_in_towers_of_one_scope_say_how_to_share_or_split_the_module(reuse):
    """TF1 towers: input_layer in one variable scope per tower, entered again (reused or not).
    The column makes a hub.Module named "module", which it cannot rename: the error (a
    RuntimeError, as upstream's) named only hub.Module and its name= argument."""
    column = COLUMNS["tf1"]()
    with tf.Graph().as_default():
        with tf.compat.v1.variable_scope("tower", reuse=reuse):
            tf.compat.v1.feature_column.input_layer(
                {"s": tf.compat.v1.placeholder(tf.string, [None])}, [column]
            )
        with pytest.raises(errors.ModuleGraphError) as raised:
            with tf.compat.v1.variable_scope("tower", reuse=reuse):
                tf.compat.v1.feature_column.input_layer(
                    {"s": tf.compat.v1.placeholder(tf.string, [None])}, [column]
                )
    message = str(raised.value)
    assert isinstance(raised.value, RuntimeError)
    assert "hub.text_embedding_column('s')" in message, message
    assert "tf_keras.layers.DenseFeatures" in message, message
    assert "was unused but the corresponding name_scope" in message, message  # Upstream's.


def test_one_dense_features_layer_shares_the_module_across_reused_towers():
    """What that message offers: one DenseFeatures layer applied in each tower."""
    layer = tf_keras.layers.DenseFeatures([COLUMNS["tf1"]()])
    with tf.Graph().as_default():
        for _ in range(2):
            with tf.compat.v1.variable_scope("tower", reuse=tf.compat.v1.AUTO_REUSE):
                layer({"s": tf.compat.v1.placeholder(tf.string, [None])})
        names = [variable.name for variable in tf.compat.v1.global_variables()]
    assert names == ["tower/module/embeddings:0"]


def test_text_v2_in_reused_towers_loads_a_copy_per_tower():
    """What docs/feature_columns.md says (Towers): no error, and no sharing either."""
    column = COLUMNS["tf2"]()
    with tf.Graph().as_default():
        for _ in range(2):
            with tf.compat.v1.variable_scope("tower", reuse=tf.compat.v1.AUTO_REUSE):
                tf.compat.v1.feature_column.input_layer(
                    {"s": tf.compat.v1.placeholder(tf.string, [None])}, [column]
                )
        names = sorted(variable.name for variable in tf.compat.v1.global_variables())
    assert names == [
        "tower/input_layer/s_hub_module_embedding/embeddings:0",
        "tower_1/input_layer/s_hub_module_embedding/embeddings:0",
    ]


def test_a_tf1_column_in_input_layer_inside_a_tf_function_says_what_works_there():
    """TF2 code wrapping input_layer in a tf.function: the TF1 column's hub.Module cannot be
    made there, and the error (a RuntimeError) spoke only of creating a hub.Module elsewhere,
    which the column user never made. DenseFeatures, which the message offers, works there."""
    column = COLUMNS["tf1"]()
    sentences = tf.constant(SENTENCES)

    @tf.function
    def embed_with_input_layer(text):
        return tf.compat.v1.feature_column.input_layer({"s": text}, [column])

    with pytest.raises(errors.EagerNotSupportedError) as raised:
        embed_with_input_layer(sentences)
    message = str(raised.value)
    assert isinstance(raised.value, RuntimeError)
    assert "hub.text_embedding_column('s')" in message, message
    assert "tf_keras.layers.DenseFeatures" in message, message
    layer = tf_keras.layers.DenseFeatures([column])
    embedded = tf.function(lambda text: layer({"s": text}))(sentences)
    np.testing.assert_allclose(embedded.numpy(), layer({"s": sentences}).numpy(), atol=1e-6)


class _CallingModel(tf.Module):
    """What the message below tells to save: an object whose `__call__` embeds strings."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, text):
        return self.model(text)


def test_a_keras_3_export_without_call_says_how_to_save_one(tmp_path):
    """A Keras 3 model's SavedModel (`model.export`) has a `serve` function and signatures but
    no `__call__`: the error said only that, not what the folder has or what to save."""
    keras = pytest.importorskip("keras")
    text = keras.Input(shape=(), dtype="string")
    tokens = keras.layers.TextVectorization(vocabulary=["hello", "cat"], output_sequence_length=3)
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(4, 2)(tokens(text)))
    model = keras.Model(text, pooled)
    model.export(tmp_path / "exported", verbose=False)
    with pytest.raises(errors.TFHubLoadError) as raised:
        hub.text_embedding_column_v2("s", str(tmp_path / "exported"))
    message = str(raised.value)
    assert "has no callable __call__" in message, message
    assert "'serve'" in message and "'serving_default'" in message, message
    assert "tf.TensorSpec([None], tf.string)" in message, message
    # What it says to do embeds as the model does.
    tf.saved_model.save(_CallingModel(model), str(tmp_path / "calling"))
    column = hub.text_embedding_column_v2("s", str(tmp_path / "calling"))
    sentences = tf.constant(["hello cat", "dog"])
    embedded = tf_keras.layers.DenseFeatures([column])({"s": sentences}).numpy()
    np.testing.assert_allclose(embedded, model(sentences).numpy(), atol=1e-6)


@pytest.fixture
def mixed_float16():
    """tf_keras' mixed precision policy, as a user sets it for the whole program."""
    tf_keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    tf_keras.mixed_precision.set_global_policy("float32")


def test_an_image_column_under_mixed_precision_embeds_the_float32_images_given(mixed_float16):
    """DenseFeatures casts float inputs to float16 under a mixed policy (TensorFlow's numeric
    column casts them back): the image column refused them with "convert uint8 images with
    tf.image.convert_image_dtype. Received: images.dtype=float16" for float32 images."""
    images = np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)
    expected = np.array(IMAGE_FC["output"]["value"], np.float32)
    inputs = {"i": tf_keras.Input(shape=images.shape[1:], name="i")}
    layer = tf_keras.layers.DenseFeatures([hub.image_embedding_column("i", IMAGE_V1)])
    model = tf_keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict({"i": images}, verbose=0), expected, atol=1e-2)
    np.testing.assert_allclose(layer({"i": tf.constant(images)}).numpy(), expected, atol=1e-2)
