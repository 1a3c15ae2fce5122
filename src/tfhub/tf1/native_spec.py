"""`NativeModuleSpec` (the TF1 Hub format: a SavedModel plus `tfhub_module.pb`) and its `Loader`.

The `Loader` turns a local module folder into a spec; `tfhub/tf1/__init__.py` registers it in
`registry.loader`. Creating a spec from Python code is `native_module.py`; writing an exported
module's files (in place, or staged and uploaded to gs://) is `native_export.py`.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from .. import errors, gfile_io
from ..protos import FORMAT_UNSPECIFIED, FORMAT_V3, ModuleDef
from ..saved_model_proto import (
    TF1_MODULE_MARKER,
    damaged_model_error,
    is_tf1_hub_module,
    read_module_def_bytes,
)
from ..utils.printable import escaped
from . import saved_model_lib, tensor_info
from .checkpoint import data_shortfall
from .module_impl import MODULE_COLLECTIONS, CheckpointChecks, NativeModuleImpl
from .module_spec import ModuleSpec
from .native_export import export_in_place, export_staged, marker_path, module_exists_error

logger = logging.getLogger(__name__)

_SUPPORTED_FEATURES: frozenset[str] = frozenset()

_SUPPORTED_COLLECTIONS = {*MODULE_COLLECTIONS, saved_model_lib.ATTACHMENT_COLLECTION_SAVED}


class Loader:
    """Loads a `NativeModuleSpec` from a local folder in the TF1 Hub format."""

    def is_supported(self, path: str, **_: Any) -> bool:
        """Returns True if `path` holds a `tfhub_module.pb` marker.

        Unlike upstream (which also required FORMAT_V3 here), a marker of another format is
        "supported" so that `__call__` can say what is wrong with it.
        """
        return is_tf1_hub_module(path)

    def __call__(self, path: str, *, handle: str | None = None) -> NativeModuleSpec:
        """Loads the spec (`handle`, if given, only names the module in errors).

        Raises:
            tfhub.errors.TFHubLoadError: for an unsupported format or required feature;
                `DamagedModelError` (a TFHubLoadError) if it names no format (empty or cut).
            tfhub.errors.DamagedModelError: (a TFHubLoadError) if tfhub_module.pb is not a
                regular file or is too large; `DamagedMessageError` (also protobuf's
                DecodeError, as upstream raised) if protobuf cannot parse it.
        """
        content = read_module_def_bytes(path)
        try:
            module_def = ModuleDef.FromString(content)
        except Exception as err:  # protobuf's DecodeError and friends.
            problem = f"{TF1_MODULE_MARKER} ({len(content)} bytes) is truncated or damaged"
            raise saved_model_lib.damaged_message_error(path, problem, handle=handle) from err
        if module_def.format == FORMAT_UNSPECIFIED:  # Empty or cut short: damaged, not newer.
            raise _no_format_error(path, len(content), handle)
        newer = (
            "It was written by a newer tensorflow_hub or tfhub than this one: upgrade tfhub, or "
            "export the module again with this version."
        )
        if module_def.format != FORMAT_V3:
            raise errors.TFHubLoadError(
                f"Unsupported module def format in {path}. {newer} "
                f"Received: format={module_def.format!r}"
            )
        unsupported = set(module_def.required_features) - _SUPPORTED_FEATURES
        if unsupported:
            shown = escaped(str(sorted(unsupported)))  # Names from the file.
            raise errors.TFHubLoadError(f"Unsupported features: {shown} in {path}. {newer}")
        handler = saved_model_lib.load(path)
        return NativeModuleSpec(handler, saved_model_lib.get_variables_path(path), module_path=path)


def _no_format_error(path: str, size: int, handle: str | None) -> errors.DamagedModelError:
    """The error for a tfhub_module.pb that names no format (FORMAT_UNSPECIFIED, as an empty or
    cut-short file parses): upstream's words, then what is damaged and how to get it anew."""
    problem = f"{TF1_MODULE_MARKER} ({size} bytes) names no format: it is empty or cut short"
    found = damaged_model_error(path, problem, handle=handle)
    return errors.DamagedModelError(
        f"Unsupported module def format: {FORMAT_UNSPECIFIED}. {found}", path=path, problem=problem
    )


def _check_unique_tags(tag_list: Iterable[frozenset[str]]) -> None:
    seen: set[frozenset[str]] = set()
    for tags in tag_list:
        if tags in seen:
            raise errors.ModuleSpecError(
                f"Tags {sorted(tags)!r} used repeatedly: two graph variants (MetaGraphs) have "
                "this tag set, and a module needs one per tag set. Keep one of them."
            )
        seen.add(tags)


def _check_collections(handler: saved_model_lib.SavedModelHandler) -> None:
    for meta_graph in handler.meta_graphs:
        unsupported = set(meta_graph.collection_def) - _SUPPORTED_COLLECTIONS
        if unsupported:
            raise errors.ModuleSpecError(
                f"Unsupported collections in graph: {sorted(unsupported)}\n"
                "Use hub.create_module_spec(..., drop_collections=[...]) as appropriate."
            )


class NativeModuleSpec(ModuleSpec):
    """ModuleSpec for the TF1 Hub format (backed by a SavedModel)."""

    def __init__(
        self,
        handler: saved_model_lib.SavedModelHandler,
        checkpoint_variables_path: str | None,
        *,
        module_path: str | None = None,
    ) -> None:
        _check_unique_tags(handler.get_tags())
        _check_collections(handler)
        self._handler = handler
        self._checkpoint_variables_path = checkpoint_variables_path
        self._module_path = module_path
        self._checks = CheckpointChecks()  # Of its checkpoint: once per spec (and graph).
        self._attachments = {
            tags: saved_model_lib.get_attached_bytes_map(
                handler.get_meta_graph(tags), source=handler.source
            )
            for tags in handler.get_tags()
        }

    @property
    def module_path(self) -> str | None:
        """The folder the spec was loaded from (None for a spec built in memory)."""
        return self._module_path

    def get_tags(self) -> list[frozenset[str]]:
        """Lists the graph variants, as sets of tags."""
        return self._handler.get_tags()

    def get_signature_names(self, tags: Iterable[str] | None = None) -> list[str]:
        """Returns the signature names of the graph variant `tags`."""
        return list(self._handler.get_meta_graph(tags).signature_def.keys())

    def get_input_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, tensor_info.ParsedTensorInfo]:
        """Describes a signature's inputs (see ModuleSpec)."""
        return tensor_info.parse_tensor_info_map(self.get_signature_def(signature, tags).inputs)

    def get_output_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, tensor_info.ParsedTensorInfo]:
        """Describes a signature's outputs (see ModuleSpec)."""
        return tensor_info.parse_tensor_info_map(self.get_signature_def(signature, tags).outputs)

    def get_signature_def(self, signature: str | None, tags: Iterable[str] | None) -> Any:
        """Returns the SignatureDef proto.

        Raises:
            tfhub.errors.UnknownSignatureError: if there is no such signature (lists them).
            tfhub.errors.ArgumentTypeError: (a TypeError, as upstream's protobuf lookup raised)
                if `signature` is not a string.
        """
        meta_graph = self._handler.get_meta_graph(tags)
        signature = "default" if signature is None else signature
        if not isinstance(signature, str):
            raise errors.ArgumentTypeError(
                f"A signature name is a string, one of {sorted(meta_graph.signature_def)}. "
                f"Received: signature={signature!r}"
            )
        if signature not in meta_graph.signature_def:
            raise errors.UnknownSignatureError(
                f"Signature {signature!r} is missing from meta graph. Available signatures: "
                f"{sorted(meta_graph.signature_def)} in the graph variant "
                f"tags={sorted(saved_model_lib.tag_set(tags))!r}{self._handler.where()}. "
                f"Received: signature={signature!r}",
                available=sorted(meta_graph.signature_def),
            )
        return meta_graph.signature_def[signature]

    def get_meta_graph(self, tags: Iterable[str] | None = None) -> Any:
        """Returns the MetaGraphDef of the graph variant `tags` (do not modify it)."""
        return self._handler.get_meta_graph(tags)

    def _get_attached_bytes(self, key: str, tags: Iterable[str] | None) -> bytes | None:
        wanted = saved_model_lib.tag_set(tags)
        if wanted not in self._attachments:
            self._handler.get_meta_graph(tags)  # Raises UnknownTagsError, echoing `tags`.
        return self._attachments[wanted].get(key)

    def _attached_keys(self, tags: Iterable[str] | None) -> list[str] | None:
        return sorted(self._attachments.get(saved_model_lib.tag_set(tags), {}))

    def _create_impl(self, name: str, trainable: bool, tags: set[str]) -> Any:
        """Makes the module's graph under `name`.

        Raises:
            tfhub.errors.TruncatedCheckpointError: (a DamagedModelError and, as TensorFlow's
                restore raised, a tf.errors.OutOfRangeError) if the checkpoint's data files are
                cut short
                (checked once per spec; a cut file would otherwise fail only later, at the
                session's initialization, naming no file).
        """
        if not self._checks.sizes and self._checkpoint_variables_path and self._module_path:
            problem = data_shortfall(self._checkpoint_variables_path)
            if problem is not None:  # Also OutOfRangeError, as TensorFlow's restore raised.
                found = damaged_model_error(self._module_path, problem)
                raise errors.TruncatedCheckpointError(
                    str(found), path=found.path, problem=found.problem
                )
            self._checks.sizes = True
        return NativeModuleImpl(
            spec=self,
            meta_graph=self._handler.get_meta_graph(tags),
            trainable=trainable,
            checkpoint_path=self._checkpoint_variables_path,
            name=name,
            checks=self._checks,
        )

    def _export(self, path: str, variables_saver: Callable[[str], None]) -> None:
        """Writes the SavedModel with `variables_saver`, then the `tfhub_module.pb` marker; to
        gs://, into a local folder first, then uploaded (`native_export.export_staged`).

        Raises:
            tfhub.errors.ModuleExistsError: (an ExportError and, as upstream's,
                tf.errors.AlreadyExistsError) if `path` already holds a module (checked
                first, so nothing is overwritten; on gs://, again just before the marker's
                move: the files moved before it stay).
            tfhub.errors.ExportWriteError: (also an OSError) if the file system refuses the
                files (a full disk or quota, no permission; a file where a folder belongs,
                refused first; on gs://, a request refused, quoting the server); a folder the
                export created is removed. For a local folder, refused for want of permission
                (or read-only), a full disk or a file over the size limit, it is also the
                TensorFlow error upstream raised: `ExportPermissionDeniedError` (a
                tf.errors.PermissionDeniedError), `ExportDiskFullError`
                (ResourceExhaustedError), `ExportFileTooLargeError` (OutOfRangeError). On
                gs://, it is the TensorFlow error the request met
                (`native_export._as_upstream_class`).
            tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) a request of
                a gfile file system (gs://) gave no answer within TFHUB_HTTP_TIMEOUT plus
                TFHUB_HTTP_RETRY_TIMEOUT (`gfile_io`). No request is sent after it: what the
                upload left is not removed, a warning names it (the hidden staging folder
                beside `path`, and the files already moved into `path`, without its marker).
        """
        if gfile_io.exists_for_export(marker_path(path)):
            raise module_exists_error(path)
        folder = os.fsdecode(path)  # Some callers pass bytes, as upstream's exporter did.
        write = functools.partial(self._write_module, variables_saver=variables_saver)
        if gfile_io.stages_exports(folder):
            export_staged(folder, write)
        else:
            export_in_place(path, write)
        logger.info("Exported TF-Hub module to: %s", path)

    def _write_module(self, path: str, variables_saver: Callable[[str], None]) -> None:
        """The SavedModel, then the marker, written to `path`."""
        self._handler.export(path, variables_saver=variables_saver)
        module_def = ModuleDef(format=FORMAT_V3)
        saved_model_lib.atomic_write(
            marker_path(path), module_def.SerializeToString(), overwrite=False
        )
