"""The errors of a TF1 module's export that are also TensorFlow's error (`tf.errors.*`) upstream
let through, built on first use (`_lazy.lazy_error_class`).

Each builder imports TensorFlow, defines its class and returns it; its docstring says when the
class is raised and what upstream raised. A gs:// export raises the one of these classes whose
TensorFlow error its request met (a 403: `ExportPermissionDeniedError`), as upstream, writing in
place through `tf.io.gfile`, did. A new class here is one builder plus one line in
`_lazy._BUILDERS`.
"""

from __future__ import annotations

from ..utils.redact import redact
from ._loading import AssetSourceError, ExportError, ExportWriteError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable
    from typing import Any


def module_exists_error() -> type:
    """`ModuleExistsError`: a module file that exists already at an export path; upstream raised
    `tf.errors.AlreadyExistsError` (TensorFlow's rename refusing to overwrite), so this class is
    both that and an `ExportError` (TensorFlow is imported)."""
    import tensorflow as tf

    class ModuleExistsError(ExportError, tf.errors.AlreadyExistsError):
        """A module file exists already at the export path (`.path`)."""

        def __init__(self, message: str, *, path: str = "") -> None:
            tf.errors.AlreadyExistsError.__init__(self, None, None, redact(message))
            self.path = path

        def __str__(self) -> str:
            return str(self.message)

    return ModuleExistsError


def asset_not_found_error() -> type:
    """`AssetNotFoundError`: an export of a module whose graph names an asset file (e.g. a
    vocabulary) that does not exist; upstream let TensorFlow's `tf.errors.NotFoundError` (its
    copy's) through, so this class is both that and an `AssetSourceError` (TensorFlow is
    imported)."""
    import tensorflow as tf

    class AssetNotFoundError(AssetSourceError, tf.errors.NotFoundError):
        """An asset file a module's graph names that does not exist, found at export: `except
        tf.errors.NotFoundError` (what upstream raised) and `except AssetSourceError` (so
        ExportError, ValueError) both catch it (`.path`, `.source`)."""

        def __init__(self, message: str, *, path: str, source: str) -> None:
            tf.errors.NotFoundError.__init__(self, None, None, redact(message))
            AssetSourceError.__init__(self, message, path=path, source=source)

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else ""

    return AssetNotFoundError


def export_checkpoint_not_found_error() -> type:
    """`ExportCheckpointNotFoundError`: a `checkpoint_path` given to `ModuleSpec.export` that is
    a prefix without checkpoint files (a mistyped path); upstream let TensorFlow's
    `tf.errors.NotFoundError` ("Unsuccessful TensorSliceReader constructor") through, so this
    class is both that and an `ExportError` (so a ValueError; TensorFlow is imported)."""
    import tensorflow as tf

    class ExportCheckpointNotFoundError(ExportError, tf.errors.NotFoundError):
        """A `checkpoint_path` given to `ModuleSpec.export` that names no checkpoint files:
        `except tf.errors.NotFoundError` (what upstream raised) and `except ExportError` (so
        ValueError) both catch it (`.path`: the checkpoint path as given)."""

        def __init__(self, message: str, *, path: str) -> None:
            tf.errors.NotFoundError.__init__(self, None, None, redact(message))
            ExportError.__init__(self, message)
            self.path = path

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else ""

    return ExportCheckpointNotFoundError


def export_permission_denied_error() -> type:
    """`ExportPermissionDeniedError`: a TF1 module's export (`Module.export`, `ModuleSpec.export`,
    `LatestModuleExporter`) whose files the file system refused for want of permission or as a
    read-only file system (or a gs:// export answered 403); upstream let TensorFlow's
    `tf.errors.PermissionDeniedError` through, so this class is both that and an
    `ExportWriteError` (so an OSError; TensorFlow is imported)."""
    import tensorflow as tf

    return _export_write_op_error(
        "ExportPermissionDeniedError",
        tf.errors.PermissionDeniedError,
        """A TF1 module's export refused for want of permission, or by a read-only file system:
        `except tf.errors.PermissionDeniedError` (what upstream raised) and `except
        ExportWriteError` (so ExportError, OSError) both catch it (`.path`, `.problem`,
        `.tmpdir`).""",
    )


def export_disk_full_error() -> type:
    """`ExportDiskFullError`: a TF1 module's export (`Module.export`, `ModuleSpec.export`,
    `LatestModuleExporter`) whose files the file system refused for a full disk or quota;
    upstream let TensorFlow's `tf.errors.ResourceExhaustedError` through, so this class is both
    that and an `ExportWriteError` (so an OSError; TensorFlow is imported)."""
    import tensorflow as tf

    return _export_write_op_error(
        "ExportDiskFullError",
        tf.errors.ResourceExhaustedError,
        """A TF1 module's export refused by a full disk or quota: `except
        tf.errors.ResourceExhaustedError` (what upstream raised) and `except ExportWriteError`
        (so ExportError, OSError) both catch it (`.path`, `.problem`, `.tmpdir`).""",
    )


def export_file_too_large_error() -> type:
    """`ExportFileTooLargeError`: a TF1 module's export (`Module.export`, `ModuleSpec.export`,
    `LatestModuleExporter`) of a file over the file-size limit (`ulimit -f`); upstream let
    TensorFlow's `tf.errors.OutOfRangeError` through, so this class is both that and an
    `ExportWriteError` (so an OSError; TensorFlow is imported)."""
    import tensorflow as tf

    return _export_write_op_error(
        "ExportFileTooLargeError",
        tf.errors.OutOfRangeError,
        """A TF1 module's export of a file over the file-size limit (`ulimit -f`, FAT32's 4
        GiB): `except tf.errors.OutOfRangeError` (what upstream raised: "File too large") and
        `except ExportWriteError` (so ExportError, OSError) both catch it (`.path`, `.problem`,
        `.tmpdir`).""",
    )


def export_not_a_directory_error() -> type:
    """`ExportNotADirectoryError`: a TF1 module's export (`Module.export`, `ModuleSpec.export`,
    `LatestModuleExporter`) to a path that is a file, or below one, or into a folder holding a
    file `assets` or `variables`, refused before anything is written; upstream let TensorFlow's
    `tf.errors.FailedPreconditionError` ("... is not a directory") through, so this class is
    both that and an `ExportWriteError` (so an OSError; TensorFlow is imported)."""
    import tensorflow as tf

    return _export_write_op_error(
        "ExportNotADirectoryError",
        tf.errors.FailedPreconditionError,
        """A TF1 module's export to a path that is a file, or below one: `except
        tf.errors.FailedPreconditionError` (what upstream raised: "... is not a directory") and
        `except ExportWriteError` (so ExportError, OSError) both catch it (`.path`, `.problem`,
        `.tmpdir`).""",
    )


def export_is_a_directory_error() -> type:
    """`ExportIsADirectoryError`: as `ExportNotADirectoryError`, for a folder named
    `saved_model.pb` in the way (upstream's FailedPreconditionError "...; Is a directory")."""
    import tensorflow as tf

    return _export_write_op_error(
        "ExportIsADirectoryError",
        tf.errors.FailedPreconditionError,
        """A TF1 module's export into an existing folder holding a folder named
        `saved_model.pb`: `except tf.errors.FailedPreconditionError` (what upstream raised:
        "...; Is a directory") and `except ExportWriteError` (so ExportError, OSError) both
        catch it (`.path`, `.problem`, `.tmpdir`).""",
    )


def export_not_found_error() -> type:
    """`ExportNotFoundError`: a TF1 module's export to gs:// whose request was answered "not
    found" (a bucket that does not exist), or to a local path that is, or lies below, a symbolic
    link to nothing; upstream let `tf.errors.NotFoundError` through, so
    this class is both that and an `ExportWriteError`."""
    import tensorflow as tf

    return _export_write_op_error(
        "ExportNotFoundError",
        tf.errors.NotFoundError,
        """A TF1 module's export to gs:// answered "not found" (no such bucket), or to a local
        path that is, or lies below, a symbolic link to nothing: `except
        tf.errors.NotFoundError` (what upstream raised) and `except ExportWriteError` (so
        ExportError, OSError) both catch it (`.path`, `.problem`, `.tmpdir`).""",
    )


def export_tmpdir_full_error() -> type:
    """`ExportTmpdirFullError`: a TF1 module's export to gs:// that found no room in TMPDIR (where
    tfhub writes the module before its upload, and TensorFlow's GCS client copies each file it
    uploads); upstream's GCS writer raised `tf.errors.InternalError` ("Could not append to the
    internal temporary file"), so this class is both that and an `ExportWriteError` (its
    `.tmpdir` names TMPDIR)."""
    import tensorflow as tf

    return _export_write_op_error(
        "ExportTmpdirFullError",
        tf.errors.InternalError,
        """A TF1 module's export to gs:// that found no room in TMPDIR, where it is written
        before its upload: `except tf.errors.InternalError` (what upstream's GCS writer raised:
        "Could not append to the internal temporary file") and `except ExportWriteError` (so
        ExportError, OSError) both catch it (`.path`, `.problem`, `.tmpdir`: TMPDIR).""",
    )


# The ExportWriteError subclasses that are TensorFlow's error of a code a gs:// export's request
# may end with and no other class covers (a 403 is ExportPermissionDeniedError, a 404
# ExportNotFoundError, ...): name -> (TensorFlow's class in tf.errors, when its request meets it).
EXPORT_OP_ERRORS: dict[str, tuple[str, str]] = {
    "ExportAbortedError": (
        "AbortedError",
        "TensorFlow's GCS client gave up after its retries (of a 5xx, a 429, no answer)",
    ),
    "ExportUnavailableError": ("UnavailableError", "the server was unavailable (a 5xx, a 429)"),
    "ExportPreconditionFailedError": (
        "FailedPreconditionError",
        "the server refused a precondition (a 412) or a body too large (a 413)",
    ),
    "ExportInvalidArgumentError": ("InvalidArgumentError", "the server answered a 400"),
    "ExportDeadlineExceededError": ("DeadlineExceededError", "a request's deadline passed"),
    "ExportUnauthenticatedError": ("UnauthenticatedError", "no valid credentials"),
    "ExportOutOfRangeError": ("OutOfRangeError", "a read or write out of range"),
    "ExportInternalError": ("InternalError", "TensorFlow's GCS client failed inside"),
    "ExportDataLossError": ("DataLossError", "data was lost or corrupted on the way"),
    "ExportCancelledError": ("CancelledError", "the request was cancelled"),
    "ExportUnimplementedError": ("UnimplementedError", "the operation is not implemented"),
    "ExportUnknownError": ("UnknownError", "an error TensorFlow did not classify"),
}


def export_op_error_builder(name: str) -> Callable[[], type]:
    """The builder of `EXPORT_OP_ERRORS`'s class `name`.

    `ExportAbortedError`, `ExportUnavailableError`, `ExportPreconditionFailedError`,
    `ExportInvalidArgumentError` and the others of `EXPORT_OP_ERRORS`: a TF1 module's export to
    gs:// whose request ended with that TensorFlow error (ABORTED: TensorFlow's GCS client gave
    up after its retries of a 5xx or 429; UNAVAILABLE; FAILED_PRECONDITION: a 412 or 413;
    INVALID_ARGUMENT: a 400; ...); upstream let it through, so each class is both that
    TensorFlow class and an `ExportWriteError` (so `except tf.errors.OpError` catches every
    refused gs:// export).
    """

    def build() -> type:
        import tensorflow as tf

        tf_class, when = EXPORT_OP_ERRORS[name]
        doc = f"""A TF1 module's export to gs:// whose request ended with TensorFlow's {tf_class}
        ({when}): `except tf.errors.{tf_class}` (what upstream let through) and `except
        ExportWriteError` (so ExportError, OSError) both catch it (`.path`, `.problem`,
        `.tmpdir`)."""
        return _export_write_op_error(name, getattr(tf.errors, tf_class), doc)

    return build


def _export_write_op_error(name: str, op_error: Any, doc: str) -> type:
    """A class that is both an ExportWriteError and TensorFlow's `op_error`."""

    def __init__(self: Any, message: str, *, path: str, problem: str, tmpdir: str = "") -> None:
        op_error.__init__(self, None, None, redact(message))  # Sets args to (): first.
        ExportWriteError.__init__(self, message, path=path, problem=problem, tmpdir=tmpdir)

    return type(name, (ExportWriteError, op_error), {"__init__": __init__, "__doc__": doc})


def _export_checkpoint_damage_class(name: str, bases: tuple[type, ...], doc: str) -> type:
    """A class of `bases` (ExportError or its subclass, then TensorFlow's OpError class whose
    code it has) for a checkpoint given to an export that TensorFlow cannot read."""
    op_error: Any = bases[-1]

    def __init__(self: Any, message: str, *, path: str, problem: str) -> None:
        op_error.__init__(self, None, None, redact(message))  # Sets args to (): first.
        ExportError.__init__(self, message)
        self.path = path
        self.problem = problem

    def __str__(self: Any) -> str:
        return str(self.args[0]) if self.args else ""

    return type(name, bases, {"__init__": __init__, "__str__": __str__, "__doc__": doc})


def export_checkpoint_damaged_error() -> type:
    """`ExportCheckpointDamagedError`: a checkpoint given to a TF1 export whose files are there
    but TensorFlow cannot read them; upstream let TensorFlow's error through (its exporter's
    restore a `tf.errors.DataLossError`, `ModuleSpec.export` a bare `OpError`), so this class is
    both that and an `ExportError` (TensorFlow is imported)."""
    import tensorflow as tf

    return _export_checkpoint_damage_class(
        "ExportCheckpointDamagedError",
        (ExportError, tf.errors.DataLossError),
        """A checkpoint given to a TF1 export (`ModuleSpec.export`, `LatestModuleExporter`)
        whose files are there but TensorFlow cannot read (an index cut short or garbage, a
        tensor whose checksum does not match), found before anything is written: `except
        tf.errors.DataLossError` (what upstream's exporter met; its `ModuleSpec.export` a bare
        `OpError`) and `except ExportError` (so ValueError) both catch it (`.path`: the
        checkpoint path as given; `.problem`: the file and TensorFlow's reason).""",
    )


def export_checkpoint_truncated_error(damaged: type) -> type:
    """`ExportCheckpointTruncatedError`: an `ExportCheckpointDamagedError` (`damaged`) whose
    data file is cut short; upstream let TensorFlow's `tf.errors.OutOfRangeError` through, so
    this class is also that, with its code (TensorFlow is imported)."""
    import tensorflow as tf

    return _export_checkpoint_damage_class(
        "ExportCheckpointTruncatedError",
        (damaged, tf.errors.OutOfRangeError),
        """An `ExportCheckpointDamagedError` whose data file is cut short (TensorFlow's "Read
        less bytes than requested"): also `tf.errors.OutOfRangeError`, what upstream's export
        met and let through, and its code.""",
    )


def export_checkpoint_unreadable_error() -> type:
    """`ExportCheckpointUnreadableError`: a checkpoint given to a TF1 export whose index is
    read but whose data file this process may not read (a local file's permissions, a gs://
    object whose read is answered 403); upstream let the restore's
    `tf.errors.PermissionDeniedError` ("Graph execution error", naming no file) through, so
    this class is both that and an `ExportError` (TensorFlow is imported)."""
    import tensorflow as tf

    return _export_checkpoint_damage_class(
        "ExportCheckpointUnreadableError",
        (ExportError, tf.errors.PermissionDeniedError),
        """A checkpoint given to a TF1 export (`ModuleSpec.export`, `LatestModuleExporter`)
        whose data file this process may not read (no read permission, a gs:// 403), found
        before anything is written: `except tf.errors.PermissionDeniedError` (what upstream
        let through) and `except ExportError` (so ValueError) both catch it (`.path`: the
        checkpoint path as given; `.problem`: the file and TensorFlow's reason).""",
    )
