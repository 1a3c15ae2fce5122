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
