"""The TF1 Hub format used as TF1-era code did, with the mistakes such code makes (session 32).

Before:
- `hub.get_expected_image_size(handle)` (or of a hub.KerasLayer) failed with the bare
  AttributeError "'str' object has no attribute 'get_attached_message'";
- `hub.get_expected_image_size(spec, signature="typo")` returned the attached size, so a
  misspelt signature went unnoticed;
- a required attached message that is missing said neither which keys exist nor what to do;
- a graph-mode `hub.Module` called in eager mode said "the default graph is another one".
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

IMAGE = upstream_path("tf1_image_info")  # Made by tensorflow_hub 0.15: ImageModuleInfo 8x6.


@pytest.fixture(scope="module")
def image_spec() -> Any:
    return hub.load_module_spec(IMAGE)


@pytest.mark.parametrize("helper", [hub.get_expected_image_size, hub.get_num_image_channels])
def test_image_helpers_given_a_handle_say_to_load_the_spec(helper: Any) -> None:
    with pytest.raises(errors.ArgumentTypeError, match=r"hub\.load_module_spec\(handle\)") as err:
        helper(IMAGE)
    assert f"Received: module_or_spec={IMAGE!r} of type str" in str(err.value)


def test_image_helpers_take_the_spec_and_the_module(image_spec: Any) -> None:
    assert hub.get_expected_image_size(image_spec) == [8, 6]
    assert hub.get_num_image_channels(image_spec, signature="image_feature_vector") == 3
    with tf.Graph().as_default():
        assert hub.get_expected_image_size(hub.Module(image_spec)) == [8, 6]


def test_expected_image_size_checks_the_signature_even_with_attached_info(
    image_spec: Any,
) -> None:
    assert hub.get_expected_image_size(image_spec, signature="image_feature_vector") == [8, 6]
    with pytest.raises(errors.UnknownSignatureError, match="image_feature_vector") as caught:
        hub.get_expected_image_size(image_spec, signature="image_feature_vectors")
    assert caught.value.available == ["default", "image_feature_vector"]


def test_a_missing_required_message_lists_the_attached_keys(image_spec: Any) -> None:
    with pytest.raises(errors.MissingAttachedMessageError, match="^No attached message") as err:
        image_spec.get_attached_message("number", tf.train.Int64List, required=True)
    message = str(err.value)
    assert "['image_module_info', 'letters', 'numbers']" in message
    assert "hub.attach_message(key, message)" in message and "required=False" in message
    assert image_spec.get_attached_message("number", tf.train.Int64List) is None


def test_a_missing_required_message_of_a_train_variant_lists_its_keys() -> None:
    def module_fn(is_training: bool = False) -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x * 2.0)
        if is_training:
            hub.attach_message("train_only", tf.train.BytesList(value=[b"t"]))

    spec = hub.create_module_spec(
        module_fn, tags_and_args=[(set(), {}), ({"train"}, {"is_training": True})]
    )
    with pytest.raises(KeyError, match=r"\['train'\].*attached keys: \['train_only'\]"):
        spec.get_attached_message("about", tf.train.BytesList, tags={"train"}, required=True)
    with pytest.raises(KeyError, match=r"graph version \[\].*attached keys: \[\]"):
        spec.get_attached_message("about", tf.train.BytesList, required=True)


def test_a_graph_module_called_eagerly_says_so_and_what_to_do() -> None:
    graph = tf.Graph()
    with graph.as_default():
        module = hub.Module(IMAGE)
    with pytest.raises(errors.ModuleGraphError, match="^Module must be applied") as caught:
        module(np.zeros([1, 8, 6, 3], np.float32))
    assert "eager mode" in str(caught.value) and "graph.as_default()" in str(caught.value)
    with tf.Graph().as_default():  # Another graph: as before.
        with pytest.raises(errors.ModuleGraphError, match="default graph is another one"):
            module(np.zeros([1, 8, 6, 3], np.float32))
    with graph.as_default():
        assert module(np.zeros([1, 8, 6, 3], np.float32)).shape.as_list() == [1, 5]


TRAIN_TAGS = upstream_path("tf1_train_tags")  # Graph variants [] and ["train"].


@pytest.mark.parametrize("tags", [5, {1}, ["train", None]])
def test_tags_that_are_not_strings_are_refused_naming_tags(tags: Any) -> None:
    """Before: "'int' object is not iterable", or "'<' not supported between instances of
    'NoneType' and 'str'" while the UnknownTagsError message was being made."""
    spec = hub.load_module_spec(TRAIN_TAGS)
    with pytest.raises(errors.ArgumentTypeError, match=r"tags names a graph variant.*Received"):
        spec.get_signature_names(tags=tags)
    with tf.Graph().as_default():
        with pytest.raises(errors.ArgumentTypeError, match=re.escape(f"Received: tags={tags!r}")):
            hub.Module(spec, tags=tags)


@pytest.mark.parametrize("tags", [None, "", set(), ["train"], ("train",), "train"])
def test_the_tags_that_name_a_variant_still_work(tags: Any) -> None:
    assert hub.load_module_spec(TRAIN_TAGS).get_signature_names(tags=tags) == ["default"]


def test_export_with_a_closed_session_writes_nothing_and_says_so(tmp_path: Any) -> None:
    """Before: TensorFlow's bare RuntimeError "Attempted to use a closed Session." after the
    export folder (assets/, variables/) was made; a closed MonitoredSession was said to have
    another graph."""
    with tf.Graph().as_default():
        module = hub.Module(upstream_path("tf1_multi_sig"))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
        with pytest.raises(errors.ModuleGraphError, match="closed: call export") as caught:
            module.export(str(tmp_path / "plain"), session)
        assert isinstance(caught.value, RuntimeError)
        with tf.compat.v1.train.MonitoredSession() as monitored:
            module.export(str(tmp_path / "open"), monitored)
        with pytest.raises(errors.ModuleGraphError, match="closed: call export"):
            module.export(str(tmp_path / "monitored"), monitored)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["open"]
    assert hub.load_module_spec(str(tmp_path / "open")).get_signature_names()


def _sparse_and_ragged_module_fn() -> None:
    ids = tf.compat.v1.sparse_placeholder(tf.int64, [None, None], name="ids")
    table = tf.compat.v1.get_variable(
        "e", initializer=np.arange(10, dtype=np.float32).reshape(5, 2)
    )
    hub.add_signature(inputs={"ids": ids}, outputs=tf.nn.embedding_lookup_sparse(table, ids, None))
    values = tf.compat.v1.placeholder(tf.float32, [None])
    splits = tf.compat.v1.placeholder(tf.int64, [None])
    ragged = tf.RaggedTensor.from_row_splits(values, splits, validate=False)
    hub.add_signature("rag", inputs=ragged, outputs=tf.reduce_sum(ragged, 1))


def test_eval_function_takes_tensorflow_values_made_before_or_inside_its_block() -> None:
    """Before: SignatureInputError "The value of a feed cannot be a tf.Tensor object" for
    tf.constant(...) made inside the block (the private graph is the default one there) and
    for eager tensors, sparse or ragged, made before it."""
    eager_x = tf.ones([1, 3])
    eager_ids = tf.SparseTensor([[0, 0]], tf.constant([3], tf.int64), [1, 1])
    eager_ragged = tf.ragged.constant([[1.0], [2.0, 3.0]])
    with hub.eval_function_for_module(upstream_path("tf1_multi_sig")) as f:
        expected = f(np.ones([1, 3], np.float32))
        np.testing.assert_allclose(f(tf.ones([1, 3])), expected)
        np.testing.assert_allclose(f(eager_x), expected)
        pair = f({"a": tf.ones([2]), "b": np.ones(2)}, signature="sum_pair")
        np.testing.assert_allclose(pair, [3.0, 3.0])
    with hub.eval_function_for_module(hub.create_module_spec(_sparse_and_ragged_module_fn)) as f:
        np.testing.assert_allclose(f(eager_ids), [[6.0, 7.0]])
        np.testing.assert_allclose(f(tf.SparseTensor([[0, 0]], [3], [1, 1])), [[6.0, 7.0]])
        np.testing.assert_allclose(f(eager_ragged, signature="rag"), [1.0, 5.0])
        np.testing.assert_allclose(f(tf.ragged.constant([[1.0, 2.0]]), signature="rag"), [3.0])
