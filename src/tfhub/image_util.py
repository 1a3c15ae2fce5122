"""Helpers for TF1 Hub modules that take images: `ImageModuleInfo` and the expected input size.

Importing this module does not import TensorFlow (only protobuf).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from . import errors
from .protos import ImageModuleInfo

logger = logging.getLogger(__name__)

# Image modules may attach an ImageModuleInfo message under this key.
IMAGE_MODULE_INFO_KEY = "image_module_info"

__all__ = [
    "IMAGE_MODULE_INFO_KEY",
    "ImageModuleInfo",
    "attach_image_module_info",
    "get_expected_image_size",
    "get_image_module_info",
    "get_num_image_channels",
]


def attach_image_module_info(image_module_info: Any) -> None:
    """Attaches an ImageModuleInfo message; call it from within a module_fn.

    Args:
        image_module_info: a `hub.ImageModuleInfo` message.

    Raises:
        tfhub.errors.NotAMessageError: (an AttributeError, as upstream's, a TypeError and a
            ValueError) if `image_module_info` is no protocol message instance (a dict, the
            class itself).
        tfhub.errors.ModuleSpecError: (a ValueError) if it is another protocol message than
            ImageModuleInfo (upstream attached it, and `get_expected_image_size` failed later
            with protobuf's DecodeError, or read a wrong size), or it is called outside a
            module_fn (eagerly).
    """
    from .tf1.native_module import attach_message

    if isinstance(image_module_info, type):  # The class itself: upstream's TypeError.
        raise errors.NotAMessageError(
            "hub.attach_image_module_info needs a hub.ImageModuleInfo message instance, e.g. "
            "info = hub.ImageModuleInfo(); info.default_image_size.height = 224; "
            "info.default_image_size.width = 224. "
            f"Received: the class {image_module_info.__name__}, not an instance of it"
        )
    descriptor = getattr(image_module_info, "DESCRIPTOR", None)
    if getattr(descriptor, "full_name", None) != ImageModuleInfo.DESCRIPTOR.full_name:
        error = errors.ModuleSpecError if descriptor is not None else errors.NotAMessageError
        raise error(
            "hub.attach_image_module_info needs a hub.ImageModuleInfo message (set its "
            "default_image_size.height and .width). "
            f"Received: image_module_info of type {type(image_module_info).__name__}"
        )

    attach_message(IMAGE_MODULE_INFO_KEY, image_module_info)


def get_image_module_info(module_or_spec: Any, required: bool = False) -> Any:
    """Returns the module's attached ImageModuleInfo, or None if there is none.

    Args:
        module_or_spec: a `hub.Module` or `hub.ModuleSpec`.
        required: if True, raise KeyError instead of returning None.
    """
    _check_module_or_spec(module_or_spec)
    return module_or_spec.get_attached_message(
        IMAGE_MODULE_INFO_KEY, ImageModuleInfo, required=required
    )


@contextlib.contextmanager
def _default_variant_read(helper: str, module_or_spec: Any) -> Iterator[None]:
    """Re-raises a spec's UnknownGraphVariantError for its default graph variant (the image
    helpers take no tags, as upstream's) saying which variants it has and to pass a hub.Module
    of one; other errors pass unchanged."""
    try:
        yield
    except errors.UnknownGraphVariantError as err:
        get_tags = getattr(module_or_spec, "get_tags", None)  # A spec's, not a hub.Module's.
        if not callable(get_tags):
            raise
        variants = sorted(sorted(tags) for tags in get_tags())
        listed = ", ".join(str(tags) for tags in variants)
        example = f"tags={set(variants[0])!r}" if variants and variants[0] else "tags=..."
        path = getattr(module_or_spec, "module_path", None)
        received = f"the spec of {path!r}" if path else "a module spec built in memory"
        raise errors.UnknownGraphVariantError(
            f"hub.{helper} reads the default graph variant (tags=[]) of a module spec, and this "
            f"spec has none: its tag sets are {listed}. In a tf.Graph, pass a hub.Module of "
            f"one, e.g. hub.Module(spec, {example}). Received: module_or_spec={received}",
            available=variants,
        ) from err


def _check_module_or_spec(module_or_spec: Any) -> None:
    """Raises NotAModuleOrSpecError unless `module_or_spec` is (or acts as) a hub.Module or
    spec: an AttributeError too, as upstream's "'str' object has no attribute
    'get_attached_message'", and an ArgumentTypeError. For a hub.KerasLayer, the message
    names the spec of its handle.
    """
    needed = ("get_attached_message", "get_input_info_dict")
    if all(callable(getattr(module_or_spec, name, None)) for name in needed):
        return
    handle = getattr(module_or_spec, "handle", None)  # A hub.KerasLayer's.
    remedy = (
        f" If its handle {handle!r} is a TF1 Hub module, pass hub.load_module_spec({handle!r})."
        if isinstance(handle, str)
        else ""
    )
    raise errors.NotAModuleOrSpecError(
        "The image helpers read a TF1 Hub module's signatures and attached ImageModuleInfo: "
        "pass a hub.Module or a hub.ModuleSpec (for a handle of a TF1 Hub module: "
        "hub.load_module_spec(handle)); a TF2 SavedModel has no ImageModuleInfo: read the "
        f"size from its input shape.{remedy} "
        f"Received: module_or_spec={module_or_spec!r} of type "
        f"{type(module_or_spec).__name__}"
    )


def _image_input_shape(module_or_spec: Any, signature: str | None, input_name: str | None) -> Any:
    """Returns the static shape of the image input `input_name` (default "images").

    Raises:
        tfhub.errors.InputSpecError: if the signature has no such input; the message offers
            `input_name=` for each input it has.
    """
    name = input_name or "images"
    input_info_dict = module_or_spec.get_input_info_dict(signature)
    if name not in input_info_dict:
        offers = " or ".join(f"input_name={key!r}" for key in sorted(input_info_dict))
        remedy = f"if one takes the images, pass {offers}" if offers else "it takes no images"
        received = repr(input_name) if input_name else f"None (so {name!r})"
        raise errors.InputSpecError(
            f"Module is missing input '{name}' in signature '{signature or 'default'}'. "
            f"Its inputs are {sorted(input_info_dict)}: {remedy}. "
            f"Received: input_name={received}"
        )
    return input_info_dict[name].get_shape()


def _dims(shape: Any) -> list[int | None] | None:
    if shape.rank != 4:
        return None
    return shape.as_list()


def get_expected_image_size(
    module_or_spec: Any, signature: str | None = None, input_name: str | None = None
) -> list[int]:
    """Returns the expected `[height, width]` of the module's image input.

    Taken from an attached ImageModuleInfo if there is one, else from the input's shape. A
    `signature` or `input_name` that is given is checked even when the info answers.

    Args:
        module_or_spec: a `hub.Module` or `hub.ModuleSpec` that takes images.
        signature: the signature (default: "default").
        input_name: the image input (default: "images").

    Returns:
        `[height, width]`.

    Raises:
        tfhub.errors.NotAModuleOrSpecError: (an ArgumentTypeError and an AttributeError, as
            upstream's) if `module_or_spec` is neither a hub.Module nor a spec
            (e.g. a handle string: pass `hub.load_module_spec(handle)`).
        tfhub.errors.UnknownSignatureError: if the module has no `signature`.
        tfhub.errors.UnknownGraphVariantError: (a KeyError, as upstream's) if a spec has no
            default graph variant (the empty tag set) to read: pass a `hub.Module` of one.
        tfhub.errors.InputSpecError: if the input is missing or its height and width are
            unknown, or the attached ImageModuleInfo gives a negative size (a ValueError, as
            upstream's docstring says for size information "missing or malformed").
    """
    with _default_variant_read("get_expected_image_size", module_or_spec):
        return _expected_image_size(module_or_spec, signature, input_name)


def _expected_image_size(
    module_or_spec: Any, signature: str | None, input_name: str | None
) -> list[int]:
    """`get_expected_image_size`'s work, with the same errors."""
    info = get_image_module_info(module_or_spec)
    # Checked even if the info answers: a typo must not pass.
    if signature is not None:
        module_or_spec.get_input_info_dict(signature)  # Raises UnknownSignatureError.
    if input_name is not None:
        _image_input_shape(module_or_spec, signature, input_name)  # Raises InputSpecError.
    size = _attached_size(info, signature, input_name) if info is not None else None
    if size is not None:
        return size
    shape = _image_input_shape(module_or_spec, signature, input_name)
    dims = _dims(shape)
    if not dims or not dims[1] or not dims[2]:
        raise errors.InputSpecError(
            f"Shape of module input is {shape}, expected [batch_size, height, width, "
            "num_channels] with known height and width (and the module attaches no "
            "ImageModuleInfo with both default_image_size.height and .width). "
            f"Received: signature={signature!r}, input_name={input_name!r}"
        )
    return [dims[1], dims[2]]


def _attached_size(info: Any, signature: str | None, input_name: str | None) -> list[int] | None:
    """Returns `[height, width]` of an attached ImageModuleInfo, or None if it leaves either
    unset (0: the input's shape decides).

    Raises:
        tfhub.errors.InputSpecError: (a ValueError) if it gives a negative height or width
            (upstream returned them, which no image has).
    """
    height, width = info.default_image_size.height, info.default_image_size.width
    if height < 0 or width < 0:
        raise errors.InputSpecError(
            "The module's attached ImageModuleInfo is malformed: its default_image_size is "
            f"height={height}, width={width}, which must be positive (the module_fn that "
            "attached it set them). Pass the size your images have instead, e.g. as "
            "image_size to hub.image_embedding_column. "
            f"Received: signature={signature!r}, input_name={input_name!r}"
        )
    return [height, width] if height and width else None


def get_num_image_channels(
    module_or_spec: Any, signature: str | None = None, input_name: str | None = None
) -> int:
    """Returns the number of channels of the module's image input (usually 3).

    Raises:
        tfhub.errors.NotAModuleOrSpecError: (an ArgumentTypeError and an AttributeError, as
            upstream's) if `module_or_spec` is neither a hub.Module nor a spec.
        tfhub.errors.InputSpecError: if the input is missing or has unknown channels.
        tfhub.errors.UnknownGraphVariantError: (a KeyError, as upstream's) if a spec has no
            default graph variant (the empty tag set) to read: pass a `hub.Module` of one.
    """
    with _default_variant_read("get_num_image_channels", module_or_spec):
        return _num_image_channels(module_or_spec, signature, input_name)


def _num_image_channels(module_or_spec: Any, signature: str | None, input_name: str | None) -> int:
    """`get_num_image_channels`'s work, with the same errors."""
    _check_module_or_spec(module_or_spec)
    shape = _image_input_shape(module_or_spec, signature, input_name)
    dims = _dims(shape)
    if not dims or dims[3] is None:
        raise errors.InputSpecError(
            f"Shape of module input is {shape}, expected [batch_size, height, width, "
            "num_channels] with known num_channels. "
            f"Received: signature={signature!r}, input_name={input_name!r}"
        )
    return dims[3]
