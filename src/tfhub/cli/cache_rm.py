"""`tfhub cache rm`: the entries its names name, each removed under its lock (parse and print
only: `tfhub.cache.store` removes). `tfhub.cli.cache` runs it with the local cache folder."""

from __future__ import annotations

import os
import shlex
import urllib.parse
from collections.abc import Sequence

from .. import cache, errors
from ..program.stdout import WorkReport
from ..utils.printable import escaped
from ..utils.redact import redact


def remove_all(root: str) -> int:
    """Removes every entry of the cache `root`, each under its lock (`tfhub cache rm --all`).

    Returns:
        0, the command's exit code.

    Raises:
        tfhub.errors.CacheError: if an entry could not be removed (the others were tried).
        OSError: if stdout could not be written (every entry was tried: `WorkReport`).
    """
    removed = 0
    failed: list[errors.CacheError] = []
    report = WorkReport()
    for path in cache.listing.entry_paths(root):
        removal = _remove_or_note(path, failed)
        if removal is not None:
            report.say(removal.describe())
            removed += removal.removed != "gone"
    for path in cache.listing.interrupted_removals(root):  # An earlier rm --all was killed.
        removal = _remove_or_note(path, failed)
        if removal is not None:
            report.say(removal.describe())
    report.say(f"{removed} {'entry' if removed == 1 else 'entries'} removed from {escaped(root)}.")
    _raise_failures(failed, root)
    report.finish()
    return 0


def remove_each(names: list[str], root: str) -> int:
    """Removes the entries `names` name, as `remove_named`, and refuses the names that name none.

    Returns:
        0, the command's exit code.

    Raises:
        tfhub.errors.CacheError: if an entry could not be removed (the others were tried).
        tfhub.errors.ModelNotFoundError: if a name names no entry of the cache (the entries
            the other names name were removed); the message names the handle to give for one
            that differs from a cached one only in its spelling (`_near_spelling_hint`).
        OSError: if stdout could not be written (every entry was tried: `WorkReport`).
    """
    report = WorkReport()
    missing = remove_named(names, root, report)
    if missing:
        raise errors.ModelNotFoundError(
            f"Not in the cache {escaped(root)}: {missing}. `tfhub cache rm` takes a handle or an "
            "entry's "
            "folder name (40 hex digits), as `tfhub cache list` shows them; nothing else was "
            f"removed.{_entry_path_hint(missing, root)}{_near_spelling_hint(missing, root)}",
            path=root,
        )
    report.finish()
    return 0


def _entry_path_hint(names: Sequence[str], root: str) -> str:
    """A sentence naming the folder name to give for the first of `names` that is the path of
    an entry folder of `root` (`<cache>/<sha1>`, as `hub.resolve` returns it and messages show
    it; rm takes no path), or "" if none is."""
    for name in names:
        parent, folder = os.path.split(name.removesuffix("/"))
        if not parent or not cache.layout.is_entry_name(folder):
            continue
        in_root = os.path.realpath(parent) == os.path.realpath(root)
        if in_root and cache.listing.has_remains(os.path.join(root, folder)):
            return (
                f" {escaped(name)} is the path of the entry {folder}: run `tfhub cache rm "
                f"{folder}` to remove it."
            )
    return ""


def _near_spelling_hint(names: Sequence[str], root: str) -> str:
    """A sentence naming the handle `tfhub cache list` shows for the first of `names` that
    differs from it only in a trailing slash, http for https or the host's case (the cache keys
    an entry by its handle exactly as given, as tensorflow_hub does), or "" if none does."""
    if not any("://" in name for name in names):
        return ""
    shown: dict[tuple[str, str, str, str] | None, tuple[str, str]] = {}
    for path in cache.listing.entry_paths(root):
        descriptor = cache.read_descriptor(path)
        if descriptor is not None and descriptor.handle is not None:
            handle = escaped(descriptor.handle)  # Without credentials, as written.
            shown.setdefault(_loose_url(handle), (handle, path))
    for name in names:
        loose = _loose_url(name) if "://" in name else None
        found = shown.get(loose) if loose is not None else None
        if found is not None:
            handle, path = found
            # A typed handle with credentials: its entry is named by its folder (the handle
            # shown has none, and a message never repeats them).
            credentials = redact(name) != name
            argument = os.path.basename(path) if credentials else cache.rm_argument(handle, path)
            argument = shlex.quote(argument)
            return (
                f" The cache holds {handle!r}: an entry is keyed by its handle exactly as given "
                "(a trailing slash, http for https or the host's case name another entry); "
                f"run `tfhub cache rm {argument}` to remove it."
            )
    return ""


def _loose_url(url: str) -> tuple[str, str, str, str] | None:
    """`url` with the differences `_near_spelling_hint` overlooks taken out (None for text
    that `urlsplit` refuses, such as an unclosed `[` of an IPv6 host)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    host = parts.netloc.rpartition("@")[2].lower()  # Credentials: never in a cached handle.
    return scheme, host, parts.path.rstrip("/"), parts.query


def remove_named(names: list[str], root: str, report: WorkReport) -> list[str]:
    """Removes the entries `names` name (handles or folder names), each under its lock; an
    entry named twice (`rm H H`, a handle and its folder name) once.

    Args:
        names: the handles or folder names given to `tfhub cache rm`.
        root: the local cache folder.
        report: prints each removal's line (a line it cannot write stops no removal; the
            caller's `report.finish()` raises that failure).

    Returns:
        The names that name no entry of the cache (the others were removed).

    Raises:
        tfhub.errors.CacheError: if an entry could not be removed (the others were tried).
    """
    # Every name is looked up before any entry goes: one that several entries show
    # (`_entry_shown_as`) is refused with "nothing was removed", which must then be true.
    targets = {name: _rm_target(name, root) for name in dict.fromkeys(names)}
    missing = []
    removed: set[str] = set()
    failed: list[errors.CacheError] = []
    for name, path in targets.items():
        if path is None:
            missing.append(name)
            continue
        if path in removed or _names_one_of(name, removed):
            continue
        removal = _remove_or_note(path, failed)
        if removal is not None:
            report.say(removal.describe())
        removed.add(path)  # Tried: not again under its other name.
    _raise_failures(failed, root, missing)
    return missing


def _rm_target(name: str, root: str) -> str | None:
    """The entry `tfhub cache rm NAME` removes (None if NAME names none).

    A first download of it still running: rm waits for it, then removes its entry; bookkeeping
    or files renamed aside without its folder (an `rm` killed half-way): rm finishes the job.

    Raises:
        tfhub.errors.ArgumentError: NAME is a handle as `cache list` shows it (credentials
            redacted) that several entries show.
        tfhub.errors.SpacedHandleError: NAME is a folder name with spaces around it.
    """
    from ..cache import locks

    _refuse_spaced_folder_name(name)
    path = _entry_path(name, root)
    if cache.listing.has_remains(path) or locks.is_download_running(path):
        return path
    return _entry_shown_as(name, root)


def _refuse_spaced_folder_name(name: str) -> None:
    """Refuses an entry's folder name with spaces around it (copied with the space beside it),
    as a URL with spaces around it is refused.

    Raises:
        tfhub.errors.SpacedHandleError: `name` stripped is a folder name (`<sha1>`, `<sha1>/`).
    """
    stripped = name.strip()
    if stripped != name and cache.layout.is_entry_name(stripped.removesuffix("/")):
        raise errors.SpacedHandleError(
            "The entry folder name has spaces around it; remove them. Did you mean "
            f"{stripped.removesuffix('/')!r}? Received: name={name!r}"
        )


def _entry_path(name_or_handle: str, root: str) -> str:
    """Returns the entry of a folder name (`<sha1>` or `<sha1>/`) or handle: for a Kaggle URL
    with entries under both keys, the one resolve serves (tensorflow_hub's, keyed as given, if
    complete), else tfhub's key, else as given."""
    from .. import handles

    # Only a sha1 names a folder: a 40-character path (`/home/me/...`) must never be joined
    # to the root (an absolute one would replace it) and removed outside the cache.
    # An entry whose folder was deleted by hand is still named by its bookkeeping.
    remains = cache.listing.has_remains
    folder = name_or_handle.removesuffix("/")  # `<sha1>/`, as a shell's tab completion ends it.
    if cache.layout.is_entry_name(folder):
        if remains(os.path.join(root, folder)):
            return os.path.join(root, folder)
    path = cache.module_dir(handles.cache_handle(name_or_handle), root=root)
    as_given = cache.module_dir(name_or_handle, root=root)  # tensorflow_hub's key.
    if not remains(path) and remains(as_given):
        return as_given
    # Both there: the one a load uses, so that the damage advice "rm HANDLE" removes it.
    return cache.health.served_entry(name_or_handle, root=root) if remains(path) else path


def _entry_shown_as(handle: str, root: str) -> str | None:
    """Returns the one entry that `tfhub cache list` shows with `handle` (a handle with its
    credentials redacted, or a control character escaped, names no entry), or None if none
    does.

    Raises:
        tfhub.errors.ArgumentError: several entries show it (their credentials differ).
    """
    paths = cache.listing.entries_showing(root, handle)
    if len(paths) > 1:
        names = [os.path.basename(path) for path in paths]
        raise errors.ArgumentError(
            f"{len(names)} entries of the cache show the handle {escaped(handle)} (their "
            "credentials differ, or a character shown escaped): "
            f"{', '.join(names[:-1])} and {names[-1]}; nothing was "
            f"removed. Give `tfhub cache rm` the folder name of the one to remove. Received: "
            f"handle={handle!r}"
        )
    return paths[0] if paths else None


def _names_one_of(name: str, paths: set[str]) -> bool:
    """True if `name` is the folder name of one of the entries `paths`."""
    return any(os.path.basename(path) == name for path in paths)


def _remove_or_note(path: str, failed: list[errors.CacheError]) -> cache.store.Removal | None:
    """`cache.remove(path)`, or None with its CacheError (a stuck lock holder, a folder that
    refuses changes) added to `failed`: one entry that cannot go must not keep the others."""
    try:
        return cache.remove(path)
    except errors.CacheError as err:
        failed.append(err)
        return None


def _raise_failures(
    failed: list[errors.CacheError], root: str, missing: Sequence[str] = ()
) -> None:
    """Raises the one error of `failed` as it is, or one CacheError saying how many there were
    and the first, naming the `missing` names too (rm's other problem, which the error would
    otherwise hide); nothing if `failed` is empty.

    Raises:
        tfhub.errors.CacheError: (or its subclass that `failed` holds) if an entry was left.
    """
    if len(failed) == 1 and not missing:
        raise failed[0]
    if failed:
        count = "1 entry" if len(failed) == 1 else f"{len(failed)} entries"
        also = f" Also not in the cache: {list(missing)}." if missing else ""
        raise errors.CacheError(
            f"{count} of the cache {escaped(root)} could not be removed; the first: "
            f"{failed[0]}{also}",
            path=root,
        ) from failed[0]
