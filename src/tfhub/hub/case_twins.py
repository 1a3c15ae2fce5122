"""A model path that differs only by case from one the hub has (`acme/Emb` beside `acme/emb`):
what `publish` and `mirror` refuse, as one folder on a case-insensitive file system and two
models side by side in the catalog; and what makes a folder such a twin (it holds a model, a
version, or a publish in progress). `publish_refusals` re-exports `refuse_case_twin`.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .. import errors
from . import docs_layout
from .doc_handles import DocHandle
from .staging import STAGING_INFIX


def refuse_case_twin(
    root: str | os.PathLike[str], handle: DocHandle, command: str = "publish"
) -> None:
    """Raises PublishTargetError if a folder of the handle's model path differs only by case
    from one the hub has (`acme/Emb` beside `acme/emb`): a case-insensitive file system (macOS,
    Windows shares) holds both in one folder, and the catalog lists them side by side. The
    same spelling is no twin (`--force` replaces a version of the same handle), unless the hub
    has the other spelling too (`install` asks again under the folder's lock, so that of two
    twins published at once, one at most is published). Publishers are lower-case already
    (`doc_handles`). A twin is a folder that holds a model (`_holds_model`): an empty leftover
    or a folder of other files is none. The error's advice is for `command` (`publish`,
    `mirror`)."""
    folder = docs_layout.docs_dir(root) / handle.publisher / "models"
    parts = handle.model.split("/")
    for index, part in enumerate(parts):
        try:
            names = os.listdir(folder)
        except OSError:  # Not there yet, or no folder: nothing to collide with below.
            return
        twins = sorted(
            n
            for n in names
            if n != part and n.casefold() == part.casefold() and _holds_model(folder / n)
        )
        if twins:
            existing = [*parts[:index], twins[0]]
            both = part in names and _holds_model(folder / part)
            raise _case_twin_error(
                handle, existing, parts, folder / twins[0], both=both, command=command
            )
        if part not in names:
            return
        folder = folder / part


def _holds_model(folder: Path) -> bool:
    """True if `folder` (a part of a model path) is a directory that holds, at any depth, a
    doc (`*.md`), a version (its archive or model folder), or a publish in progress (a staging
    folder, or a folder whose publish lock another publish holds): what a twin must hold to be
    one folder with the handle's on a case-insensitive file system, and listed by the hub."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    for current, dirs, files in os.walk(folder):  # Symlinked folders are not entered.
        here = Path(current)
        if any(name.endswith((".md", docs_layout.ARCHIVE_SUFFIX)) for name in files):
            return True
        if any(STAGING_INFIX in name for name in dirs) or docs_layout.is_model_dir(here):
            return True
        if _locked_by_another(here):
            return True
    return False


def _locked_by_another(folder: Path) -> bool:
    """True if a publish holds the folder's lock (an flock on the folder, see `publish_locks`)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # Released when closed.
    except BlockingIOError:
        return True
    except OSError:  # Cannot be flocked (NFS): publishes lock elsewhere.
        return False
    finally:
        os.close(fd)
    return False


def _case_twin_error(
    handle: DocHandle,
    existing: list[str],
    parts: list[str],
    folder: Path,
    *,
    both: bool,
    command: str,
) -> errors.PublishTargetError:
    """The refusal of `handle`, whose model path `parts` differs only by case from the
    hub's `existing` (its folder `folder`), suggesting the handle spelled as the hub has it
    (or, if the hub has `both` spellings, to rename one), with the option of `command`."""
    have = f"{handle.publisher}/{'/'.join(existing)}"
    meant = f"{handle.publisher}/{'/'.join([*existing, *parts[len(existing) :]])}/{handle.version}"
    if both:
        remedy = (
            "The hub has both spellings already: rename one (move its folder; `tfhub validate` "
            f"reports them), then {command} again"
        )
    elif command == "mirror":
        remedy = (
            f"Mirror it as {meant} (`tfhub mirror SOURCE ROOT --as {meant}`, the name as the "
            "hub writes it; for --from-docs, move its doc there), or choose another name"
        )
    else:
        remedy = f"Publish as {meant} (the name as the hub writes it), or choose another name"
    return errors.PublishTargetError(
        f"The handle {str(handle)!r} differs only by case from {have}, which the hub has "
        f"({folder}): a case-insensitive file system (macOS, Windows shares) holds both in one "
        "folder, and the hub would list them side by side, so users pick the wrong one. "
        f"{remedy}; --force does not change this. Received: handle={str(handle)!r}",
        path=os.fspath(folder),
    )
