"""One ordered table from exceptions to the label and exit code `tfhub` reports them with.

The exit codes (docs/cli.md, `tfhub --help`): 2 invalid handle or value, 3 offline and not
cached, 4 download failed, 5 bad or unsafe archive, 6 cache not usable, 7 not found (a path or
handle that does not exist, or that does not hold what the command needs there: an archive
file, a model's saved_model.pb or variables, a hub's assets/docs), 8 missing dependency, 1 any
other error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .. import errors

# NotAModelError's `.reason` (hub/pack_folder.py's check_model_folder) when no model is where the
# command was pointed: the path is missing or not a folder, or the folder holds no
# saved_model.pb. Its other reasons (a symlink inside, a model that does not load) are 1, but
# for a file the model needs that is missing (`_no_model_there`).
_NO_MODEL_THERE = frozenset({"not a folder", "no saved_model.pb"})


def _no_model_there(err: BaseException) -> bool:
    """True for a NotAModelError saying no model is where the command was pointed, or that the
    model lacks a file it needs (the loader's MissingModelFileError behind it: variables/ or a
    data shard missing), as `tfhub inspect` and `hub.load` report such a folder: "not found"."""
    return getattr(err, "reason", None) in _NO_MODEL_THERE or isinstance(
        err.__cause__, errors.MissingModelFileError
    )


def _file_missing(err: BaseException) -> bool:
    """True for an error raised because a file the command was given does not exist: its cause
    is the FileNotFoundError of opening it (`serve --token-file`, `publish --doc`, serve's
    ROOT). MissingModelFileError, itself a FileNotFoundError, is "not found" (7) by the row of
    FileNotFoundError, before this one."""
    return type(err.__cause__) is FileNotFoundError


def _damaged_module(err: BaseException) -> bool:
    """True for a tool's module (ModuleUnavailableError, a FileNotFoundError) that is there but
    damaged (`.damaged`), as `tfhub inspect` reports a damaged model (1). A path that does not
    exist or holds no model, or a model missing a file it needs, stays "not found"."""
    return getattr(err, "damaged", False) is True


def _bad_option_value(err: BaseException) -> bool:
    """True for a `tfhub serve` option whose value cannot be (`--port 70000`, `--workers 0`,
    `--rescan -1`, a `--base-url` without a scheme): an invalid value, 2, as in every command.
    ROOT, the token file and an address the machine cannot listen on (an OSError behind the
    error: in use, not this machine's) are about what is there, not about the value: 7 or 1."""
    option = getattr(err, "option", "")
    return (
        isinstance(option, str)
        and option.startswith("--")
        and option != "--token-file"
        and not isinstance(err.__cause__, OSError)
    )


class _Row(NamedTuple):
    """One row of `_TABLE`: errors of class `cls` (for which `when` holds, if given) are
    reported as `tfhub: <label>: <message>` and exit `code`."""

    cls: type[BaseException]
    label: str
    code: int
    when: Callable[[BaseException], bool] | None = None


# The first matching row wins, so a class comes before its bases; the builtins whose meaning
# has a code (FileNotFoundError, ImportError) come before the catch-all TFHubError, which tfhub's
# MissingModelFileError or MissingDependencyError would match first (their MRO lists it first).
_TABLE: list[_Row] = [
    _Row(errors.OfflineModeError, "offline", 3),
    _Row(errors.NotAnArchiveError, "not a model archive", 4),
    _Row(errors.DownloadError, "download failed", 4),
    _Row(errors.UnsafeArchiveError, "unsafe archive", 5),
    _Row(errors.UndecodableArchiveError, "archive not decodable here", 5),
    _Row(errors.ArchiveError, "bad archive", 5),
    _Row(errors.CacheError, "cache error", 6),
    _Row(errors.ModelNotFoundError, "not found", 7),
    _Row(errors.NotAModelError, "not found", 7, when=_no_model_there),
    _Row(errors.UnknownSchemeError, "invalid handle", 2),
    _Row(errors.UnsupportedHandleError, "unsupported handle", 2),
    _Row(errors.InvalidHandleError, "invalid handle", 2),
    _Row(errors.SettingError, "invalid value", 2),
    _Row(errors.TempFolderError, "invalid value", 2),
    _Row(errors.ServeConfigError, "invalid value", 2, when=_bad_option_value),
    _Row(errors.ArgumentError, "invalid value", 2),
    _Row(errors.ModuleUnavailableError, "error", 1, when=_damaged_module),
    _Row(FileNotFoundError, "not found", 7),
    _Row(errors.TFHubError, "not found", 7, when=_file_missing),
    _Row(ImportError, "missing dependency", 8),
    _Row(errors.TFHubError, "error", 1),
    _Row(OSError, "OS error", 1),
    _Row(ValueError, "invalid value", 2),
]


def classify(err: BaseException) -> tuple[str, int]:
    """Returns the label and exit code of `err`: those of the first row of `_TABLE` it matches.

    Args:
        err: the exception that ended the command.

    Returns:
        (label, exit code); ("unexpected error", 1) for an exception no row matches.
    """
    for row in _TABLE:
        if isinstance(err, row.cls) and (row.when is None or row.when(err)):
            return row.label, row.code
    return "unexpected error", 1
