"""Follow-ups of session 60 in the hub library (hub60d).

1. A ROOT that is a URL: `tfhub publish|mirror` refused it (cli60), but `tfhub.hub.publish.publish`
   and `tfhub.hub.mirror.mirror`, called from Python, still wrote `./https:/host/...` and said
   they had published. The refusal now lives in the library, the CLI relies on it.
2. `tfhub pack` of a folder whose name is not UTF-8 said "does not load as a model ...; fix or
   re-export it" (NotAModelError wrapping ModelPathEncodingError): the fix is renaming the
   folder, which ModelPathEncodingError (now let through) says.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

from tfhub import errors
from tfhub.hub import mirror as mirror_lib
from tfhub.hub import pack as pack_lib
from tfhub.hub import publish as publish_lib
from tfhub.hub.starter import StarterInfo

_INFO = StarterInfo(task="text-embedding")  # What the starter doc needs: the rest would publish.


@pytest.fixture(autouse=True)
def _own_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def _made_url_folders(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(":")]


@pytest.mark.parametrize("root", ["https://hub.example.com", "file:///srv/hub"])
def test_publish_from_python_refuses_a_url_root(
    tmp_path: Path, upstream_dir: Path, root: str
) -> None:
    model = upstream_dir / "tf2_saved_model"
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_lib.publish(model, root, "me/emb/1", info=_INFO)
    assert str(caught.value).startswith("ROOT is the local hub folder"), caught.value
    assert f"Received: root='{root}'" in str(caught.value)
    assert caught.value.path == root
    assert _made_url_folders(tmp_path) == []


def test_mirror_from_python_refuses_a_url_root(tmp_path: Path, upstream_dir: Path) -> None:
    """`mirror(MODEL, URL)`: the arguments swapped, the URL to mirror taken as the hub folder."""
    model = str(upstream_dir / "tf2_saved_model")
    root = "http://127.0.0.1:9/m/emb.tar.gz"
    with pytest.raises(errors.PublishTargetError) as caught:
        mirror_lib.mirror(model, root, as_handle="me/emb/1", info=_INFO)
    assert "`tfhub mirror` writes into a folder" in str(caught.value), caught.value
    assert f"Received: root='{root}'" in str(caught.value)
    assert _made_url_folders(tmp_path) == []


def test_a_folder_path_that_starts_like_a_scheme_is_still_a_folder(
    tmp_path: Path, upstream_dir: Path
) -> None:
    """Only `SCHEME://` is a URL: `hub:1` (a folder whose name has a colon) is not refused as
    one; the model given is missing, so publish fails for that reason, naming the model."""
    with pytest.raises(errors.NotAModelError, match="no-model does not exist"):
        publish_lib.publish(tmp_path / "no-model", "hub:1", "me/emb/1", info=_INFO)


@pytest.fixture
def non_utf8_model(tmp_path: Path, upstream_dir: Path) -> str:
    folder = os.fsdecode(os.fsencode(str(tmp_path)) + b"/mod\xffel")
    shutil.copytree(upstream_dir / "tf2_saved_model", folder)
    return folder


def test_pack_model_lets_the_path_encoding_error_through(
    tmp_path: Path, non_utf8_model: str
) -> None:
    with pytest.raises(errors.ModelPathEncodingError) as caught:
        pack_lib.pack_model(non_utf8_model, tmp_path / "x.tar.gz")
    assert not isinstance(caught.value, errors.NotAModelError)
    assert "Rename the folder" in str(caught.value), caught.value
    assert not (tmp_path / "x.tar.gz").exists()


def test_tfhub_pack_says_to_rename_a_non_utf8_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, non_utf8_model: str
) -> None:
    """docs/cli.md: a ModelPathEncodingError is `tfhub: error: ...`, exit 1 (as `inspect`)."""
    code, out, err = run_tfhub(capsys, "pack", os.path.basename(non_utf8_model), "-o", "x.tar.gz")
    assert (code, out) == (1, ""), err
    assert err.startswith("tfhub: error: TensorFlow cannot read the model folder"), err
    assert err.count("\n") == 1 and "mod\\xffel" in err and "\\udc" not in err, err
    assert "Rename the folder" in err and "re-export" not in err, err
    assert not (tmp_path / "x.tar.gz").exists()


@pytest.mark.parametrize("command", ["publish", "mirror"])
def test_publish_and_mirror_say_to_rename_a_non_utf8_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, non_utf8_model: str, command: str
) -> None:
    """docs/hub.md: as `pack`, `publish` and `mirror` of such a folder say to rename it."""
    name = os.path.basename(non_utf8_model)
    handle = ("--handle",) if command == "publish" else ("--as",)
    argv = (command, name, "hub", *handle, "me/emb/1", "--task", "text-embedding")
    code, out, err = run_tfhub(capsys, *argv)
    assert (code, out) == (1, ""), err
    assert err.startswith("tfhub: error: TensorFlow cannot read the model folder"), err
    assert "Rename the folder" in err and "re-export" not in err, err
    assert not (tmp_path / "hub" / "assets" / "docs" / "me" / "models").exists()
