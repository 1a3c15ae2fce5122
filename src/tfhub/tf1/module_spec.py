"""`hub.ModuleSpec`: the blueprint of a TF1 Hub module, and `hub.load_module_spec`."""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Iterable
from typing import Any

from .. import errors

logger = logging.getLogger(__name__)


class ModuleSpec(abc.ABC):
    """Represents the contents of a `hub.Module` before it has been instantiated.

    Do not instantiate this class directly: use `hub.load_module_spec` or
    `hub.create_module_spec`. A spec can be instantiated many times, in many graphs.
    """

    def export(
        self,
        path: str,
        _sentinel: None = None,
        checkpoint_path: str | None = None,
        name_transform_fn: Callable[[str], str] | None = None,
    ) -> None:
        """Exports the module with the variable values read from a checkpoint.

        Args:
            path: the folder to write the module to.
            _sentinel: prevents positional arguments after `path`.
            checkpoint_path: the checkpoint that holds the module's variables (mandatory).
            name_transform_fn: maps a variable name in the module to its name in the
                checkpoint, e.g. `lambda name: "extra_scope/" + name`.

        Raises:
            tfhub.errors.ExportError: if `checkpoint_path` is missing.
        """
        from .eval_function import export_module_spec

        if _sentinel is not None or not checkpoint_path:
            raise errors.ExportError(
                "Missing mandatory `checkpoint_path` parameter (pass it by name). "
                f"Received: checkpoint_path={checkpoint_path!r}"
            )
        export_module_spec(self, path, checkpoint_path, name_transform_fn or (lambda name: name))

    @abc.abstractmethod
    def get_signature_names(self, tags: Iterable[str] | None = None) -> list[str]:
        """Returns the module's signature names for the graph variant `tags`."""

    @abc.abstractmethod
    def get_tags(self) -> list[frozenset[str]]:
        """Lists the graph variants, as sets of tags."""

    @abc.abstractmethod
    def get_input_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Describes a signature's inputs: {name: ParsedTensorInfo (dtype, get_shape(), ...)}."""

    @abc.abstractmethod
    def get_output_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Describes a signature's outputs: {name: ParsedTensorInfo (dtype, get_shape(), ...)}."""

    def get_attached_message(
        self,
        key: str,
        message_type: Any,
        tags: Iterable[str] | None = None,
        required: bool = False,
    ) -> Any:
        """Returns the message attached under `key` (see `hub.attach_message`), or None.

        Args:
            key: the key the message was attached under.
            message_type: the protocol message class used to parse it.
            tags: the graph variant to read from (default: the empty set).
            required: if True, a missing key raises KeyError instead of returning None.

        Returns:
            An instance of `message_type`, or None.

        Raises:
            tfhub.errors.MissingAttachedMessageError: (a KeyError) if `key` is missing and
                `required` is True.
        """
        attached_bytes = self._get_attached_bytes(key, tags)
        if attached_bytes is None:
            if required:
                raise errors.MissingAttachedMessageError(
                    f"No attached message for key '{key}' in graph version {sorted(tags or [])} "
                    "of Hub Module"
                )
            return None
        message = message_type()
        message.ParseFromString(attached_bytes)
        return message

    @abc.abstractmethod
    def _get_attached_bytes(self, key: str, tags: Iterable[str] | None) -> bytes | None:
        """Returns the serialized message attached under `key`, or None."""

    @abc.abstractmethod
    def _create_impl(self, name: str, trainable: bool, tags: set[str]) -> Any:
        """Instantiates the module in the current graph under the unused scope `name`."""


def load_module_spec(path: str) -> ModuleSpec:
    """Loads a ModuleSpec from any handle the resolver understands (URL, path, ...).

    Args:
        path: a handle: a local folder, a file:// / http(s):// / gs:// URL, ...

    Returns:
        A ModuleSpec.

    Raises:
        tfhub.errors.NotATF1ModuleError: if the model is not in the TF1 Hub format (the
            message says if it is a TF2 SavedModel and what to use instead).
        tfhub.errors.TFHubError: from resolving the handle.
    """
    from ..saved_model import resolve
    from .native_module import Loader

    if not isinstance(path, str):
        raise errors.InvalidHandleError(f"Expected a string handle. Received: path={path!r}")
    return Loader()(resolve(path), handle=path)


def as_module_spec(spec: ModuleSpec | str) -> ModuleSpec:
    """Returns `spec` itself, or the spec loaded from the handle `spec`.

    Raises:
        tfhub.errors.ModuleSpecError: if `spec` is neither a ModuleSpec nor a string.
    """
    if isinstance(spec, ModuleSpec):
        return spec
    if isinstance(spec, str):
        return load_module_spec(spec)
    raise errors.ModuleSpecError(
        f"Unknown module spec type: {type(spec)!r}. Received: spec={spec!r}"
    )
