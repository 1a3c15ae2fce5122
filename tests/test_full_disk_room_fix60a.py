"""A full disk: the room the error names is the room after the download's temporary folder
was removed, as the message says (session 60's probe: "The temporary folder was removed ...
it has 0 B free of 2.0 MB" while `df` showed the disk nearly empty). Mounts a tmpfs; skips
where this process may not mount."""

from __future__ import annotations

import os
import re

import pytest
from tests._helpers import mounts
from tests._helpers.archives import make_tar_gz

from tfhub.cli.main import main


def test_full_disk_names_the_room_left_after_the_temporary_folder_was_removed(
    capsys: pytest.CaptureFixture[str], server, served_dir, tmp_path, monkeypatch
):
    make_tar_gz(served_dir / "big.tar.gz", {"saved_model.pb": os.urandom(3_000_000)})
    with mounts.tmpfs(tmp_path / "fs", "size=2m") as disk:
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(disk / "cache"))
        code = main(["resolve", server.url("big.tar.gz")])
        err = capsys.readouterr().err
        free_now = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    assert code == 6, err
    assert "The temporary folder was removed." in err, err
    said = re.search(r"it has ([0-9.]+) (B|KB|MB) free of 2\.0 MB", err)
    assert said is not None, err
    number, unit = float(said.group(1)), said.group(2)
    free_said = number * {"B": 1, "KB": 1024, "MB": 1024 * 1024}[unit]
    # The disk is (nearly) empty again: what it said is within rounding of what is free now.
    assert free_now > 1_900_000 and abs(free_said - free_now) < 120_000, (err, free_now)
