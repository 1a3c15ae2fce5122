"""The classes of a decompressor's errors come from one helper (`_archive_kind.
decompression_errors`) that imports nothing new at error time (review fx62i-I5).

Before: `_archive_stream._decompression_errors` and `_archive_errors._corrupt_errors` each
imported `isal.isal_zlib` for `IsalError` when an error was being handled. Nothing else loads
that module (gzip is decoded by `isal.igzip_lib`, which defines the same class), so out of file
descriptors (EMFILE) the import failed and a corrupt gzip stream raised an OSError about the
import instead of its ArchiveError. Real subprocess with RLIMIT_NOFILE lowered and every
descriptor used.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("isal")

_SCRIPT = r"""
import gzip, resource, sys, tarfile
import tfhub._archive_errors as archive_errors
from tfhub import errors
from tfhub._archive_decoder import Decoder

corrupt = bytearray(gzip.compress(b"x" * 4096))
corrupt[12:20] = b"\xff" * 8  # Inside the deflate data: invalid.
decoder = Decoder("gzip")  # Loads isal.igzip_lib, as a download does.
assert "isal.isal_zlib" not in sys.modules, "loaded before any error"

resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
held = []
try:
    while True:
        held.append(open("/dev/null", "rb"))
except OSError:
    pass
try:
    list(decoder.decode(bytes(corrupt)))
except Exception as err:
    stream = f"{type(err).__name__}: {err}"
mapped = archive_errors._as_tfhub_error(
    tarfile.ReadError("unexpected end of data"), source="m.tar.gz", target="/nowhere"
)
for file in held:
    file.close()
print(stream)
print(f"{type(mapped).__name__}: {mapped}")
print("isal.isal_zlib" in sys.modules)
"""


def test_corrupt_gzip_is_called_corrupt_out_of_descriptors() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(root, "src"), root])}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    stream, mapped, isal_zlib_loaded = done.stdout.strip().splitlines()[-3:]
    assert stream.startswith("ArchiveError: The archive's gzip data is corrupt"), stream
    assert mapped.startswith("ArchiveError: m.tar.gz does not appear to be a valid module"), mapped
    assert "truncated or corrupt (ReadError" in mapped, mapped
    assert isal_zlib_loaded == "False"


def test_one_helper_names_the_classes() -> None:
    import lzma
    import zlib

    from isal import igzip_lib

    from tfhub._archive_decoder_errors import decompression_errors
    from tfhub._archive_errors import _corrupt_errors

    assert decompression_errors("gzip") == (zlib.error, igzip_lib.IsalError)
    assert decompression_errors("xz") == (lzma.LZMAError,)
    assert decompression_errors("bz2") == (OSError,)
    assert set(decompression_errors("gzip")) <= set(_corrupt_errors())
    assert lzma.LZMAError in _corrupt_errors()
