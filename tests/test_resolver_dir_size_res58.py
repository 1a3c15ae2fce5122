"""`tfhub.resolver._dir_size` answers as tensorflow_hub 0.10.0's did (res58, session 58).

Upstream's `_dir_size(folder)` lists the folder with `tf.compat.v1.gfile.ListDirectory`, which
raises `tf.errors.NotFoundError` ("Could not find directory X") for a folder that does not
exist, or a file; `_locked_tmp_dir_size` catches that and answers 0. Checked side by side with
tensorflow_hub 0.16.1, whose two functions are 0.10.0's code. tfhub's returned 0 for both: a
caller written for upstream (`except tf.errors.NotFoundError`) never learnt the folder was
missing. Upstream's `Stat` follows links, so a link to a folder counts what it holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tensorflow as tf

from tfhub import resolver

pytestmark = pytest.mark.tf


def _write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


@pytest.mark.parametrize("what", ["missing", "file"])
def test_a_local_folder_that_is_not_there_raises_not_found(tmp_path: Path, what: str) -> None:
    target = tmp_path / what
    if what == "file":
        _write(target, 3)
    with pytest.raises(tf.errors.NotFoundError) as caught:
        resolver._dir_size(str(target))
    assert str(caught.value) == f"Could not find directory {target}"  # Upstream's words.


def test_a_missing_folder_of_a_gfile_file_system_raises_not_found() -> None:
    with pytest.raises(tf.errors.NotFoundError, match="Could not find directory ram://res58"):
        resolver._dir_size("ram://res58/missing")


def test_a_gfile_folder_is_counted() -> None:
    tf.io.gfile.makedirs("ram://res58-size/sub")  # ram:// lists only the folders made.
    for name, size in (("a", 2), ("sub/b", 5)):
        with tf.io.gfile.GFile(f"ram://res58-size/{name}", "wb") as out:
            out.write(b"x" * size)
    assert resolver._dir_size("ram://res58-size") == 7


def test_a_link_to_a_folder_counts_what_it_holds(tmp_path: Path) -> None:
    _write(tmp_path / "top" / "a", 3)
    _write(tmp_path / "elsewhere" / "b", 5)
    os.symlink(tmp_path / "elsewhere", tmp_path / "top" / "linked")
    os.symlink(tmp_path / "top", tmp_path / "top" / "loop")  # A cycle is not walked twice.
    assert resolver._dir_size(str(tmp_path / "top")) == 8


def test_the_locked_temporary_folder_that_is_missing_counts_0(tmp_path: Path) -> None:
    module_dir = str(tmp_path / "m")
    lock = resolver._lock_filename(module_dir)
    Path(lock).write_text(resolver._lock_file_contents("gone"))
    assert resolver._locked_tmp_dir_size(lock) == 0  # As upstream's, which caught it.
    _write(Path(resolver._temp_download_dir(module_dir, "gone")) / "part", 4)
    assert resolver._locked_tmp_dir_size(lock) == 4


def _size_as_seen(folder: str) -> object:
    try:
        return resolver._dir_size(folder)
    except Exception as err:  # Said to the parent by its class and words.
        return f"{type(err).__name__}: {err}"


def test_a_folder_this_user_may_not_list_raises_permission_denied(shared_dir: Path) -> None:
    """Upstream's ListDirectory raised `tf.errors.PermissionDeniedError` ("X; Permission
    denied") for a folder in the tree the user may not list (checked as the user nobody with
    tensorflow_hub 0.16.1); tfhub's counted 0 for it (os.walk drops what it cannot list), then
    raised the builtin PermissionError."""
    from tests._helpers.cache_users import run_as_user

    _write(shared_dir / "top" / "a", 2)
    _write(shared_dir / "top" / "locked" / "b", 3)
    os.chmod(shared_dir / "top" / "locked", 0o700)  # root's: the user nobody may not list it.
    outcome = run_as_user(_size_as_seen, str(shared_dir / "top"))
    assert outcome.kind == "ok", outcome
    locked = shared_dir / "top" / "locked"
    assert outcome.value == f"PermissionDeniedError: {locked}; Permission denied"
