"""review47's feature-column findings, each against tensorflow_hub 0.10.0's behaviour.

M2: a TF1 column's module in tf_keras `DenseFeatures` has upstream's variable names in a graph
(`module/embeddings`, `module_1/...`: upstream made a `hub.Module` in `create_state`), so an
upstream Saver checkpoint restores; eagerly (beyond upstream) two columns over one module get
distinct weight names, so `.h5` files can hold them.
M3: `image_embedding_column` takes the channels of its module's `images` input (upstream passed
the images straight to the module), not always 3.
L1/L2: text columns refuse, with the ModuleSpecError other wrong modules get, a module whose input
has unknown rank and one whose `default` output has a fixed batch size (upstream refused both).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests._helpers.warm_python import run_warm_python
from tests.feature_column._support import (
    EXPECTED_TEXT,
    IMAGE_FC,
    IMAGE_V1,
    SENTENCES,
    TEXT_RECORD,
    TEXT_V1,
)

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1
IMAGES = np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)
TABLE = np.array(TEXT_RECORD["embedding_table"], np.float32)


def _three_tf1_columns():
    return [
        hub.text_embedding_column("title", TEXT_V1, trainable=True),
        hub.sparse_text_embedding_column("tags", TEXT_V1, "sqrtn", None, trainable=True),
        hub.image_embedding_column("photo", IMAGE_V1),
    ]


# --- M2: names in a graph --------------------------------------------------------------------


def test_graph_dense_features_names_module_variables_as_upstream():
    """tensorflow_hub 0.10.0 printed these names for this graph (review47's
    t14_densefeatures_graph_names.py run with ./up.sh): one `hub.Module` per column: photo's
    and title's made in `create_state` in name order, then tags' (a sparse column) at the
    layer's first call, as 0.10.0's (see test_graph_modules_probes50.py)."""
    with tf.Graph().as_default():
        features = {
            "title": tf.constant(SENTENCES[:2]),
            "tags": tf.sparse.from_dense(tf.constant([["cat", "dog"], ["sat", ""]])),
            "photo": tf.constant(IMAGES[:2]),
        }
        layer = tf_keras.layers.DenseFeatures(_three_tf1_columns())
        output = layer(features)
        everything = sorted(v.op.name for v in v1.global_variables())
        trainable = sorted(v.op.name for v in v1.trainable_variables())
        weights = sorted(w.name for w in layer.weights)
        trainable_weights = sorted(w.name for w in layer.trainable_weights)
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            result = session.run(output)
    assert everything == [
        "module/head/bias",
        "module/head/weights",
        "module_1/embeddings",
        "module_2/embeddings",
    ]
    assert trainable == ["module_1/embeddings", "module_2/embeddings"]
    assert weights == [f"{name}:0" for name in everything]  # Keras tracks them too,
    assert trainable_weights == [f"{name}:0" for name in trainable]  # the image column frozen.
    np.testing.assert_allclose(result[:, :5], IMAGE_FC["output"]["value"], atol=1e-5)
    np.testing.assert_allclose(result[:, 9:], EXPECTED_TEXT[:2], atol=1e-5)


def _write_upstream_checkpoint(prefix: str, table: np.ndarray) -> None:
    """What upstream's Saver wrote for DenseFeatures([text_embedding_column(...)]) in a graph:
    the module's one variable under `module/` (its Saver checkpoint keys, review47 t14)."""
    with tf.Graph().as_default():
        v1.Variable(table, name="module/embeddings")
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            v1.train.Saver().save(session, prefix)


def test_graph_dense_features_restores_an_upstream_saver_checkpoint(tmp_path):
    prefix = str(tmp_path / "model")
    _write_upstream_checkpoint(prefix, 3.0 * TABLE)  # A fine-tuned table: 3x the module's.
    column = hub.text_embedding_column("title", TEXT_V1, trainable=True)
    with tf.Graph().as_default():
        output = tf_keras.layers.DenseFeatures([column])({"title": tf.constant(SENTENCES)})
        with v1.Session() as session:
            session.run(v1.tables_initializer())
            v1.train.Saver().restore(session, prefix)
            restored = session.run(output)
    # The module's combiner is linear in the table: 3x the table gives 3x the embeddings.
    np.testing.assert_allclose(restored, 3.0 * EXPECTED_TEXT, atol=1e-4)


def test_graph_dense_features_trains_the_named_module():
    """The hub.Module the layer makes is what a graph optimizer trains (and Keras tracks)."""
    column = hub.text_embedding_column("title", TEXT_V1, trainable=True)
    with tf.Graph().as_default():
        layer = tf_keras.layers.DenseFeatures([column])
        output = layer({"title": tf.constant(SENTENCES)})
        (weight,) = layer.trainable_weights
        step = v1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(output))
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            session.run(step)
            trained = session.run(weight)
    assert weight.op.name == "module/embeddings"
    assert np.abs(trained - TABLE).max() > 1e-3


_GRAPH_FIT_UPDATES = """
import json
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
import tf_keras
import tfhub as hub

TABLE = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def module_fn():
    text = tf.compat.v1.placeholder(tf.string, [None])
    embedded = tf.gather(tf.compat.v1.get_variable("table", initializer=TABLE),
                         tf.strings.to_hash_bucket_fast(text, 3))
    moving = tf.compat.v1.get_variable("moving_mean", initializer=[0.0, 0.0], trainable=False)
    mean = tf.reduce_mean(embedded, axis=0)
    update = tf.compat.v1.assign(moving, 0.5 * moving + 0.5 * mean)
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, update)
    hub.add_signature(inputs={"text": text}, outputs={"default": embedded - mean})


spec = hub.create_module_spec(module_fn)
words = np.array(["a", "b", "c", "d"])
inputs = {"t": tf_keras.Input(shape=(), dtype=tf.string, name="t")}
layer = tf_keras.layers.DenseFeatures([hub.text_embedding_column("t", spec, trainable=True)])
model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(layer(inputs)))
model.compile(tf_keras.optimizers.legacy.SGD(0.0), "mse")  # No weight change: the updates only.
(moving,) = [w for w in layer.weights if "moving_mean" in w.name]
model.predict({"t": words}, verbose=0)
seen = {"name": moving.name, "predict": tf_keras.backend.get_value(moving).tolist()}
seen["trainable"] = [w.name for w in layer.trainable_weights]
model.fit({"t": words}, np.zeros((4, 1)), batch_size=4, epochs=2, verbose=0)
seen["fit"] = tf_keras.backend.get_value(moving).tolist()
ids = tf.compat.v1.Session().run(tf.strings.to_hash_bucket_fast(words, 3))
seen["batch_mean"] = TABLE[ids].mean(axis=0).tolist()
print(json.dumps(seen))
"""


def test_graph_mode_fit_runs_the_hub_modules_update_ops():
    """tf_keras' graph-mode fit (eager execution disabled) runs the UPDATE_OPS of the hub.Module
    a trainable column makes; predict does not."""
    seen = json.loads(run_warm_python(_GRAPH_FIT_UPDATES).stdout.strip().splitlines()[-1])
    assert seen["name"] == "module/moving_mean:0"
    assert seen["trainable"] == ["module/table:0"]  # The module's own trainable flags.
    assert seen["predict"] == [0.0, 0.0]
    # Two steps of momentum 0.5: 0.5 * m + 0.5 * mean, twice from 0.
    np.testing.assert_allclose(seen["fit"], 0.75 * np.array(seen["batch_mean"]), atol=1e-6)


# --- M2: unique names eagerly -----------------------------------------------------------------


def _two_column_model():
    columns = [
        hub.text_embedding_column("title", TEXT_V1, trainable=True),
        hub.sparse_text_embedding_column("tags", TEXT_V1, "sqrtn", "", trainable=True),
    ]
    inputs = {
        "title": tf_keras.Input([], dtype=tf.string, name="title"),
        "tags": tf_keras.Input([None], dtype=tf.string, sparse=True, name="tags"),
    }
    return tf_keras.Model(inputs, tf_keras.layers.DenseFeatures(columns)(inputs))


def _data():
    tokens = tf.sparse.from_dense(tf.constant([["cat", "dog"], ["sat", ""], ["the", "mat"]]))
    return {"title": tf.constant(SENTENCES[:3]), "tags": tokens}


def test_eager_columns_over_one_module_get_distinct_weight_names(tmp_path):
    model = _two_column_model()
    # Scoped by the layer and the column (session 48: unique across layers of one model too).
    layer = model.layers[-1].name
    assert [w.name for w in model.weights] == [
        f"{layer}/tags_hub_module_embedding/embeddings:0",
        f"{layer}/title_hub_module_embedding/embeddings:0",
    ]
    changed = [w + 1.0 + i for i, w in enumerate(model.get_weights())]
    model.set_weights(changed)
    model.save_weights(tmp_path / "weights.h5")
    again = _two_column_model()
    again.load_weights(tmp_path / "weights.h5")
    for loaded, wanted in zip(again.get_weights(), changed, strict=True):
        np.testing.assert_array_equal(loaded, wanted)
    np.testing.assert_allclose(again(_data()).numpy(), model(_data()).numpy(), atol=1e-6)


def test_eager_full_h5_save_of_two_columns_over_one_module(tmp_path):
    model = _two_column_model()
    model.set_weights([w * 2.0 for w in model.get_weights()])
    model.save(tmp_path / "model.h5")
    reloaded = tf_keras.models.load_model(tmp_path / "model.h5", compile=False)
    np.testing.assert_allclose(reloaded(_data()).numpy(), model(_data()).numpy(), atol=1e-6)


# --- M3: image channels -----------------------------------------------------------------------


def _image_spec(channels):
    """A module over [None, 8, 6, channels] images: the first 4 pixel values, doubled."""

    def module_fn():
        images = v1.placeholder(tf.float32, [None, 8, 6, channels])
        hub.add_signature(
            inputs={"images": images},
            outputs=tf.reshape(images, [-1, 8 * 6 * channels])[:, :4] * 2.0,
        )

    return hub.create_module_spec(module_fn)


@pytest.mark.parametrize("channels", [1, 4])
def test_image_column_takes_the_modules_channels(channels):
    column = hub.image_embedding_column("img", _image_spec(channels))
    assert column.parse_example_spec == {"img": tf.io.FixedLenFeature([8, 6, channels], tf.float32)}
    images = np.linspace(0, 1, 2 * 8 * 6 * channels, dtype=np.float32).reshape(2, 8, 6, channels)
    expected = images.reshape(2, -1)[:, :4] * 2.0
    eager = tf_keras.layers.DenseFeatures([column])({"img": tf.constant(images)}).numpy()
    np.testing.assert_allclose(eager, expected, atol=1e-6)
    with tf.Graph().as_default():
        output = v1.feature_column.input_layer({"img": tf.constant(images)}, [column])
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(output), expected, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 4])
def test_image_column_refuses_images_of_other_channels(channels):
    column = hub.image_embedding_column("img", _image_spec(channels))
    with pytest.raises(errors.InputSpecError, match=rf"\(None, 8, 6, {channels}\).*8, 6, 3"):
        tf_keras.layers.DenseFeatures([column])({"img": tf.zeros([2, 8, 6, 3])})


# --- L1/L2: wrong text modules ----------------------------------------------------------------


def _text_spec(input_shape, output_shape):
    def module_fn():
        text = v1.placeholder(tf.string, input_shape)
        embedding = v1.placeholder(tf.float32, output_shape, name="out")
        hub.add_signature(inputs=text, outputs={"default": embedding})

    return hub.create_module_spec(module_fn)


@pytest.mark.parametrize(
    "make",
    [
        lambda spec: hub.text_embedding_column("t", spec),
        lambda spec: hub.sparse_text_embedding_column("t", spec, "sum", None),
    ],
    ids=["text", "sparse"],
)
@pytest.mark.parametrize(
    ("input_shape", "output_shape", "words"),
    [
        (None, [None, 4], "only one input tf.Tensor(shape=(?,), dtype=string)"),
        ([None], [32, 4], "a 'default' output of tf.Tensor(shape=(?,K), dtype=float32)"),
    ],
    ids=["input-of-unknown-rank", "fixed-batch-output"],
)
def test_text_columns_refuse_modules_upstream_refused(make, input_shape, output_shape, words):
    spec = _text_spec(input_shape, output_shape)
    with pytest.raises(errors.ModuleSpecError, match="Module is not a text-embedding") as caught:
        make(spec)
    assert isinstance(caught.value, ValueError)  # Upstream raised a ValueError.
    assert words in str(caught.value)
    assert (
        "<unknown>" in str(caught.value) if input_shape is None else "(32, 4)" in str(caught.value)
    )


def test_image_column_still_takes_a_fixed_batch_output_as_upstream_did():
    """Upstream's image check (unlike its text check) let a [32, 4] output through."""

    def module_fn():
        images = v1.placeholder(tf.float32, [None, 8, 6, 3])
        hub.add_signature(inputs={"images": images}, outputs=v1.placeholder(tf.float32, [32, 4]))

    hub.image_embedding_column("img", hub.create_module_spec(module_fn))
