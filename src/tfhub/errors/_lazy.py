"""The error classes that subclass a class of a heavy import (TensorFlow, protobuf,
urllib.error), built on first use: the one table of their names (`_BUILDERS`: name -> builder)
and `lazy_error_class`, which builds each class once.

The builders live in a module by family, each documented beside its class: `_lazy_resolving.py`,
`_lazy_loading.py`, `_lazy_export.py`. To add a class: write its builder (a function that imports
what the class subclasses, defines the class and returns it, with a docstring saying when the
class is raised and what upstream raised) in its family's module, and add one line
`"Name": family.builder,` to `_BUILDERS`. The builder of a subclass of another class of the table
takes that class as its argument; its line is `"Name": _subclassing("Base", family.builder),`.
"""

from __future__ import annotations

from . import _lazy_export as export
from . import _lazy_loading as loading
from . import _lazy_resolving as resolving

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable
    from typing import Any

    # A function that imports what a class subclasses, defines the class and returns it.
    Builder = Callable[[], type]

# The package whose names these classes are: they pickle, and show in tracebacks, as its.
_PACKAGE = "tfhub.errors"
_LAZY_ERROR_CLASSES: dict[str, type] = {}


def lazy_error_class(name: str) -> Any:
    """The class `name` of those that subclass a class of a heavy import, built on first use so
    that `import tfhub` stays light (`tfhub.errors`' module `__getattr__` asks it).

    Each class is built once (one class object per name) and named `tfhub.errors.<name>` (its
    `__module__` and `__qualname__`), so it pickles by name like the other classes. Each is
    documented beside its builder, in the module of its family: `_lazy_resolving.py` (HTTP
    error statuses and redirects, failed connections, URLs that name no server, file systems
    TensorFlow cannot read), `_lazy_loading.py` (damaged checkpoints and module files, missing
    ops, inputs a call refused), `_lazy_export.py` (a TF1 module's export).

    Args:
        name: the class's name, e.g. "HTTPStatusError".

    Returns:
        The class (its builder imports what it subclasses, on the first call only).

    Raises:
        AttributeError: no class has that name (as for a missing attribute of a module).
    """
    builder = _BUILDERS.get(name)
    if builder is None:
        raise AttributeError(f"module {_PACKAGE!r} has no attribute {name!r}")
    if name not in _LAZY_ERROR_CLASSES:
        cls = builder()
        cls.__module__ = _PACKAGE
        cls.__qualname__ = name
        _LAZY_ERROR_CLASSES[name] = cls
    return _LAZY_ERROR_CLASSES[name]


def _subclassing(base: str, build: Callable[[Any], type]) -> Builder:
    """The builder of a class that subclasses the class `base` of this table: it passes `build`
    that class (built first if it is not yet), so there is one class of each name."""

    def builder() -> type:
        return build(lazy_error_class(base))

    return builder


# Each class's name -> its builder: the one list of the classes built on first use.
_BUILDERS: dict[str, Builder] = {
    # Resolving a handle (_lazy_resolving.py).
    "HTTPStatusError": resolving.http_status_error,
    "ConnectionFailedError": resolving.connection_failed_error,
    "RetryTimeoutStatusError": _subclassing(
        "HTTPStatusError", resolving.retry_timeout_status_error
    ),
    "UnfollowableRedirectError": _subclassing(
        "HTTPStatusError", resolving.unfollowable_redirect_error
    ),
    "RedirectLoopError": _subclassing("HTTPStatusError", resolving.redirect_loop_error),
    "NoServerURLError": resolving.no_server_url_error,
    "UnregisteredFileSystemError": resolving.unregistered_file_system_error,
    # Loading and calling a model (_lazy_loading.py).
    "ModelFileNotFoundError": loading.model_file_not_found_error,
    "VariablesMismatchError": loading.variables_mismatch_error,
    "TruncatedCheckpointError": loading.truncated_checkpoint_error,
    "CorruptCheckpointError": loading.corrupt_checkpoint_error,
    "EmptyAssetError": loading.empty_asset_error,
    "DamagedMessageError": loading.damaged_message_error,
    "AttachedMessageParseError": loading.attached_message_parse_error,
    "CallInputArgumentError": loading.call_input_argument_error,
    "StringFeedError": loading.string_feed_error,
    "NotATF1ModuleError": loading.not_a_tf1_module_error,
    "ModuleMissingOpError": loading.module_missing_op_error,
    # A TF1 module's export (_lazy_export.py).
    "ModuleExistsError": export.module_exists_error,
    "AssetNotFoundError": export.asset_not_found_error,
    "ExportCheckpointNotFoundError": export.export_checkpoint_not_found_error,
    "ExportCheckpointDamagedError": export.export_checkpoint_damaged_error,
    "ExportCheckpointTruncatedError": _subclassing(
        "ExportCheckpointDamagedError", export.export_checkpoint_truncated_error
    ),
    "ExportCheckpointUnreadableError": export.export_checkpoint_unreadable_error,
    "ExportPermissionDeniedError": export.export_permission_denied_error,
    "ExportDiskFullError": export.export_disk_full_error,
    "ExportFileTooLargeError": export.export_file_too_large_error,
    "ExportNotADirectoryError": export.export_not_a_directory_error,
    "ExportIsADirectoryError": export.export_is_a_directory_error,
    "ExportNotFoundError": export.export_not_found_error,
    "ExportTmpdirFullError": export.export_tmpdir_full_error,
    **{name: export.export_op_error_builder(name) for name in export.EXPORT_OP_ERRORS},
}
