"""tensorflow_hub 0.10.0's feature_column_test.py and feature_column_v2_test.py, case by case.

Only the cases no other test covered with upstream's own modules and numbers: upstream's text
module maps "hello world" to [1, 2, 3, 4], "pair-programming" to [5, 5, 5, 5] and anything else
to zeros; its image module sums each colour channel of a 1x2 image times a weight. Upstream's
graphs ran in a `tf.compat.v1.train.MonitoredSession`, which initializes variables and tables
itself (no explicit initializer here, on purpose). Its `tf.estimator` cases have no equivalent:
TensorFlow 2.21 has no `tf.estimator`.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

TEXT_FEATURES = {"text_a": ["hello world", "pair-programming"], "text_b": ["hello world", "oov"]}
TEXT_OUTPUT = [[1, 2, 3, 4, 1, 2, 3, 4], [5, 5, 5, 5, 0, 0, 0, 0]]
IMAGE_FEATURES = {
    "image_a": [[[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]], [[[0.7, 0.7, 0.7], [0.1, 0.2, 0.3]]]],
    "image_b": [[[[0.1, 0.2, 0.1], [0.2, 0.1, 0.2]]], [[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]]]],
}
IMAGE_OUTPUT = [[0.5, 0.7, 0.9, 0.3, 0.3, 0.3], [0.8, 0.9, 1.0, 0.4, 0.4, 0.4]]
_EMBEDDINGS = [("", [0, 0, 0, 0]), ("hello world", [1, 2, 3, 4]), ("pair-programming", [5] * 4)]


def _lookup_table() -> object:
    keys = tf.constant([key for key, _ in _EMBEDDINGS])
    ids = tf.constant(list(range(len(_EMBEDDINGS))), tf.int64)
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, ids), 0)


def _text_module_fn() -> None:
    """Upstream's text_module_fn: a table of three strings, anything else gets row 0."""
    table = _lookup_table()
    initial = tf.constant([vector for _, vector in _EMBEDDINGS], tf.float32)
    weights = tf.compat.v1.get_variable("weights", dtype=tf.float32, initializer=initial)
    text = tf.compat.v1.placeholder(tf.string, [None], name="text")
    hub.add_signature(inputs=text, outputs=tf.gather(weights, table.lookup(text)))


def _image_module_fn(randomly_initialized: bool = False) -> object:
    def module_fn() -> None:
        """Upstream's: maps 1x2 images to the sum of each colour channel, times a weight."""
        images = tf.compat.v1.placeholder(tf.float32, [None, 1, 2, 3])
        if randomly_initialized:
            initializer = tf.compat.v1.random_uniform_initializer(-1.0, 1.0)
        else:
            initializer = tf.compat.v1.constant_initializer(1.0)
        weight = tf.compat.v1.get_variable("weight", [1], initializer=initializer)
        hub.add_signature(
            inputs={"images": images}, outputs=tf.reduce_sum(images, axis=[1, 2]) * weight
        )

    return module_fn


class _TextEmbedding(tf.Module):
    """feature_column_v2_test's TF2 text embedding (returning a dict if asked)."""

    def __init__(self, returns_dict: bool = False) -> None:
        super().__init__()
        self.table = _lookup_table()
        self.weights = tf.Variable([vector for _, vector in _EMBEDDINGS], dtype=tf.float32)
        self._returns_dict = returns_dict

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def __call__(self, text: object) -> object:
        embedding = tf.gather(self.weights, self.table.lookup(text))
        return {"outputs": embedding} if self._returns_dict else embedding


@pytest.fixture(scope="module")
def text_spec() -> object:
    return hub.create_module_spec(_text_module_fn)


@pytest.fixture(scope="module")
def image_spec() -> object:
    return hub.create_module_spec(_image_module_fn())


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory, text_spec, image_spec) -> dict[str, str]:
    """The modules as folders: the TF1 ones exported, the TF2 one saved."""
    folder = tmp_path_factory.mktemp("upstream_parity_modules")
    paths = {name: os.fspath(folder / name) for name in ("text", "image", "text_v2")}
    with tf.Graph().as_default():
        modules = {"text": hub.Module(text_spec), "image": hub.Module(image_spec)}
        with tf.compat.v1.train.MonitoredSession() as session:
            for name, module in modules.items():
                module.export(paths[name], session._tf_sess())
    tf.saved_model.save(_TextEmbedding(), paths["text_v2"])
    return paths


def _run_monitored(output: object) -> np.ndarray:
    with tf.compat.v1.train.MonitoredSession() as session:
        return session.run(output)


# --- CommonColumnTest, testVariableShape, testParents, testMakeParseExampleSpec ----------------


def test_every_column_is_a_v2_feature_column(text_spec, image_spec, modules) -> None:
    """testFeatureColumnsIsV2 (both files; testFeatureColumnsWithResources before)."""
    from tensorflow.python.feature_column import feature_column_v2

    columns = [
        hub.text_embedding_column("text_a", text_spec),
        hub.sparse_text_embedding_column("text_b", text_spec, "mean", None),
        hub.image_embedding_column("image", image_spec),
        hub.text_embedding_column_v2("text_c", modules["text_v2"]),
    ]
    for column in columns:
        assert feature_column_v2.is_feature_column_v2([column]), column


def test_variable_shapes_parents_and_v1_parse_specs(text_spec, image_spec, modules) -> None:
    """testVariableShape, testParents, testMakeParseExampleSpec of each column class."""
    text = hub.text_embedding_column("text", text_spec, trainable=False)
    sparse = hub.sparse_text_embedding_column("tokens", text_spec, "sum", "", trainable=False)
    image = hub.image_embedding_column("image", image_spec)
    text_v2 = hub.text_embedding_column_v2("title", modules["text_v2"], trainable=False)
    assert text._variable_shape == [4] and sparse._variable_shape == [4]
    assert image.variable_shape == [3]
    assert hub.get_expected_image_size(image.module_spec) == [1, 2]  # testExpectedImageSize
    parents = [column.parents for column in (text, sparse, image, text_v2)]
    assert parents == [["text"], ["tokens"], ["image"], ["title"]]
    make_spec = tf.compat.v1.feature_column.make_parse_example_spec
    assert make_spec([text]) == {"text": tf.compat.v1.FixedLenFeature([1], dtype=tf.string)}
    assert make_spec([sparse]) == {"tokens": tf.compat.v1.VarLenFeature(tf.string)}
    assert make_spec([image]) == {"image": tf.compat.v1.FixedLenFeature([1, 2, 3], tf.float32)}
    assert tf.feature_column.make_parse_example_spec([text_v2]) == {
        "title": tf.io.FixedLenFeature([1], dtype=tf.string)
    }


# --- TextEmbeddingColumnTest --------------------------------------------------------------------


def test_text_input_layer_in_a_monitored_session(text_spec) -> None:
    columns = [hub.text_embedding_column(key, text_spec) for key in ("text_a", "text_b")]
    with tf.Graph().as_default():
        output = tf.compat.v1.feature_column.input_layer(TEXT_FEATURES, columns)
        np.testing.assert_array_equal(_run_monitored(output), TEXT_OUTPUT)


def test_text_graph_dense_features_in_a_monitored_session(text_spec) -> None:
    columns = [hub.text_embedding_column(key, text_spec) for key in ("text_a", "text_b")]
    with tf.Graph().as_default():
        output = tf_keras.layers.DenseFeatures(columns)(TEXT_FEATURES)
        np.testing.assert_array_equal(_run_monitored(output), TEXT_OUTPUT)


def test_text_dense_features_share_weights_across_applications(text_spec) -> None:
    """testDenseFeatures_shareAcrossApplication: training through the first call changes
    what the second call gives (one module per layer, not one per call)."""
    features = {"text": TEXT_FEATURES["text_a"]}
    columns = [hub.text_embedding_column("text", text_spec, trainable=True)]
    with tf.Graph().as_default():
        layer = tf_keras.layers.DenseFeatures(columns)
        first, second = layer(features), layer(features)
        loss = first - tf.constant(0.005)
        train = tf.compat.v1.train.GradientDescentOptimizer(0.7).minimize(loss)
        with tf.compat.v1.train.MonitoredSession() as session:
            before = session.run(first)
            session.run(train)
            after_first, after_second = session.run([first, second])
    np.testing.assert_array_equal(before, [[1, 2, 3, 4], [5, 5, 5, 5]])
    assert np.abs(after_first - before).max() > 0.1  # the step moved the weights
    np.testing.assert_array_equal(after_first, after_second)


@pytest.mark.parametrize("kind", ["text", "sparse"])
def test_trainable_column_in_input_layer_learns_the_target(text_spec, kind) -> None:
    """testTrainableEmbeddingColumn of the text and of the sparse text column."""
    if kind == "text":
        column = hub.text_embedding_column("text", text_spec, trainable=True)
        make_features = lambda: {"text": ["hello world", "pair-programming"]}  # noqa: E731
    else:
        column = hub.sparse_text_embedding_column("text", text_spec, "mean", None, True)
        make_features = lambda: {  # noqa: E731
            "text": tf.SparseTensor([[0, 0], [1, 0]], ["hello world", "pair-programming"], [2, 2])
        }
    target = [[1, 1, 1, 1], [4, 3, 2, 1]]
    with tf.Graph().as_default():
        output = tf.compat.v1.feature_column.input_layer(make_features(), [column])
        loss = tf.compat.v1.losses.mean_squared_error(output, target)
        train = tf.compat.v1.train.GradientDescentOptimizer(0.97).minimize(loss)
        with tf.compat.v1.train.MonitoredSession() as session:
            np.testing.assert_array_equal(session.run(output), [[1, 2, 3, 4], [5, 5, 5, 5]])
            for _ in range(10):
                session.run(train)
            np.testing.assert_allclose(session.run(output), target, atol=0.5)


def _fixed_size_text_module_fn() -> None:
    """Upstream's invalid_text_module_fn: a batch of exactly 10 strings."""
    text = tf.compat.v1.placeholder(tf.string, shape=[10])
    hub.add_signature(inputs=text, outputs=tf.zeros([10, 3]))


def test_a_text_module_of_fixed_batch_size_is_not_a_text_embedding() -> None:
    """testInvalidTextModule."""
    spec = hub.create_module_spec(_fixed_size_text_module_fn)
    with pytest.raises(ValueError, match="only one input") as raised:
        hub.text_embedding_column("coment", spec, trainable=False)
    assert isinstance(raised.value, errors.ModuleSpecError)
    assert "its input is Tensor(shape=(10,), dtype=string)" in str(raised.value)


@pytest.mark.parametrize("kind", ["text", "image"])
def test_config_round_trips_a_path_and_refuses_a_spec(kind, modules, text_spec, image_spec):
    """testConfig of the text and of the image column (0.10.0 added get_config)."""
    make = hub.text_embedding_column if kind == "text" else hub.image_embedding_column
    column_class = {
        "text": hub.feature_column._TextEmbeddingColumn,
        "image": hub.feature_column._ImageEmbeddingColumn,
    }[kind]
    column = make(kind, modules[kind])
    cloned = column_class.from_config(column.get_config())
    assert cloned.module_spec_path == column.module_spec_path == modules[kind]
    assert cloned == column
    spec_column = make(kind, text_spec if kind == "text" else image_spec)
    with pytest.raises(NotImplementedError, match="^Can only generate"):
        spec_column.get_config()


# --- ImageEmbeddingColumnTest ------------------------------------------------------------------


def test_image_input_layer_in_a_monitored_session(image_spec) -> None:
    columns = [hub.image_embedding_column(key, image_spec) for key in ("image_a", "image_b")]
    with tf.Graph().as_default():
        output = tf.compat.v1.feature_column.input_layer(IMAGE_FEATURES, columns)
        np.testing.assert_allclose(_run_monitored(output), IMAGE_OUTPUT, rtol=1e-6)


def test_image_graph_dense_features_in_a_monitored_session(image_spec) -> None:
    columns = [hub.image_embedding_column(key, image_spec) for key in ("image_a", "image_b")]
    with tf.Graph().as_default():
        output = tf_keras.layers.DenseFeatures(columns)(IMAGE_FEATURES)
        np.testing.assert_allclose(_run_monitored(output), IMAGE_OUTPUT, rtol=1e-6)


def test_image_dense_features_share_a_random_initialization_across_applications() -> None:
    spec = hub.create_module_spec(_image_module_fn(randomly_initialized=True))
    features = {"image": IMAGE_FEATURES["image_a"]}
    with tf.Graph().as_default():
        layer = tf_keras.layers.DenseFeatures([hub.image_embedding_column("image", spec)])
        first, second = layer(features), layer(features)
        output_1, output_2 = _run_monitored([first, second])
    np.testing.assert_allclose(output_1, output_2)


# --- SparseTextEmbeddingColumnTest -------------------------------------------------------------


def test_sparse_input_layer_fills_empty_rows_with_the_default(text_spec) -> None:
    columns = [
        hub.sparse_text_embedding_column(key, text_spec, "mean", "__UNKNOWN__", False)
        for key in ("text_a", "text_b")
    ]
    with tf.Graph().as_default():
        features = {
            "text_a": tf.SparseTensor(
                [[0, 0], [0, 1], [1, 0]], ["hello world", "pair-programming", "hello world"], [2, 2]
            ),
            "text_b": tf.SparseTensor([[0, 0], [0, 1]], ["hello world", "oov token"], [2, 3]),
        }
        output = tf.compat.v1.feature_column.input_layer(features, columns)
        np.testing.assert_array_equal(
            _run_monitored(output), [[3, 3.5, 4, 4.5, 0.5, 1, 1.5, 2], [1, 2, 3, 4, 0, 0, 0, 0]]
        )


@pytest.mark.parametrize(
    ("values", "indices", "dense_shape", "expected"),
    [
        ([], np.zeros([0, 2], np.int64), [3, 0], [[0] * 4] * 3),  # testEmptySparseTensorBatch
        (["hello world"], [[0, 0]], [2, 1], [[1, 2, 3, 4], [0] * 4]),  # testEmptySparseTensorRow
    ],
    ids=["empty-batch", "empty-row"],
)
def test_sparse_input_layer_with_empty_rows(text_spec, values, indices, dense_shape, expected):
    column = hub.sparse_text_embedding_column("text", text_spec, "mean", "default", True)
    with tf.Graph().as_default():
        text = tf.SparseTensor(
            tf.constant(indices, tf.int64, [len(values), 2]),
            tf.constant(values, tf.string, [len(values)]),
            dense_shape,
        )
        output = tf.compat.v1.feature_column.input_layer({"text": text}, [column])
        np.testing.assert_array_equal(_run_monitored(output), expected)


# --- feature_column_v2_test: TextEmbeddingColumnTest --------------------------------------------


def test_text_v2_config_round_trips(modules) -> None:
    column = hub.text_embedding_column_v2("text", modules["text_v2"], trainable=True)
    cloned = hub.feature_column_v2._TextEmbeddingColumnV2.from_config(column.get_config())
    assert cloned.module_path == column.module_path
    assert cloned == column


def test_text_v2_dense_features_directly(modules) -> None:
    columns = [
        hub.text_embedding_column_v2(key, modules["text_v2"], trainable=False)
        for key in ("text_a", "text_b")
    ]
    output = tf_keras.layers.DenseFeatures(columns)(TEXT_FEATURES)
    np.testing.assert_array_equal(output.numpy(), TEXT_OUTPUT)


def _keras_model(key: str, module: str) -> object:
    """feature_column_v2_test's model: one trainable column, Dense(16), Dense(1)."""
    columns = [hub.text_embedding_column_v2(key, module, trainable=True)]
    inputs = {key: tf_keras.layers.Input(name=key, shape=[None], dtype=tf.string)}
    features = tf_keras.layers.DenseFeatures(columns)(inputs)
    hidden = tf_keras.layers.Dense(16, activation="relu")(features)
    logits = tf_keras.layers.Dense(1, activation="linear")(hidden)
    model = tf_keras.Model(inputs=inputs, outputs=logits)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_text_v2_dense_features_in_keras(modules) -> None:
    """testDenseFeaturesInKeras: fit, then predict on the bare array of strings."""
    text = np.array(["hello world", "pair-programming"])
    model = _keras_model("text", modules["text_v2"])
    model.fit(x={"text": text}, y=np.int64([0, 1]), epochs=10, verbose=0)
    assert model.predict(text, verbose=0).shape == (2, 1)


def test_weights_of_a_column_do_not_load_into_a_column_of_another_key(modules, tmp_path):
    """testLoadingDifferentFeatureColumnsFails: the module's weights are saved under the
    column's name, so a checkpoint of key text_1 does not bind to the column of key text_2."""
    text = np.array(["hello world", "pair-programming"])
    model_1 = _keras_model("text_1", modules["text_v2"])
    model_1.fit(x={"text_1": text}, y=np.int64([0, 1]), epochs=10, verbose=0)
    checkpoint = os.fspath(tmp_path / "checkpoints" / "checkpoint-1")
    model_1.save_weights(checkpoint)
    model_2 = _keras_model("text_2", modules["text_v2"])
    # Upstream's words were "Some Python objects were not bound"; TensorFlow 2.21 counts them.
    with pytest.raises(AssertionError, match="Python objects (that )?were not bound") as raised:
        model_2.load_weights(checkpoint).assert_consumed()
    assert "text_2_hub_module_embedding" in str(raised.value)


# --- Reading the feature: only the feature's own value gets the column's message ---------------


def test_an_error_of_the_key_column_is_not_reported_as_the_feature_value(modules) -> None:
    """A column keyed by another feature column reads its input through that column's
    transform; that column's errors (here: int ids for a string vocabulary) came back as
    "hub.text_embedding_column(<the whole column>) cannot read its feature ... Pass a dict of
    features holding under <the whole column> a tensor of strings", hiding what went wrong."""
    key = tf.feature_column.categorical_column_with_vocabulary_list("words", ["a", "b"])
    column = hub.text_embedding_column(key, modules["text"])
    with pytest.raises(ValueError, match="dtype") as raised:
        tf_keras.layers.DenseFeatures([column])({"words": tf.constant([[1], [2]])})
    assert not isinstance(raised.value, errors.CallInputSpecError)
    assert "cannot read its feature" not in str(raised.value)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="dtype") as raised:
            tf.compat.v1.feature_column.input_layer({"words": tf.constant([[1], [2]])}, [column])
    assert not isinstance(raised.value, errors.CallInputSpecError)


def test_a_feature_value_that_cannot_be_read_still_names_the_column(modules) -> None:
    """The user's own value (a Python object TensorFlow cannot convert) keeps the message."""
    column = hub.text_embedding_column("text", modules["text"])
    with pytest.raises(errors.CallInputSpecError, match=r"text_embedding_column\('text'\)"):
        tf_keras.layers.DenseFeatures([column])({"text": object()})


# --- testWorksWithCannedEstimator & co, on tf_keras (TensorFlow 2.21 has no tf.estimator) -------


def _train_evaluate_predict(columns: list, features: dict[str, np.ndarray]) -> np.ndarray:
    """What upstream's canned-estimator cases did (train one step, evaluate, predict) with a
    tf_keras DNN classifier over the same columns and data."""
    inputs = {
        key: tf_keras.Input(shape=value.shape[1:], dtype=tf.as_dtype(value.dtype), name=key)
        for key, value in features.items()
    }
    hidden = tf_keras.layers.Dense(10, activation="relu")(
        tf_keras.layers.DenseFeatures(columns)(inputs)
    )
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer="adagrad", loss="binary_crossentropy")
    labels = np.array([[1], [0]])
    model.fit(features, labels, epochs=1, verbose=0)
    assert np.isfinite(model.evaluate(features, labels, verbose=0))
    return model.predict(features, verbose=0)


@pytest.mark.parametrize("kind", ["text", "image", "text_v2"])
def test_works_with_a_dnn_classifier(kind, text_spec, image_spec, modules) -> None:
    """testWorksWithCannedEstimator (text, image), testWorksWithTF2DnnClassifier (v2)."""
    if kind == "image":
        hub_column = hub.image_embedding_column("image", image_spec)
        first = np.array(IMAGE_FEATURES["image_a"], np.float32)
        features = {"image": first, "number": np.array([[20], [1]], np.float32)}
        other = tf.feature_column.numeric_column("number")
    else:
        if kind == "text":
            hub_column = hub.text_embedding_column("comment", text_spec, trainable=False)
        else:
            hub_column = hub.text_embedding_column_v2("comment", modules["text_v2"])
        comments = np.array([["the quick brown fox"], ["spam spam spam"]])
        features = {"comment": comments, "upvotes": np.array([[20], [1]], np.float32)}
        other = tf.feature_column.numeric_column("upvotes")
    predictions = _train_evaluate_predict([hub_column, other], features)
    assert predictions.shape == (2, 1)


def test_text_v2_with_a_dict_output_fits_on_a_dataset(tmp_path) -> None:
    """testWorksWithDNNEstimatorAndDataset: output_key over a dict-returning model, fed by a
    repeated, batched tf.data pipeline of [batch, 1] strings."""
    path = os.fspath(tmp_path / "model_returning_dicts")
    tf.saved_model.save(_TextEmbedding(returns_dict=True), path)
    column = hub.text_embedding_column_v2("descriptions", path, output_key="outputs")
    dataset = tf.data.Dataset.from_tensor_slices(
        ({"descriptions": tf.constant([["sentence"]])}, tf.constant([[1]]))
    )
    batches = dataset.repeat().take(30).batch(5)
    inputs = {"descriptions": tf_keras.Input(shape=(1,), dtype=tf.string, name="descriptions")}
    features = tf_keras.layers.DenseFeatures([column])(inputs)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(tf_keras.layers.Dense(10)(features)))
    model.compile(optimizer="adagrad", loss=tf_keras.losses.BinaryCrossentropy(from_logits=True))
    history = model.fit(batches, steps_per_epoch=1, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# --- input_layer's weight_collections (upstream's columns ignored them; ours fill them) ---------


@pytest.mark.parametrize("kind", ["text", "sparse", "image", "text_v2"])
@pytest.mark.parametrize("trainable", [False, True])
def test_input_layer_weight_collections_get_the_modules_variables(kind, trainable, modules):
    make = {
        "text": lambda: hub.text_embedding_column("a", modules["text"], trainable),
        "sparse": lambda: hub.sparse_text_embedding_column(
            "a", modules["text"], "sum", "", trainable
        ),
        "image": lambda: hub.image_embedding_column("a", modules["image"]),
        "text_v2": lambda: hub.text_embedding_column_v2("a", modules["text_v2"], None, trainable),
    }[kind]
    value = {
        "text": lambda: tf.constant(["hello world"]),
        "sparse": lambda: tf.SparseTensor([[0, 0]], ["hello world"], [1, 1]),
        "image": lambda: tf.constant(IMAGE_FEATURES["image_a"][:1]),
        "text_v2": lambda: tf.constant(["hello world"]),
    }[kind]
    with tf.Graph().as_default():
        output = tf.compat.v1.feature_column.input_layer(
            {"a": value()}, [make()], weight_collections=["mine"]
        )
        (variable,) = tf.compat.v1.global_variables()
        assert tf.compat.v1.get_collection("mine") == [variable]
        trains = trainable and kind != "image"  # Upstream's image column never trains.
        assert tf.compat.v1.trainable_variables() == ([variable] if trains else [])
        expected = [[0.1 + 0.4, 0.2 + 0.5, 0.3 + 0.6]] if kind == "image" else [[1, 2, 3, 4]]
        np.testing.assert_allclose(_run_monitored(output), expected, rtol=1e-6)
