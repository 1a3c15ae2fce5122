"""`tfhub pack` past the file-size limit (EFBIG: `ulimit -f`, or a FAT32 disk's 4 GiB), the
unprivileged way to meet a file system that refuses a write (no mount needed).

Before session 62 the archive's buffered write, which names no file, was let through as
"tfhub: OS error: [Errno 27] File too large": neither the archive nor what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.limits import file_size_limit

from tfhub.hub import pack


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A model folder as pack sees it (pack itself imports no TensorFlow): 64 kB that do not
    compress, so the archive is larger than the limit."""
    folder = tmp_path / "model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(os.urandom(64 << 10))
    (folder / "variables" / "variables.index").write_bytes(b"index")
    return folder


def test_an_archive_past_the_file_size_limit_says_so_and_keeps_the_old_one(model, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "m.tar.gz").write_bytes(b"the archive of yesterday")
    with pytest.raises(OSError) as caught, file_size_limit(16 << 10):
        pack.pack(model, out / "m.tar.gz")
    assert caught.value.errno == 27 and str(caught.value) == (
        f"Cannot write the archive {out}/m.tar.gz (File too large); it is larger than the "
        "file-size limit (`ulimit -f`) or than its file system allows (FAT32: 4 GiB): raise the "
        "limit, or write it elsewhere"
    )
    assert os.listdir(out) == ["m.tar.gz"]  # No .part left...
    assert (out / "m.tar.gz").read_bytes() == b"the archive of yesterday"  # ...the old one kept.
    packed = pack.pack(model, out / "m.tar.gz")  # Without the limit, it packs.
    assert packed.size > 64 << 10 and os.listdir(out) == ["m.tar.gz"]
