"""ImageModuleInfo, attach_image_module_info, get_expected_image_size, get_num_image_channels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests._helpers.python_process import run_python
from tests._helpers.upstream_records import record

import tfhub as hub
from tfhub import errors


def test_image_module_info_is_byte_compatible_without_tensorflow() -> None:
    expected = record("tf1_image_info")["image"]
    info = hub.ImageModuleInfo()
    info.default_image_size.height = 8
    info.default_image_size.width = 6
    assert info.SerializeToString().hex() == expected["image_module_info_serialized_hex"]
    parsed = hub.ImageModuleInfo.FromString(
        bytes.fromhex(expected["image_module_info_serialized_hex"])
    )
    assert (parsed.default_image_size.height, parsed.default_image_size.width) == (8, 6)


def test_image_module_info_needs_no_tensorflow() -> None:
    code = (
        "import sys, tfhub as hub; info = hub.ImageModuleInfo(); "
        "info.default_image_size.height = 3; hub.get_expected_image_size; "
        "print(info.SerializeToString().hex(), 'tensorflow' in sys.modules)"
    )
    out = run_python(code, timeout=60)
    assert out.stdout.split() == ["0a020803", "False"]


@pytest.mark.tf
def test_upstream_image_module(upstream_dir: Path) -> None:
    expected = record("tf1_image_info")["image"]
    spec = hub.load_module_spec(str(upstream_dir / "tf1_image_info"))
    assert hub.get_expected_image_size(spec) == expected["get_expected_image_size"]
    sig = "image_feature_vector"
    assert (
        hub.get_expected_image_size(spec, signature=sig)
        == expected[f"get_expected_image_size(signature='{sig}')"]
    )
    assert hub.get_num_image_channels(spec) == expected["get_num_image_channels"]
    assert hub.get_num_image_channels(spec, signature=sig) == 3
    info = spec.get_attached_message("image_module_info", hub.ImageModuleInfo)
    assert info.SerializeToString().hex() == expected["image_module_info_serialized_hex"]


def _image_spec(*, shape: list[int | None], attach: tuple[int, int] | None) -> Any:
    import tensorflow as tf

    def module_fn() -> None:
        images = tf.compat.v1.placeholder(tf.float32, shape, name="images")
        hub.add_signature(inputs={"images": images}, outputs=tf.reduce_mean(images, axis=[1, 2]))
        if attach:
            info = hub.ImageModuleInfo()
            info.default_image_size.height, info.default_image_size.width = attach
            hub.attach_image_module_info(info)

    return hub.create_module_spec(module_fn)


@pytest.mark.tf
def test_image_size_from_info_then_shape_else_error() -> None:
    import tensorflow as tf

    attached = _image_spec(shape=[None, None, None, 3], attach=(224, 160))
    assert hub.get_expected_image_size(attached) == [224, 160]
    from_shape = _image_spec(shape=[None, 32, 48, 1], attach=None)
    assert hub.get_expected_image_size(from_shape) == [32, 48]
    assert hub.get_num_image_channels(from_shape) == 1
    with tf.Graph().as_default():
        assert hub.get_expected_image_size(hub.Module(from_shape)) == [32, 48]
    half_info = _image_spec(shape=[None, 10, 12, 3], attach=(5, 0))  # Width unset: use the shape.
    assert hub.get_expected_image_size(half_info) == [10, 12]
    half_unknown = _image_spec(shape=[None, None, None, 3], attach=(5, 0))
    with pytest.raises(errors.InputSpecError, match="no ImageModuleInfo with both"):
        hub.get_expected_image_size(half_unknown)
    unknown = _image_spec(shape=[None, None, None, None], attach=None)
    with pytest.raises(errors.InputSpecError, match="with known height and width"):
        hub.get_expected_image_size(unknown)
    with pytest.raises(ValueError, match="with known num_channels"):
        hub.get_num_image_channels(unknown)
    with pytest.raises(ValueError, match="missing input 'pixels' in signature 'default'"):
        hub.get_expected_image_size(from_shape, input_name="pixels")
