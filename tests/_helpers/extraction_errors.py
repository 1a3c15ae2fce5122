"""The error tfhub's extraction raises for a damaged or undecodable archive (shared by the
tests of what those errors say: tests/test_archive_corrupt_data_fx62b.py,
tests/test_archive_undecodable_data_fx62i.py).

API (stable):
    extraction_error(path, data) -> errors.ArchiveError: writes the archive and extracts it,
        which must fail; returns the error (its message and causes to check).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub import _archive, errors


def extraction_error(path: Path, data: bytes) -> errors.ArchiveError:
    """Writes `data` to `path` and extracts it with tfhub into a new folder `t` beside it.

    Args:
        path: where to write the archive (its name's ending does not choose the decoder).
        data: the archive's bytes.

    Returns:
        The ArchiveError the extraction raised (the test fails if it raised none).
    """
    path.write_bytes(data)
    target = path.parent / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveError) as info:
        _archive.extract_file(str(path), str(target))
    return info.value
