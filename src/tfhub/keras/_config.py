"""The KerasLayer-specific part of `get_config()`, and `from_config`'s error for a handle that
cannot be loaded again, shared by both flavours."""

from __future__ import annotations

import json
from typing import Any

from .. import errors
from . import _shapes
from ._arguments import TF1_DEFAULT_OUTPUT, TF1_DEFAULT_SIGNATURE
from .hub_callable import HubCallable


def config_entries(hub: HubCallable, output_shape: Any, tags: Any) -> dict[str, Any]:
    """Returns the KerasLayer-specific part of `get_config()` (JSON-serializable).

    Raises:
        tfhub.errors.ConfigNotSupportedError: the layer was built from a Python callable (a
            NotImplementedError, as upstream raised).
        tfhub.errors.SerializationError: its `arguments`/`output_shape` are not
            JSON-serializable.
    """
    if not isinstance(hub.handle, str):
        raise errors.ConfigNotSupportedError(
            # Upstream's words first (code matches them), then what to do.
            "Can only generate a valid config for `hub.KerasLayer(handle, ...)`that uses a "
            f"string `handle`.\n\nGot `type(handle)`: {type(hub.handle)}. This layer wraps a "
            "Python callable, which cannot be written into a Keras config: only a layer built "
            "from a string handle (a path or URL that hub.load() can load again) has one. Save "
            "the callable as a SavedModel (tf.saved_model.save) and build the layer from its "
            "path. "
            f"Received: handle={hub.handle!r}"
        )
    config: dict[str, Any] = {"handle": hub.handle}
    if output_shape is not None:
        config["output_shape"] = _json_checked(
            _shapes.nest_from_shapes(output_shape), "output_shape"
        )
    if hub.arguments:
        config["arguments"] = _json_checked(hub.arguments, "arguments")
    if hub.signature and not (hub.is_hub_module_v1 and hub.signature == TF1_DEFAULT_SIGNATURE):
        config["signature"] = hub.signature
    if hub.output_key and not (hub.is_hub_module_v1 and hub.output_key == TF1_DEFAULT_OUTPUT):
        config["output_key"] = hub.output_key
    elif hub.output_key == "" and hub.signature:  # Given (the whole dict): from_config needs it.
        config["output_key"] = ""
    if hub.signature_outputs_as_dict:
        config["signature_outputs_as_dict"] = True
    if tags is not None:
        config["tags"] = sorted(tags)
    return config


def _json_checked(value: Any, what: str) -> Any:
    """Returns `value` if JSON-serializable; the error starts with upstream's words."""
    try:
        json.dumps(value)
    except TypeError as err:
        if what == "arguments":
            keys = [key for key, item in value.items() if not _is_json(item)]
            upstream = (
                "`hub.KerasLayer(..., arguments)` contains non json-serializable values in "
                f"key: {', '.join(map(str, keys))}"
            )
        else:
            upstream = f"hub.KerasLayer(..., {what}=) is not json-serializable"
        raise errors.SerializationError(
            f"{upstream}. The layer's config cannot be saved: pass plain Python values (numbers,"
            " strings, lists, dicts), e.g. float(x) for a NumPy scalar or a tensor, array.tolist()"
            f" for an array. Received: {what}={value!r}"
        ) from err
    return value


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


def unreachable_handle_error(err: errors.TFHubError, config: dict[str, Any]) -> Exception:
    """`err` (the model is gone, damaged or cannot be downloaded) saying that the saved layer
    `config` needs the model its handle named, and how to restore the weights without it: a
    copy of the same class and data (as pickling makes it), so `except` clauses that caught
    `err` catch it too."""
    if isinstance(err, errors.ModelNotFoundError):
        remedy = "Put the model back there"
    elif isinstance(err, errors.DamagedModelError):
        # Its own message says how (copy it there again; for a cache's copy, `tfhub cache rm`).
        remedy = "Do as that says"
    else:
        remedy = "Load it where the handle can be downloaded (or a cache holds it)"
    message = (
        f"The saved model's hub.KerasLayer {config.get('name')!r} loads the model it wraps from "
        f"its handle, {config.get('handle')!r}: {err} A saved Keras model keeps the layer's "
        f"weights, not that model. {remedy}, or build your model again with hub.KerasLayer(<the "
        "model's new path or URL>) and restore the weights with model.load_weights(<the saved "
        "file>)."
    )
    return errors.reworded(err, message)
