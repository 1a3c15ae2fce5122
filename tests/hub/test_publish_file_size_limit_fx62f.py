"""`tfhub publish`/`mirror` past the file-size limit (EFBIG: `ulimit -f`, or what a file system
allows) is the hub folder's error, as a full disk is.

It read "tfhub: OS error: Cannot write the archive .../.1.publish-<id>/1.tar.gz (File too
large); ... write it elsewhere": pack's advice, naming a staging file, with no word that
nothing was published. It is now a PublishWriteError (exit 1) saying to raise the limit.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from tests._helpers import models
from tests._helpers.limits import file_size_limit

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import publish, starter
from tfhub.hub.doc_handles import parse_handle

HANDLE = "acme/text/embedding/1"
MODEL_DIR = "assets/docs/acme/models/text/embedding"
LIMIT = 48 << 10


@pytest.fixture(scope="module")
def big_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 text embedding with a 96 kB asset that does not compress: its archive is past
    LIMIT, the other files a publish writes are not."""
    model = Path(models.save_text_embedding(str(tmp_path_factory.mktemp("big") / "model")))
    (model / "assets").mkdir(exist_ok=True)
    (model / "assets" / "noise.bin").write_bytes(os.urandom(96 << 10))
    return model


def _said(command: str, root: Path) -> str:
    return (
        f"Cannot publish {HANDLE} into {root / MODEL_DIR}: a file is larger than the file-size "
        "limit (`ulimit -f`) or than its file system allows; raise the limit, then "
        f"{command} again; nothing was published."
    )


def test_publish_past_the_file_size_limit_says_so_and_leaves_nothing(
    big_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "hub"
    with file_size_limit(LIMIT):
        code = main(["publish", str(big_model), str(root), "--handle", HANDLE])
    out, err = capsys.readouterr()
    assert (code, out, err) == (1, "", f"tfhub: error: {_said('publish', root)}\n")
    assert not root.exists() or list(root.rglob("*")) == []


def test_the_error_names_the_command_and_the_errno(big_model: Path, tmp_path: Path) -> None:
    """`mirror` installs each version through `install`, which names the command."""
    root = tmp_path / "hub"
    with pytest.raises(errors.PublishWriteError) as caught, file_size_limit(LIMIT):
        publish.install(
            big_model,
            root,
            parse_handle(HANDLE),
            doc_text=None,
            info=starter.StarterInfo(),
            force=False,
            command="mirror",
        )
    assert str(caught.value) == _said("mirror", root)
    assert (caught.value.errno, caught.value.path) == (errno.EFBIG, str(root / MODEL_DIR))
