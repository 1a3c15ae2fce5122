"""The module cache: where a handle's folder lives, its bookkeeping, and its health.

Layout (shared with tensorflow_hub, which reads and writes the same names)::

    <cache>/<sha1(handle)>/                 the module, exactly the archive's files
    <cache>/<sha1(handle)>.descriptor.txt   "Module: <handle>\\nDownload Time: ...\\n..."
    <cache>/<sha1(handle)>.manifest.json    tfhub only: every file and its size
    <cache>/.locks/<sha1(handle)>.lock      tfhub only: the OS lock of downloads
    <cache>/<sha1(handle)>.<uuid>.tmp/      a download in progress (owner removes it)

Nothing is ever written inside a module folder. An entry is complete when its folder exists and,
if a manifest is present, every listed file exists with its size (OS temp cleaners delete files
and leave folders); entries written by tensorflow_hub (no manifest) must hold a file.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import shutil
import socket
import uuid
from dataclasses import dataclass

from . import constants, errors
from .handles import cache_key

logger = logging.getLogger(__name__)

DESCRIPTOR_SUFFIX = ".descriptor.txt"
MANIFEST_SUFFIX = ".manifest.json"
TMP_SUFFIX = ".tmp"
LOCKS_DIRNAME = ".locks"


def cache_dir() -> str:
    """Returns the cache folder (TFHUB_CACHE_DIR, --tfhub_cache_dir, <tempdir>/tfhub_modules)."""
    return constants.cache_dir()


def module_dir(handle: str, *, root: str | None = None) -> str:
    """Returns `<cache>/<sha1(handle)>`, the folder of a handle (which may not exist yet)."""
    return os.path.join(root or cache_dir(), cache_key(handle))


def descriptor_path(module_path: str) -> str:
    """Returns the descriptor file of a module folder (upstream's name)."""
    return module_path + DESCRIPTOR_SUFFIX


def manifest_path(module_path: str) -> str:
    """Returns the manifest file of a module folder (beside it)."""
    return module_path + MANIFEST_SUFFIX


def lock_path(module_path: str) -> str:
    """Returns the lock file of a module folder, in `<cache>/.locks/`."""
    root, name = os.path.split(module_path)
    return os.path.join(root, LOCKS_DIRNAME, name + ".lock")


def new_tmp_dir(module_path: str) -> str:
    """Returns a unique, not yet existing, temporary folder beside `module_path`."""
    return f"{module_path}.{uuid.uuid4().hex}{TMP_SUFFIX}"


def descriptor_text(handle: str) -> str:
    """Returns the descriptor's content, in upstream's exact format."""
    today = str(datetime.datetime.today())
    host = f"{socket.gethostname()} (PID:{os.getpid()})"
    return f"Module: {handle}\nDownload Time: {today}\nDownloader Hostname: {host}"


def atomic_write_text(path: str, text: str) -> None:
    """Writes a file through a unique temporary file and a rename."""
    tmp = f"{path}.{uuid.uuid4().hex}.part"
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_descriptor_handle(module_path: str) -> str | None:
    """Returns the handle named in a descriptor's first line, or None if unreadable."""
    try:
        with open(descriptor_path(module_path), encoding="utf-8") as text:
            first = text.readline().rstrip("\n")
    except OSError:
        return None
    return first[len("Module: ") :] if first.startswith("Module: ") else None


def list_files(folder: str) -> dict[str, int]:
    """Returns {relative path: size} of every regular file below `folder` ('/' separators)."""
    files: dict[str, int] = {}
    for dirpath, _, filenames in os.walk(folder):
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            files[rel] = os.lstat(full).st_size
    return files


def write_manifest(module_path: str, files: dict[str, int]) -> None:
    """Records the files of an entry beside it, for damage detection."""
    atomic_write_text(manifest_path(module_path), json.dumps({"files": files}, sort_keys=True))


_manifest_memo: dict[str, tuple[tuple[int, int], dict[str, int]]] = {}


def read_manifest(module_path: str) -> dict[str, int] | None:
    """Returns the manifest's {path: size}, or None if there is none (or it is unreadable).

    Parsed manifests are remembered per (mtime, size) of the file, so resolving a cached handle
    in a loop costs a few stat calls.
    """
    path = manifest_path(module_path)
    try:
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
        memo = _manifest_memo.get(path)
        if memo is not None and memo[0] == stamp:
            return memo[1]
        with open(path, encoding="utf-8") as text:
            files = {str(k): int(v) for k, v in json.load(text)["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    _manifest_memo[path] = (stamp, files)
    return files


def damage(module_path: str) -> str | None:
    """Says what is wrong with an existing entry, or None if it is complete.

    Args:
        module_path: the entry's folder.

    Returns:
        A short description of the damage (missing folder, missing or resized files), or None.
    """
    manifest = read_manifest(module_path)
    if manifest is None or not manifest:
        if not os.path.isdir(module_path):
            return "the folder does not exist"
        if not _holds_a_file(module_path):
            return "the folder holds no file"
        return _saved_model_damage(module_path)
    for rel, size in manifest.items():
        try:
            actual = os.stat(os.path.join(module_path, rel)).st_size
        except OSError:
            return (
                f"{rel} is missing" if os.path.isdir(module_path) else "the folder does not exist"
            )
        if actual != size:
            return f"{rel} has {actual} bytes instead of {size}"
    return None


def is_complete(module_path: str) -> bool:
    """Returns True if the entry exists and is undamaged."""
    return damage(module_path) is None


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


def remove_tree(path: str) -> None:
    """Removes a folder by renaming it aside first, so no reader sees it half-deleted."""
    if not os.path.lexists(path):
        return
    doomed = f"{path}.{uuid.uuid4().hex}.deleting{TMP_SUFFIX}"
    try:
        os.rename(path, doomed)
    except OSError:
        doomed = path
    shutil.rmtree(doomed, ignore_errors=True)


def ensure_writable_root(root: str) -> None:
    """Creates the cache folder.

    Raises:
        tfhub.errors.CacheError: if it cannot be created or written.
    """
    if "://" in root:
        raise errors.CacheError(
            f"tfhub caches models on local (or mounted) filesystems only; set TFHUB_CACHE_DIR "
            f"to a local folder. Received: cache_dir={root!r}"
        )
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as err:
        raise errors.CacheError(
            f"Cannot create the cache folder {root}: {err}. Set TFHUB_CACHE_DIR to a writable "
            "folder."
        ) from err
    if not os.access(root, os.W_OK):
        raise errors.CacheError(
            f"The cache folder {root} is read-only and does not hold a complete copy of the "
            "model. Pre-fill it with `tfhub pull`, or set TFHUB_CACHE_DIR to a writable folder."
        )


@dataclass(frozen=True)
class CacheEntry:
    """One module in the cache, as `tfhub cache list` shows it."""

    name: str
    path: str
    handle: str | None
    size: int
    download_time: str | None
    damage: str | None


def _descriptor_time(module_path: str) -> str | None:
    try:
        with open(descriptor_path(module_path), encoding="utf-8") as text:
            for line in text:
                if line.startswith("Download Time: "):
                    return line[len("Download Time: ") :].strip()
    except OSError:
        return None
    return None


def entry(module_path: str) -> CacheEntry:
    """Returns what the cache knows about one entry folder."""
    return CacheEntry(
        name=os.path.basename(module_path),
        path=module_path,
        handle=read_descriptor_handle(module_path),
        size=sum(list_files(module_path).values()),
        download_time=_descriptor_time(module_path),
        damage=damage(module_path),
    )


def scan(root: str | None = None) -> list[CacheEntry]:
    """Returns every module entry in the cache (folders named by a sha1), sorted by name."""
    root = root or cache_dir()
    if not os.path.isdir(root):
        return []
    names = sorted(
        name
        for name in os.listdir(root)
        if len(name) == 40 and os.path.isdir(os.path.join(root, name))
    )
    return [entry(os.path.join(root, name)) for name in names]


def leftovers(root: str | None = None) -> list[str]:
    """Returns temporary folders and orphan bookkeeping files that `prune` would remove."""
    root = root or cache_dir()
    if not os.path.isdir(root):
        return []
    found = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if name.endswith(TMP_SUFFIX) or name.endswith(".part"):
            if not is_download_running(os.path.join(root, name.split(".", 1)[0])):
                found.append(path)
        elif name.endswith((DESCRIPTOR_SUFFIX, MANIFEST_SUFFIX)):
            if not os.path.isdir(os.path.join(root, name.split(".", 1)[0])):
                found.append(path)
    return found


def is_download_running(module_path: str) -> bool:
    """Returns True if a live process is downloading this entry (its lock is held)."""
    if os.path.exists(module_path + ".lock"):
        return True  # tensorflow_hub's lock file.
    path = lock_path(module_path)
    if not os.path.exists(path):
        return False
    import filelock

    lock = filelock.FileLock(path)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


def remove(module_path: str) -> None:
    """Removes an entry and its bookkeeping (descriptor, manifest)."""
    for extra in (manifest_path(module_path), descriptor_path(module_path)):
        if os.path.exists(extra):
            os.remove(extra)
    remove_tree(module_path)
