"""A download bar written to a log (fx61a, session 61).

With TFHUB_DOWNLOAD_PROGRESS=1 and stderr not a terminal (a CI log, `2> file`), a short download
left `Downloading URL: 0%| 0.00/2.86M` and then a blank line in the log: the bar was made with
`leave=False`, so tqdm wiped its finished state. tensorflow_hub printed a final "Downloaded ...,
Total size: ..." line. Now a bar on a stream that is no terminal keeps its finished state (one
final line); in a terminal it is still wiped when done.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import child_env

import tfhub as hub

pytest.importorskip("tqdm")

# One line of the bar, as tqdm draws it: "Downloading URL: 100%|...| 293k/293k [...]".
_SIZE = 300_000


@pytest.fixture
def archive_url(server, served_dir: Path) -> str:
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(_SIZE)})
    return server.url("m.tar.gz")


def _lines(written: str) -> list[str]:
    """The lines a reader of the log sees: tqdm's redraws (after a carriage return) split."""
    return [line for line in re.split(r"[\r\n]", written) if line.strip()]


def test_a_finished_download_leaves_its_final_bar_in_a_log(
    archive_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    log = tmp_path / "stderr.log"
    with open(log, "w", encoding="utf-8") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        folder = hub.resolve(archive_url)
    assert os.path.getsize(os.path.join(folder, "saved_model.pb")) == _SIZE
    written = log.read_text(encoding="utf-8")
    last = _lines(written)[-1]
    assert last.startswith(f"Downloading {archive_url}: 100%"), written
    total = re.search(r"\| (\S+)/(\S+) \[", last)
    assert total is not None and total.group(1) == total.group(2), last  # All of it, counted.
    assert written.endswith("\n"), repr(written)  # What the log says next starts a new line.


def test_in_a_terminal_the_bar_is_still_wiped_when_done(archive_url: str, tmp_path: Path) -> None:
    """`tfhub resolve URL` in a terminal (stderr a pty): the bar is drawn, then wiped."""
    reader, writer = pty.openpty()
    # 200 columns: a new terminal has 0, and tqdm cuts its bar to the terminal's width.
    fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
    try:
        child = subprocess.run(
            [sys.executable, "-m", "tfhub.cli.main", "resolve", archive_url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=writer,
            env=child_env(TFHUB_DOWNLOAD_PROGRESS="1", TFHUB_CACHE_DIR=str(tmp_path / "c")),
            timeout=120,
        )
        os.close(writer)
        writer = -1
        shown = _read_all(reader)
    finally:
        os.close(reader)
        if writer >= 0:
            os.close(writer)
    assert child.returncode == 0, shown
    assert f"Downloading {archive_url}" in shown  # It was drawn ...
    assert shown.endswith("\r") and not shown.rsplit("\r", 2)[-2].strip(), repr(shown)  # wiped.
    assert "\n" not in shown


def _read_all(reader: int) -> str:
    """What was written to the terminal whose master end is `reader` (its writers closed)."""
    chunks = []
    while True:
        try:
            chunk = os.read(reader, 1 << 16)
        except OSError:  # EIO: every writer has closed the terminal.
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8")
