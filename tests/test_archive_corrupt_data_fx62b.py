"""Probes (session 62): a corrupt compressed archive is said in plain words.

A gzip stream with a wrong CRC or damaged deflate data ended in "The archive is truncated or
corrupt (IsalError: Error -6 Incorrect checksum found)" with ISA-L, "(ReadError: zlib error:
Error -3 while decompressing data: incorrect data check)" with zlib (tarfile wraps zlib's error),
"(OSError: Invalid data stream)" for bzip2: the decompression library's words. Now the message
says that the archive's compressed data is corrupt (a checksum mismatch, or invalid data), where
in the archive it was found, and what to do; the library's error stays as the cause. Still an
ArchiveError (an OSError), as before. Both gzip inflaters: ISA-L (a dependency) and zlib, the
fallback tfhub uses when `isal` cannot be imported (made so here by blocking its import).
Real local server, real archives.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import sys
import zlib

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.extraction_errors import extraction_error
from tests._helpers.http_server import answer_body

import tfhub as hub
from tfhub import errors

_FILES = {"saved_model.pb": bytes(range(256)) * 40, "variables/variables.index": b"index"}
_DAMAGED_BYTE = 40
_LIBRARY_WORDS = ("IsalError", "Error -", "zlib", "ReadError", "incorrect", "Incorrect", "(error")


@pytest.fixture(params=["isal", "zlib"])
def inflater(request, monkeypatch) -> str:
    """Which gzip inflater tfhub uses: ISA-L, or zlib (`isal` made unimportable)."""
    if request.param == "zlib":
        monkeypatch.setitem(sys.modules, "isal", None)  # `from isal import ...` fails.
    else:
        pytest.importorskip("isal", reason="ISA-L (isal) is not installed")
    return request.param


def _gzip_archive(tmp_path, damage: str) -> bytes:
    data = bytearray(open(make_tar_gz(tmp_path / "m.tar.gz", _FILES), "rb").read())
    if damage == "checksum":
        data[-8] ^= 0xFF  # The CRC-32 of the gzip trailer: the deflate data is sound.
    else:
        data[_DAMAGED_BYTE] ^= 0xFF  # Inside the deflate data.
    return bytes(data)


def _found_in(message: str) -> tuple[int, int]:
    """The byte range "(found while decoding bytes A-B of the archive)" that `message` names."""
    found = re.search(r"\(found while decoding bytes (\d+)-(\d+) of the archive\)", message)
    assert found is not None, message
    return int(found[1]), int(found[2])


def _library_error(err: BaseException) -> BaseException | None:
    """The decompression library's error in `err`'s chain of causes, or None."""
    names = ("IsalError", "error")
    while err is not None:
        if type(err).__name__ in names and type(err).__module__ in ("igzip_lib", "zlib"):
            return err
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    return None


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("checksum", "the checksum in its gzip trailer does not match the data it holds"),
        ("data", "it is not valid compressed data"),
    ],
)
def test_a_corrupt_gzip_download_says_what_and_what_to_do(
    server, tmp_path, isolated_cache, inflater, damage, words
) -> None:
    body = _gzip_archive(tmp_path, damage)
    server.state.behaviours.append(answer_body("/m.tar.gz", 200, "application/gzip", body))
    url = server.url("m.tar.gz")
    with pytest.raises(errors.ArchiveError) as info:
        hub.resolve(url)
    err = info.value
    assert type(err) is errors.ArchiveError  # The class of before.
    message = str(err)
    assert message.startswith(f"{url} does not appear to be a valid module. "), message
    assert f"The archive's gzip data is corrupt: {words}" in message, message
    first, last = _found_in(message)
    if damage == "checksum":  # Found when the trailer's last byte arrives.
        assert first <= last == len(body) - 1, message
    else:  # Found in the bytes decoded when the damage arrived.
        assert first <= _DAMAGED_BYTE <= last < len(body), message
    assert "try again; if it fails again, the archive on the server is damaged" in message
    assert not [w for w in _LIBRARY_WORDS if w in message], message
    cause = _library_error(err)
    assert cause is not None, "the library's error is not kept as the cause"
    expected = {"isal": "IsalError", "zlib": "error"}[inflater]
    assert type(cause).__name__ == expected, type(cause)
    assert [p.name for p in isolated_cache.iterdir() if p.name != ".locks"] == []


def test_the_position_names_the_chunk_where_it_was_found(tmp_path, inflater) -> None:
    """A large archive is decoded in chunks: the damage at its end is found in the last one."""
    import random

    files = {"big": random.Random(1).randbytes(1_500_000)}  # ~1.5 MB compressed: 3+ chunks.
    path = tmp_path / "m.tar.gz"
    data = bytearray(open(make_tar_gz(path, files), "rb").read())
    data[-8] ^= 0xFF
    message = str(extraction_error(path, bytes(data)))
    assert "gzip data is corrupt: the checksum" in message, message
    first, last = _found_in(message)
    assert 0 < first < len(data) - 8 and last == len(data) - 1, message


@pytest.mark.parametrize(
    ("kind", "compress"), [("bzip2", bz2.compress), ("xz", lzma.compress)], ids=["bz2", "xz"]
)
def test_corrupt_bzip2_and_xz_data_are_said_alike(tmp_path, kind, compress) -> None:
    tar = make_tar_gz(tmp_path / "m.tar", _FILES, compression="")
    data = bytearray(compress(open(tar, "rb").read()))
    data[len(data) // 2] ^= 0xFF
    message = str(extraction_error(tmp_path / "m.tar.x", bytes(data)))
    assert f"The archive's {kind} data is corrupt: it is not valid compressed data" in message
    assert "Invalid data stream" not in message and "LZMAError" not in message, message
    assert "OSError" not in message, message


def test_zlib_is_what_the_fallback_uses(inflater) -> None:
    """The fixture's zlib case does reach zlib (not ISA-L under another name)."""
    from tfhub._archive_decoder import Decoder

    decompressor = Decoder("gzip")._decompressor
    assert isinstance(decompressor, type(zlib.decompressobj())) == (inflater == "zlib")


@pytest.mark.parametrize(
    ("encoding", "damage", "words"),
    [
        ("gzip", "checksum", "the checksum in its gzip trailer does not match the data it holds"),
        ("deflate", "data", "it is not valid compressed data"),
    ],
)
def test_a_corrupt_content_encoding_says_what(
    server, tmp_path, isolated_cache, encoding, damage, words
) -> None:
    """A server that gzips (or deflates) the archive again on the fly, and sends it damaged:
    zlib's error ("(error: Error -3 while decompressing data: incorrect data check)") was the
    message. tfhub undoes a Content-Encoding with zlib, whatever the archive's inflater."""
    # A .tar gzipped on the fly (its trailer is read: the tar is read to its end), a .tar.gz
    # deflated (the damage is in the data, well before the archive's end).
    # The .tar.gz is gzipped with a fixed mtime: tarfile's own header holds the time of day,
    # so its bytes, and what one damaged byte of them deflated did, changed from run to run.
    tar = open(make_tar_gz(tmp_path / "m.tar", _FILES, compression=""), "rb").read()
    archive = tar if encoding == "gzip" else gzip.compress(tar, mtime=0)
    encoded = bytearray(gzip.compress(archive) if encoding == "gzip" else zlib.compress(archive))
    if damage == "checksum":
        spot = len(encoded) - 8
        encoded[spot] ^= 0xFF
    else:  # The first deflate block's type made 3, which no inflater takes (any time, any data).
        spot = 2  # After zlib's two-byte header; bits 1-2 are the block's type.
        encoded[spot] |= 0b110
    headers = {"Content-Encoding": encoding}
    server.state.behaviours.append(
        answer_body("/m.tar.gz", 200, "application/gzip", bytes(encoded), headers)
    )
    url = server.url("m.tar.gz")
    with pytest.raises(errors.ArchiveError) as info:
        hub.resolve(url)
    assert type(info.value) is errors.ArchiveError  # The class of before.
    message = str(info.value)
    assert message.startswith(f"{url} does not appear to be a valid module. "), message
    assert f"The body's Content-Encoding ({encoding}) is corrupt: {words}" in message, message
    first, last = re.search(r"decoding bytes (\d+)-(\d+) of the body as sent\)", message).groups()  # type: ignore[union-attr]
    assert int(first) <= spot <= int(last) < len(encoded), message
    assert "try again; if it fails again, the archive on the server is damaged" in message
    assert not [w for w in _LIBRARY_WORDS if w in message], message
    assert type(_library_error(info.value)).__name__ == "error"  # zlib's, as the cause.
    assert [p.name for p in isolated_cache.iterdir() if p.name != ".locks"] == []
