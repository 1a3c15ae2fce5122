"""The files of an entry's folder as they are on disk: their sizes and content hashes.

Read to write a manifest (at install, `tfhub import`, a remote cache's upload), by `tfhub cache
verify` (the full and deep checks) and by `tfhub cache list` (the size of an entry without a
manifest). Never on the path of resolving a cached handle, which reads the manifest's header.
"""

from __future__ import annotations

import errno
import hashlib
import os

from ..utils.regular_files import open_regular
from .bookkeeping import DEFAULT_ALGORITHM

_READ_CHUNK = 1 << 20


def list_files(folder: str) -> dict[str, int]:
    """Returns {relative path: size} of every file below `folder` ('/' separators).

    A link to a file counts as the file it leads to (its size, as the checks read it through
    the link: recording the link's own size made every later check find it "damaged"); a
    link that leads nowhere is no file.
    """
    files: dict[str, int] = {}
    for dirpath, _, filenames in os.walk(folder):
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            try:
                size = os.stat(full).st_size
            except OSError:
                continue  # A dangling link (the archive's checks allowed it: it points inside).
            files[os.path.relpath(full, folder).replace(os.sep, "/")] = size
    return files


def file_digest(path: str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """Returns the hex content hash of a file, never waiting: a named pipe in place of a model
    file (one user's `mkfifo` in a shared cache, in an entry or in the folder a killed install
    left) made `verify --deep`, and a resolve that finishes a killed install, wait for a writer
    forever (rf51d-F2).

    Raises:
        OSError: it is missing or unreadable (as `open`), or not a regular file (EINVAL: a
            pipe, a socket, a device or a folder), whose content is no model file's.
    """
    digest = hashlib.new(algorithm)
    data = open_regular(path)
    if data is None:
        raise OSError(errno.EINVAL, "not a regular file: a named pipe or a device", path)
    with data:
        while chunk := data.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
