"""An entry's bookkeeping written at install (descriptor, then manifest), undone on failure.

The folder an install replaces goes aside just before the new manifest is written, so that a
process killed in between leaves no old folder under the new manifest (`recovery` finishes
such an install). If writing fails, the replaced entry keeps its folder and its bookkeeping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .. import errors
from . import bookkeeping, deleting, entry_files, layout, manifest_writing, safe_writes


def write_bookkeeping(
    handle: str,
    tmp_dir: str,
    module_path: str,
    *,
    digests: Mapping[str, tuple[int, str]] | None,
    algorithm: str | None,
    replace_existing: bool,
) -> str | None:
    """Writes the descriptor and the manifest of `tmp_dir`'s files beside `module_path`.

    Args:
        handle: the handle, written (redacted) in the descriptor.
        tmp_dir: the complete folder, whose files the manifest lists.
        module_path: the entry it is about to become.
        digests: {relative path: (size, hex hash)} computed while extracting, if any; files
            missing from it (or of another size) are hashed here.
        algorithm: the hashlib name of `digests`' hashes.
        replace_existing: the folder at `module_path` is renamed aside, just before the
            manifest is written.

    Returns:
        Where the folder `replace_existing` replaces was renamed aside (just before the
        manifest was written), or None.

    Raises:
        tfhub.errors.CacheError: a file could not be written; then neither the descriptor nor
            the manifest is left behind (the replaced entry keeps its own), and the folder
            renamed aside is back in place.
    """
    files = entry_files.list_files(tmp_dir)
    known = manifest_writing.known_digests(files, (digests, algorithm or "") if digests else None)
    descriptor = layout.descriptor_path(module_path)
    # The entry `replace` replaces is kept if this fails: so is its bookkeeping.
    kept = _read_text(descriptor) if os.path.lexists(module_path) else None
    # The folder `replace` replaces goes aside before the new manifest is written: killed in
    # between, no folder stands under the new manifest (recovery.finish_install puts the new
    # one in place), rather than the old one, which looked complete when its sizes were the
    # same and was served under the new bookkeeping (review50a-F1).
    # (Hashed before: the old folder is away only while the manifest file is written.)
    aside = None
    try:
        safe_writes.atomic_write_text(descriptor, bookkeeping.descriptor_text(handle))
        manifest = manifest_writing.manifest_of(tmp_dir, files, digests=known, algorithm=algorithm)
        aside = _set_aside_if(replace_existing, module_path)
        safe_writes.atomic_write_text(layout.manifest_path(module_path), manifest)
    except BaseException as err:
        if aside is not None and not os.path.lexists(module_path):
            os.rename(aside, module_path)  # Not replaced after all: it stays.
        if isinstance(err, errors.CacheError):
            _undo_bookkeeping(module_path, kept)
        raise
    return aside


def _set_aside_if(wanted: bool, module_path: str) -> str | None:
    """Renames the folder at `module_path` aside if `wanted` and there is one; returns where
    it went (`deleting.set_aside`), or None."""
    if not wanted or not os.path.lexists(module_path):
        return None
    return deleting.set_aside(module_path)


def _read_text(path: str) -> str | None:
    try:
        with bookkeeping.open_text(path) as text:  # Never waits on a named pipe.
            return text.read() if text is not None else None
    except (OSError, UnicodeDecodeError):
        return None


def _undo_bookkeeping(module_path: str, kept_descriptor: str | None) -> None:
    """After a failed install: removes the descriptor and manifest written for it, or, when an
    entry is there (the one `replace` replaces), puts its descriptor back and keeps its manifest
    (the manifest, written last and atomically, is still its own)."""
    descriptor = layout.descriptor_path(module_path)
    if not os.path.lexists(module_path):
        for path in (descriptor, layout.manifest_path(module_path)):
            deleting.unlink_quietly(path)
    elif kept_descriptor is None:
        deleting.unlink_quietly(descriptor)  # It had none: this one is the failed install's.
    elif _read_text(descriptor) != kept_descriptor:
        try:
            safe_writes.atomic_write_text(descriptor, kept_descriptor)
        except errors.CacheError:
            pass  # Still the same handle; only its download time is the failed one's.
