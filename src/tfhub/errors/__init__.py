"""Every exception tfhub raises, in one package: `tfhub.errors.X` names them all.

Each class also subclasses the builtin that upstream tensorflow_hub raised in the same situation,
so existing ``except ValueError`` / ``except IOError`` clauses keep working. Messages say what went
wrong, where (handle, URL, path), and what to do.

The classes live in modules by area (`_base`, `_resolving`, `_loading`, `_hub`, `_tools`, and
`_lazy` for those built on first use) but are named, pickled and shown as `tfhub.errors.X`.
"""

from __future__ import annotations

from ._base import (
    ArgumentError,
    ArgumentTypeError,
    FrozenInstanceError,
    SettingError,
    TempFolderError,
    TFHubError,
    original_before_keras,
    restore_data_after_keras,
    reworded,
)

# Pickles made by earlier versions name these `tfhub.errors.<name>`: kept importable here.
from ._base import _rebuild as _rebuild
from ._hub import (
    DocFormatError,
    DocValidationError,
    MirrorTooLargeError,
    NotAModelError,
    PublishBusyError,
    PublishTargetError,
    PublishWriteError,
    ServeConfigError,
    SignatureSummaryError,
    VersionExistsError,
)
from ._hub import _HubDataError as _HubDataError
from ._hub import _rebuild_hub_error as _rebuild_hub_error
from ._lazy import lazy_error_class
from ._loading import (
    AssetNodeError,
    CallInputSpecError,
    ConfigNotSupportedError,
    DamagedModelError,
    DeletedModelError,
    EagerNotSupportedError,
    ExportError,
    ExportFolderError,
    ExportWriteError,
    FunctionCollectionsError,
    InputSpecError,
    KerasFlavourError,
    LayerNotCalledError,
    MissingAttachedMessageError,
    MissingDependencyError,
    MissingModelFileError,
    MissingOpError,
    ModelPathEncodingError,
    ModuleGraphError,
    ModuleSpecError,
    NoDefaultOutputError,
    NotATF1ModuleError,
    PartitionedVariablesError,
    SerializationError,
    SignatureInputError,
    SignatureRequiredError,
    SignatureTensorError,
    SignatureValueTypeError,
    TFHubLoadError,
    UnknownEvalSignatureError,
    UnknownGraphVariantError,
    UnknownOutputKeyError,
    UnknownSignatureError,
    UnknownTagsError,
    XlaStringInputError,
)
from ._loading import _AvailableMixin as _AvailableMixin
from ._loading import _rebuild_missing_dependency as _rebuild_missing_dependency
from ._resolving import (
    DISK_FULL_ERRNOS,
    REFUSED_WRITE_ERRNOS,
    ArchiveError,
    ArchiveTooLargeError,
    ArchiveTooManyMembersError,
    CacheError,
    DiskFullError,
    DownloadError,
    DownloadRestartError,
    DownloadTooSlowError,
    EmptyHandleError,
    FileUrlHostError,
    HandleTypeError,
    InsecureRedirectError,
    InvalidHandleError,
    LockTimeoutError,
    ModelNotFoundError,
    NotAnArchiveError,
    OfflineModeError,
    RetryTimeoutError,
    SpacedHandleError,
    UnknownSchemeError,
    UnreadableArchiveError,
    UnsafeArchiveError,
    UnsupportedHandleError,
)
from ._tools import (
    AccuracyError,
    CorruptImageError,
    DatasetUnavailableError,
    EmbeddingFilesError,
    ImageFolderError,
    ImageSizeError,
    IndexDimensionError,
    IndexFilesError,
    ModuleUnavailableError,
    NotAnImageModuleError,
    NotATextEmbeddingError,
    OutputNotWritableError,
    OutputTimeoutError,
    PipelineError,
    ProjectedDimError,
    TFLiteConversionError,
    ToolError,
    ToolFlagError,
    TrainingDivergedError,
    UnknownMeasureError,
    UnknownStrategyError,
    UnsafeFileError,
    UnsupportedStrategyError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import Any

__all__ = [
    "AccuracyError",
    "ArchiveError",
    "ArchiveTooLargeError",
    "ArchiveTooManyMembersError",
    "AssetNodeError",
    "ArgumentError",
    "ArgumentTypeError",
    "CacheError",
    "CallInputSpecError",
    "ConfigNotSupportedError",
    "CorruptImageError",
    "DISK_FULL_ERRNOS",
    "DamagedModelError",
    "DatasetUnavailableError",
    "DeletedModelError",
    "DiskFullError",
    "DocFormatError",
    "DocValidationError",
    "DownloadError",
    "DownloadRestartError",
    "DownloadTooSlowError",
    "EagerNotSupportedError",
    "EmbeddingFilesError",
    "EmptyHandleError",
    "ExportError",
    "ExportFolderError",
    "ExportWriteError",
    "FileUrlHostError",
    "FrozenInstanceError",
    "FunctionCollectionsError",
    "HandleTypeError",
    "ImageFolderError",
    "ImageSizeError",
    "IndexDimensionError",
    "IndexFilesError",
    "InputSpecError",
    "InsecureRedirectError",
    "InvalidHandleError",
    "KerasFlavourError",
    "LayerNotCalledError",
    "LockTimeoutError",
    "MirrorTooLargeError",
    "MissingAttachedMessageError",
    "MissingDependencyError",
    "MissingModelFileError",
    "MissingOpError",
    "ModelNotFoundError",
    "ModelPathEncodingError",
    "ModuleGraphError",
    "ModuleSpecError",
    "ModuleUnavailableError",
    "NoDefaultOutputError",
    "NotAModelError",
    "NotATF1ModuleError",
    "NotATextEmbeddingError",
    "NotAnArchiveError",
    "NotAnImageModuleError",
    "OfflineModeError",
    "OutputNotWritableError",
    "OutputTimeoutError",
    "PartitionedVariablesError",
    "PipelineError",
    "ProjectedDimError",
    "PublishBusyError",
    "PublishTargetError",
    "PublishWriteError",
    "REFUSED_WRITE_ERRNOS",
    "RetryTimeoutError",
    "SerializationError",
    "ServeConfigError",
    "SettingError",
    "SignatureInputError",
    "SignatureRequiredError",
    "SignatureSummaryError",
    "SignatureTensorError",
    "SignatureValueTypeError",
    "SpacedHandleError",
    "TFHubError",
    "TFHubLoadError",
    "TFLiteConversionError",
    "TempFolderError",
    "ToolError",
    "ToolFlagError",
    "TrainingDivergedError",
    "UnknownEvalSignatureError",
    "UnknownGraphVariantError",
    "UnknownMeasureError",
    "UnknownOutputKeyError",
    "UnknownSchemeError",
    "UnknownSignatureError",
    "UnknownStrategyError",
    "UnknownTagsError",
    "UnreadableArchiveError",
    "UnsafeArchiveError",
    "UnsafeFileError",
    "UnsupportedHandleError",
    "UnsupportedStrategyError",
    "VersionExistsError",
    "XlaStringInputError",
    "original_before_keras",
    "restore_data_after_keras",
    "reworded",
]


def _named_here(values: dict[str, object]) -> None:
    """Names every class and pickle helper of the area modules `tfhub.errors.X`, so pickles,
    reprs and tracebacks do not depend on which module of this package holds them."""
    for value in values.values():
        if callable(value) and getattr(value, "__module__", "").startswith(__name__ + "."):
            value.__module__ = __name__


_named_here(dict(globals()))


def __getattr__(name: str) -> Any:
    """The classes built on first use (`_lazy.py`): `ModuleExistsError`, `HTTPStatusError`,
    `ConnectionFailedError`, `RetryTimeoutStatusError`."""
    return lazy_error_class(name)
