"""Review findings on session 60's cache commits (rvfix60b): the `tfhub pack` command `import`
suggests for a folder (not shell-quoted), the offline error of a damaged entry (one home for its
words), a plain file at an entry's name (invisible to list/verify/prune), prune's line for a
removed link to nothing, and `cache info`'s "not writable to it"."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cache_users import run_as_user
from tests._helpers.cli import run_tfhub

from tfhub.cli.main import main

_HANDLE = "https://h.example/m/1"


def _imported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> str:
    """Imports a small model as `_HANDLE`; returns its entry folder."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    code, entry, err = run_tfhub(capsys, "import", archive, "--handle", _HANDLE)
    assert code == 0, err
    return entry.strip()


@pytest.mark.parametrize("name", ["my model", "it's\x1b[31m"])
def test_the_pack_command_import_suggests_pastes_as_one_folder_argument(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"pb")
    code, out, err = run_tfhub(capsys, "import", str(folder), "--handle", _HANDLE)
    assert code == 7 and out == "", err
    assert "\x1b" not in err  # Still escaped for the terminal.
    command = err.split("(`", 1)[1].split("`)", 1)[0]
    shown = str(folder).replace("\x1b", "\\x1B")
    assert shlex.split(command) == ["tfhub", "pack", shown, "-o", "model.tar.gz"], command


def test_offline_error_of_an_entry_linked_to_nothing_names_the_link(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tfhub as hub
    from tfhub import errors

    entry = _imported(capsys, tmp_path)
    os.rename(entry, tmp_path / "moved")
    os.symlink(tmp_path / "gone", entry)
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError) as caught:
        hub.resolve(_HANDLE)
    said = f"is damaged (it is a link to {tmp_path / 'gone'}, which does not exist) in the cache"
    assert said in str(caught.value), caught.value
    os.unlink(entry)
    with pytest.raises(errors.OfflineModeError, match=f"{_HANDLE!r} is not in the cache"):
        hub.resolve(_HANDLE)


def test_a_file_at_an_entrys_name_is_listed_verified_and_pruned_as_damaged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A plain file where an entry's folder belongs (health: "it is a file, not a folder") was
    invisible: list and verify said the cache is empty, prune had nothing to do, and the
    descriptor and manifest stayed."""
    import shutil

    entry = _imported(capsys, tmp_path)
    shutil.rmtree(entry)
    Path(entry).write_bytes(b"not a folder")
    said = "it is a file, not a folder"
    code, out, err = run_tfhub(capsys, "cache", "list", "--json")
    assert code == 0 and [(row["handle"], row["damage"]) for row in json.loads(out)] == [
        (_HANDLE, said)
    ], out
    code, out, err = run_tfhub(capsys, "cache", "verify")
    assert code == 1 and f"\tDAMAGED: {said}\t" in out, out
    code, out, err = run_tfhub(capsys, "cache", "prune")
    assert code == 0 and out == f"removed {entry} (damaged entry: {said})\n", (out, err)
    left = set(os.listdir(os.path.dirname(entry))) - {".locks"}
    assert left == set(), left  # Its descriptor and manifest went with it.


def test_a_file_whose_name_is_no_entry_name_is_still_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    entry = _imported(capsys, tmp_path)
    other = Path(os.path.dirname(entry)) / "notes.txt"
    other.write_text("mine")
    code, out, err = run_tfhub(capsys, "cache", "prune", "--dry-run")
    assert code == 0 and out.startswith("Nothing to prune"), out
    assert other.read_text() == "mine"


def test_prune_of_an_entry_linked_to_nothing_says_it_in_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    entry = _imported(capsys, tmp_path)
    os.rename(entry, tmp_path / "moved")
    os.symlink(tmp_path / "gone", entry)
    code, out, err = run_tfhub(capsys, "cache", "prune")
    said = f"it is a link to {tmp_path / 'gone'}, which does not exist"
    assert code == 0 and out == f"removed the link {entry} (damaged entry: {said})\n", out
    assert not os.path.lexists(entry) and os.path.isdir(tmp_path / "moved")


def test_prune_of_a_link_to_a_damaged_folder_says_its_target_was_kept_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    entry = _imported(capsys, tmp_path)
    moved = tmp_path / "moved"
    os.rename(entry, moved)
    os.symlink(moved, entry)
    os.remove(moved / "saved_model.pb")
    code, out, err = run_tfhub(capsys, "cache", "prune")
    assert code == 0 and out.count("(") == 1, out
    assert out.startswith(f"removed the link {entry} (damaged entry: "), out
    assert out.endswith("; its target was kept)\n"), out


def _info_as_nobody(cache_dir: str) -> tuple[int, str]:
    """`tfhub cache info` run in this (forked) process, with `cache_dir` as the cache."""
    os.environ["TFHUB_CACHE_DIR"] = cache_dir
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["cache", "info"])
    return code, out.getvalue()


def test_info_says_the_parent_is_not_writable_to_this_user(shared_dir: Path) -> None:
    parent = shared_dir / "locked"
    parent.mkdir()
    os.chmod(parent, 0o555)
    code, out = run_as_user(_info_as_nobody, os.fspath(parent / "cache")).result()
    assert code == 0 and f"{parent} is not writable to this user;" in out, out
