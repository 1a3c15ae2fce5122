"""Defects found while splitting the private hub's pack, validator and publish modules."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile

from tfhub.hub import pack


def test_pack_into_a_descriptor_whose_file_was_deleted_writes_into_it(tmp_path):
    """`tfhub pack M -o /dev/stdout > out.tar.gz` with out.tar.gz removed meanwhile (a log
    rotated, a cleanup): /dev/stdout then leads to "out.tar.gz (deleted)", and pack wrote a new
    file of that name beside it (outside its target) while the stream got nothing. It writes
    into the file the descriptor holds, as `tar czf /dev/stdout` does."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"not parsed by pack")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with open(out_dir / "out.tar.gz", "w+b") as stream:
        os.unlink(out_dir / "out.tar.gz")
        packed = pack.pack(model, f"/proc/self/fd/{stream.fileno()}")
        stream.seek(0)
        data = stream.read()
    assert os.listdir(out_dir) == []
    assert hashlib.sha256(data).hexdigest() == packed.sha256 and len(data) == packed.size
    with tarfile.open(fileobj=gzip.GzipFile(fileobj=io.BytesIO(data))) as tar:
        assert tar.getnames() == ["saved_model.pb"]
