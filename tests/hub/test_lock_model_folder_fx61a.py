"""A hub folder where mkdir says "no such file" although the parent is there (fx61a, session 61).

Under /proc (and on a file system refusing the create so), mkdir fails with ENOENT with its
parent present. `staging.lock_model_folder` took that for a parent removed by a failed publish
of the same model, made the folders again 20 times, and reported PublishBusyError "Other
processes publishing into ... failed and removed it 20 times": a wrong cause and remedy. Now it
raises PublishTargetError at once, naming the folder that cannot be made and the system's text.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from tests._helpers.archives import write_tree

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import publish as publish_lib

_PARENT = "/proc/tfhubtest"  # procfs makes no folders: mkdir says ENOENT, /proc being there.


@pytest.fixture(scope="module")
def refusing_root() -> str:
    """A hub folder below /proc, where mkdir fails with ENOENT although /proc is there."""
    try:
        os.mkdir(_PARENT)
    except FileNotFoundError:
        return f"{_PARENT}/hub"
    except OSError as err:
        pytest.skip(f"mkdir {_PARENT} fails otherwise here ({err}), not as on Linux's procfs")
    os.rmdir(_PARENT)
    pytest.skip(f"{_PARENT} could be made: /proc is no procfs here")


def _model_folder(tmp_path: Path) -> Path:
    return Path(write_tree(tmp_path / "model"))


def test_a_folder_the_file_system_will_not_make_is_named_at_once(
    tmp_path: Path, refusing_root: str
) -> None:
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_lib.publish(_model_folder(tmp_path), refusing_root, "acme/emb/1")
    message = str(caught.value)
    assert f"Cannot make the folder {_PARENT}" in message, message
    assert os.strerror(errno.ENOENT) in message and "/proc is there" in message, message
    assert "removed it" not in message and "Other processes" not in message
    assert caught.value.path == f"{refusing_root}/assets/docs/acme/models/emb"
    assert isinstance(caught.value.__context__, FileNotFoundError)  # Kept for a traceback.


def test_the_command_says_it_in_one_line_and_exits_1(
    tmp_path: Path, refusing_root: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["publish", str(_model_folder(tmp_path)), refusing_root, "--handle=acme/emb/1"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"Cannot make the folder {_PARENT}" in err and "removed it" not in err, err
    assert len(err.strip().splitlines()) == 1, err
