"""The model folder `pack` packs: that it is one (without TensorFlow), and its members.

A model folder holds saved_model.pb (or .pbtxt) and only regular files and folders: a symlink
could lead anywhere and a named pipe would block a read for ever, so both are refused here,
before TensorFlow loads the model or a byte of the archive is written.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .. import errors
from ..handles import is_archive_path
from ..model_folder_checks import model_file_kind, model_files_in
from ..utils.paths import special_kind
from ..utils.printable import repr_escaped

# (archive name, path, lstat) of one entry of a model folder.
Member = tuple[str, Path, os.stat_result]


def check_model_folder(model_dir: str | os.PathLike[str]) -> Path:
    """Checks, without TensorFlow, that a folder looks like a model (has saved_model.pb(txt)).

    Raises:
        NotAModelError: if it is not a folder or has no saved_model.pb / saved_model.pbtxt
            (or its saved_model.pb is not a file: a named pipe, a folder, a link to nothing).
    """
    folder = Path(model_dir)
    if not folder.is_dir():
        raise errors.NotAModelError(
            f"{folder} {_not_a_folder(folder)} "
            f"Received: model_dir={repr_escaped(os.fspath(model_dir))}",
            path=os.fspath(model_dir),
            reason="not a folder",
        )
    if model_files_in(os.fspath(folder)):
        return folder
    pb = folder / "saved_model.pb"
    try:  # `model_files_in` (os.path.isfile) takes a folder it may not enter for one without.
        os.lstat(pb)
    except FileNotFoundError:
        pass  # Any other error (EACCES: a folder the server may not enter, EIO) is raised.
    if os.path.lexists(pb):  # There, but not as a file.
        kind = special_kind(os.fspath(pb)) or ("folder" if pb.is_dir() else "link to nothing")
        raise errors.NotAModelError(
            f"{pb} is a {kind}, not a file: copy or export the model there again. Received: "
            f"model_dir={os.fspath(model_dir)!r}",
            path=os.fspath(model_dir),
            reason=f"saved_model.pb is a {kind}",
        )
    raise errors.NotAModelError(
        f"{folder} holds no saved_model.pb: it is not a SavedModel or TF1 Hub module (save "
        "it with tf.saved_model.save, or export it with hub.Module.export). Received: "
        f"model_dir={os.fspath(model_dir)!r}",
        path=os.fspath(model_dir),
        reason="no saved_model.pb",
    )


def check_packable(model_dir: str | os.PathLike[str]) -> Path:
    """`check_model_folder`, and that every entry in the folder is a file or folder.

    Called before TensorFlow loads the model: a named pipe inside would block its load for
    ever, and a link could lead it anywhere.

    Raises:
        NotAModelError: if it is not a model folder, or holds a symlink or special file.
        OSError: if a folder in it cannot be listed.
    """
    folder = check_model_folder(model_dir)
    sorted_members(folder)
    return folder


def sorted_members(model_dir: Path) -> list[Member]:
    """All members sorted by their archive name (os.walk's order is only per folder).

    Raises:
        NotAModelError: for a symlink or a special file.
        OSError: for a folder that cannot be listed.
    """
    return sorted(_members(model_dir), key=lambda member: member[0].split("/"))


def unreadable(err: OSError) -> OSError:
    """The error (of `err`'s type) for a file or folder of the model that cannot be read."""
    advice = (
        "make it readable (`chmod -R u+rX` as its owner), or pack as a user who can read it"
        if err.errno in (errno.EACCES, errno.EPERM)
        else "it changed while it was read (removed, or replaced): pack it again"
    )
    failure = type(err)(f"Cannot read {err.filename} ({err.strerror}): {advice}.")
    failure.errno = err.errno
    return failure


def _members(model_dir: Path) -> Iterator[Member]:
    """(archive name, path, lstat) of every entry below `model_dir`, sorted, parents first.

    Raises:
        NotAModelError: for a symlink or a special file.
        OSError: for a folder that cannot be listed (`os.walk` would skip it silently).
    """

    def refuse(err: OSError) -> None:
        raise unreadable(err) from err

    for folder, subdirs, files in os.walk(model_dir, onerror=refuse):
        subdirs.sort()
        base = Path(folder)
        for name in sorted([*subdirs, *files]):
            path = base / name
            info = path.lstat()
            if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
                raise _not_packable(model_dir, path, info)
            yield path.relative_to(model_dir).as_posix(), path, info


def _not_packable(model_dir: Path, path: Path, info: os.stat_result) -> errors.NotAModelError:
    """The error for a symlink or special file `path` in the model folder `model_dir`."""
    if stat.S_ISLNK(info.st_mode):
        leads_to_folder = os.path.isdir(path)
        kind = "symlink to a folder" if leads_to_folder else "symlink"
        todo = f"copy the {'folder' if leads_to_folder else 'file'} it leads to in its place"
    else:
        kind, todo = special_kind(os.fspath(path)) or "special file", "remove it"
    return errors.NotAModelError(
        f"{path} is a {kind}; a model archive holds only regular files and folders ({todo}). "
        f"Received: model_dir={repr_escaped(os.fspath(model_dir))}",
        path=os.fspath(model_dir),
        reason=f"not a regular file: {path.relative_to(model_dir).as_posix()}",
    )


def _not_a_folder(path: Path) -> str:
    """What `path`, given as a model folder, is instead and what to do: the end of a message
    that starts with the path, ending with a period."""
    if not path.exists():
        return "does not exist: check the path (a model folder holds saved_model.pb)."
    if not path.is_file():
        return "is not a folder: pack a model folder (a TF2 SavedModel or a TF1 Hub module)."
    if is_archive_path(path.name):
        return (
            "is an archive file, not a folder: `tfhub publish` and `tfhub mirror` take it as it "
            "is; to pack it anew, extract it and pack that folder."
        )
    what, todo = model_file_kind(os.fspath(path))
    return f"is {what}, not a model folder. {todo}"
