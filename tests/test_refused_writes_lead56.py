"""A write TensorFlow's file system refused on a read-only file system is said as one (rf56b-F1):
`failed_write` mapped every PERMISSION_DENIED OpError to "permission denied", so an export into
an existing folder of a read-only mount advised fixing permissions, while TensorFlow's message
said "Read-only file system"."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest


def test_a_tensorflow_write_refused_by_a_read_only_file_system_says_so(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    from tfhub.utils.refused_writes import export_write_error, failed_write

    folder = os.fspath(tmp_path / "export")
    read_only = tf.errors.PermissionDeniedError(
        None, None, f"{folder}/x; {os.strerror(errno.EROFS)}"
    )
    mapped = failed_write(read_only, folder)
    assert mapped is not None and mapped.errno == errno.EROFS
    assert os.strerror(errno.EROFS) in str(export_write_error(mapped, folder))
    denied = tf.errors.PermissionDeniedError(None, None, f"{folder}/x; Permission denied")
    assert getattr(failed_write(denied, folder), "errno", None) == errno.EACCES


def test_an_export_over_the_file_size_limit_says_so_not_fix_permissions(tmp_path: Path) -> None:
    from tfhub.utils.refused_writes import export_write_error

    folder = os.fspath(tmp_path / "export")
    message = str(export_write_error(OSError(errno.EFBIG, os.strerror(errno.EFBIG)), folder))
    assert "ulimit -f" in message and "permissions" not in message
