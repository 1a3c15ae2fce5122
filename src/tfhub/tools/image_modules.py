"""Image feature-vector modules, shared by make_image_classifier and module_search: load one
as a hub.KerasLayer, check it, find its image size.

Checks run before any image is decoded or any training step: the module must take float
images [batch, height, width, 3] and return a feature vector [batch, dim].
"""

from __future__ import annotations

import logging
import re
from typing import Any

from .. import errors
from . import error_marks

logger = logging.getLogger(__name__)

_EXPECTED_INPUT = "float32 images [batch, height, width, 3]"
USUAL_IMAGE_SIZE = (224, 224)  # Most image modules' size; module_search's default, as upstream.
# Characters of a reason (a module's own error, TFLite's converter's) kept in a one-line message.
REASON_LIMIT = 300


def load_module_layer(handle: str, *, trainable: bool, flag: str = "tfhub_module") -> Any:
    """Returns `hub.KerasLayer(handle, trainable=trainable)` of the Keras flavour in use.

    Call it under the distribution strategy's scope, so the module's variables are mirrored.

    Args:
        handle: the module's handle.
        trainable: whether the module's variables train.
        flag: the flag that named the module, for error messages.

    A module that is not callable (a Keras 3 model exported with `model.export`) is called
    through its serving signature (or its only one) when that has a single output.

    Raises:
        tfhub.errors.ModuleUnavailableError: the handle leads to no model folder, or its
            files cannot be loaded.
        tfhub.errors.NotAnImageModuleError: it is not callable and has no single-output
            signature.
    """
    from ..keras import keras_layer_class
    from .module_handles import loading, resolve_model_folder

    resolve_model_folder(handle, flag=flag)
    with loading(handle, flag=flag):
        try:
            return keras_layer_class()(handle, trainable=trainable)
        except errors.SignatureRequiredError as err:
            suggested = err.suggested
            if suggested is None:
                problem = f"it is not callable, and none of its signatures {err.available} "
                raise not_image_module(handle, problem + "has a single output", flag) from err
        # Not callable, as a Keras 3 model exported with `model.export`: its serving signature.
        signature, output_key = suggested
        logger.info("%s is not callable: using its signature %r.", handle, signature)
        return keras_layer_class()(
            handle, trainable=trainable, signature=signature, output_key=output_key
        )


def not_image_module(
    handle: str, problem: str, flag: str = "tfhub_module"
) -> errors.NotAnImageModuleError:
    """The error for a module that is not an image feature-vector module: `problem` says why,
    the message what to use instead and the flag (`--flag`) that named it."""
    return errors.NotAnImageModuleError(
        f"{handle} is not an image feature-vector module: {problem}. Use a module that maps "
        f"{_EXPECTED_INPUT} in [0, 1] to feature vectors [batch, dim] (e.g. a "
        f"tfhub.dev .../feature_vector/N model). Received: {flag}={handle!r}",
        handle=handle,
        problem=problem,
    )


def _image_input_spec(layer: Any, handle: str, flag: str) -> Any:
    """The TensorSpec of the module's image input (None if TensorFlow does not know it)."""
    specs = list(layer.hub_callable.input_specs)
    if not specs:
        return None
    spec = specs[0]
    if isinstance(spec, dict):  # A signature (TF1 modules): its "images" input, or its only one.
        if "images" in spec:
            spec = spec["images"]
        elif len(spec) == 1:
            spec = next(iter(spec.values()))
        else:
            raise not_image_module(handle, f"its inputs are {sorted(spec)}, not 'images'", flag)
    if not hasattr(spec, "shape") or not hasattr(spec, "dtype"):
        raise not_image_module(handle, f"its input is {spec!r}, not one tensor", flag)
    return spec


def check_image_input(
    layer: Any, handle: str, *, flag: str = "tfhub_module"
) -> tuple[int | None, int | None] | None:
    """Checks the module's input is float images with 3 channels (`flag`: the flag that named
    the module, for error messages; also in the functions below).

    Returns:
        The module's fixed (height, width) (None where variable), or None if unknown.

    Raises:
        tfhub.errors.NotAnImageModuleError: for another input rank, dtype or channel count.
    """
    spec = _image_input_spec(layer, handle, flag)
    if spec is None:
        return None
    shape = spec.shape
    if shape.rank is not None and shape.rank != 4:
        raise not_image_module(
            handle, f"its input has shape {shape} (rank {shape.rank}), not 4", flag
        )
    if not spec.dtype.is_floating:
        raise not_image_module(handle, f"its input has dtype {spec.dtype.name}, not float32", flag)
    if shape.rank is None:
        return None
    dims = shape.as_list()
    if dims[3] not in (None, 3):
        raise not_image_module(handle, f"its input has {dims[3]} channels, not 3", flag)
    return dims[1], dims[2]


def _tf1_default_size(handle: str) -> tuple[int, int] | None:
    """The size a TF1 Hub module asks for (ImageModuleInfo, else its input shape), or None."""
    from .. import image_util
    from ..tf1.module import load_module_spec

    try:
        height, width = image_util.get_expected_image_size(load_module_spec(handle))
    except (errors.InputSpecError, ValueError):
        return None
    return height, width


def image_size_for_module(
    layer: Any,
    handle: str,
    requested_image_size: int | None = None,
    *,
    flag: str = "tfhub_module",
) -> tuple[int, int]:
    """Returns the (height, width) to feed the module, as upstream's `_image_size_for_module`.

    A module with a fixed input size takes that size; a TF1 Hub module may also name a default
    size (ImageModuleInfo). `requested_image_size` (--image_size) must agree with a fixed size.
    The errors keep upstream's words, which its tests matched: "image size" for a size the module
    does not take, "specifies none" for a variable-size module without `requested_image_size`.

    Raises:
        tfhub.errors.ImageSizeError: for a variable-size module without `requested_image_size`,
            or a requested size the module does not accept.
        tfhub.errors.NotAnImageModuleError: if the module does not take images.
    """
    fixed = check_image_input(layer, handle, flag=flag) or (None, None)
    if requested_image_size is not None:
        requested = (int(requested_image_size), int(requested_image_size))
        if any(f is not None and f != r for f, r in zip(fixed, requested, strict=True)):
            raise errors.ImageSizeError(
                f"The module {handle} expects images of size {fixed}, but image size "
                f"{requested} was requested (--image_size {requested_image_size}). Omit "
                f"--image_size or pass the module's size. Received: "
                f"image_size={requested_image_size}",
                handle=handle,
                module_size=fixed,
                requested=requested_image_size,
            )
        return requested
    if None not in fixed:
        return int(fixed[0]), int(fixed[1])  # type: ignore[arg-type]
    default = _module_default_size(layer, handle)
    if default is not None:
        return default
    raise errors.ImageSizeError(
        f"Must specify an image size because the module {handle} specifies none (it takes "
        f"images of any size {fixed}): pass --image_size (e.g. 224). Received: image_size=None",
        handle=handle,
        module_size=fixed,
        requested=None,
    )


def _module_default_size(layer: Any, handle: str) -> tuple[int, int] | None:
    """The image size a variable-size TF1 module's image-module info names, else None."""
    return _tf1_default_size(handle) if layer.hub_callable.is_hub_module_v1 else None


def check_feature_vector(
    layer: Any, handle: str, image_size: tuple[int, int], *, flag: str = "tfhub_module"
) -> int:
    """Runs the module on two black images and checks it returns a feature vector.

    Call it under the scope of the strategy the layer was made in (if any).

    Returns:
        The length of the feature vector.

    Raises:
        tfhub.errors.ImageSizeError: the module fails on images of this size but runs on
            another (a variable-size module: its TF1 default size or 224x224), which the
            message names, with the module's own reason (`.problem`) and `.works_at`.
        tfhub.errors.NotAnImageModuleError: if the output is not one [batch, dim] tensor, or
            the module fails on images of this size (and of the other), with its reason.
    """
    try:
        output = _run_on_black_images(layer, image_size)
    except call_errors() as err:
        raise _failure_at_size(layer, handle, image_size, err, flag) from err
    problem = _output_problem(output)
    if problem is not None:
        raise not_image_module(handle, problem, flag)
    return int(output.shape[1])


def check_finite_vectors(vectors: Any, handle: str, *, flag: str = "tfhub_module") -> None:
    """Checks the module's feature vectors of the images, [n, dim], for NaN and infinity (a
    broken module, or one that overflows): no distance between such vectors means anything.
    Not checked on the black images of `check_feature_vector`, on which a module that
    standardizes each image may divide by zero and still serve real images.

    Raises:
        tfhub.errors.NotAnImageModuleError: saying for how many of the images.
    """
    import numpy as np

    bad = int(np.sum(~np.isfinite(np.asarray(vectors)).all(axis=1)))
    if bad:
        problem = f"its feature vectors of {bad} of {len(vectors)} images hold NaN or infinity"
        raise not_image_module(handle, problem, flag)


def call_errors() -> tuple[type[BaseException], ...]:
    """What a module that cannot take its inputs (images, strings) raises when called:
    TensorFlow's errors, and the TypeError or ValueError of tracing or binding them. Imports
    TensorFlow."""
    import tensorflow as tf

    return (TypeError, ValueError, tf.errors.OpError)


def _run_on_black_images(layer: Any, image_size: tuple[int, int]) -> Any:
    """The module's output for two black images of `image_size`."""
    import tensorflow as tf

    return _run(layer, tf.zeros([2, image_size[0], image_size[1], 3], tf.float32))


class _NoEagerRunAdvice(logging.Filter):
    """Drops TensorFlow's "Using <strategy class> eagerly has significant overhead ... wrap
    `run` inside a tf.function" warning (mirrored_run names the strategy's class: Mirrored-
    Strategy, or CollectiveAllReduceStrategy for MultiWorkerMirroredStrategy): the checks run
    the module eagerly on purpose (a few batches, once), and the advice is about code that is
    not the caller's."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "eagerly has significant overhead" not in record.getMessage()


def run_module(layer: Any, images: Any) -> Any:
    """The module's output for `images` (float32 [b, height, width, 3]), in replica context:
    under MirroredStrategy, restored functions cannot run cross-replica. TensorFlow's warning
    about running a strategy eagerly is not logged (`_NoEagerRunAdvice`)."""
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    quiet, tf_logger = _NoEagerRunAdvice(), logging.getLogger("tensorflow")
    tf_logger.addFilter(quiet)
    try:
        return strategy.experimental_local_results(strategy.run(layer, args=(images,)))[0]
    finally:
        tf_logger.removeFilter(quiet)


_run = run_module


def check_finite_on_images(
    layer: Any, handle: str, images: Any, *, flag: str = "tfhub_module"
) -> None:
    """Runs the module on a few real images (float32 [b, height, width, 3] in [0, 1]; none:
    nothing is checked) and checks their feature vectors hold no NaN or infinity, before a
    long run that would train on them (a loss of NaN, a meaningless model). Call it under the
    scope of the strategy the layer was made in (if any).

    Raises:
        tfhub.errors.NotAnImageModuleError: saying for how many of the images.
    """
    if len(images):
        check_finite_vectors(_run(layer, images), handle, flag=flag)


def _output_problem(output: Any) -> str | None:
    """Why the module's output is not a feature vector [batch, dim], or None if it is one."""
    if isinstance(output, (dict, list, tuple)):
        return f"it returns a {type(output).__name__} of outputs"
    shape = tuple(output.shape)
    if len(shape) != 2 or shape[1] is None:
        return f"its output has shape {shape}, not [batch, dim]"
    if shape[1] == 0:  # Every image the same empty vector: a search ranks it at chance.
        return f"its output has shape {shape}: vectors of 0 features"
    return None


def _failure_at_size(
    layer: Any, handle: str, image_size: tuple[int, int], err: BaseException, flag: str
) -> errors.ToolError:
    """The error for a module that fails on images of `image_size` with `err`: an
    ImageSizeError if it runs on another size, else NotAnImageModuleError."""
    reason = module_reason(err)
    fixed = check_image_input(layer, handle, flag=flag)
    works_at = None
    if fixed is None or None in fixed:  # A fixed-size module has no other size to try.
        works_at = _size_it_takes(layer, handle, image_size)
    if works_at is None:
        problem = f"it fails on {_EXPECTED_INPUT} of size {image_size}: {reason}"
        return not_image_module(handle, problem, flag)
    height, width = image_size
    received = height if height == width else image_size
    return errors.ImageSizeError(
        f"The module {handle} fails on images of size {image_size}: {reason}. It runs on "
        f"images of size {works_at}: pass --image_size={works_at[0]} (or another size it "
        f"takes). Received: image_size={received}",
        handle=handle,
        module_size=fixed,
        requested=received,
        works_at=works_at,
        problem=reason,
    )


def _size_it_takes(layer: Any, handle: str, failed: tuple[int, int]) -> tuple[int, int] | None:
    """Another size a variable-size module runs on and returns a feature vector for (its TF1
    default size, else 224x224), or None."""
    default = _module_default_size(layer, handle)
    for size in dict.fromkeys([default, USUAL_IMAGE_SIZE]):
        if size is None or size == failed:
            continue
        try:
            output = _run_on_black_images(layer, size)
        except call_errors():
            continue
        if _output_problem(output) is None:
            return size
    return None


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
# Lines that wrap the reason: Keras' header, TensorFlow's graph-error header and node lines.
_WRAPPER_LINE = re.compile(
    r"Exception encountered when calling |Graph execution error:|Detected at node |"
    r"<stack traces unavailable>|Node: "
)
# A Python traceback that TensorFlow appends to an error raised by Python code in the graph
# (tf.py_function's EagerPyFunc): it ends with the reason again.
_PYTHON_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):.*", re.MULTILINE | re.DOTALL)
# What a tf.py_function or tf.numpy_function of a loaded SavedModel fails with.
_PYFUNC_MISSING = "Could not find callback with key=pyfunc_"
_PYFUNC_HINT = (
    " (the module calls tf.py_function or tf.numpy_function, whose Python code a SavedModel "
    "does not keep)"
)


def module_reason(err: BaseException, *, limit: int = REASON_LIMIT) -> str:
    """The module's own reason for `err`, in one line of at most `limit` characters.

    Keras wraps an error raised in a layer's `call` ("Exception encountered when calling
    KerasLayer.call()", the reason, then the arguments received), and TensorFlow's graph
    errors wrap an op's message ("Graph execution error:", "Detected at node ...", a stack,
    "[[{{node ...}}]] [Op:...]"): this keeps the reason, e.g. "assertion failed: [image size
    must be a multiple of 16] ...". Indented lines (stacks, details) are left out.

    Args:
        err: what calling the module raised.
        limit: the longest reason returned; a longer one is cut and ends with "...".

    Returns:
        The reason (the error's class name if its message is empty).
    """
    # Keras re-creates the error with its wrapping: the original is plainer.
    original = errors.original_before_keras(err) or err
    message = getattr(original, "message", None)  # An OpError's, without its class.
    text = _ANSI_CODE.sub("", message if isinstance(message, str) else str(original))
    text = _PYTHON_TRACEBACK.sub("", error_marks.without_keras_arguments(text))
    lines = [line for line in text.splitlines() if line.strip()]
    kept = [line for line in lines if not line[0].isspace() and not _WRAPPER_LINE.match(line)]
    # Lines joined by one space; runs of spaces within a line stay (a quoted path's).
    joined = " ".join(line.strip() for line in kept or lines[:1])
    reason = error_marks.without_node_marks(joined).strip()
    reason = reason or type(original).__name__
    hint = _PYFUNC_HINT if _PYFUNC_MISSING in reason else ""
    if hint:
        reason, limit = reason.rstrip("."), limit - len(hint)
    return cut_with_ellipsis(reason, limit) + hint


def cut_with_ellipsis(text: str, limit: int = REASON_LIMIT) -> str:
    """`text` for a one-line message: itself if it has at most `limit` characters, else its
    first `limit - 3` (without the spaces they end with) and "..."."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
