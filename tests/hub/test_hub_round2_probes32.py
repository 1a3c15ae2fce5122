"""The operator's hub, a second round of probes (session 32): what `/healthz` tells a known
client, and what `tfhub mirror` says to do when it cannot write into the hub folder or the model
holds what a hub refuses (the install step it shares with `tfhub publish` said "publish again")."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests
from tests._helpers import models, mounts
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import mirror
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

HANDLE = "acme/emb/1"
MODEL_DIR = "assets/docs/acme/models/emb"


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("round2") / "model")))


def _healthz(root: Path, tokens: Path) -> str:
    settings = ServeSettings(
        root=str(root), token_file=str(tokens), access_log=False, rescan_seconds=0
    )
    with BackgroundServer(settings) as server:
        answer = requests.get(
            server.url("healthz"), headers={"Authorization": "Bearer s3cret-token"}, timeout=30
        )
    assert answer.status_code == 200, answer.text
    return answer.text


def test_healthz_counts_one_model_in_the_singular(tmp_path):
    """A known client of a hub with one model was told `ok 1 models`."""
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    make_tar_gz(write_model_doc(root, "lab/m/1").with_name("1.tar.gz"))
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token\n", encoding="utf-8")
    os.chmod(tokens, 0o600)
    assert _healthz(root, tokens).startswith("ok 1 model; scan ")
    make_tar_gz(write_model_doc(root, "lab/n/1").with_name("1.tar.gz"))
    assert _healthz(root, tokens).startswith("ok 2 models; scan ")


@pytest.mark.tf
def test_a_mirror_into_a_full_disk_says_to_mirror_again(text_model, tmp_path, capsys):
    """The message came from the install step `publish` shares: it said "then publish again"
    to someone running `tfhub mirror`."""
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        (disk / "filler").write_bytes(b"\0" * (16 << 10))  # The disk is full.
        root = disk / "hub"
        with pytest.raises(errors.PublishWriteError) as caught:
            mirror.mirror(os.fspath(text_model), root, as_handle=HANDLE)
        assert "Free space on its disk, then mirror again;" in str(caught.value)
        assert main(["mirror", str(text_model), str(root), "--as", HANDLE]) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line == (
            f"tfhub: error: Cannot publish {HANDLE} into {root / MODEL_DIR}: the disk of the hub "
            f"folder {root} is full. Free space on its disk, then mirror again; nothing was "
            "published."
        )
        assert sorted(os.listdir(disk)) == ["filler"]


@pytest.mark.tf
def test_a_mirror_into_a_read_only_hub_folder_says_to_mirror_again(text_model, tmp_path, capsys):
    with mounts.tmpfs(tmp_path / "fs", "size=1m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        root = disk / "hub"
        assert main(["mirror", str(text_model), str(root), "--as", HANDLE]) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line == (
            f"tfhub: error: Cannot publish {HANDLE} into {root / MODEL_DIR}: the hub folder "
            f"{root} cannot be written (Read-only file system: {root}). Choose a hub folder you "
            "can write to, then mirror again; nothing was published."
        )
        # `tfhub publish` still says to publish again: the message is the same one.
        assert main(["publish", str(text_model), str(root), "--handle", HANDLE]) == 1
        assert "then publish again; nothing was published." in capsys.readouterr().err


@pytest.mark.tf
def test_a_mirrored_model_with_files_a_hub_refuses_says_to_mirror_again(text_model, tmp_path):
    """The same shared step said "and publish again" to someone running `tfhub mirror`."""
    model = tmp_path / "model"
    shutil.copytree(text_model, model)
    (model / "README.txt").write_text("Notes.\n", encoding="utf-8")
    with pytest.raises(errors.NotAModelError) as caught:
        mirror.mirror(os.fspath(model), tmp_path / "hub", as_handle=HANDLE)
    message = str(caught.value)
    assert "'README.txt' is not a file a SavedModel uses" in message, message
    assert "file names) and mirror again; nothing was published." in message, message
    assert not (tmp_path / "hub/assets/docs/acme/models").exists()


@pytest.mark.tf
def test_a_mirrored_archive_holding_a_link_says_to_mirror_again(text_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(text_model, folder)
    asset = next(path for path in (folder / "assets").iterdir() if path.is_file())
    (folder / "assets" / "alias.txt").symlink_to(asset.name)
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=".")
    with pytest.raises(errors.NotAModelError) as caught:
        mirror.mirror(os.fspath(archive), tmp_path / "hub", as_handle=HANDLE)
    assert str(caught.value).endswith(
        "(`tar czhf` stores what links point to) and mirror again. "
        f"Received: model_dir={str(archive)!r}"
    ), str(caught.value)
