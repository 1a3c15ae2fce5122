"""The packed-archive cache folder (review46d M1, M2): the DEFAULT folder (which any local user
could make first in the shared temp folder) must be this user's own, a team folder is taken
only when given with --cache-dir; and the folder checked at start is looked at again before
each pack: made again (0700) if it vanished, refused if another user's folder took its place
or it became writable by others."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.hub import archives, cache_dir

NOBODY = 65534
pytestmark = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="chown to another user needs root"
)


def _team_folder(path: Path) -> Path:
    """A folder of another user, group-writable (2775), its group this process's own."""
    path.mkdir()
    os.chown(path, NOBODY, os.getgid())
    os.chmod(path, 0o2775)
    return path


def test_a_team_folder_is_taken_only_when_given(tmp_path: Path) -> None:
    folder = _team_folder(tmp_path / "team")
    assert cache_dir.check_cache_dir(str(folder), team=True) == str(folder)
    with pytest.raises(errors.ServeConfigError, match="no team folder"):
        cache_dir.check_cache_dir(str(folder), team=False)


def _model(root: Path) -> Path:
    folder = root / "model"
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"pb")
    return folder


def test_a_vanished_cache_folder_is_made_again_as_this_users(tmp_path: Path) -> None:
    cache = cache_dir.check_cache_dir(str(tmp_path / "cache"))
    shutil.rmtree(cache)  # A cleaner of the temp folder.
    packed = archives.packed_archive(_model(tmp_path), cache_dir=cache)
    assert packed is not None and packed.is_file()
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700


def test_another_users_folder_in_its_place_is_refused(tmp_path: Path, caplog) -> None:
    cache = cache_dir.check_cache_dir(str(tmp_path / "cache"))
    os.rmdir(cache)
    _team_folder(Path(cache))  # Another user's, made in its place.
    with pytest.raises(errors.ServeConfigError, match="it is another folder now"):
        archives.packed_archive(_model(tmp_path), cache_dir=cache)
    assert os.listdir(cache) == []


def test_a_cache_folder_made_writable_by_others_is_refused(tmp_path: Path, caplog) -> None:
    cache = cache_dir.check_cache_dir(str(tmp_path / "cache"))
    os.chmod(cache, 0o777)
    with pytest.raises(errors.ServeConfigError, match="writable by every user now"):
        archives.packed_archive(_model(tmp_path), cache_dir=cache)


def test_the_team_folder_checked_at_start_stays_usable(tmp_path: Path) -> None:
    folder = _team_folder(tmp_path / "team")
    cache = cache_dir.check_cache_dir(str(folder), team=True)
    assert archives.packed_archive(_model(tmp_path), cache_dir=cache) is not None


def test_a_cache_folder_missing_with_its_parents_is_made_at_the_first_pack(tmp_path: Path) -> None:
    """`create_app` makes no cache folder (make=False); the first pack makes it, parents too."""
    cache = cache_dir.check_cache_dir(str(tmp_path / "a" / "b" / "cache"), make=False)
    assert not os.path.exists(cache)
    assert archives.packed_archive(_model(tmp_path), cache_dir=cache) is not None
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
