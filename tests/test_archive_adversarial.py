"""Hostile tar headers that tarfile accepts: negative sizes, very deep folders."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
from typing import Any

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


def _folder(name: str) -> tuple[tarfile.TarInfo, None]:
    member = tarfile.TarInfo(name)
    member.type = tarfile.DIRTYPE
    return member, None


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = tarfile.SYMTYPE
    member.linkname = target
    return member


@pytest.mark.parametrize(
    "members",
    [
        [_file("/".join(["a"] * 1500) + "/f", b"x")],  # 3,000 bytes: within PATH_MAX.
        [_folder("/".join(["a"] * depth)) for depth in range(1, 1200)],  # One level each.
        [  # Through a link: the path is short, where it lands is deep.
            _folder("/".join(["a"] * 150)),
            (_symlink("l", "/".join(["a"] * 150)), None),
            _file("l/" + "/".join(["b"] * 100) + "/f", b"x"),
        ],
    ],
    ids=["one-member", "folder-by-folder", "through-a-link"],
)
def test_folders_nested_too_deep_are_refused_and_the_target_stays_removable(tmp_path, members):
    # 1,500 nested folders extracted, then shutil.rmtree and os.walk (recursive in Python 3.11)
    # failed with RecursionError: hub.resolve raised it, and the entry could not be removed.
    with pytest.raises(errors.ArchiveError, match=r"levels deep; at most 200 are allowed"):
        _extract(tmp_path, _tar(members))
    shutil.rmtree(tmp_path / "out")


def test_a_model_nested_two_hundred_deep_is_still_extracted(tmp_path):
    deep = "/".join(["a"] * 199) + "/f"
    result = _extract(tmp_path, _tar([_file(deep, b"x")]))
    assert deep in result.files
    shutil.rmtree(tmp_path / "out")


def _gnu_long_name(payload: bytes) -> bytes:
    """A GNU long-name header ('L') with `payload`, padded to whole blocks."""
    info = {
        "name": "././@LongLink", "mode": 0, "uid": 0, "gid": 0, "size": len(payload),
        "mtime": 0, "chksum": 0, "type": tarfile.GNUTYPE_LONGNAME, "linkname": "",
        "uname": "", "gname": "", "devmajor": 0, "devminor": 0, "magic": tarfile.GNU_MAGIC,
        "prefix": "",
    }  # fmt: skip
    tar: Any = tarfile.TarInfo  # _create_header is not in typeshed.
    header = tar._create_header(info, tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    return header + payload + b"\0" * (-len(payload) % 512)


@pytest.mark.parametrize("kind", ["gnu", "pax"])
def test_a_chain_of_extended_headers_is_an_archive_error(tmp_path, kind):
    # tarfile reads a pax or GNU long-name header, then the next header, recursively: 3,000 of
    # them in a row (3 MB, a few KB gzipped) raised a bare RecursionError out of hub.resolve.
    if kind == "gnu":
        chain = b"".join(_gnu_long_name(b"name%d\0" % i) for i in range(3000))
    else:
        header = tarfile.TarInfo._create_pax_generic_header(  # type: ignore[attr-defined]
            {"comment": "x"}, tarfile.XHDTYPE, "utf-8"
        )
        chain = header * 3000
    member = tarfile.TarInfo("f")
    member.size = 1
    tar = chain + member.tobuf(tarfile.GNU_FORMAT) + b"x".ljust(512, b"\0") + b"\0" * 1024
    with pytest.raises(errors.ArchiveError, match="hundreds of extended headers"):
        _extract(tmp_path, tar)
    assert os.listdir(tmp_path / "out" / "target") == []
