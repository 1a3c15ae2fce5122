"""`NativeModuleSpec` (the TF1 Hub format: a SavedModel plus `tfhub_module.pb`) and its `Loader`.

The `Loader` turns a local module folder into a spec; `tfhub/tf1/__init__.py` registers it in
`registry.loader`. Creating a spec from Python code is `native_module.py`.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
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
from ..utils.lazy import tensorflow as tf
from ..utils.paths import is_url, missing_folders, remove_empty_folders
from ..utils.printable import escaped, quoted_reason
from ..utils.refused_writes import (
    check_no_file_in_the_way,
    export_write_error,
    failed_write,
    remade_as,
)
from ..utils.temp_folders import temporary_folder
from . import saved_model_lib, tensor_info
from .checkpoint import data_shortfall
from .module_impl import MODULE_COLLECTIONS, CheckpointChecks, NativeModuleImpl
from .module_spec import ModuleSpec

logger = logging.getLogger(__name__)

_SUPPORTED_FEATURES: frozenset[str] = frozenset()

_SUPPORTED_COLLECTIONS = {*MODULE_COLLECTIONS, saved_model_lib.ATTACHMENT_COLLECTION_SAVED}


def _marker_path(module_dir: str) -> str:
    """Returns the path of the module's `tfhub_module.pb` marker (any tf.io.gfile URL)."""
    return os.path.join(module_dir, TF1_MODULE_MARKER)


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
            self._handler.get_meta_graph(wanted)  # Raises UnknownTagsError.
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
        gs://, into a local folder first, then uploaded (`_export_staged`).

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
                gs://, it is the TensorFlow error the request met (`_as_upstream_class`).
            tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) a request of
                a gfile file system (gs://) gave no answer within TFHUB_HTTP_TIMEOUT plus
                TFHUB_HTTP_RETRY_TIMEOUT (`gfile_io`). No request is sent after it: what the
                upload left is not removed, a warning names it (the hidden staging folder
                beside `path`, and the files already moved into `path`, without its marker).
        """
        if gfile_io.exists_for_export(_marker_path(path)):
            raise _module_exists_error(path)
        folder = os.fsdecode(path)  # Some callers pass bytes, as upstream's exporter did.
        if gfile_io.stages_exports(folder):
            self._export_staged(folder, variables_saver)
        else:
            self._export_in_place(path, variables_saver)
        logger.info("Exported TF-Hub module to: %s", path)

    def _write_module(self, path: str, variables_saver: Callable[[str], None]) -> None:
        """The SavedModel, then the marker, written to `path`."""
        self._handler.export(path, variables_saver=variables_saver)
        module_def = ModuleDef(format=FORMAT_V3)
        saved_model_lib.atomic_write(
            _marker_path(path), module_def.SerializeToString(), overwrite=False
        )

    def _export_staged(self, folder: str, variables_saver: Callable[[str], None]) -> None:
        """Writes the module into a local temporary folder (TensorFlow's Saver writes there:
        its requests could not be bounded), then uploads it to `folder`, each request bounded
        (`gfile_io.upload_folder`, the marker last)."""
        with temporary_folder("tfhub-export-", needer=f"Exporting to {escaped(folder)}") as local:
            try:
                self._write_module(local, variables_saver)
            except Exception as err:
                refused = failed_write(err, local)
                if refused is None:
                    raise
                where = (
                    f"{refused.strerror} in the temporary folder {escaped(local)} (TMPDIR), "
                    "where it is written before its upload"
                )
                found = export_write_error(
                    OSError(refused.errno, where),
                    folder,
                    argument="path",
                    tmpdir=os.path.dirname(local),
                )
                raise _as_upstream_class(found, None) from err
            self._export_upload(local, folder)

    def _export_upload(self, local: str, folder: str) -> None:
        """Uploads the module written in `local` to `folder` (`gfile_io.upload_folder`).

        Raises:
            tfhub.errors.ModuleExistsError: another export's marker appeared meanwhile.
            tfhub.errors.ExportWriteError: a request refused; TensorFlow's copy of a file
                into TMPDIR (its GCS client's, while uploading it) failed: a full TMPDIR. Also
                the TensorFlow error upstream raised, where tfhub has its class
                (`_as_upstream_class`).
        """
        tmpdir = os.path.dirname(local)
        try:
            gfile_io.upload_folder(local, folder, last=TF1_MODULE_MARKER)
        except tf.errors.AlreadyExistsError as err:  # Another export's marker, meanwhile.
            raise _module_exists_error(folder) from err
        except tf.errors.OpError as err:  # A 403, a 404 of the bucket, a full TMPDIR, ...
            refused = OSError(errno.EIO, quoted_reason(err, folder))
            # TensorFlow's GCS writer copies each file into TMPDIR before uploading it; it
            # says "Could not append to the internal temporary file" when that copy fails.
            if "internal temporary file" in str(err.message):
                refused = OSError(
                    errno.ENOSPC,
                    f"TensorFlow's GCS client could not write its copy of a file into the "
                    f"temporary folder {escaped(tmpdir)} (TMPDIR) while uploading it "
                    f"({refused.strerror})",
                )
            found = export_write_error(refused, folder, argument="path", tmpdir=tmpdir)
            raise _as_upstream_class(found, err) from err

    def _export_in_place(self, path: str, variables_saver: Callable[[str], None]) -> None:
        """Writes the module straight into `path` (a local folder, ram://, ...).

        Raises:
            tfhub.errors.ExportWriteError: as `_export`, for a local folder.
            Any error of the writing (an AssetSourceError, ...): a folder the export created is
                removed first.
        """
        folder = os.fsdecode(path)
        local = not is_url(folder)
        if local:
            check_no_file_in_the_way(folder, argument="path", tf1=True)
            _check_no_entry_in_the_way(folder)
        created = local and not os.path.lexists(folder)
        # The folders above it that it makes (deepest first).
        parents = missing_folders(os.path.dirname(os.path.abspath(folder))) if created else []
        if created:  # TensorFlow's own makedirs names the folder, not a file in it.
            try:
                os.makedirs(os.path.dirname(os.path.abspath(folder)), exist_ok=True)
                os.mkdir(folder)
            except FileExistsError:
                created = False  # Another export made it now: not this one's to remove.
            except OSError as err:  # A read-only disk, no permission, a full disk.
                raise export_write_error(err, folder, argument="path", tf1=True) from err
        try:
            self._write_module(path, variables_saver)
        except Exception as err:
            if created and not isinstance(err, errors.ModuleExistsError):
                # Nothing half-written: the folder was this export's (unless another export
                # wrote its module into it meanwhile).
                shutil.rmtree(folder, ignore_errors=True)
                remove_empty_folders(parents)  # One another process filled stays.
            refused = failed_write(err, folder) if local else None
            if refused is None:
                raise
            raise export_write_error(refused, folder, argument="path", tf1=True) from err


# The ExportWriteError subclass (`errors/_lazy_export.py`) that is also TensorFlow's error of
# the code a gs:// export's request met: upstream's class, as it wrote through tf.io.gfile in
# place. Every code of a tf.errors.OpError but ALREADY_EXISTS (another export's marker:
# ModuleExistsError, `_export_upload`) has one, so `except tf.errors.OpError` catches every
# refused gs:// export.
_UPSTREAM_GS_CLASS = {
    "PERMISSION_DENIED": "ExportPermissionDeniedError",  # A 401, a 403.
    "NOT_FOUND": "ExportNotFoundError",  # A 404: no such bucket.
    "RESOURCE_EXHAUSTED": "ExportDiskFullError",
    "ABORTED": "ExportAbortedError",  # TensorFlow's retries (of a 5xx, a 429) ran out.
    "UNAVAILABLE": "ExportUnavailableError",  # A 5xx, a 429.
    "FAILED_PRECONDITION": "ExportPreconditionFailedError",  # A 412, a 413.
    "INVALID_ARGUMENT": "ExportInvalidArgumentError",  # A 400.
    "DEADLINE_EXCEEDED": "ExportDeadlineExceededError",
    "UNAUTHENTICATED": "ExportUnauthenticatedError",
    "OUT_OF_RANGE": "ExportOutOfRangeError",
    "INTERNAL": "ExportInternalError",
    "DATA_LOSS": "ExportDataLossError",
    "CANCELLED": "ExportCancelledError",
    "UNIMPLEMENTED": "ExportUnimplementedError",
    "UNKNOWN": "ExportUnknownError",
}


def _as_upstream_class(found: errors.ExportWriteError, err: Any) -> errors.ExportWriteError:
    """`found`, a gs:// export's ExportWriteError for TensorFlow's OpError `err` (None: its
    local copy in TMPDIR was refused), re-made as the subclass that is also upstream's error: a
    full TMPDIR `ExportTmpdirFullError` (InternalError, as upstream's GCS writer's copy there
    raised), else `_UPSTREAM_GS_CLASS`'s for `err`'s code (`found` itself for none)."""
    codes = {getattr(tf.errors, code): name for code, name in _UPSTREAM_GS_CLASS.items()}
    name = "ExportTmpdirFullError" if found.tmpdir else codes.get(getattr(err, "error_code", 0))
    if name is None:
        return found
    return remade_as(found, getattr(errors, name))


def _check_no_entry_in_the_way(folder: str) -> None:
    """Refuses an export into an existing folder where a file stands in the place of a folder
    the export makes (`assets`, `variables`) or a folder in the place of `saved_model.pb`
    (TensorFlow's bare FailedPreconditionError otherwise, after the assets were copied).

    Raises:
        tfhub.errors.ExportWriteError: (also an OSError) naming the entry, before anything is
            written.
    """
    for name, is_folder in (("assets", True), ("variables", True), ("saved_model.pb", False)):
        entry = os.path.join(folder, name)
        if not os.path.lexists(entry) or os.path.isdir(entry) == is_folder:
            continue
        code, kind = (errno.ENOTDIR, "file") if is_folder else (errno.EISDIR, "folder")
        where = "a folder" if is_folder else "a file"
        refused = OSError(code, f"{entry} is a {kind}, where the export writes {where}")
        raise export_write_error(refused, folder, argument="path", tf1=True)


def _module_exists_error(path: str) -> Any:
    """The ModuleExistsError of an export to `path`, which holds a module already."""
    return errors.ModuleExistsError(
        f"{escaped(os.fsdecode(path))} already holds a TF1 Hub module; export to a new "
        f"folder. Received: path={path!r}",
        path=os.fsdecode(path),
    )
