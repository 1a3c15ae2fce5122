"""A module as module_search calls it: a Keras layer from float images [batch, height, width,
3] to its outputs, as the shared image-module loader makes it, or, for a model that is not
callable, upstream's only way (`load_embedding_fn`): its signature "default", output "default".
Used by the command (`embedding.embed`) and upstream's `utils.load_embedding_fn`.
"""

from __future__ import annotations

import logging
from typing import Any

from ... import errors
from .. import image_modules

logger = logging.getLogger(__name__)

# How upstream's `load_embedding_fn` called every module: `signatures["default"](x)["default"]`.
_UPSTREAM_SIGNATURE = "default"
_UPSTREAM_OUTPUT = "default"


def load_embedding_layer(handle: str) -> Any:
    """The module as a Keras layer from float images [batch, height, width, 3] to its outputs
    (`image_modules.load_module_layer`: a TF2 `__call__`, a TF1 Hub module's, or a
    non-callable model's single-output signature); a non-callable model with a signature
    "default" of several outputs, one of them "default" (a TF1 SavedModel), is called as
    upstream's module_search called every module: that signature, that output.

    Raises:
        tfhub.errors.ModuleUnavailableError: the handle leads to no model folder, or its
            files cannot be loaded.
        tfhub.errors.NotAnImageModuleError: it is not callable, and no signature of a single
            output nor upstream's "default" signature with a "default" output is there.
    """
    try:
        return image_modules.load_module_layer(handle, trainable=False, flag="module")
    except errors.NotAnImageModuleError as err:
        required = err.__cause__  # Set when the model is not callable and names no signature.
        if not isinstance(required, errors.SignatureRequiredError):
            raise
        if _UPSTREAM_SIGNATURE not in required.available:
            raise
    return _upstream_signature_layer(handle)


def _upstream_signature_layer(handle: str) -> Any:
    """The module's signature "default" as a layer returning its output "default".

    Raises:
        tfhub.errors.NotAnImageModuleError: the signature has no output "default".
        tfhub.errors.ModuleUnavailableError: its files cannot be loaded.
    """
    from ...keras import keras_layer_class
    from ..module_handles import loading

    try:
        with loading(handle, flag="module"):
            layer = keras_layer_class()(
                handle, trainable=False, signature=_UPSTREAM_SIGNATURE, output_key=_UPSTREAM_OUTPUT
            )
    except errors.UnknownOutputKeyError as err:
        problem = (
            f"it is not callable, and its signature {_UPSTREAM_SIGNATURE!r} has several outputs "
            f"({err.available}), none named {_UPSTREAM_OUTPUT!r}"
        )
        raise image_modules.not_image_module(handle, problem, "module") from err
    logger.info(
        "%s is not callable: using its signature %r, output %r, as upstream's module_search.",
        handle,
        _UPSTREAM_SIGNATURE,
        _UPSTREAM_OUTPUT,
    )
    return layer
