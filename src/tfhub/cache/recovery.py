"""Finishing an install that was killed between its two last steps.

An install that replaces an entry (`tfhub import --force`, a download over a damaged entry)
writes the new manifest, then renames its complete temporary folder into place. Killed between
the two, the new folder, complete, waits beside the entry as `<entry>.<uuid>.tmp`, under the new
manifest, while the entry's own folder is missing: `import --force` sets the old folder aside
before it writes the manifest (review50a-F1: an old folder left under the new manifest, with the
same names and sizes, looked complete and was served, and prune deleted the new one). Caches
written by earlier versions may hold the old folder there instead (damaged, when its sizes
differ). A folder is put in place only if it holds the manifest's files with their sizes and
content hashes. Removing both (as a damaged entry and a leftover
download) lost the entry the user asked for; `finish_install` puts the new folder in place
instead. It runs only where damage was found already (a resolve about to download again,
`tfhub cache prune`), never on the hot path.
"""

from __future__ import annotations

import glob
import logging
import os

from ..utils.printable import escaped
from . import bookkeeping, deleting, entry_files, health, layout, locks
from .deleting import DELETING_MARK

logger = logging.getLogger(__name__)


def finish_install(module_path: str) -> bool:
    """Puts in place a temporary folder beside a damaged entry that holds exactly the files
    the entry's manifest lists, with their sizes (an install killed before its rename).

    The caller holds the entry's lock. Nothing is done while a tensorflow_hub download of the
    entry runs (its `<entry>.lock`), whose folders have the same names.

    Args:
        module_path: the entry's local folder.

    Returns:
        True if an install was finished (the entry is complete now).
    """
    candidate = pending_install(module_path)
    if candidate is None:
        return False
    aside = deleting.set_aside(module_path) if os.path.lexists(module_path) else None
    os.rename(candidate, module_path)
    if aside is not None:
        deleting.remove_tree(aside)
    logger.warning(
        "Finished the install of %s that an interrupted process left in %s.",
        escaped(module_path),
        escaped(candidate),
    )
    return True


def pending_install(module_path: str) -> str | None:
    """The temporary folder that `finish_install` would put in place now (what `tfhub cache
    prune` and the next download do with it), or None. Changes nothing; takes no lock.

    Args:
        module_path: the entry's local folder.

    Returns:
        The folder beside the damaged (or missing) entry holding exactly the files, sizes and
        content hashes its manifest lists; None if there is none, the entry is complete, or a
        live tensorflow_hub download of it runs. Reads every byte of such a folder.
    """
    manifest = bookkeeping.read_manifest(module_path)
    if not manifest or not manifest.sizes or health.full_damage(module_path) is None:
        return None
    upstream = locks.read_upstream_lock(module_path)
    if upstream is not None and not upstream.is_stale():
        return None
    for candidate in sorted(glob.glob(glob.escape(module_path) + ".*" + layout.TMP_SUFFIX)):
        if DELETING_MARK not in candidate[len(module_path) :] and _holds(candidate, manifest):
            return candidate
    return None


def _holds(folder: str, manifest: bookkeeping.Manifest) -> bool:
    """Whether `folder` holds exactly the manifest's files, with their sizes and (if the
    manifest records them) their content hashes: a folder of another install with the same
    names and sizes (a model retrained with the same architecture) is not the manifest's."""
    return (
        os.path.isdir(folder)
        and entry_files.list_files(folder) == manifest.sizes
        and health.content_damage(folder, manifest) is None
    )
