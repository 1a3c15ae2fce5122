"""Pack a model folder into a deterministic .tar.gz (the model root at the archive root).

`pack` checks the folder (`pack_folder`) and the output (`pack_output`), then writes the
archive's bytes (`pack_archive`: the same folder always gives the same bytes) to a unique
temporary file beside the target, renamed into place, or into a stream (/dev/stdout, a named
pipe). Symlinks and special files are refused (tfhub's and upstream's extractors refuse them too).

`pack` imports no TensorFlow (a server packs folder versions with it); `check_loadable` loads
the model with TensorFlow and is what `tfhub pack` / `tfhub publish` add on top.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import errors
from ..utils.lazy import import_tensorflow
from ..utils.numbers import is_whole_number
from ..utils.printable import repr_escaped
from . import pack_archive, pack_output
from .pack_archive import DIR_MODE, FILE_MODE
from .pack_folder import check_model_folder, check_packable, sorted_members

__all__ = [
    "DEFAULT_COMPRESSLEVEL",
    "DIR_MODE",
    "FILE_MODE",
    "PackedArchive",
    "check_loadable",
    "check_model_folder",
    "check_packable",
    "pack",
    "pack_model",
]

logger = logging.getLogger(__name__)

DEFAULT_COMPRESSLEVEL = 6


@dataclass(frozen=True)
class PackedArchive:
    """An archive `pack` wrote: where, its size, sha256 (hex) and number of files."""

    path: Path
    size: int
    sha256: str
    files: int


def pack(
    model_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    compresslevel: int = DEFAULT_COMPRESSLEVEL,
    hold_until: contextlib.ExitStack | None = None,
) -> PackedArchive:
    """Writes a deterministic .tar.gz of a model folder (no TensorFlow; see `check_loadable`).

    Args:
        model_dir: the model folder; its contents become the archive's root.
        output: the archive to write (replaced atomically if it exists; through a link, the
            file it leads to). A pipe or a character device (/dev/stdout) is written into;
            so is `-`, this process's standard output, whatever it is (not a terminal).
        compresslevel: gzip level, 0 (stored) to 9; the same level gives the same bytes.
        hold_until: if given, a file `output` stays held live (`utils.live_files.hold`: the
            lock its temporary got before it bore a name) until this closes, so that a cleaner
            of such files (`tfhub serve`'s cache: `pack_output.remove_abandoned_temporaries`)
            keeps it while its writer works on it, and removes it once that writer was killed.

    Returns:
        The archive written.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError; ArgumentTypeError, also a TypeError, for
            one that is not an int) if `compresslevel` is not 0 to 9.
        NotAModelError: if the folder holds no saved_model.pb or a symlink/special file, or a
            file changed while it was packed.
        PublishTargetError: if `output` is inside `model_dir`, names a closed stream (/dev/stdout
            after `>&-`), a folder, a terminal, a block device or a socket (a ValueError).
        OSError: if a file or folder of the model cannot be read, or the archive cannot be
            written (nothing is left behind either way).
    """
    _check_compresslevel(compresslevel)
    folder = check_model_folder(model_dir)
    target, kind = pack_output.checked_target(output, folder)
    return _write_pack(folder, output, target, kind, compresslevel, hold_until)


def _check_compresslevel(compresslevel: object) -> None:
    """Refuses a gzip level zlib would take but not mean (-1: its default) or refuse with
    "Invalid initialization option" (10), and one that is not an int (True, "6", 1.5)."""
    if not is_whole_number(compresslevel):
        raise errors.ArgumentTypeError(
            "compresslevel must be an int, the gzip level from 0 (stored) to 9 (smallest). "
            f"Received: compresslevel={compresslevel!r}"
        )
    if not 0 <= compresslevel <= 9:
        raise errors.ArgumentError(
            "compresslevel must be a gzip level from 0 (stored) to 9 (smallest; "
            f"{DEFAULT_COMPRESSLEVEL} by default). Received: compresslevel={compresslevel}"
        )


def _write_pack(
    folder: Path,
    output: str | os.PathLike[str],
    target: Path,
    kind: str | None,
    compresslevel: int,
    hold_until: contextlib.ExitStack | None,
) -> PackedArchive:
    """`pack` once its checks have passed: `target` and `kind` are `checked_target`'s."""
    members = sorted_members(folder)
    digest = hashlib.sha256()
    if kind is not None:  # /dev/stdout, a named pipe, a deleted file: written into.
        with (
            pack_output.write_failures(output, target, None),
            pack_output.open_stream(target, kind) as raw,
        ):
            hashing = pack_archive.HashingWriter(raw, digest)
            pack_archive.write_archive(hashing, folder, members, compresslevel)
        size = hashing.size
    else:
        pack_output.remove_abandoned_parts(target)
        tmp = pack_output.part_path(target)
        try:
            with (
                pack_output.write_failures(output, target, tmp),
                pack_output.open_part(tmp) as raw,  # Held live before it bears its name.
            ):
                hashing = pack_archive.HashingWriter(raw, digest)
                pack_archive.write_archive(hashing, folder, members, compresslevel)
                raw.flush()
                os.fsync(raw.fileno())
                os.replace(tmp, target)
                if hold_until is not None:  # The lock is the open file's: a copy keeps it.
                    hold_until.callback(os.close, os.dup(raw.fileno()))
        finally:
            if tmp.exists():
                tmp.unlink()
        size = target.stat().st_size
    files = sum(1 for _, _, info in members if stat.S_ISREG(info.st_mode))
    logger.info("Packed %s (%d files) into %s", folder, files, output)
    return PackedArchive(Path(output), size, digest.hexdigest(), files)


def check_loadable(model_dir: str | os.PathLike[str]) -> Any:
    """Loads a model folder with TensorFlow, as `tfhub.load` would (TF2 SavedModel or TF1 Hub).

    Args:
        model_dir: the model folder.

    Returns:
        The loaded object (callers may reuse it, e.g. for the signature summary).

    Raises:
        NotAModelError: if the folder does not load; the message says why.
        MissingDependencyError: TensorFlow (or a package the model needs) cannot be imported:
            the model may be fine, so this is not a NotAModelError.
        ModelPathEncodingError: the folder's path is not UTF-8, which TensorFlow cannot open:
            the model may be fine, and renaming the folder is the fix (its message says so).
    """
    folder = check_model_folder(model_dir)
    from .. import saved_model

    import_tensorflow("Checking that a model loads")
    try:
        return saved_model.load(os.fspath(folder.absolute()))
    except (errors.MissingDependencyError, errors.ModelPathEncodingError):
        raise  # Not the model's fault: their messages say what to do.
    except Exception as err:
        # A damaged file is named by the loader's `problem`; anything else by TensorFlow.
        reason = (
            err.problem
            if isinstance(err, errors.DamagedModelError)
            else f"{type(err).__name__}: {err}"
        )
        raise errors.NotAModelError(
            f"{folder} does not load as a model ({reason}); fix or re-export it. "
            f"Received: model_dir={repr_escaped(os.fspath(model_dir))}",
            path=os.fspath(model_dir),
            reason=reason,
        ) from err


def pack_model(
    model_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    compresslevel: int = DEFAULT_COMPRESSLEVEL,
) -> PackedArchive:
    """`tfhub pack`: checks that the folder loads (TensorFlow), then packs it.

    Args:
        model_dir: the model folder, as for `pack`.
        output: the archive to write, as for `pack`.
        compresslevel: gzip level, 0 (stored) to 9.

    Raises:
        tfhub.errors.ArgumentError: if `compresslevel` is not 0 to 9 (see `pack`).
        PublishTargetError: for an `output` `pack` refuses.
        NotAModelError: if the folder is not a loadable model.
        ModelPathEncodingError: if the folder's path is not UTF-8 (see `check_loadable`).
        OSError: if the archive cannot be written.
    """
    _check_compresslevel(compresslevel)
    folder = check_packable(model_dir)
    target, kind = pack_output.checked_target(output, folder)  # Before TensorFlow's seconds.
    check_loadable(model_dir)
    return _write_pack(folder, output, target, kind, compresslevel, None)
