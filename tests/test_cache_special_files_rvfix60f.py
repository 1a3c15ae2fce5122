"""Special files at an entry's name (rvfix60f): a FIFO or socket was listed as an entry."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tfhub.cache import listing


def test_special_files_at_an_entry_name_are_no_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    monkeypatch.chdir(root)  # A socket's path is short: bound by its name in this folder.
    os.mkfifo(root / ("b" * 40))
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("c" * 40)
        (root / ("d" * 40)).write_bytes(b"x")
        os.symlink(root / "nowhere", root / ("e" * 40))
        (root / ("a" * 40)).mkdir()
        names = [os.path.basename(path) for path in listing.entry_paths(os.fspath(root))]
    finally:
        sock.close()
    assert names == ["a" * 40, "d" * 40, "e" * 40]
