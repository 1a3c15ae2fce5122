"""In a cache several users share, another user's private entry (made under umask 077) is not
damage: `cache verify` says NOT CHECKED ("not damage, but not known to be whole either",
docs/cli.md), and `cache list`, `cache info` and `cache prune --dry-run` must say the same of it
(rf55e-F2: they called it damaged, `info` counted it among its `damaged entries`).

Needs root: the entry is root's, the user nobody runs the commands (`tfhub_as_nobody`).
"""

from __future__ import annotations

import json
import os

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cache_users import import_with_umask, tfhub_as_nobody

_HANDLE = "https://models.example/team/m/1"
_OWNER = "another user's entry (root, uid 0)"


@pytest.fixture
def team_cache(shared_dir) -> str:
    """A cache folder every user may write (1777, as /tmp), holding root's private entry."""
    root = os.path.join(shared_dir, "cache")
    os.mkdir(root)
    os.chmod(root, 0o1777)
    archive = make_tar_gz(os.path.join(shared_dir, "m.tar.gz"))
    import_with_umask(root, os.fspath(archive), _HANDLE, 0o077)
    return root


def _entry_line(said: str, root: str) -> str:
    names = [name for name in os.listdir(root) if len(name) == 40]
    assert len(names) == 1, names
    return next(line for line in said.splitlines() if names[0] in line)


def test_list_marks_another_users_entry_not_checked_not_damaged(team_cache):
    done = tfhub_as_nobody("cache", "list", cache_dir=team_cache)
    assert done.returncode == 0, done.stderr
    line = _entry_line(done.stdout, team_cache)
    assert "[damaged:" not in line, line
    assert line.endswith("]") and "  [not checked: " in line and _OWNER in line, line


def test_list_json_gives_no_damage_and_says_not_checked(team_cache):
    done = tfhub_as_nobody("cache", "list", "--json", cache_dir=team_cache)
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)
    assert entry["damage"] is None, entry
    assert _OWNER in entry["not_checked"], entry


def test_info_does_not_count_another_users_entry_as_damaged(team_cache):
    done = tfhub_as_nobody("cache", "info", cache_dir=team_cache)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "damaged entries: 0" in lines, done.stdout
    assert "not checked (other users' entries this user may not read): 1" in lines, done.stdout


def test_prune_dry_run_calls_it_another_users_entry_not_a_damaged_one(team_cache):
    done = tfhub_as_nobody("cache", "prune", "--dry-run", cache_dir=team_cache)
    assert done.returncode == 0, done.stderr
    line = _entry_line(done.stdout, team_cache)
    assert line.startswith("would leave ") and "damaged entry" not in line, line
    assert _OWNER in line and "not checked" in line, line


def test_its_owner_sees_it_whole(team_cache, monkeypatch, capsys):
    """root, the entry's owner, sees it unmarked, and `info` adds no line."""
    from tfhub.cli.main import main

    monkeypatch.setenv("TFHUB_CACHE_DIR", team_cache)
    assert main(["cache", "list"]) == 0
    assert main(["cache", "info"]) == 0
    said = capsys.readouterr().out
    assert "[" not in _entry_line(said, team_cache) and "not checked" not in said, said
    assert "damaged entries: 0" in said.splitlines(), said
