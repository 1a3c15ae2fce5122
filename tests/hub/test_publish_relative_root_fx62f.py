"""A write error that names a relative folder still names the folder above it.

`tfhub publish M srv/hub` run by a user in a folder they may not write in (`srv` missing)
could say "the hub folder srv/hub cannot be made:  refuses to make the folder srv in it": the
parent of the single relative name `srv` is "" (os.path.dirname). `paths.make_folders` names
absolute folders today (the publish end to end test below), but the message and staging's
"is its parent there?" must not depend on that: both now take the parent of the absolute path.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from tests._helpers.cache_users import run_as_user

from tfhub import errors
from tfhub.hub import staging
from tfhub.hub.doc_handles import parse_handle
from tfhub.hub.publish import publish
from tfhub.hub.publish_write_errors import write_failure

HANDLE = "acme/emb/1"


def _publish_from(cwd: str, model: str, root: str) -> str:
    os.chdir(cwd)
    try:
        publish(model, root, HANDLE)
    except errors.PublishWriteError as err:
        return str(err)
    return "published"


def _message_for_relative_mkdir(cwd: str) -> str:
    """The publish error for the PermissionError of `mkdir srv` in `cwd` (relative name)."""
    os.chdir(cwd)
    try:
        os.mkdir("srv")
    except PermissionError as err:
        failure = write_failure(err, parse_handle(HANDLE), "srv/hub", Path("srv/hub/x"), "publish")
        return str(failure)
    return "made"


@pytest.fixture
def closed(shared_dir: Path) -> Path:
    """A folder of root's (mode 755), which the user nobody may not write in."""
    folder = shared_dir / "closed"
    folder.mkdir(mode=0o755)
    return folder


def test_a_relative_root_names_the_current_folder_that_refused(
    shared_dir: Path, closed: Path
) -> None:
    """End to end: the user nobody in `closed`, ROOT `srv/hub`."""
    model = shared_dir / "model"
    model.mkdir(mode=0o777)
    said = run_as_user(_publish_from, str(closed), str(model), "srv/hub").result()
    assert said == (
        f"Cannot publish {HANDLE} into srv/hub/assets/docs/acme/models/emb: the hub folder "
        f"srv/hub cannot be made: {closed} refuses to make the folder srv in it "
        f"({os.strerror(errno.EACCES)}: {closed / 'srv'}). Choose a hub folder you can write "
        "to, then publish again; nothing was published."
    )
    assert not (closed / "srv").exists()


def test_a_refused_relative_folder_names_its_absolute_parent(closed: Path) -> None:
    """The error os.mkdir("srv") raises names "srv" alone: its parent is the current folder."""
    said = run_as_user(_message_for_relative_mkdir, str(closed)).result()
    assert said == (
        f"Cannot publish {HANDLE} into srv/hub/x: the hub folder srv/hub cannot be made: "
        f"{closed} refuses to make the folder srv in it ({os.strerror(errno.EACCES)}: srv). "
        "Choose a hub folder you can write to, then publish again; nothing was published."
    )


def test_staging_sees_the_parent_of_a_relative_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc says ENOENT to a mkdir although the folder it is in exists."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux's /proc")
    monkeypatch.chdir("/proc")
    with pytest.raises(FileNotFoundError) as caught:
        os.mkdir("srv")
    assert caught.value.filename == "srv"
    assert staging._parent_is_there(caught.value)
