"""`hub.ModuleSpec`: the blueprint of a TF1 Hub module, and the one way to write it to a folder.

`hub.load_module_spec` lives in `module.py` and asks the loader registry (`registry.py`), so this
file imports no implementation of a spec.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf
from ..utils.paths import export_folder_name
from .checkpoint import (
    damaged_index_error,
    init_from_checkpoint,
    missing_file,
    resolved_prefix,
    restore_checked,
    unreadable,
)
from .saved_model_lib import refuse_incomplete_export, tag_set

logger = logging.getLogger(__name__)


class ModuleSpec(abc.ABC):
    """Represents the contents of a `hub.Module` before it has been instantiated.

    Do not instantiate this class directly: use `hub.load_module_spec` or
    `hub.create_module_spec`. A spec can be instantiated many times, in many graphs.
    """

    def export(
        self,
        path: str | bytes | os.PathLike[str],
        _sentinel: None = None,
        checkpoint_path: str | None = None,
        name_transform_fn: Callable[[str], str] | None = None,
    ) -> None:
        """Exports the module with the variable values read from a checkpoint.

        Args:
            path: the folder to write the module to (str, bytes or os.PathLike).
            _sentinel: prevents positional arguments after `path`.
            checkpoint_path: the checkpoint that holds the module's variables (mandatory).
            name_transform_fn: maps a variable name in the module to its name in the
                checkpoint, e.g. `lambda name: "extra_scope/" + name`.

        Raises:
            tfhub.errors.ExportError: (a ValueError) if `checkpoint_path` is not given, holds
                no checkpoint (upstream let TensorFlow's NotFoundError through), or lacks a
                variable of the module; or if `path` is empty; or if another graph variant
                needs a variable that the default (empty-tag) variant lacks.
            tfhub.errors.ExportCheckpointDamagedError: (an ExportError and a
                tf.errors.DataLossError, so the OpError upstream let through) if the
                checkpoint's files are there but TensorFlow cannot read them (an index cut
                short or garbage, a checksum that does not match), naming the file and
                TensorFlow's reason; `ExportCheckpointTruncatedError` (also the OutOfRangeError
                upstream let through) for a data file cut short. Nothing is written.
            tfhub.errors.ExportCheckpointUnreadableError: (an ExportError and the
                tf.errors.PermissionDeniedError upstream let through) if this process may not
                read a data file of the checkpoint (its permissions, a gs:// 403), naming it.
                Nothing is written.
            tfhub.errors.ArgumentTypeError: (a TypeError) if `path` or `checkpoint_path` is
                not a str, bytes or os.PathLike.
        """
        path = export_folder(path)
        if _sentinel is not None or not checkpoint_path:
            raise errors.ExportError(
                "Missing mandatory `checkpoint_path` parameter (pass it by name). "
                f"Received: checkpoint_path={checkpoint_path!r}"
            )
        if not isinstance(checkpoint_path, str | bytes | os.PathLike):
            raise errors.ArgumentTypeError(
                "ModuleSpec.export reads the module's variables from a checkpoint: pass its "
                "prefix (or folder) as a str, bytes or os.PathLike. Received: "
                f"checkpoint_path={checkpoint_path!r} of type {type(checkpoint_path).__name__}"
            )
        refuse_incomplete_export(self, None, path)  # Instantiated as hub.Module(spec).
        rename = name_transform_fn or (lambda name: name)
        export_spec(self, path, checkpoint=(checkpoint_path, rename))

    @abc.abstractmethod
    def get_signature_names(self, tags: Iterable[str] | None = None) -> list[str]:
        """Returns the module's signature names for the graph variant `tags`.

        Raises:
            tfhub.errors.UnknownGraphVariantError: (a KeyError, as upstream documented, and
                an UnknownTagsError) if the module has no graph variant `tags`.
        """

    @abc.abstractmethod
    def get_tags(self) -> list[frozenset[str]]:
        """Lists the graph variants, as sets of tags."""

    @abc.abstractmethod
    def get_input_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Describes a signature's inputs: {name: ParsedTensorInfo (dtype, get_shape(), ...)}.

        Raises:
            tfhub.errors.UnknownSignatureError: (a ValueError, as upstream raised, though its
                docstring said KeyError) if there is no such signature (lists them).
            tfhub.errors.UnknownGraphVariantError: (a KeyError) if there is no graph variant
                `tags`.
        """

    @abc.abstractmethod
    def get_output_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Describes a signature's outputs: {name: ParsedTensorInfo (dtype, get_shape(), ...)}.

        Raises:
            The same as `get_input_info_dict`.
        """

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
            tfhub.errors.NotAMessageError: (a TypeError and AttributeError, as upstream's call
                and parse raised) if `message_type` is not a protocol message class (an
                instance, a name, None) and there is a message to parse.
        """
        attached_bytes = self._get_attached_bytes(key, tags)
        if attached_bytes is None:
            if required:
                raise errors.MissingAttachedMessageError(
                    f"No attached message for key '{key}' in graph version {sorted(tag_set(tags))} "
                    f"of Hub Module{self._attached_keys_note(tags)}. A module_fn attaches one with "
                    "hub.attach_message(key, message); pass required=False to get None instead."
                )
            return None
        _check_message_class(key, message_type)
        message = message_type()
        try:
            message.ParseFromString(attached_bytes)
        except Exception as err:  # protobuf's DecodeError, imported with protobuf.
            name = message_type.DESCRIPTOR.full_name
            raise errors.AttachedMessageParseError(
                f"The message attached under key {key!r} does not parse as {name} ({err}): "
                "pass the protocol message class it was attached with (hub.attach_message's "
                "message's class), or, if that is the class, the module file is damaged: get "
                "the module again.",
                key=key,
                message_type=name,
            ) from err
        return message

    @abc.abstractmethod
    def _get_attached_bytes(self, key: str, tags: Iterable[str] | None) -> bytes | None:
        """Returns the serialized message attached under `key`, or None."""

    def _attached_keys(self, tags: Iterable[str] | None) -> list[str] | None:
        """Returns the keys of the messages attached to the graph variant, if known."""
        del tags
        return None

    def _attached_keys_note(self, tags: Iterable[str] | None) -> str:
        keys = self._attached_keys(tags)
        return "" if keys is None else f" (its attached keys: {keys})"

    @abc.abstractmethod
    def _create_impl(self, name: str, trainable: bool, tags: set[str]) -> Any:
        """Instantiates the module in the current graph under the unused scope `name`."""


def _check_message_class(key: str, message_type: Any) -> None:
    """Refuses a `message_type` that is no protocol message class, before it is called.

    Raises:
        tfhub.errors.NotAMessageError: naming the key and what was received.
    """
    if isinstance(message_type, type) and hasattr(message_type, "ParseFromString"):
        return
    what = type(message_type).__name__
    received = (
        f"an instance of {what}, not the class"
        if hasattr(message_type, "ParseFromString")  # A message's repr may be empty.
        else f"{message_type!r} of type {what}"
    )
    raise errors.NotAMessageError(
        f"get_attached_message needs the protocol message class the message under key {key!r} "
        "was attached with (the class itself, e.g. tf.train.Int64List or hub.ImageModuleInfo), "
        f"to parse it. Received: message_type {received}"
    )


def export_folder(path: Any) -> str:
    """Returns the export folder `path` as a str.

    Upstream's exporter passed bytes, and users pass `pathlib.Path`s: both are accepted.

    Raises:
        tfhub.errors.ExportError: (a ValueError) if `path` is empty: the module would be
            written into the working directory.
        tfhub.errors.ArgumentTypeError: (a TypeError) if `path` is not a str, bytes or
            os.PathLike.
    """
    return export_folder_name(path, argument="path", caller="The export")


def export_spec(
    spec: ModuleSpec,
    path: str,
    *,
    tags: Iterable[str] | None = None,
    checkpoint: tuple[str, Callable[[str], str]] | None = None,
    values: Mapping[str, Any] | None = None,
) -> None:
    """Instantiates `spec` as "module" in a new tf.Graph and Session, initializes it, exports it.

    The one home of "tf.Graph -> module -> Session -> init -> export" (`ModuleSpec.export`,
    the eager `hub.Module` and the feature columns use it). The variables start from the spec's
    own values (its checkpoint, or their initializers for a spec built in memory).

    Args:
        spec: the module to write.
        path: the new folder.
        tags: the graph variant to instantiate (default: the empty set).
        checkpoint: (checkpoint prefix, name in the module -> name in the checkpoint): the
            variables are initialized from that checkpoint instead.
        values: {name in the module: value} assigned after initialization (a partition's name
            is "w/part_0").

    Raises:
        tfhub.errors.ModuleExistsError: (an ExportError) if `path` already holds a module.
        tfhub.errors.ExportError: (a ValueError, as upstream) if `checkpoint` names no
            checkpoint (`ExportCheckpointNotFoundError`, also upstream's tf.errors.NotFoundError,
            for a prefix without files), or one that lacks a variable or holds it in another
            shape.
        tfhub.errors.ExportCheckpointDamagedError: (an ExportError, and TensorFlow's
            DataLossError) if `checkpoint`'s files are there but TensorFlow cannot read them
            (`ExportCheckpointTruncatedError`, also its OutOfRangeError: a data file cut short).
        tfhub.errors.ExportCheckpointUnreadableError: (an ExportError, and TensorFlow's
            PermissionDeniedError) if this process may not read a data file of `checkpoint`.
        tfhub.errors.UnknownTagsError: if there is no graph variant for `tags`.
    """
    values = values or {}
    restore: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if checkpoint is not None:
        _check_is_checkpoint(checkpoint[0])
        restore = restore_checked(os.fsdecode(checkpoint[0]))
    with tf.Graph().as_default():
        impl = spec._create_impl(name="module", trainable=False, tags=set(tag_set(tags)))
        if checkpoint is not None:
            _init_from_export_checkpoint(impl.variable_map, *checkpoint)
        with tf.compat.v1.Session() as session:
            with restore:  # The variables read from the checkpoint, if any.
                session.run(tf.compat.v1.global_variables_initializer())
            for variable in tf.compat.v1.global_variables() if values else []:
                session.run(variable.assign(values[variable.op.name.removeprefix("module/")]))
            impl.export(path, session)


def _check_is_checkpoint(prefix: str) -> None:
    """Refuses a `checkpoint_path` that names no checkpoint, before anything is built.

    Raises:
        tfhub.errors.ExportCheckpointNotFoundError: (an ExportError, so a ValueError, and the
            NotFoundError upstream let through: "Unsuccessful TensorSliceReader constructor")
            naming the path, for a prefix without checkpoint files.
            Also for a checkpoint whose index is there but a data file is not (TensorFlow's
            NotFoundError came only at the restore, "Graph execution error"), naming the file.
        tfhub.errors.ExportCheckpointDamagedError: (an ExportError and a DataLossError, so
            the bare OpError upstream let through: "not an sstable") naming the index, for a
            checkpoint whose index is there but TensorFlow cannot read it.
        tfhub.errors.ExportError: (a ValueError, as TensorFlow's for a folder without a
            checkpoint) naming the path, for another path that is no checkpoint; and for an
            index this process may not read (no read permission, a gs:// 403), saying so.
    """
    cause = unreadable(prefix)
    if cause is None:
        absent = _absent_data_file(prefix)
        if absent is None:
            return
        raise errors.ExportCheckpointNotFoundError(
            f"The checkpoint at {prefix} is incomplete: {absent}. Copy the whole checkpoint "
            "(its .index and every .data-* file), or pass another one. "
            f"Received: checkpoint_path={prefix!r}",
            path=prefix,
        )
    damaged = damaged_index_error(os.fsdecode(prefix), resolved_prefix(prefix), cause)
    if damaged is not None:
        raise damaged from cause
    message = (
        f"There is no checkpoint at {prefix}. Pass the prefix of the checkpoint that holds "
        "the module's variables, such as <model_dir>/model.ckpt-1000 (beside its .index "
        "file), or the folder whose `checkpoint` file names it. "
        f"Received: checkpoint_path={prefix!r}"
    )
    if isinstance(cause, tf.errors.NotFoundError):
        raise errors.ExportCheckpointNotFoundError(message, path=prefix) from cause
    raise errors.ExportError(message) from cause


def _absent_data_file(checkpoint_path: Any) -> str | None:
    """Which data file the readable checkpoint `checkpoint_path` (a prefix, or a folder whose
    `checkpoint` file names its latest one) lacks ("model.ckpt.data-00000-of-00001 is
    missing", with its folder's name), or None if none is."""
    prefix = resolved_prefix(checkpoint_path)  # Also bytes or an os.PathLike.
    return missing_file(prefix) if prefix else None


def _init_from_export_checkpoint(
    variable_map: Mapping[str, Any], prefix: str, rename: Callable[[str], str]
) -> None:
    """Initializes the variables of `variable_map` from the checkpoint `prefix`.

    Args:
        variable_map: {name in the module: variable, or its partitions}.
        prefix: the checkpoint given to `ModuleSpec.export`.
        rename: its `name_transform_fn` (name in the module -> name in the checkpoint).

    Raises:
        tfhub.errors.ExportError: (a ValueError, as upstream) if the checkpoint lacks a
            variable or holds it in another shape.
    """
    rounds = _rounds_by_checkpoint_name(variable_map, rename)
    try:
        for renamed in rounds:
            init_from_checkpoint(prefix, renamed)
    except errors.TFHubLoadError as err:
        raise errors.ExportError(
            f"Cannot export the module from this checkpoint: {str(err).rstrip('.')}. Pass the "
            "checkpoint the module's variables were trained in, and a name_transform_fn that "
            "maps each name in the module to its name there. Received: names looked up (after "
            f"name_transform_fn) {sorted(set().union(*rounds))}, checkpoint_path={prefix!r}"
        ) from err


def _rounds_by_checkpoint_name(
    variable_map: Mapping[str, Any], rename: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Splits `variable_map` into {name in the checkpoint: variable} dicts, each naming a
    checkpoint variable once: `rename` may map several module variables to one (tied weights),
    and one dict would keep only the last of them (the others kept their initial values).

    Raises:
        tfhub.errors.ExportNameTypeError: (an ExportError and a TypeError) if `rename` returns
            anything but a str.
    """
    rounds: list[dict[str, Any]] = []
    for name, variable in sorted(variable_map.items()):
        target = rename(name)
        if not isinstance(target, str):
            raise errors.ExportNameTypeError(
                "Cannot export the module: name_transform_fn must map each variable name in "
                "the module to a str, its name in the checkpoint. Received: "
                f"name_transform_fn({name!r}) returned {target!r}"
            )
        free = next((round_ for round_ in rounds if target not in round_), None)
        if free is None:
            free = {}
            rounds.append(free)
        free[target] = variable
    return rounds or [{}]
