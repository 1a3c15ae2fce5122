"""A compressed archive that cannot be decompressed here is not called corrupt (review
fx62i-I4).

Before: every decompressor error read "The archive's xz data is corrupt: it is not valid
compressed data", then "the archive on the server is damaged". A sound .xz written by an xz
whose filter or option this liblzma does not know fails with "Invalid or unsupported options",
and zlib's Error -4 is memory: neither shows the data is damaged. Now: "cannot be decompressed
here (<the library's words>)" and what to do (recompress; free memory). Data errors keep the
words of before (tests/test_archive_corrupt_data_fx62b.py). A real .tar.xz whose block header
names a filter id liblzma does not have (CRC recomputed, as a newer xz would write it).
"""

from __future__ import annotations

import lzma
import zlib

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.extraction_errors import extraction_error

from tfhub._archive_decoder_errors import corrupt_data_message

_FILES = {"saved_model.pb": b"graph" * 100, "variables/variables.index": b"index"}
_UNKNOWN_FILTER = 0x7F  # No filter of liblzma (LZMA2 is 0x21).


def _xz_with_unknown_filter(tar: bytes) -> bytes:
    """`tar` compressed by xz, its one block's filter id replaced by `_UNKNOWN_FILTER`."""
    data = bytearray(lzma.compress(tar))
    start = 12  # After the stream header.
    size = (data[start] + 1) * 4
    assert data[start + 1] == 0 and data[start + 2] == 0x21, data[start : start + size].hex()
    data[start + 2] = _UNKNOWN_FILTER
    crc = zlib.crc32(bytes(data[start : start + size - 4]))
    data[start + size - 4 : start + size] = crc.to_bytes(4, "little")
    return bytes(data)


def test_an_xz_with_a_filter_liblzma_lacks_is_not_called_corrupt(tmp_path) -> None:
    tar = open(make_tar_gz(tmp_path / "m.tar", _FILES, compression=""), "rb").read()
    error = extraction_error(tmp_path / "m.tar.xz", _xz_with_unknown_filter(tar))
    message = str(error)
    said = "The archive's xz data cannot be decompressed here (Invalid or unsupported options)"
    assert said in message, message
    assert "corrupt" not in message and "damaged" not in message, message
    assert "recompress its tar with a standard xz" in message and "gzip" in message, message
    assert "(found while decoding bytes 0-" in message, message
    causes, cause = [], error.__cause__
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__
    assert any(isinstance(c, lzma.LZMAError) for c in causes), causes  # liblzma's error kept.


@pytest.mark.parametrize(
    ("kind", "err", "words"),
    [
        ("gzip", zlib.error("Error -4 while decompressing data"), "free some memory"),
        ("xz", lzma.LZMAError("Input format not supported by decoder"), "standard xz"),
        ("xz", lzma.LZMAError("Invalid or unsupported options"), "standard xz"),
    ],
)
def test_errors_that_show_no_damage_say_what_to_do(kind, err, words) -> None:
    message = corrupt_data_message(kind, err, start=0, end=10)
    assert message.startswith(f"The archive's {kind} data cannot be decompressed here ({err})")
    assert words in message and "corrupt" not in message, message


def _isal_error(text: str) -> BaseException:
    isal = pytest.importorskip("isal.igzip_lib", reason="ISA-L (isal) is not installed")
    return isal.IsalError(text)


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("gzip", lambda: zlib.error("Error -3 while decompressing data: invalid block type")),
        ("gzip", lambda: _isal_error("Error -4 Invalid gzip/zlib wrapper found")),
        ("xz", lambda: lzma.LZMAError("Corrupt input data")),
        ("bz2", lambda: OSError("Invalid data stream")),
    ],
)
def test_data_errors_are_still_corrupt(kind, make) -> None:
    message = corrupt_data_message(kind, make(), start=5, end=10)
    assert message == (
        f"The archive's {'bzip2' if kind == 'bz2' else kind} data is corrupt: it is not valid "
        "compressed data (found while decoding bytes 5-9 of the archive)."
    ), message
