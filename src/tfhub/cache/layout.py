"""Where things are in the cache: the folder, and the names of an entry's files beside it.

Layout (shared with tensorflow_hub, which reads and writes the same names)::

    <cache>/<sha1(handle)>/                 the module, exactly the archive's files
    <cache>/<sha1(handle)>.descriptor.txt   "Module: <handle>\\nDownload Time: ...\\n..."
    <cache>/<sha1(handle)>.manifest.json    tfhub only: every file, its size and content hash
    <cache>/.locks/<sha1(handle)>.lock      tfhub only: the OS lock of downloads
    <cache>/<sha1(handle)>.<uuid>.tmp/      a download in progress (owner removes it)
    <cache>/<sha1(handle)>.lock             tensorflow_hub's lock file ("host.pid.uid"), which
                                            tfhub writes too while it downloads
"""

from __future__ import annotations

import os
import re
import urllib.parse

from .. import constants

# True for a tf.io.gfile URL (`gs://`, `ram://`, ...), False for a local path: tfhub's one
# answer (imported by `constants` already: nothing more to load on a cached resolve).
from ..utils.paths import is_url as is_remote

DESCRIPTOR_SUFFIX = ".descriptor.txt"
MANIFEST_SUFFIX = ".manifest.json"
TMP_SUFFIX = ".tmp"
PART_SUFFIX = ".part"
LOCKS_DIRNAME = ".locks"
UPSTREAM_LOCK_SUFFIX = ".lock"
_ENTRY_NAME = re.compile(r"^[0-9a-f]{40}$")


def cache_dir() -> str:
    """Returns the cache folder (TFHUB_CACHE_DIR, --tfhub_cache_dir, <tempdir>/tfhub_modules).

    A `file://` URL is returned as its local path; other URLs (`gs://`, `ram://`) as given, for
    tf.io.gfile; a relative local path is made absolute.
    """
    root = constants.cache_dir()
    if root.lower().startswith("file://"):
        root = urllib.parse.unquote(urllib.parse.urlsplit(root).path) or "/"
    return root if is_remote(root) else os.path.abspath(root)


def require_local(path: str) -> None:
    """Checks that a cache folder (or entry) is local, for the upkeep that works on local
    folders only (their locks are OS locks): listing, removing, pruning.

    Raises:
        tfhub.errors.CacheError: for a path on a tf.io.gfile filesystem (`gs://`, `ram://`).
    """
    if is_remote(path):
        from .. import errors
        from ..utils.printable import escaped

        raise errors.CacheError(
            f"Listing, removing and pruning cache entries work on local cache folders; "
            f"{escaped(path)} is on a tf.io.gfile filesystem. Use that filesystem's tools (e.g. "
            "gsutil) there, or point TFHUB_CACHE_DIR at a local folder.",
            path=path,
        )


def is_entry_name(name: str) -> bool:
    """Returns True for a name an entry folder can have (a sha1 in hex)."""
    return bool(_ENTRY_NAME.match(name))


def module_dir(handle: str, *, root: str | None = None) -> str:
    """Returns `<cache>/<sha1(handle)>`, the folder of a handle (which may not exist yet)."""
    from ..handles import cache_key  # Here: listing the cache needs no handle parsing.

    return join(root or cache_dir(), cache_key(handle))


def join(root: str, name: str) -> str:
    """Joins a name to a local folder or a gfile URL."""
    return root.rstrip("/") + "/" + name if is_remote(root) else os.path.join(root, name)


def rm_argument(handle: str, module_path: str) -> str:
    """Returns what to give `tfhub cache rm` in a message to remove `handle`'s entry at
    `module_path`: the handle, or the entry folder's name when the handle carries credentials
    (a message shows them redacted, and a redacted handle names no entry)."""
    from ..utils.redact import redact

    if "***" in handle or redact(handle) != handle:
        return os.path.basename(module_path)
    return handle


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


def upstream_lock_path(module_path: str) -> str:
    """Returns tensorflow_hub's lock file of a module folder (`<entry>.lock`)."""
    return module_path + UPSTREAM_LOCK_SUFFIX


def unique_suffix() -> str:
    """32 random hex digits, as `uuid.uuid4().hex` (whose import, with `platform`, costs ~3 ms
    on a download's start path): unique names of temporary files and folders."""
    return os.urandom(16).hex()


def new_tmp_dir(module_path: str) -> str:
    """Returns a unique, not yet existing, temporary folder beside `module_path`."""
    return f"{module_path}.{unique_suffix()}{TMP_SUFFIX}"


def tmp_dir_task_uid(module_path: str, tmp_dir: str) -> str:
    """Returns the task uid in the name of a temporary folder `<entry>.<uid>.tmp` (what
    tensorflow_hub's lock file names)."""
    return tmp_dir[len(module_path) + 1 : -len(TMP_SUFFIX)]
