"""Folders in Python's temporary folder (TMPDIR), or tfhub's error saying to set TMPDIR.

Python's `tempfile` raises a bare FileNotFoundError when it has no temporary folder it can use
(TMPDIR, /tmp, /var/tmp and the working folder all missing or read-only, or `tempfile.tempdir`
set to a folder that is gone): the error names a path in the missing folder, not the setting.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator

from .. import errors
from .printable import escaped


def make_temporary_folder(prefix: str, *, needer: str) -> str:
    """Makes a new folder in Python's temporary folder and returns its path (the caller
    removes it).

    Args:
        prefix: the start of the folder's name ("tfhub-remote-").
        needer: what needs it, for the error ("Downloading into a gs:// cache").

    Raises:
        tfhub.errors.TempFolderError: (a FileNotFoundError, as Python raised) there is no
            temporary folder it can use; the message says what needed one and to set TMPDIR.
    """
    try:
        return tempfile.mkdtemp(prefix=prefix)
    except FileNotFoundError as err:  # Python tried TMPDIR, /tmp, /var/tmp, ... and the cwd.
        raise errors.TempFolderError.none_writable(needer, escaped(str(err))) from err


@contextlib.contextmanager
def temporary_folder(prefix: str, *, needer: str) -> Iterator[str]:
    """`make_temporary_folder`, removed with what it holds when the block ends.

    Raises:
        tfhub.errors.TempFolderError: as `make_temporary_folder`.
    """
    folder = make_temporary_folder(prefix, needer=needer)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
