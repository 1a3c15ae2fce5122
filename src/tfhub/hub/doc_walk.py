"""The docs below ROOT/assets/docs listed and read in one confined walk: the catalog's scan.

`read_docs` finds the docs `docs_layout.find_doc_files` finds, in its order (sorted by path),
and reads each the way `confinement.read_inside` would, for a fraction of its cost: instead of
a walk from ROOT's descriptor per doc (a `realpath` and one `open` per folder on its path), the
folders are opened once each, every one relative to the descriptor of the folder above it with
`O_NOFOLLOW | O_DIRECTORY` (a symlink swapped in for a folder is never followed, nor is a
symlinked folder listed as one: `os.walk` does not go below those either), and each doc is opened
relative to its folder's descriptor with `O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`, then checked as
`open_inside` checks it (`confinement.opened_problem`: a regular file, and on Linux found inside
the real ROOT by `/proc/self/fd/N`, so a folder renamed out of ROOT while the walk held it is
seen). A doc that IS a symlink (the layout serves one that stays inside ROOT) is read by its
path through `read_inside`, as before; so is every doc when ROOT/assets/docs is not its own real
path (a symlink on the way to it) or the system has no `dir_fd`. The walk holds one descriptor
per folder level, at most `MAX_HELD_LEVELS`: the docs of deeper folders are read by their
paths too. A folder it has no descriptor left to open (the process at its limit of open files)
is warned about; its docs are read by their paths if descriptors free up meanwhile, else they
are missing from that scan (the warning says to raise the limit).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import confinement, docs_layout

logger = logging.getLogger(__name__)
# Folders are listed (O_RDONLY: os.walk needs read permission too), never through a link.
_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_DOC_FLAGS = confinement.OPEN_FLAGS | getattr(os, "O_NOCTTY", 0)
_WALK = os.open in os.supports_dir_fd and os.scandir in os.supports_fd
# Out of descriptors: this process's limit, or the system's.
_NO_DESCRIPTOR = frozenset({errno.EMFILE, errno.ENFILE})
# The folder levels the walk holds open at most (one descriptor each); deeper folders (a docs
# tree is 3-4 deep) are read by path, as `read_inside` reads a doc: a few descriptors at any depth.
MAX_HELD_LEVELS = 16


@dataclass(frozen=True)
class WalkedDoc:
    """A doc the walk found: its bytes, why they could not be read, or neither (`by_path`).

    Attributes:
        path: the doc's absolute path, as `find_doc_files` gives it.
        rel_path: its path below ROOT/assets/docs, with `/` separators.
        data: its first `limit` + 1 bytes (more than `limit`: the file is larger).
        error: the failure to open or read it (no permission, an I/O error, a socket).
    """

    path: Path
    rel_path: str
    data: bytes | None = None
    error: OSError | None = None

    @property
    def by_path(self) -> bool:
        """True if the doc is to be read by its path (`confinement.read_inside`): a symlink."""
        return self.data is None and self.error is None


def read_docs(root: Path, *, limit: int, refused: str, real_root: str) -> Iterator[WalkedDoc]:
    """Every doc below ROOT/assets/docs that `find_doc_files` lists, sorted by path, read in
    one confined walk (see the module docstring). A doc gone since its folder was listed is
    left out; one refused (not a regular file, found outside ROOT once open) is left out with
    `confinement`'s warning, whose end says `refused`.

    Args:
        root: ROOT (its real path, as the catalog's).
        limit: the most bytes of a doc wanted (`limit` + 1 are read).
        refused: what a refusal leads to, said in the warning.
        real_root: `os.path.realpath(root)`.
    """
    base = docs_layout.docs_dir(root).absolute()
    fd = _open_base(base, real_root)
    if fd is None:  # Read every doc by its path, as `read_inside` reads a symlink.
        yield from _by_path(base, "", is_base=True)
        return
    try:
        yield from _walk(fd, os.fspath(base), "", real_root=real_root, limit=limit, refused=refused)
    finally:
        os.close(fd)


def _open_base(base: Path, real_root: str) -> int | None:
    """A descriptor of `base` opened from the real ROOT following no link, or None when the
    walk cannot be used (no `dir_fd`, `base` not its real path or not inside ROOT, or it cannot
    be opened: `find_doc_files` then says what there is)."""
    if not _WALK or os.path.realpath(base) != os.fspath(base):
        return None
    if not confinement.is_below(base, real_root):
        return None
    try:
        return confinement.open_below(real_root, os.fspath(base), flags=_DIR_FLAGS)
    except OSError:
        return None


def _walk(
    fd: int,
    folder: str,
    rel: str,
    *,
    real_root: str,
    limit: int,
    refused: str,
    depth: int = 0,
) -> Iterator[WalkedDoc]:
    """The docs of the open folder `fd` (at `folder`; `rel`: its path below the docs folder,
    "" or ending in `/`; `depth`: its level below it, 0 for the docs folder) and of the
    folders below it, as
    `docs_layout.iter_doc_files` keeps them, sorted by name with each folder's docs in its place
    (the order of sorted paths)."""
    try:
        with os.scandir(fd) as listing:  # (It takes a descriptor of its own.)
            entries = list(listing)
    except OSError as err:
        if err.errno in _NO_DESCRIPTOR:
            _warn_no_descriptor(folder, err)
            yield from _by_path(Path(folder), rel, is_base=depth == 0)
        else:  # Unreadable (or gone): left out, as os.walk leaves it out, and said.
            docs_layout.warn_unlisted_folder(_named(err, folder))
        return
    names = {entry.name for entry in entries}
    if depth > 0 and any(_is_file_at(fd, m) for m in docs_layout.MODEL_MARKERS if m in names):
        return  # A model folder: its .md files are model assets, not docs.
    for entry in sorted((e for e in entries if e.name[0] != "."), key=lambda e: e.name):
        path = f"{folder}/{entry.name}"
        if _is_dir(entry):
            yield from _walk_below(
                fd, entry, path, rel, real_root=real_root, limit=limit, refused=refused, depth=depth
            )
        elif entry.name.endswith(".md"):
            found = _read_doc(fd, entry, path, rel + entry.name, real_root, limit, refused)
            if found is not None:
                yield found


def _walk_below(
    fd: int,
    entry: os.DirEntry[str],
    path: str,
    rel: str,
    *,
    real_root: str,
    limit: int,
    refused: str,
    depth: int,
) -> Iterator[WalkedDoc]:
    """The docs below the folder `entry` of the open folder `fd` (at `depth`, `rel`: its path
    below the docs folder), as `_walk` lists them: none below a symlink (as os.walk), by their
    paths deeper than `MAX_HELD_LEVELS` or when no descriptor is left, else walked through a
    descriptor of its own, closed once done."""
    if entry.is_symlink():  # os.walk lists a symlinked folder, and does not go below it.
        return
    sub_rel = f"{rel}{entry.name}/"
    if depth + 1 >= MAX_HELD_LEVELS:  # Deeper than a docs tree: read by path.
        yield from _by_path(Path(path), sub_rel, is_base=False)
        return
    try:
        sub = _open_folder(fd, entry.name, path)
    except OSError as err:  # No descriptor left for it: its docs by their paths.
        _warn_no_descriptor(path, err)
        yield from _by_path(Path(path), sub_rel, is_base=False)
        return
    if sub is None:
        return
    try:
        yield from _walk(
            sub, path, sub_rel, real_root=real_root, limit=limit, refused=refused, depth=depth + 1
        )
    finally:
        os.close(sub)


def _open_folder(fd: int, name: str, path: str) -> int | None:
    """The folder `name` of the open folder `fd`, opened following no link; None if it is gone,
    unreadable (os.walk leaves it out too; a warning names it, `warn_unlisted_folder`), or was
    swapped for a symlink or a file since it was listed (a warning says so: the docs below a
    symlink are never read).

    Raises:
        OSError: no descriptor is left to open it (EMFILE, ENFILE: the walk holds one per
            folder level).
    """
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError as err:
        if err.errno in _NO_DESCRIPTOR:
            raise
        if err.errno in confinement.SWAPPED:
            logger.warning(
                "Skipped the docs below %s (not served): it became a symlink or a file while "
                "the docs were listed; they are served from the next scan if it is a folder",
                path,
            )
        else:  # Unreadable (no permission, an I/O error) or gone: said unless gone.
            docs_layout.warn_unlisted_folder(_named(err, path))
        return None


def _named(err: OSError, path: str) -> OSError:
    """`err` naming `path` (an error of a call given a descriptor or a bare name names none)."""
    return OSError(err.errno, err.strerror, path)


def _warn_no_descriptor(folder: str, err: OSError) -> None:
    """Warns that the walk had no descriptor left for `folder` (its docs are then read by path,
    which may fail the same way)."""
    logger.warning(
        "No file descriptor left to list %s (%s): its docs are read by their paths, and may be "
        "missing from this scan; raise the server's limit of open files (ulimit -n)",
        folder,
        err.strerror or err,
    )


def _by_path(folder: Path, rel: str, *, is_base: bool) -> Iterator[WalkedDoc]:
    """The docs below `folder` (`rel`: its path below the docs folder, "" or ending in `/`),
    each to be read by its path (`read_inside`, a few descriptors at any depth), in the walk's
    order: for a folder the walk has no descriptor left to open."""
    if not is_base and docs_layout.is_model_dir(folder):
        return
    for file in sorted(docs_layout.iter_doc_files(folder)):
        yield WalkedDoc(file, rel + file.relative_to(folder).as_posix())


def _read_doc(
    fd: int, entry: os.DirEntry[str], path: str, rel: str, real_root: str, limit: int, refused: str
) -> WalkedDoc | None:
    """The doc `entry` of the open folder `fd` (see `read_docs`)."""
    if _is_symlink(entry):  # Followed by `read_inside`, which checks where it leads.
        return WalkedDoc(Path(path), rel)
    try:
        doc = os.open(entry.name, _DOC_FLAGS, dir_fd=fd)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno in confinement.SWAPPED:  # A symlink since it was listed: as above.
            return WalkedDoc(Path(path), rel)
        return WalkedDoc(Path(path), rel, error=err)
    try:
        why = confinement.opened_problem(doc, path, real_root)
        if why is None:
            return WalkedDoc(Path(path), rel, data=confinement.read_open(doc, limit=limit))
    except OSError as err:
        return WalkedDoc(Path(path), rel, error=err)
    finally:
        os.close(doc)
    confinement.refuse(path, why, refused=refused)
    return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """`entry.is_dir()` (links followed) as os.walk asks it: False if that fails."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_symlink(entry: os.DirEntry[str]) -> bool:
    """`entry.is_symlink()`; True if that fails (then `read_inside` decides)."""
    try:
        return entry.is_symlink()
    except OSError:
        return True


def _is_file_at(fd: int, name: str) -> bool:
    """`Path.is_file()` for the entry `name` of the open folder `fd` (links followed)."""
    try:
        return stat.S_ISREG(os.stat(name, dir_fd=fd).st_mode)
    except (OSError, ValueError):
        return False
