"""`hub.image_embedding_column` over TF1 image feature-vector modules."""

from __future__ import annotations

import operator
from typing import Any

from .. import errors, saved_model
from .._tf_private import register_feature_column
from ._base import LoadedModule, TensorFn, tf
from ._checks import as_handle, checked_key, module_name
from ._signatures import Signature, default_embedding_output_issue, describe
from ._source import ModuleSource, TF1ModuleColumn

_IMAGE_SIGNATURE_RULE = (
    "An image module's 'default' signature must take exactly one input 'images' of dtype float32 "
    "and return an output 'default' Tensor(shape=(None, K), dtype=float32) with a known K."
)


def _check_image_embedding(signature: Signature, module_spec: Any) -> None:
    """Raises ModuleSpecError if the signature is not images float32 -> float32 `[None, K]`.

    The message starts as upstream's ("Module is not usable as image embedding: [<issues>]").
    """
    upstream, issues = [], []
    images = signature.inputs.get("images")
    if list(signature.inputs) != ["images"] or images is None or images.dtype != tf.float32:
        upstream.append(
            "Module 'default' signature must require a single input, which must have type "
            "float32 and name 'images'."
        )
        described = {name: describe(info) for name, info in signature.inputs.items()}
        issues.append(f"its inputs are {described}")
    output_issue = default_embedding_output_issue(signature)
    if output_issue:
        upstream.append(
            "Module 'default' signature must have a 'default' output of "
            "tf.Tensor(shape=(_,K), dtype=float32)."
            if "default" in signature.outputs
            else "Module 'default' signature must have a 'default' output."
        )
        issues.append(output_issue)
    if issues:
        raise errors.ModuleSpecError(
            f"Module is not usable as image embedding: {upstream!r}: {'; '.join(issues)}. "
            f"{_IMAGE_SIGNATURE_RULE} Received: module_spec={module_name(module_spec)}"
        )


def _checked_image_size(image_size: Any) -> tuple[int, int] | None:
    """Returns `image_size` as (height, width), or raises ArgumentError (a ValueError)."""
    if image_size is None:
        return None
    try:
        height, width = (operator.index(dim) for dim in image_size)
        if height <= 0 or width <= 0 or any(isinstance(dim, bool) for dim in image_size):
            raise ValueError("not positive")
    except (TypeError, ValueError) as err:
        raise errors.ArgumentError(
            f"image_size must be a pair (height, width) of positive ints. "
            f"Received: image_size={image_size!r}"
        ) from err
    return height, width


def _expected_image_size(source: ModuleSource) -> tuple[int, int]:
    """Returns `hub.get_expected_image_size` of the module (attached info, else input shape).

    Raises:
        tfhub.errors.ModuleSpecError: if the module has no known image size.
    """
    from ..image_util import get_expected_image_size

    try:
        height, width = get_expected_image_size(source.module_spec_object())
    except ValueError as err:
        raise errors.ModuleSpecError(
            f"The image module {module_name(source.module_spec)} has no known image size "
            f"({err}). Pass "
            "image_size=(height, width) to hub.image_embedding_column. Received: image_size=None"
        ) from err
    return int(height), int(width)


def _check_size_fits_module(
    size: tuple[int, int], signature: Signature, module_spec: Any, *, given: bool
) -> None:
    """Checks that the module's `images` input takes images of `size` (height, width).

    Args:
        size: the column's image size.
        signature: the module's `default` signature.
        module_spec: the handle or spec, named in the message.
        given: whether the caller passed `size` as image_size (else it is the size of the
            module's attached ImageModuleInfo).

    Raises:
        tfhub.errors.ModuleSpecError: if the input has another static height or width.
    """
    shape = signature.inputs["images"].get_shape()
    if shape.rank != 4 or shape[1:3].is_compatible_with(size):
        return
    name, dims = module_name(module_spec), tuple(shape.as_list())
    fitting = f"image_size=({shape[1]}, {shape[2]})" if shape[1:3].is_fully_defined() else None
    if not given:
        raise errors.ModuleSpecError(
            f"The image module {name} is inconsistent: its attached ImageModuleInfo says its "
            f"images are {size} (height, width), but its 'images' input takes shape {dims}. "
            f"Pass {fitting or 'image_size=(height, width)'} to hub.image_embedding_column. "
            "Received: image_size=None"
        )
    raise errors.ModuleSpecError(
        f"The image module {name} takes images of shape {dims}, which does not fit "
        f"image_size={size}; pass {fitting or 'a matching image_size'}, or none. "
        f"Received: image_size={size}"
    )


def _module_channels(signature: Signature) -> int | None:
    """The channels of the module's `images` input (e.g. 1 for grayscale), None if unknown.

    Upstream passed the images straight to the module, so its input decides, not RGB.
    """
    shape = signature.inputs["images"].get_shape()
    return shape[3] if shape.rank == 4 else None


def _module_images_shape(signature: Signature) -> Any:
    """The shapes of image batches the module's `images` input takes (any batch size)."""
    shape = signature.inputs["images"].get_shape()
    if shape.rank != 4:
        return tf.TensorShape([None, None, None, None])
    return tf.TensorShape([None]).concatenate(shape[1:])


@register_feature_column
class _ImageEmbeddingColumn(TF1ModuleColumn):
    """Returned by `hub.image_embedding_column`. Do not use directly."""

    _fields = ("key", "module_spec_path", "image_size")
    _column = "image_embedding_column"
    _takes = (
        "a dense float32 tensor of images in [0, 1], shape (batch, height, width, channels) "
        "with the module's channels"
    )

    def __init__(self, key: Any, module_spec_path: Any, image_size: Any = None) -> None:
        self.key = key
        self.module_spec_path = module_spec_path
        self.trainable = False  # Upstream's image column never trains the module.
        self._open(module_spec_path)
        _check_image_embedding(self._signature, module_spec_path)
        checked = _checked_image_size(image_size)
        self.image_size = checked or _expected_image_size(self._source)
        self._image_size_given = checked is not None
        _check_size_fits_module(
            self.image_size, self._signature, module_spec_path, given=self._image_size_given
        )
        self._channels = _module_channels(self._signature)

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        height, width = self.image_size
        channels = self._channels or 3  # Unknown: RGB, as upstream's spec always said.
        return {self.key: tf.io.FixedLenFeature([height, width, channels], tf.float32)}

    def load(self) -> LoadedModule:
        model = saved_model.load_model(self._source.local_path)
        function = model.obj.signatures["default"]

        def fn(images: Any, training: Any = False) -> Any:
            del training  # A TF1 module's default graph has no training mode.
            return function(images=images)["default"]

        return LoadedModule.of_model(model, fn)

    def embed(self, inputs: Any, fn: TensorFn) -> Any:
        """Embeds the images, as upstream's column, of any shape the module's `images` input
        takes (`image_size` only gives `parse_example_spec`: a module of any image size takes
        images of another size too).

        Raises:
            tfhub.errors.InputSpecError: (a ValueError) the images are sparse or not float32
                (float16 or bfloat16 images, what DenseFeatures passes under a mixed precision
                policy, are cast to float32).
            tfhub.errors.CallInputSpecError: (a TypeError too, as upstream's) the module's
                `images` input does not take their shape.
        """
        expected = _module_images_shape(self._signature)
        if isinstance(inputs, tf.SparseTensor):  # Not a wrong dtype, as the message below says.
            raise errors.InputSpecError(
                f"hub.image_embedding_column({self.key!r}) takes a dense tensor of float32 "
                f"images of shape {tuple(expected.as_list())}; make it dense with "
                "tf.sparse.to_dense(images). Received: images as a tf.SparseTensor of shape "
                f"{inputs.shape}"
            )
        if getattr(inputs, "dtype", None) in (tf.float16, tf.bfloat16):
            # What DenseFeatures makes of float32 images under a mixed precision policy (it
            # casts float inputs to its compute dtype): TensorFlow's numeric column casts back.
            inputs = tf.cast(inputs, tf.float32)
        try:
            images = tf.convert_to_tensor(inputs, tf.float32)
        except (TypeError, ValueError) as err:  # Another dtype: a ValueError, as upstream.
            dtype = getattr(getattr(inputs, "dtype", None), "name", type(inputs).__name__)
            raise errors.InputSpecError(
                f"hub.image_embedding_column({self.key!r}) takes float32 images in [0, 1] of "
                f"shape {tuple(expected.as_list())} (convert uint8 images with "
                f"tf.image.convert_image_dtype(images, tf.float32)). Received: images.dtype={dtype}"
            ) from err
        if not images.shape.is_compatible_with(expected):  # A TypeError too, as upstream's.
            channels = f"{self._channels} channel(s)" if self._channels else "any channels"
            raise errors.CallInputSpecError(
                f"hub.image_embedding_column({self.key!r}) takes float32 images of shape "
                f"{tuple(expected.as_list())} (its module's images have {channels}). "
                f"Received: images.shape={images.shape}"
            )
        return fn(images)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["image_size"] = list(self.image_size) if self._image_size_given else None
        return config


def image_embedding_column(key: str, module_spec: Any, image_size: Any = None) -> Any:
    """Embeds images (float32 in [0, 1], `[batch, height, width, channels]`) with a TF1 image
    module; the channels are those of the module's `images` input (3 for RGB).

    Args:
        key: the feature's key.
        module_spec: a handle string or a `hub.ModuleSpec` of an image feature-vector module.
        image_size: optional (height, width); by default `hub.get_expected_image_size`.

    Returns:
        A dense feature column giving `[batch_size, K]`.

    Raises:
        tfhub.errors.ModuleSpecError: if the module is not an image embedding, has no known
            image size and `image_size` is not given, or its `images` input does not take
            images of the size (given, or of its attached ImageModuleInfo).
        ValueError: if `image_size` is not a pair of positive ints.
    """
    return _ImageEmbeddingColumn(
        checked_key(key, "image_embedding_column"), as_handle(module_spec), image_size
    )
