"""What rebuilding a hub column from a saved config (`from_config`) needs: config values as
`get_config()` gave them, and the error when the column's module cannot be reached."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..utils.lazy import tf_keras

# Each column's config field that holds its module's handle.
_HANDLE_FIELDS = ("module_spec_path", "module_path")


def decoded(value: Any) -> Any:
    """A config value as `get_config()` gave it: tf_keras' `.keras` writer stores bytes (e.g. a
    sparse column's default_value b"dog") as {"class_name": "__bytes__", ...}, and
    `DenseFeatures` hands that to `from_config` as it is; tf_keras' own deserializer undoes it.
    """
    if isinstance(value, dict) and value.get("class_name") == "__bytes__":
        return tf_keras.saving.deserialize_keras_object(value)
    return value


def unreachable_module_error(
    err: errors.TFHubError, cls: type, config: dict[str, Any]
) -> Exception:
    """`err` saying that the saved column `config` needs the module its handle names, and how
    to restore the weights without it: a copy of the same class and data (as pickling makes
    it), so `except` clauses that caught `err` catch it too."""
    handle = next((config[field] for field in _HANDLE_FIELDS if field in config), None)
    column = getattr(cls, "_column", "") or cls.__name__
    if isinstance(err, errors.ModelNotFoundError):
        remedy = "Put the module back there"
    else:
        remedy = "Load it where the handle can be downloaded (or a cache holds it)"
    message = (
        f"The saved model's hub.{column} for feature {config.get('key')!r} loads its module "
        f"from its handle, {handle!r}: {err} A saved Keras model keeps the column's weights, "
        f"not that module. {remedy}, or build your model again with the column over the "
        "module's new path or URL and restore the weights with model.load_weights(<the saved "
        "file>)."
    )
    return errors.reworded(err, message)
