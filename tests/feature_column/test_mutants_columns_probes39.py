"""Tests that kill mutants of the feature columns that the other tests let live (session 39).

Each test names the line it guards: a change there (a flipped comparison, a dropped check) made
no other test fail. Real modules only: the upstream fixtures, TF2 SavedModels saved here, TF1
modules made with hub.create_module_spec.
"""

from __future__ import annotations

import os

import pytest
from tests.feature_column._support import SENTENCES, TEXT_V1, TEXT_V2, sparse_tokens

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

from tensorflow.python.feature_column import feature_column as fc_v1  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

_TEXT_COLUMNS = {
    "text": lambda trainable: hub.text_embedding_column("f", TEXT_V1, trainable=trainable),
    "sparse": lambda trainable: hub.sparse_text_embedding_column(
        "f", TEXT_V1, "sum", None, trainable=trainable
    ),
    "text_v2": lambda trainable: hub.text_embedding_column_v2("f", TEXT_V2, trainable=trainable),
}


def _feature(kind: str) -> object:
    return sparse_tokens() if kind == "sparse" else tf.constant(SENTENCES)


@pytest.mark.parametrize("kind", sorted(_TEXT_COLUMNS))
@pytest.mark.parametrize(("requested", "trained"), [(None, False), (True, True)])
def test_v1_dense_tensor_trains_the_module_only_when_asked(kind, requested, trained) -> None:
    """_base._get_dense_tensor: as upstream's `self.trainable and trainable`, a call that does
    not say `trainable` (None, its default) leaves even a trainable column's module frozen: its
    variables stay out of TRAINABLE_VARIABLES (they were trainable when None counted as True)."""
    column = _TEXT_COLUMNS[kind](True)
    with tf.Graph().as_default():
        builder = fc_v1._LazyBuilder({"f": _feature(kind)})
        output = column._get_dense_tensor(builder, trainable=requested)
        trainable = [v.name for v in tf.compat.v1.trainable_variables()]
        everything = [v.name for v in tf.compat.v1.global_variables()]
    assert output.shape.as_list()[-1] == 4
    assert any(name.endswith("embeddings:0") for name in everything)
    assert [name.endswith("embeddings:0") for name in trainable] == [True] * trained


_TF1_COLUMNS = {
    "text": lambda spec: hub.text_embedding_column("f", spec),
    "sparse": lambda spec: hub.sparse_text_embedding_column("f", spec, "sum", None),
    "image": lambda spec: hub.image_embedding_column("f", spec),
}


@pytest.mark.parametrize("kind", sorted(_TF1_COLUMNS))
def test_tf1_columns_refuse_a_module_spec_that_is_neither_a_handle_nor_a_spec(kind) -> None:
    """_source.ModuleSource: anything but a handle string or a hub.ModuleSpec is refused with
    a ModuleSpecError naming the column (without the check: an AttributeError from reading the
    signature of an int)."""
    with pytest.raises(
        errors.ModuleSpecError,
        match=r"hub\.\w+ expects a handle string or a hub\.ModuleSpec.*Received: module_spec=42",
    ):
        _TF1_COLUMNS[kind](42)


def _image_module_fn(dtype: object, extra_input: bool) -> object:
    def module_fn() -> None:
        images = tf.compat.v1.placeholder(dtype, [None, 4, 4, 3])
        inputs = {"images": images}
        features = tf.reduce_mean(tf.cast(images, tf.float32), [1, 2])
        if extra_input:
            inputs["scale"] = tf.compat.v1.placeholder(tf.float32, [])
            features *= inputs["scale"]
        hub.add_signature(inputs=inputs, outputs={"default": features})

    return module_fn


@pytest.mark.parametrize(
    ("dtype", "extra_input", "said"),
    [
        (tf.float32, True, r"'scale': 'Tensor\(shape=\(\), dtype=float32\)'"),
        (tf.uint8, False, r"'images': 'Tensor\(shape=\(None, 4, 4, 3\), dtype=uint8\)'"),
    ],
    ids=["images-and-another-input", "uint8-images"],
)
def test_image_module_taking_more_than_float32_images_is_refused(dtype, extra_input, said) -> None:
    """image._check_image_embedding: the 'default' signature takes exactly one input, 'images',
    of float32 (a second input, or uint8 images, passed when either clause was dropped)."""
    spec = hub.create_module_spec(_image_module_fn(dtype, extra_input))
    with pytest.raises(errors.ModuleSpecError, match=f"its inputs are {{.*{said}"):
        hub.image_embedding_column("f", spec)


def _inputless_text_module_fn() -> None:
    hub.add_signature(inputs={}, outputs={"default": tf.ones([2, 4])})


def test_tf1_text_module_without_inputs_is_refused() -> None:
    """text.check_text_embedding: a 'default' signature needs exactly one input; none is refused
    as a ModuleSpecError (`> 1` instead of `!= 1` failed on unpacking it, a bare ValueError)."""
    spec = hub.create_module_spec(_inputless_text_module_fn)
    with pytest.raises(errors.ModuleSpecError, match=r"it has 0 inputs \[\]"):
        hub.text_embedding_column("f", spec)


def test_text_v2_refuses_an_output_key_for_a_single_output() -> None:
    """text_v2._output_spec: a SavedModel whose `__call__` returns one tensor has no outputs to
    pick from, so an output_key is refused when the column is made (not later, when indexing
    the embedding with it)."""
    with pytest.raises(
        errors.UnknownOutputKeyError, match=r"returns a single .* not a dict"
    ) as info:
        hub.text_embedding_column_v2("f", TEXT_V2, output_key="default")
    assert info.value.available == []


def test_a_column_equals_only_a_column_of_its_own_class() -> None:
    """_base.HubDenseColumn.__eq__: a hub column compared with TensorFlow's own column (or any
    other object) is unequal, not an AttributeError on the other's missing `_values`."""
    column = hub.text_embedding_column("f", TEXT_V1)
    assert column == hub.text_embedding_column("f", TEXT_V1)
    assert column != tf.feature_column.numeric_column("f")
    assert column != "f"
    assert column not in [tf.feature_column.numeric_column("g"), None]


class _RegularizedEmbedding(tf.Module):
    """A TF2 text embedding with a [1, 2] weight and a regularization loss on it (the Reusable
    SavedModel API's `regularization_losses`)."""

    def __init__(self) -> None:
        super().__init__()
        self.weights = tf.Variable([[1.0, 2.0]])

        @tf.function(input_signature=[])
        def weight_decay() -> object:
            return 0.5 * tf.reduce_sum(tf.square(self.weights))

        self.regularization_losses = [weight_decay]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, text: object) -> object:
        return tf.cast(tf.strings.length(text), tf.float32)[:, None] * self.weights


@pytest.mark.parametrize("trainable", [True, False])
def test_input_layer_collects_a_trainable_tf2_modules_regularization_losses(
    tmp_path, trainable
) -> None:
    """_base._input_layer_fn: in input_layer a trainable text_v2 column adds its SavedModel's
    regularization losses to REGULARIZATION_LOSSES, as a trainable hub.Module does; a frozen
    one adds none (the TF1 columns' losses come from their hub.Module, tested elsewhere)."""
    path = os.fspath(tmp_path / "regularized")
    tf.saved_model.save(_RegularizedEmbedding(), path)
    column = hub.text_embedding_column_v2("f", path, trainable=trainable)
    with tf.Graph().as_default():
        tf.compat.v1.feature_column.input_layer({"f": tf.constant(["ab"])}, [column])
        losses = tf.compat.v1.losses.get_regularization_losses()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            values = session.run(losses)
    assert values == pytest.approx([2.5] if trainable else [])


@pytest.mark.parametrize("layer_trainable", [True, False])
def test_dense_features_trains_a_trainable_column_only_if_itself_trainable(layer_trainable) -> None:
    """_base.create_state: as upstream's `self.trainable and state_manager._trainable`, a
    trainable column in `DenseFeatures(trainable=False)` keeps its module frozen: in a graph its
    variables stay out of TRAINABLE_VARIABLES (they joined it when only the column counted)."""
    column = hub.text_embedding_column_v2("f", TEXT_V2, trainable=True)
    with tf.Graph().as_default():
        layer = tf_keras.layers.DenseFeatures([column], trainable=layer_trainable)
        layer({"f": tf.constant(SENTENCES)})
        trainable = [v.name for v in tf.compat.v1.trainable_variables()]
    assert [name.endswith("embeddings:0") for name in trainable] == [True] * layer_trainable


def test_dense_features_losses_vanish_once_the_layer_is_frozen(tmp_path) -> None:
    """_base.keras_module_layer: a trainable column's regularization losses count only while
    the layer is trainable (as upstream's KerasLayer), so `layer.trainable = False` after
    building turns them into zeros."""
    path = os.fspath(tmp_path / "regularized")
    tf.saved_model.save(_RegularizedEmbedding(), path)
    layer = tf_keras.layers.DenseFeatures([hub.text_embedding_column_v2("f", path, trainable=True)])
    layer({"f": tf.constant(["ab"])})
    assert [float(loss) for loss in layer.losses] == pytest.approx([2.5])
    layer.trainable = False
    assert [float(loss) for loss in layer.losses] == pytest.approx([0.0])
