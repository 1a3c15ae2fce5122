"""The image helpers' errors tell a user holding something else what to pass (session 59).

Before:
- `hub.get_expected_image_size(layer)` of a `hub.KerasLayer` over a TF1 image module said
  "pass a hub.Module or a hub.ModuleSpec: hub.load_module_spec(handle) for a handle, or for a
  hub.KerasLayer over a TF1 module (a TF2 SavedModel has no ImageModuleInfo: ...)", a sentence
  with no verb for the layer's case and no handle in it, although the layer knows its handle;
- a module whose image input has another name than "images" ended
  "Received: input_name='images'" when no input_name was passed, and did not say that
  `input_name=` picks the input.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

IMAGE = upstream_path("tf1_image_info")  # Made by tensorflow_hub 0.15: ImageModuleInfo 8x6.


@pytest.fixture(scope="module")
def pixels_spec() -> Any:
    """A TF1 image module of 4x5 RGB images whose input is named "pixels"."""

    def module_fn() -> None:
        pixels = tf.compat.v1.placeholder(tf.float32, [None, 4, 5, 3], name="pixels")
        hub.add_signature(inputs={"pixels": pixels}, outputs=tf.reduce_mean(pixels, [1, 2]))

    return hub.create_module_spec(module_fn)


@pytest.mark.parametrize("helper", [hub.get_expected_image_size, hub.get_num_image_channels])
def test_a_keras_layer_over_a_tf1_module_is_told_the_spec_of_its_handle(helper: Any) -> None:
    layer = hub.KerasLayer(IMAGE)
    with pytest.raises(errors.NotAModuleOrSpecError) as caught:
        helper(layer)
    message = str(caught.value)
    assert f"hub.load_module_spec({IMAGE!r})" in message
    assert "of type KerasLayer" in message
    assert isinstance(caught.value, AttributeError)  # As upstream's.
    assert helper(hub.load_module_spec(IMAGE)) in ([8, 6], 3)  # What the message offers works.


def test_a_string_or_a_loaded_object_still_gets_the_general_advice() -> None:
    with pytest.raises(errors.NotAModuleOrSpecError) as caught:
        hub.get_expected_image_size(IMAGE)
    message = str(caught.value)
    assert "hub.load_module_spec(handle)" in message
    assert "a TF2 SavedModel has no ImageModuleInfo" in message
    assert f"Received: module_or_spec={IMAGE!r} of type str" in message


def test_an_image_input_of_another_name_says_to_pass_input_name(pixels_spec: Any) -> None:
    for helper in (hub.get_expected_image_size, hub.get_num_image_channels):
        with pytest.raises(errors.InputSpecError) as caught:
            helper(pixels_spec)
        message = str(caught.value)
        assert "missing input 'images' in signature 'default'" in message
        assert "input_name='pixels'" in message  # The remedy names the input it has.
        assert message.endswith("Received: input_name=None (so 'images')")
    assert hub.get_expected_image_size(pixels_spec, input_name="pixels") == [4, 5]
    assert hub.get_num_image_channels(pixels_spec, input_name="pixels") == 3
    with pytest.raises(errors.InputSpecError) as caught:
        hub.get_expected_image_size(pixels_spec, input_name="pixel")
    assert str(caught.value).endswith("Received: input_name='pixel'")


def _train_and_serve_fn() -> None:
    images = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3], name="images")
    hub.add_signature(inputs={"images": images}, outputs=tf.reduce_mean(images, [1, 2]))
    info = hub.ImageModuleInfo()
    info.default_image_size.height, info.default_image_size.width = 9, 7
    hub.attach_image_module_info(info)


@pytest.fixture(scope="module")
def train_and_serve_spec() -> Any:
    """An image module of any size (attached info 9x7) with graph variants {"train"} and
    {"serve"}, and no default one."""
    return hub.create_module_spec(
        _train_and_serve_fn, tags_and_args=[({"train"}, {}), ({"serve"}, {})]
    )


@pytest.mark.parametrize("helper", [hub.get_expected_image_size, hub.get_num_image_channels])
def test_a_spec_without_a_default_graph_variant_says_to_pass_a_module_of_one(
    helper: Any, train_and_serve_spec: Any
) -> None:
    """The helpers take no tags (as upstream's): they read a spec's default (empty-tag) variant.
    A spec of only {"train"} and {"serve"} said "No such graph variant: tags=[]. ... Received:
    tags=frozenset()" (or tags=None), tags the user never passed, and nothing of what to do."""
    spec = train_and_serve_spec
    with pytest.raises(errors.UnknownGraphVariantError) as caught:
        helper(spec)
    message = str(caught.value)
    assert f"hub.{helper.__name__} reads the default graph variant (tags=[])" in message
    assert "hub.Module(spec, tags={'serve'})" in message
    assert "['serve'], ['train']" in message
    assert sorted(caught.value.available) == [["serve"], ["train"]]
    assert isinstance(caught.value, KeyError)  # As upstream's.
    with tf.Graph().as_default():  # What the message offers works.
        assert helper(hub.Module(spec, tags={"serve"})) in ([9, 7], 3)


@pytest.mark.parametrize("tags", ["nope", ["nope"], {"nope"}])
def test_an_unknown_variant_of_an_attached_message_echoes_the_tags_given(
    tags: Any, train_and_serve_spec: Any
) -> None:
    """get_attached_message(..., tags="nope" or ["nope"]) ended "Received:
    tags=frozenset({'nope'})", not what was passed (get_input_info_dict echoes it)."""
    spec = train_and_serve_spec
    for read in (
        lambda: spec.get_attached_message("image_module_info", hub.ImageModuleInfo, tags=tags),
        lambda: spec.get_input_info_dict(tags=tags),
    ):
        with pytest.raises(errors.UnknownGraphVariantError) as caught:
            read()
        assert str(caught.value).endswith(f"Received: tags={tags!r}")
        assert sorted(caught.value.available) == [["serve"], ["train"]]
    info = spec.get_attached_message("image_module_info", hub.ImageModuleInfo, tags="train")
    assert (info.default_image_size.height, info.default_image_size.width) == (9, 7)
