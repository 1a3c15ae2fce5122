"""A publish whose ROOT lies below a folder that refuses new folders ends in tfhub's error.

`tfhub publish MODEL /sys/x/hub` ended in `tfhub: OS error: [Errno 1] Operation not permitted:
'/sys/x'` (a bare PermissionError from making the folders on the way to ROOT, which the
refusal of a hub folder that cannot be written did not count: it named no path in ROOT). So
did a ROOT below a folder the user may not write in. It is now `PublishWriteError` (an OSError,
picklable), naming ROOT, the folder that refused and what to do; exit 1, as docs/hub.md says
of a hub folder that cannot be written.
"""

from __future__ import annotations

import errno
import os
import pickle
import uuid
from pathlib import Path

import pytest
from tests._helpers.cache_users import run_as_user
from tests._helpers.cli import run_tfhub

from tfhub import errors
from tfhub.hub.publish import publish

HANDLE = "acme/emb/1"


@pytest.fixture
def sys_root() -> str:
    """A ROOT below a folder of /sys that does not exist (sysfs makes no folders)."""
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("needs Linux's /sys")
    return f"/sys/tfhub-{uuid.uuid4().hex[:8]}/hub"


def test_publish_below_sys_is_one_line_naming_root_and_the_refusing_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sys_root: str
) -> None:
    """Refused while making the folders, before the model is read (an empty folder will do)."""
    code, out, err = run_tfhub(capsys, "publish", str(tmp_path), sys_root, "--handle", HANDLE)
    made = os.path.dirname(sys_root)
    assert (code, out) == (1, "")
    said = {  # sysfs: EPERM for root, EACCES for another user.
        f"tfhub: error: Cannot publish {HANDLE} into {sys_root}/assets/docs/acme/models/emb: "
        f"the hub folder {sys_root} cannot be made: /sys refuses to make the folder "
        f"{os.path.basename(made)} in it ({os.strerror(number)}: {made}). Choose a hub "
        "folder you can write to, then publish again; nothing was published."
        for number in (errno.EPERM, errno.EACCES)
    }
    assert len(err.splitlines()) == 1 and err.splitlines()[0] in said, err
    assert not os.path.exists(made)


def test_the_error_is_an_oserror_that_survives_pickling(tmp_path: Path, sys_root: str) -> None:
    with pytest.raises(errors.PublishWriteError) as caught:
        publish(tmp_path, sys_root, HANDLE)
    failure = caught.value
    assert isinstance(failure, OSError) and isinstance(failure.__cause__, PermissionError)
    assert failure.errno in (errno.EPERM, errno.EACCES)
    assert failure.path == f"{sys_root}/assets/docs/acme/models/emb"
    again = pickle.loads(pickle.dumps(failure))
    assert (type(again), str(again), again.path, again.errno) == (
        errors.PublishWriteError,
        str(failure),
        failure.path,
        failure.errno,
    )


def _publish_as_nobody(model: str, root: str) -> str:
    try:
        publish(model, root, HANDLE)
    except errors.PublishWriteError as err:
        return str(err)
    return "published"


def test_a_user_below_a_folder_of_root_s_gets_the_same_error(shared_dir: Path) -> None:
    """The user nobody, ROOT below a folder it may not write in (root's, mode 755)."""
    closed = shared_dir / "closed"
    closed.mkdir(mode=0o755)
    model = shared_dir / "model"
    model.mkdir(mode=0o777)
    root = closed / "x" / "hub"
    said = run_as_user(_publish_as_nobody, str(model), str(root)).result()
    assert said == (
        f"Cannot publish {HANDLE} into {root}/assets/docs/acme/models/emb: the hub folder "
        f"{root} cannot be made: {closed} refuses to make the folder x in it "
        f"({os.strerror(errno.EACCES)}: {closed / 'x'}). Choose a hub folder you can write "
        "to, then publish again; nothing was published."
    )
