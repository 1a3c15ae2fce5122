"""Hostile tar headers that tarfile accepts: negative sizes, very deep folders."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile

import pytest

from tfhub import _archive, errors


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    """A pax tar of a good file, then `members` (each with its data, or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as archive:
        good = tarfile.TarInfo("saved_model.pb")
        good.size = 3
        archive.addfile(good, io.BytesIO(b"abc"))
        for member, data in members:
            archive.addfile(member, None if data is None else io.BytesIO(data))
    return buf.getvalue()


def _file(name: str, data: bytes, **pax: str) -> tuple[tarfile.TarInfo, bytes]:
    member = tarfile.TarInfo(name)
    member.size = len(data)
    member.pax_headers = dict(pax)
    return member, data


def _with_octal_size(tar: bytes, name: bytes, field: bytes) -> bytes:
    """`tar` with the size field of member `name`'s plain header replaced (checksum fixed)."""
    data = bytearray(tar)
    for start in range(0, len(data), 512):
        block = data[start : start + 512]
        if block[:100].rstrip(b"\0") == name and block[156:157] == b"0":
            block[124:136] = field
            block[148:156] = b" " * 8
            block[148:156] = b"%06o\0 " % sum(block)
            data[start : start + 512] = block
            return bytes(data)
    raise AssertionError(f"no header for {name!r}")


def _extract(tmp_path, tar: bytes) -> _archive.ExtractResult:
    target = tmp_path / "out" / "target"
    target.mkdir(parents=True)
    return _archive.extract(io.BytesIO(gzip.compress(tar)), str(target), source="SRC")


@pytest.mark.parametrize("how", ["pax", "octal"])
def test_a_negative_member_size_is_refused(tmp_path, how):
    # tarfile reads "-5" from a pax header or an octal field; copying -5 bytes took a slice
    # [:-5] of the stream: the file got the following headers and data, the manifest size -5,
    # and the bytes it got were not counted against TFHUB_MAX_EXTRACTED_BYTES.
    filler = _file("after", b"y" * 5000)
    if how == "pax":
        tar = _tar([_file("big", b"x", size="-5"), filler])
    else:
        tar = _with_octal_size(_tar([_file("big", b"x"), filler]), b"big", b"-0000000005\0")
    with pytest.raises(errors.ArchiveError, match=r"'big' has a negative size \(-5\)") as info:
        _extract(tmp_path, tar)
    assert str(info.value).startswith("SRC does not appear to be a valid module.")
    assert not os.path.exists(tmp_path / "out" / "target" / "big")
