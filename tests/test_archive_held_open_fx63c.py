"""A complete compressed archive from a server that keeps the connection open after the body.

A server that sends no Content-Length and never closes, or whose Content-Length claims more bytes
than it sends, left the extraction waiting for the body's end once the archive was whole: the
install came only after TFHUB_HTTP_TIMEOUT (60 s by default), when the read timed out. Once the
tar has ended and the compressed member holding its end has ended (its CRC checked), what follows
is not waited for (it was ignored already). A body cut short and held open is still an error.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer, hold_open_after_body

import tfhub as hub
from tfhub import errors

_DATA = os.urandom(300 << 10)  # Incompressible: the archive is ~300 KB whatever the format.


@pytest.mark.parametrize("claim_more", [None, 100], ids=["no-length", "length-too-big"])
@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_a_complete_archive_held_open_installs_at_once(
    server: LocalServer,
    served_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    compression: str,
    claim_more: int | None,
) -> None:
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": _DATA}, compression=compression)
    server.state.behaviours.append(hold_open_after_body("m.tar.gz", claim_more=claim_more))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "30")
    started = time.monotonic()
    folder = hub.resolve(server.url("m.tar.gz"))
    took = time.monotonic() - started
    with open(os.path.join(folder, "saved_model.pb"), "rb") as model:
        assert model.read() == _DATA
    # Waiting for the body's end would take TFHUB_HTTP_TIMEOUT (30 s); the install takes ~0.1 s.
    assert took < 10, f"the install took {took:.1f} s: it waited for the body's end"


@pytest.mark.parametrize("cut", [2, 6], ids=["in-isize", "in-crc"])
def test_a_cut_archive_held_open_is_still_an_error(
    server: LocalServer,
    served_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cut: int,
) -> None:
    served = make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": _DATA})
    size = os.path.getsize(served)
    server.state.behaviours.append(hold_open_after_body("m.tar.gz", send=size - cut))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1")
    with pytest.raises(errors.DownloadError, match="timed out") as caught:
        hub.resolve(server.url("m.tar.gz"))
    # Waited for the rest of the gzip trailer until the read timed out: nothing installed.
    assert f"broke at byte {size - cut} " in str(caught.value)
    assert [name for name in os.listdir(tmp_path / "cache") if not name.startswith(".")] == []
