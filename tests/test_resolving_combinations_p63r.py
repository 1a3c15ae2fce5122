"""Resolving probed in combinations (p63r, session 63): a download bar in a log.

With TFHUB_DOWNLOAD_PROGRESS=1 and stderr a file or a pipe (a CI log, `2> file`), the bar was
redrawn every 0.5 s, as in a terminal: a log reader (a CI page splits tqdm's carriage returns
into lines) got two lines a second, 1,200 for a 10-minute download. tensorflow_hub printed its
progress to a log every 15 s. A text bar on a stream that is no terminal is now redrawn at most
every 15 s (its first and final states are always written).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer

import tfhub as hub

pytest.importorskip("tqdm")


def _drip_without_length(suffix: str, *, chunks: int, every: float):
    """Answers with the file's bytes in `chunks` parts, one every `every` seconds, and no
    Content-Length (the body ends when the connection closes): a bar without a total."""

    def behaviour(handler, path: str, query: dict[str, list[str]]) -> bool:
        if not path.endswith(suffix):
            return False
        with open(handler.local_path(path, query), "rb") as served:
            body = served.read()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-tar")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        step = -(-len(body) // chunks)
        for start in range(0, len(body), step):
            handler.wfile.write(body[start : start + step])
            handler.wfile.flush()
            time.sleep(every)
        return True

    return behaviour


def _redraws(written: str) -> list[str]:
    """The lines a reader of the log sees: tqdm's redraws (after a carriage return) split."""
    return [line for line in re.split(r"[\r\n]", written) if line.strip()]


def test_a_bar_in_a_log_is_not_redrawn_twice_a_second(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(64 << 10)})
    server.state.behaviours.append(_drip_without_length("m.tar.gz", chunks=8, every=0.25))
    url = server.url("m.tar.gz")
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    log = tmp_path / "stderr.log"
    with open(log, "w", encoding="utf-8") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        folder = hub.resolve(url)
    assert os.path.getsize(os.path.join(folder, "saved_model.pb")) == 64 << 10
    lines = _redraws(log.read_text(encoding="utf-8"))
    # ~2 s of download: its first state and its final one, not a redraw every 0.5 s.
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"Downloading {url}: 0.00B"), lines  # No total: no percent.
    assert re.match(rf"Downloading {re.escape(url)}: \d+(\.\d+)?kB \[", lines[1]), lines
