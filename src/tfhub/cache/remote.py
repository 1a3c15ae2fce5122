"""Caches on tf.io.gfile filesystems (`TFHUB_CACHE_DIR=gs://...`, `ram://...`), as 0.10.0 allowed.

These filesystems have no OS lock and no atomic folder rename (`ram://` cannot rename folders;
GCS renames object by object), so tfhub keeps what it can:

- a download goes into a LOCAL temporary folder first: a failed or refused download writes
  nothing to the remote cache;
- the descriptor (marked as tfhub's) is written first, then the files are copied into the entry
  folder, and the manifest LAST: the manifest is the commit mark, so an entry whose copy was
  interrupted has tfhub's descriptor but no manifest and is downloaded again (over the partial
  copy) instead of being served;
- each file is copied to `<entry>.<uuid>.tmp/` beside the entry and renamed into place: it
  appears whole and replaces what is there (TensorFlow's ram:// appends to a file written
  over, and two writers of one file mix their bytes); a killed copy leaves that folder behind,
  outside the model's folder;
- an entry tensorflow_hub wrote (its descriptor, not marked as tfhub's, and no manifest) is
  served if its folder is not empty, as tensorflow_hub itself decides (and, if it is a
  SavedModel, `saved_model.pb`); an entry with neither descriptor nor manifest is an
  interrupted copy;
- what is weaker: concurrent first downloads of one handle (other processes or machines) are not
  deduplicated, each downloads and copies the same bytes; `tfhub cache` commands manage local
  caches only.

TensorFlow is imported only when such a cache is used.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from typing import Any

from .. import constants, errors
from ..utils.lazy import import_tensorflow
from ..utils.redact import redact
from . import bookkeeping, layout

logger = logging.getLogger(__name__)

Fetch = Callable[[str], object]


def _gfile() -> Any:
    return import_tensorflow("A cache on a tf.io.gfile filesystem (TFHUB_CACHE_DIR)").io.gfile


def atomic_download(handle: str, fetch: Fetch, *, module_path: str, local: bool = False) -> str:
    """Returns the entry of `handle` in a gfile cache, fetching and copying it there if needed.

    Raises:
        tfhub.errors.OfflineModeError: if TFHUB_OFFLINE is set and the entry is missing.
        tfhub.errors.CacheError: if the cache cannot be written.
        Whatever `fetch` raises; nothing is then written to the cache.
    """
    problem = damage(module_path)
    if problem is None:
        return module_path
    root = module_path.rsplit("/", 1)[0]
    if constants.is_offline() and not local:
        raise errors.OfflineModeError(
            f"TFHUB_OFFLINE is set and {handle!r} is not complete in the cache {root} "
            f"({problem}). Pre-fill the cache where the network is available, or unset "
            "TFHUB_OFFLINE.",
            handle=redact(handle),
            cache_dir=root,
        )
    local_tmp = tempfile.mkdtemp(prefix="tfhub-remote-")
    try:
        logger.info("Downloading TF-Hub Module %r (cache %s).", redact(handle), root)
        fetched = bookkeeping.as_fetch_result(fetch(local_tmp))
        install(handle, local_tmp, module_path, fetched=fetched)
    finally:
        shutil.rmtree(local_tmp, ignore_errors=True)
    return module_path


def install(
    handle: str,
    local_dir: str,
    module_path: str,
    *,
    fetched: bookkeeping.FetchResult | None = None,
) -> None:
    """Copies a complete local folder into the gfile cache; the manifest is written last.

    Raises:
        tfhub.errors.CacheError: naming the path, if the filesystem refuses a write.
    """
    gfile = _gfile()
    files = bookkeeping.list_files(local_dir)
    algorithm = fetched[1] if fetched else bookkeeping.DEFAULT_ALGORITHM
    digests = bookkeeping.known_digests(files, fetched)
    for rel in files:
        if rel not in digests:
            digests[rel] = bookkeeping.file_digest(f"{local_dir}/{rel}", algorithm)
    manifest = layout.manifest_path(module_path)
    staging = layout.new_tmp_dir(module_path)  # `<entry>.<uuid>.tmp`, beside the entry.
    staged = False
    try:
        if gfile.exists(manifest):
            gfile.remove(manifest)  # Incomplete from here until the new manifest is written.
        # tfhub's descriptor before any file: a copy interrupted from here on is not taken for
        # an entry of tensorflow_hub (whose descriptor it would otherwise keep).
        _write(gfile, layout.descriptor_path(module_path), bookkeeping.descriptor_text(handle))
        staged = True
        for rel in sorted(files):
            _copy_into_place(
                gfile, f"{local_dir}/{rel}", f"{staging}/{rel}", f"{module_path}/{rel}"
            )
        text = bookkeeping.manifest_text(files, digests, algorithm=algorithm)
        _write(gfile, manifest, text)
    except errors.CacheError:
        raise
    except Exception as err:  # tf.errors.OpError and OSError: the filesystem refused.
        raise errors.CacheError(
            f"Cannot write the cache entry {module_path}: {err}. Check the filesystem's "
            "permissions, or set TFHUB_CACHE_DIR to a writable folder.",
            path=module_path,
        ) from err
    finally:
        if staged:  # Else not made: a filesystem that refused a write is not asked again.
            _remove_quietly(gfile, staging)


def _copy_into_place(gfile: Any, source: str, staged: str, target: str) -> None:
    """Copies a local file to `target` through `staged` and a rename: the file appears whole,
    and replaces what is there (a file written over is appended to on some filesystems, as
    TensorFlow's ram://; two processes writing one file mix their bytes)."""
    gfile.makedirs(staged.rsplit("/", 1)[0])
    gfile.copy(source, staged, overwrite=True)
    gfile.makedirs(target.rsplit("/", 1)[0])
    gfile.rename(staged, target, overwrite=True)


def _remove_quietly(gfile: Any, folder: str) -> None:
    """Removes this process's staging folder, if there is one (a failure is only logged)."""
    try:
        if gfile.exists(folder):
            gfile.rmtree(folder)
    except Exception as err:  # tf.errors.OpError: the filesystem refused.
        logger.warning("Could not remove the temporary folder %s: %s", folder, err)


def _write(gfile: Any, path: str, text: str) -> None:
    """Writes through a temporary name and a (file) rename, as atomic as the filesystem allows."""
    tmp = f"{path}.{uuid.uuid4().hex}{layout.PART_SUFFIX}"
    with gfile.GFile(tmp, "w") as out:
        out.write(text)
    gfile.rename(tmp, path, overwrite=True)


def damage(module_path: str) -> str | None:
    """Says what is wrong with an entry of a gfile cache (bounded check), or None.

    An entry tfhub wrote without a valid manifest is incomplete: the manifest is written last.
    One tensorflow_hub wrote (its descriptor, without tfhub's mark) has no manifest: it is
    complete if its folder is not empty (`_upstream_damage`).
    """
    gfile = _gfile()
    if not gfile.isdir(module_path):
        return "the folder does not exist"
    header = _read_header(gfile, layout.manifest_path(module_path))
    if header is None:
        return _unlisted_damage(gfile, module_path)
    for rel, size in header.sample.items():
        try:
            actual = gfile.stat(f"{module_path}/{rel}").length
        except Exception:  # tf.errors.NotFoundError
            return f"{rel} is missing"
        if actual != size:
            return f"{rel} has {actual} bytes instead of {size}"
    return None


def _read_header(gfile: Any, path: str) -> bookkeeping.ManifestHeader | None:
    try:
        with gfile.GFile(path, "r") as text:
            return bookkeeping.parse_header(text.readline())
    except Exception:  # tf.errors.NotFoundError and friends.
        return None


def _unlisted_damage(gfile: Any, module_path: str) -> str | None:
    """Damage of an entry without a valid manifest: none for a complete entry of
    tensorflow_hub, which writes its descriptor (unmarked) and never a manifest."""
    no_manifest = "it has no valid manifest (an interrupted copy)"
    descriptor = _read_descriptor(gfile, layout.descriptor_path(module_path))
    if descriptor is None or descriptor.written_by_tfhub:
        return no_manifest  # tfhub's copy, interrupted before its descriptor or its manifest.
    if gfile.exists(layout.manifest_path(module_path)):
        return no_manifest  # Only tfhub writes one; this one cannot be read.
    return _upstream_damage(gfile, module_path)


# The files beside an entry (`<entry>.descriptor.txt`, `.manifest.json`, tensorflow_hub's
# `.lock`, a staging `<entry>.<uuid>.tmp`, a `.part` being written): ram:// lists by name prefix,
# so they are "in" the entry's folder there, which then seems to exist when only they do.
_SIBLING = re.compile(r"^\.(?:descriptor\.txt|manifest\.json|lock|[0-9a-f]{32}\.tmp)(?:\..*)?$")


def _upstream_damage(gfile: Any, module_path: str) -> str | None:
    """What is missing from an entry of tensorflow_hub, or None: as tensorflow_hub, a folder
    that is not empty is complete; a SavedModel (it has `variables/` or `tfhub_module.pb`)
    must also hold `saved_model.pb`."""
    try:
        listed = {name.rstrip("/") for name in gfile.listdir(module_path)}
    except Exception:  # tf.errors.NotFoundError: removed meanwhile.
        return "the folder does not exist"
    names = {name for name in listed if not _SIBLING.match(name)}
    if not names:
        return "the folder is empty"
    saved_model = names & {"variables", "tfhub_module.pb"}
    if saved_model and not names & {"saved_model.pb", "saved_model.pbtxt"}:
        return "saved_model.pb is missing"
    return None


def _read_descriptor(gfile: Any, path: str) -> bookkeeping.Descriptor | None:
    try:
        with gfile.GFile(path, "r") as text:
            return bookkeeping.parse_descriptor(text.read(64 * 1024).splitlines())
    except Exception:  # tf.errors.NotFoundError and friends.
        return None
