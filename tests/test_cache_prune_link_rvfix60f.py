"""`tfhub cache prune` of a link to an entry it removes in the same run (rvfix60f): the link's
line said its target was kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.cache_users import tfhub_as_nobody
from tests._helpers.cli import run_tfhub


def test_prune_of_a_link_to_a_damaged_file_entry_does_not_say_its_removed_target_was_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    (root / ("a" * 40)).write_bytes(b"not a folder")
    os.symlink(root / ("a" * 40), root / ("f" * 40))
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(root))
    code, out, err = run_tfhub(capsys, "cache", "prune")
    assert code == 0, err
    assert not os.path.lexists(root / ("a" * 40)) and not os.path.lexists(root / ("f" * 40))
    link_line = next(line for line in out.splitlines() if "f" * 40 in line)
    assert link_line.startswith("removed the link "), out
    assert "was kept" not in link_line, out


def test_prune_of_a_link_to_a_target_this_user_may_not_reach_says_its_target_was_kept(
    shared_dir: Path,
) -> None:
    """The link's damage ("which this user may not reach") is the link's, not its target's,
    but its target is kept all the same: the line said nothing of it."""
    private = shared_dir / "private"
    (private / "model").mkdir(parents=True)
    os.chmod(private, 0o700)
    root = shared_dir / "cache"
    root.mkdir()
    os.chmod(root, 0o777)
    os.symlink(private / "model", root / ("f" * 40))
    done = tfhub_as_nobody("cache", "prune", cache_dir=root)
    assert done.returncode == 0, done.stderr
    assert not os.path.lexists(root / ("f" * 40)) and (private / "model").is_dir()
    line = next(line for line in done.stdout.splitlines() if "f" * 40 in line)
    assert line.startswith("removed the link ") and "which this user may not reach" in line, line
    assert line.endswith("; its target was kept)"), line
