"""Is an entry complete? Three depths: resolve's bounded check, the full check, the deep check.

- `damage` (every `hub.resolve`): the folder, the manifest's header and a bounded sample of files
  (the largest ones, the SavedModel's key files and a spread of the rest) with their sizes. Its
  cost does not grow with the number of files.
- `full_damage` (`tfhub cache verify`): every file of the manifest, with its size.
- `deep_damage` (`tfhub cache verify --deep`): every file's content hash.

An entry written by tfhub (its descriptor says so) without a valid manifest is damaged.
Entries written by tensorflow_hub (no manifest) must hold a file and, if they are SavedModels,
`saved_model.pb` and a variables data shard (OS temp cleaners delete files and leave folders).
"""

from __future__ import annotations

import os

from ..utils.paths import non_folder_kind
from . import bookkeeping, layout

MISSING_FOLDER = "the folder does not exist"
UNREADABLE = "cannot be read by this user"
BAD_MANIFEST = "its manifest is missing or corrupt: tfhub wrote this entry and always writes one"


def no_folder(module_path: str) -> str:
    """The damage of an entry path that is not a folder: `MISSING_FOLDER` if nothing is there,
    else what is (a link to a disk not mounted: "it is a link to /mnt/d/<sha1>, which does not
    exist"; a file: "it is a file, not a folder"), as resolve's warning says it."""
    if not os.path.lexists(module_path):
        return MISSING_FOLDER
    return f"it {non_folder_kind(module_path)}"


def damage(module_path: str) -> str | None:
    """Says what is wrong with an entry, checking a bounded sample; None if it looks complete.

    Args:
        module_path: the entry's folder, local or on a tf.io.gfile filesystem (`gs://`, whose
            check `tfhub.cache.remote_check.damage` imports TensorFlow).

    Returns:
        A short description of the damage, or None.
    """
    if layout.is_remote(module_path):
        from . import remote_check  # Imports TensorFlow: only for a cache on such a filesystem.

        return remote_check.damage(module_path)
    if not os.path.isdir(module_path):
        return no_folder(module_path)
    return damage_with_header(module_path, bookkeeping.read_header(module_path))


def damage_with_header(module_path: str, header: bookkeeping.ManifestHeader | None) -> str | None:
    """Like `damage`, for an existing folder whose manifest header was read already (or None)."""
    if header is None:
        return _unlisted_damage(module_path)
    return _stale_manifest_checked(module_path, _sizes_damage(module_path, header.sample))


def full_damage(module_path: str) -> str | None:
    """Like `damage`, but checks every file the manifest lists."""
    if not os.path.isdir(module_path):
        return no_folder(module_path)
    manifest = bookkeeping.read_manifest(module_path)
    if manifest is None:
        return _unlisted_damage(module_path)
    return _stale_manifest_checked(module_path, _sizes_damage(module_path, manifest.sizes))


def _stale_manifest_checked(module_path: str, problem: str | None) -> str | None:
    """`problem`, found against tfhub's manifest, unless the manifest is stale: the entry was
    installed again since by tensorflow_hub, which rewrites the descriptor (not marked as
    tfhub's, and newer than the manifest, which tfhub writes after its descriptor) and leaves
    a manifest it does not know. Such an entry is checked as tensorflow_hub's entries are.
    Asked only when the manifest finds damage: no cost otherwise.
    """
    if problem is None:
        return None
    descriptor = bookkeeping.read_descriptor(module_path)
    if descriptor is None or descriptor.written_by_tfhub:
        return problem
    try:
        rewritten = (
            os.stat(layout.descriptor_path(module_path)).st_mtime_ns
            > os.stat(layout.manifest_path(module_path)).st_mtime_ns
        )
    except OSError:
        return problem
    return _unlisted_damage(module_path, manifest_stale=True) if rewritten else problem


def deep_damage(module_path: str) -> tuple[str | None, bool]:
    """Checks every file's size and content hash.

    Returns:
        (damage or None, whether content hashes were checked): entries of tensorflow_hub and of
        tfhub before 0.2 have no hashes; they get the full size check only.
    """
    problem = full_damage(module_path)
    manifest = bookkeeping.read_manifest(module_path)
    if problem is not None or manifest is None or manifest.digests is None:
        return problem, False
    return content_damage(module_path, manifest), True


def content_damage(folder: str, manifest: bookkeeping.Manifest) -> str | None:
    """The first file of `folder` whose content hash differs from the one `manifest` records
    (or that cannot be read), said as damage; None if all match or the manifest has no hashes.
    Reads every byte: for `verify --deep` and for a repair, never for a resolve."""
    if manifest.digests is None:
        return None
    algorithm = manifest.header.algorithm or bookkeeping.DEFAULT_ALGORITHM
    for rel, expected in sorted(manifest.digests.items()):
        try:
            actual = bookkeeping.file_digest(_full(folder, rel), algorithm)
        except OSError as err:
            return _unreadable(rel, err)
        if actual != expected:
            return f"{rel} has other content than was installed ({algorithm} differs)"
    return None


def is_complete(module_path: str) -> bool:
    """Returns True if the entry exists and its bounded check finds no damage (`damage`: for a
    local entry or one on a tf.io.gfile filesystem)."""
    return damage(module_path) is None


def served_entry(handle: str, *, root: str | None = None) -> str:
    """The entry folder resolve serves for an http(s) handle: tensorflow_hub's, keyed by the
    URL as given, when that key differs from tfhub's (a Kaggle long form, a signed URL) and
    that entry is complete; else tfhub's (`handles.cache_handle`). What `tfhub cache rm` and
    `tfhub import` act on, so that they act on the entry a load uses (review50a-F2).

    Args:
        handle: the handle as given.
        root: the cache folder (default: TFHUB_CACHE_DIR's).
    """
    from .. import handles

    ours = layout.module_dir(handles.cache_handle(handle), root=root)
    as_given = layout.module_dir(handle, root=root)
    return as_given if as_given != ours and is_complete(as_given) else ours


def _full(module_path: str, rel: str) -> str:
    return os.path.join(module_path, *rel.split("/"))


def _sizes_damage(module_path: str, sizes: dict[str, int]) -> str | None:
    for rel, size in sizes.items():
        try:
            actual = os.stat(_full(module_path, rel)).st_size
        except PermissionError as err:  # A folder of the entry this user may not enter.
            return _unreadable(rel, err)
        except OSError:
            return f"{rel} is missing" if os.path.isdir(module_path) else no_folder(module_path)
        if actual != size:
            return f"{rel} has {actual} bytes instead of {size}"
    return None


def _unreadable(rel: str, err: OSError) -> str:
    """The damage of a file this user may not read (or that the disk fails to give back)."""
    if isinstance(err, FileNotFoundError):
        return f"{rel} is missing"
    what = UNREADABLE if isinstance(err, PermissionError) else "cannot be read"
    return f"{rel} {what} ({err.strerror or err})"


def only_unreadable(problem: str | None) -> bool:
    """Whether `problem` (a damage this module said) is only that this user may not read the
    entry: another user's private entry in a shared cache, maybe complete. Not for this user
    to remove (`tfhub cache prune` leaves it; its owner can check it)."""
    return problem is not None and UNREADABLE in problem


def _unlisted_damage(module_path: str, *, manifest_stale: bool = False) -> str | None:
    """Damage of an entry without a valid manifest (or with a stale one, see
    `_stale_manifest_checked`)."""
    if not manifest_stale:
        manifest = layout.manifest_path(module_path)
        if os.path.exists(manifest) and not os.access(manifest, os.R_OK):
            # Another user's private entry: not missing nor corrupt (a fresh copy would not do).
            return f"{os.path.basename(manifest)} {UNREADABLE}"
    if not os.access(module_path, os.R_OK | os.X_OK):
        # Another user's private folder (umask 077): os.walk of it saw no file (review50a-F4).
        return f"the folder {UNREADABLE}"
    if not _holds_a_file(module_path):
        return "the folder holds no file"  # Before the manifest: a valid one may list none.
    if not manifest_stale:
        descriptor = bookkeeping.read_descriptor(module_path)
        if descriptor is not None and descriptor.written_by_tfhub:
            return BAD_MANIFEST
        if os.path.exists(layout.manifest_path(module_path)):
            return BAD_MANIFEST  # A manifest only tfhub writes, now unreadable.
    return _saved_model_damage(module_path)


def _saved_model_damage(module_path: str) -> str | None:
    """Says what a temp cleaner removed from a SavedModel entry that has no manifest, or None.

    Entries written by tensorflow_hub list no files; a folder that is a SavedModel (it has
    `variables/` or `tfhub_module.pb`) must still hold `saved_model.pb` and, if it has a
    variables index, a variables data shard.
    """
    join = os.path.join
    variables = join(module_path, "variables")
    looks_like_saved_model = os.path.isdir(variables) or os.path.exists(
        join(module_path, "tfhub_module.pb")
    )
    if not looks_like_saved_model:
        return None
    if not any(
        os.path.isfile(join(module_path, name)) for name in ("saved_model.pb", "saved_model.pbtxt")
    ):
        return "saved_model.pb is missing"
    if os.path.isfile(join(variables, "variables.index")) and not any(
        name.startswith("variables.data-") for name in os.listdir(variables)
    ):
        return "variables/variables.data-* is missing"
    return None


def _holds_a_file(folder: str) -> bool:
    for _, _, filenames in os.walk(folder):
        if filenames:
            return True
    return False
