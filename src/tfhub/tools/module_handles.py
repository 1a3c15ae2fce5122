"""The tools' module flags (--tfhub_module, --module, --module_url): resolve the handle and
check that it leads to a model folder, before TensorFlow's loader is asked.

TensorFlow's own answers to a handle that is no model ("SavedModel file does not exist at:
.../{saved_model.pbtxt|saved_model.pb}", or tfhub's "... does not exist.") name neither the
flag nor what to do; `resolve_model_folder` turns them into one
`tfhub.errors.ModuleUnavailableError` that does. So does `loading`, for the loader's answers
to damaged files (an empty saved_model.pb: "requires a `tags=` argument ... 0 MetaGraphs";
cut variables: "IndexError: Read less bytes than requested").
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

from .. import errors
from ..utils.paths import (
    RELATIVE_PATH_LOST,
    RELATIVE_PATH_LOST_REMEDY,
    is_url,
    relative_below,
    relative_path_lost,
)


def _unavailable(
    handle: str, flag: str, problem: str, remedy: str, *, damaged: bool = False
) -> errors.ModuleUnavailableError:
    return errors.ModuleUnavailableError(
        f"The module {handle} {problem}. {remedy} Received: {flag}={handle!r}",
        handle=handle,
        flag=flag,
        problem=problem,
        damaged=damaged,
    )


def resolve_model_folder(handle: str, *, flag: str) -> str:
    """Resolves a tool's module handle (downloading it if needed) and checks it is a model.

    Args:
        handle: the handle as the user gave it (path, URL, ...).
        flag: the flag that gave it, for the message (e.g. "tfhub_module").

    Returns:
        The local folder of the model (or the remote path, gs://..., as resolved).

    Raises:
        tfhub.errors.ModuleUnavailableError: a local path that does not exist, or a local
            folder (given or downloaded) without saved_model.pb. (Download and handle errors
            of `tfhub.resolve` propagate as they are: they name the URL and what to do.)
    """
    from ..model_folder_checks import model_below, model_file_kind, model_files_in
    from ..saved_model import resolve

    try:
        folder = resolve(handle)
    except errors.ModelNotFoundError as err:
        if relative_path_lost(handle):
            problem = f"does not exist: {RELATIVE_PATH_LOST}"
            raise _unavailable(handle, flag, problem, RELATIVE_PATH_LOST_REMEDY) from err
        where = "" if os.path.isabs(handle) or is_url(handle) else f" ({os.path.abspath(handle)})"
        raise _unavailable(
            handle,
            flag,
            f"does not exist{where}",
            "Check the path, or pass the module's URL (e.g. https://tfhub.dev/...).",
        ) from err
    if is_url(folder):
        return folder
    present = model_files_in(folder)
    if present:
        if not any(os.path.getsize(os.path.join(folder, name)) for name in present):
            raise _unavailable(
                handle,
                flag,
                "is damaged: its saved_model.pb is empty",
                "Copy or export it again.",
                damaged=True,
            )
        return folder
    if not os.path.isdir(folder):
        what, todo = model_file_kind(folder)
        raise _unavailable(handle, flag, f"is {what}, not a model folder", todo)
    below = model_below(folder)
    remedy = f"Did you mean {below}?" if below else "Pass the folder that holds saved_model.pb."
    problem = "is not a SavedModel or TF1 Hub module: its folder has no saved_model.pb"
    raise _unavailable(handle, flag, problem, remedy)


def _is_load_failure(err: Exception) -> bool:
    """Whether the loader's exception says the model's files cannot be read (not a tfhub error,
    whose message already says what to do)."""
    if isinstance(err, errors.TFHubError):
        return False
    if isinstance(err, (OSError, ValueError, IndexError, KeyError)):
        return True
    return type(err).__module__.startswith(("tensorflow", "google.protobuf"))


def _entry_name(handle: str) -> str:
    """What `tfhub cache rm` takes for `handle`'s entry, to show in a message."""
    from ..cache import layout
    from ..handles import cache_handle

    return layout.rm_argument(handle, layout.module_dir(cache_handle(handle)))


@contextlib.contextmanager
def loading(handle: str, *, flag: str) -> Iterator[None]:
    """Turns the loader's failure on a model folder's damaged files into one error.

    Args:
        handle: the handle being loaded (after `resolve_model_folder`).
        flag: the flag that gave it.

    Raises:
        tfhub.errors.ModuleUnavailableError: the loader raised a DamagedModelError, OSError,
            ValueError, IndexError, KeyError or a TensorFlow or protobuf error (chained);
            tfhub's other errors and the rest propagate as they are.
    """
    try:
        yield
    except Exception as err:
        remedy = (
            f"remove its download (tfhub cache rm {_entry_name(handle)}) and run again."
            if is_url(handle)
            else "copy or export it again."
        )
        if isinstance(err, errors.DamagedModelError):  # The loader found the damaged file.
            problem = f"cannot be loaded: {err.problem}"
            damaged = not isinstance(err, FileNotFoundError)  # Else a file it needs is missing.
            raise _unavailable(
                handle, flag, problem, f"To repair it, {remedy}", damaged=damaged
            ) from err
        if not _is_load_failure(err):
            raise
        lines = str(err).strip().splitlines()
        first = lines[0].split(". ")[0].rstrip(".") if lines else ""
        why = f"{type(err).__name__}: {first}".rstrip(": ")
        problem = f"cannot be loaded ({why})"
        raise _unavailable(
            handle,
            flag,
            problem,
            f"If its files are damaged or incomplete, {remedy}",
            damaged=not isinstance(err, FileNotFoundError),
        ) from err


def local_path(handle: str) -> str | None:
    """The local path that a module handle names (a path or a file:// URL), or None for a URL
    or a handle that is no handle (its loading reports that)."""
    from ..handles import LocalPath, parse

    try:
        parsed = parse(handle)
    except errors.InvalidHandleError:
        return None
    return parsed.path if isinstance(parsed, LocalPath) else None


def check_output_apart(
    path: str | None,
    handle: str,
    *,
    what: str,
    flag: str,
    module_flag: str,
    replaced_whole: bool = False,
) -> None:
    """Refuses, before the module is loaded, an output at the local module's path or inside
    its folder (the module would be overwritten or changed), or, for an output folder that is
    replaced whole (`replaced_whole`), one that holds the module (it would be deleted). Links
    are followed, relative paths resolved and file:// URLs read as paths; remote outputs and
    modules, and a module path that does not exist (its loading reports it), are not compared.

    Args:
        path: the output (None or "": not asked for).
        handle: the module's handle as the user gave it.
        what: what the output is, e.g. "saved model dir".
        flag: the output's flag; `module_flag`: the module's flag.
        replaced_whole: whether writing the output replaces its whole folder.

    Raises:
        tfhub.errors.OutputNotWritableError: naming both flags.
    """
    module = local_path(handle)
    output = local_path(path) if path else None
    if module is None or output is None or not os.path.lexists(module):
        return
    inside = relative_below(output, module)
    if inside is not None:
        where = "is the module's path" if inside == os.curdir else "is inside the module's folder"
        problem = "the module would be overwritten or changed"
    elif replaced_whole and relative_below(module, output) is not None:
        where, problem = "holds the module's folder", "replacing it would delete the module"
    else:
        return
    raise errors.OutputNotWritableError(
        f"Cannot write the {what} {path}: it {where} {module} ({problem}). Choose a path "
        f"outside the module's folder. Received: {flag}={path!r}, {module_flag}={handle!r}",
        path=path,
        what=what,
    )


def module_key(handle: str) -> str:
    """What two spellings of one module have in common: a local path or file:// URL as its
    absolute path with links followed (`m`, `./m/`, `file:///abs/m` are one module), a URL as
    the string its download is cached under (`HTTP://h/m` is `http://h/m`), anything else (a
    handle that is no handle: its loading reports that) as given."""
    from ..handles import cache_handle

    path = local_path(handle)
    if path is not None:
        return os.path.realpath(path)
    try:
        return cache_handle(handle)
    except errors.InvalidHandleError:
        return handle


def distinct_modules(handles: Iterable[str]) -> list[str]:
    """`handles` with each module once (as `module_key` compares them), in the order first
    named, each as first spelled."""
    first: dict[str, str] = {}
    for handle in handles:
        first.setdefault(module_key(handle), handle)
    return list(first.values())
