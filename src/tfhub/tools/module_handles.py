"""The tools' module flags (--tfhub_module, --module, --module_url): resolve the handle and
check that it leads to a model folder, before TensorFlow's loader is asked.

TensorFlow's own answers to a handle that is no model ("SavedModel file does not exist at:
.../{saved_model.pbtxt|saved_model.pb}", or tfhub's "... does not exist.") name neither the
flag nor what to do; `resolve_model_folder` turns them into one
`tfhub.errors.ModuleUnavailableError` that does.
"""

from __future__ import annotations

import os

from .. import errors

MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def _unavailable(
    handle: str, flag: str, problem: str, remedy: str
) -> errors.ModuleUnavailableError:
    return errors.ModuleUnavailableError(
        f"The module {handle} {problem}. {remedy} Received: {flag}={handle!r}",
        handle=handle,
        flag=flag,
        problem=problem,
    )


def _holds_model(folder: str) -> bool:
    return any(os.path.isfile(os.path.join(folder, name)) for name in MODEL_FILES)


def _model_below(folder: str) -> str | None:
    """A sub-folder (one level down) that holds a model, e.g. an archive extracted one level
    too high; None if there is none."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    return next(
        (os.path.join(folder, n) for n in names if _holds_model(os.path.join(folder, n))), None
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
    from ..saved_model import resolve

    try:
        folder = resolve(handle)
    except errors.ModelNotFoundError as err:
        where = "" if os.path.isabs(handle) or "://" in handle else f" ({os.path.abspath(handle)})"
        raise _unavailable(
            handle,
            flag,
            f"does not exist{where}",
            "Check the path, or pass the module's URL (e.g. https://tfhub.dev/...).",
        ) from err
    if "://" in folder or _holds_model(folder):
        return folder
    below = _model_below(folder)
    remedy = f"Did you mean {below}?" if below else "Pass the folder that holds saved_model.pb."
    if not os.path.isdir(folder):
        problem = "is a file, not a model folder"
    else:
        problem = "is not a SavedModel or TF1 Hub module: its folder has no saved_model.pb"
    raise _unavailable(handle, flag, problem, remedy)
