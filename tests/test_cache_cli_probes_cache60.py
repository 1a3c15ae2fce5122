"""Probes of the cache commands as users meet them (session 60): `tfhub cache info` of a cache
folder that cannot be created, `tfhub import` of a model folder instead of its archive, what
`tfhub cache prune` says of a damaged entry."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz
from tests._helpers.cache_users import run_as_user
from tests._helpers.cli import run_tfhub

from tfhub.cli.main import main


def _info_as_nobody(cache_dir: str) -> tuple[int, str]:
    """`tfhub cache info` run in this (forked) process, with `cache_dir` as the cache."""
    os.environ["TFHUB_CACHE_DIR"] = cache_dir
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["cache", "info"])
    return code, out.getvalue()


@pytest.fixture
def locked_parent(shared_dir: Path) -> Path:
    """A folder the user `nobody` may enter but not write in (`shared_dir` skips without root
    and setpriv)."""
    parent = shared_dir / "locked"
    parent.mkdir()
    os.chmod(parent, 0o555)
    return parent


def test_info_of_a_cache_folder_this_user_may_not_create_says_it_is_not_writable(
    locked_parent: Path,
) -> None:
    """`tfhub cache info` said "writable: not created yet" for a cache folder that this user
    may not create (its parent is not writable to it), as for one the first download makes:
    the first `tfhub resolve` then failed with "Permission denied"."""
    root = locked_parent / "cache"
    code, out = run_as_user(_info_as_nobody, os.fspath(root)).result()
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"cache folder: {root}", out
    assert lines[1].startswith("writable: False (not created yet"), out
    assert str(locked_parent) in lines[1] and "TFHUB_CACHE_DIR" in lines[1], out
    assert not root.exists()


def test_info_of_a_cache_folder_not_made_yet_that_can_be_still_says_so(tmp_path: Path) -> None:
    """The line for a folder the first download makes is unchanged."""
    root = tmp_path / "a" / "cache"
    os.environ["TFHUB_CACHE_DIR"] = os.fspath(root)  # Restored by the autouse fixture.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["cache", "info"]) == 0
    assert out.getvalue().splitlines()[1] == "writable: not created yet"


def test_import_of_a_model_folder_says_how_to_make_its_archive(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`tfhub import MODEL_FOLDER --handle H` (a SavedModel folder, not its archive) said only
    that it "is a folder, not an archive file", not what to do with it."""
    folder = tmp_path / "my_model"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"pb")
    code, out, err = run_tfhub(capsys, "import", str(folder), "--handle", "https://h.example/m/1")
    assert code == 7 and out == "", err
    assert f"{folder} is a folder, not an archive file" in err
    assert f"tfhub pack {folder} -o " in err and "then import that archive" in err, err


def test_prune_names_a_damaged_entrys_missing_file_escaped_and_says_why_it_removed_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An archive's file whose name holds a line break or a terminal escape (the server's
    choice), missing from its entry: `cache list` and `cache verify` print it escaped, but
    `cache prune --dry-run` printed it raw (its line broken in two, or the terminal's colours
    changed); `cache prune` itself said "removed PATH" without saying why (the dry run's
    "damaged entry: ...")."""
    odd = "assets/nl\nname\x1b[31m.txt"
    archive = make_tar_gz(tmp_path / "m.tar.gz", {**MODEL_FILES, odd: b"zz"})
    code, entry, err = run_tfhub(capsys, "import", archive, "--handle", "https://h.example/m/1")
    assert code == 0, err
    entry = entry.strip()
    os.remove(os.path.join(entry, odd))
    shown = "assets/nl\\x0Aname\\x1B[31m.txt is missing"
    code, out, err = run_tfhub(capsys, "cache", "prune", "--dry-run")
    assert code == 0 and out == f"would remove {entry} (damaged entry: {shown})\n", out
    code, out, err = run_tfhub(capsys, "cache", "prune")
    assert code == 0 and out == f"removed {entry} (damaged entry: {shown})\n", out
    assert not os.path.lexists(entry)


def test_an_entry_linked_to_a_disk_not_mounted_is_named_a_link_to_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An entry moved to another disk and linked back (`ln -s /mnt/disk/<sha1> <cache>/`),
    that disk not mounted: `cache list`, `cache verify` and `cache prune --dry-run` said "the
    folder does not exist", though `ls` shows it there (a link), while resolve's warning said
    "it is a link to ..., which does not exist"."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    code, entry, err = run_tfhub(capsys, "import", archive, "--handle", "https://h.example/m/1")
    assert code == 0, err
    entry = entry.strip()
    moved = tmp_path / "disk" / os.path.basename(entry)
    os.renames(entry, moved)
    os.symlink(moved, entry)
    os.rename(tmp_path / "disk", tmp_path / "unmounted")
    said = f"it is a link to {moved}, which does not exist"
    code, out, err = run_tfhub(capsys, "cache", "list", "--json")
    assert code == 0 and [row["damage"] for row in json.loads(out)] == [said], out
    code, out, err = run_tfhub(capsys, "cache", "verify")
    assert code == 1 and f"\tDAMAGED: {said}\t" in out, out
    code, out, err = run_tfhub(capsys, "cache", "prune", "--dry-run")
    assert code == 0 and out == f"would remove {entry} (damaged entry: {said})\n", out
