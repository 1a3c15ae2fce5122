"""`tfhub pack` / `tfhub publish` of odd model folders: a named pipe inside, an unreadable
folder or file, a file that changes while it is packed. Each is refused with one line naming
the file and what to do; no archive (or part of one) is left."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from tests._helpers import models
from tests._helpers.cache_users import python_as_nobody
from tests._helpers.python_process import child_env, python_command

from tfhub import errors
from tfhub.hub import pack

_CLI = "import sys\nfrom tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"


@pytest.fixture(scope="module")
def tf2_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 SavedModel, built once for this file."""
    return Path(models.save_tf2_module(str(tmp_path_factory.mktemp("odd") / "model")))


def _tfhub(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Runs `tfhub *argv` in a fresh process."""
    command = python_command(_CLI, *argv)
    return subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=timeout)


@pytest.mark.tf
def test_a_named_pipe_in_the_model_is_refused_before_tensorflow_reads_it(tf2_model, tmp_path):
    """A FIFO as variables/variables.index: `tfhub pack` and `tfhub publish` refused special
    files only when packing, after TensorFlow's load, which opened the FIFO and waited for a
    writer for ever."""
    model = tmp_path / "model"
    shutil.copytree(tf2_model, model)
    (model / "variables/variables.index").unlink()
    os.mkfifo(model / "variables/variables.index")
    done = _tfhub("pack", os.fspath(model), "-o", os.fspath(tmp_path / "m.tar.gz"))
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"tfhub: error: {model}/variables/variables.index is a FIFO; a model archive holds only "
        "regular files and folders (remove it). Received: "
        f"model_dir={os.fspath(model)!r}\n"
    )
    hub = tmp_path / "hub"
    done = _tfhub("publish", os.fspath(model), os.fspath(hub), "--handle", "acme/m/1")
    assert done.returncode == 1 and "variables.index is a FIFO" in done.stderr, done.stderr
    assert sorted(os.listdir(tmp_path)) == ["model"]  # No archive, no hub folder.


@pytest.mark.parametrize("kind", ["FIFO", "folder", "link to nothing"])
def test_a_saved_model_pb_that_is_not_a_file_is_named_so(tf2_model, tmp_path, kind):
    """`tfhub pack` of a model whose saved_model.pb is a named pipe said it "holds no
    saved_model.pb": the file is there, as something else."""
    model = tmp_path / "model"
    shutil.copytree(tf2_model, model)
    pb = model / "saved_model.pb"
    pb.unlink()
    if kind == "FIFO":
        os.mkfifo(pb)
    elif kind == "folder":
        pb.mkdir()
    else:
        pb.symlink_to(tmp_path / "nowhere")
    done = _tfhub("pack", os.fspath(model), "-o", os.fspath(tmp_path / "m.tar.gz"))
    assert done.stderr == (
        f"tfhub: error: {pb} is a {kind}, not a file: copy or export the model there again. "
        f"Received: model_dir={os.fspath(model)!r}\n"
    )
    assert sorted(os.listdir(tmp_path)) == ["model"]


_PACK_AS_NOBODY = """
import sys
from tfhub.hub import pack
from tfhub.program.report import report
try:
    pack.pack(sys.argv[1], sys.argv[2])
except Exception as err:
    sys.exit(report(err))
"""


@pytest.mark.parametrize("unreadable", ["assets/sub", "assets/sub/vocab.txt"])
def test_what_the_packer_cannot_read_is_named_not_left_out(shared_dir, unreadable):
    """A folder its user cannot list was packed as an empty folder (os.walk skips what it
    cannot list): an archive without the model's vocabulary, exit 0. A file it cannot read
    was a bare `[Errno 13] Permission denied: '...'`."""
    model = shared_dir / "model"
    (model / "assets/sub").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"")
    (model / "assets/sub/vocab.txt").write_text("a\nb\n")
    for path in [model, *model.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (model / unreadable).chmod(0)
    output = shared_dir / "m.tar.gz"
    env = child_env(HOME=os.fspath(shared_dir))
    done = python_as_nobody(_PACK_AS_NOBODY, os.fspath(model), os.fspath(output), env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"tfhub: OS error: Cannot read {model / unreadable} (Permission denied): make it "
        "readable (`chmod -R u+rX` as its owner), or pack as a user who can read it.\n"
    )
    assert sorted(os.listdir(shared_dir)) == ["model"]


def _change(data: Path, how: str) -> None:
    """Changes the file `data` a moment after the pack started (it takes a second or so)."""
    time.sleep(0.2)
    if how == "shrinks":
        os.truncate(data, 1 << 20)
    else:
        with open(data, "ab") as out:
            out.write(b"more")


@pytest.mark.parametrize("how", ["shrinks", "grows"])
def test_a_file_that_changes_while_it_is_packed_is_refused(tmp_path, how):
    """A file that shrank while it was read failed with a bare `unexpected end of data`; one
    that grew or was rewritten gave an archive of a mix of old and new bytes, exit 0 (`tar`
    warns "file changed as we read it")."""
    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"")
    data = model / "variables/variables.data-00000-of-00001"
    with open(data, "wb") as out:
        out.truncate(128 << 20)  # Sparse: a second or so to read and compress.
    writer = threading.Thread(target=_change, args=(data, how))
    writer.start()
    try:
        with pytest.raises(errors.NotAModelError) as caught:
            pack.pack(model, tmp_path / "m.tar.gz")
    finally:
        writer.join()
    assert str(caught.value).startswith(
        f"{data} changed while it was packed: pack again once nothing writes into the model folder."
    )
    assert caught.value.reason == f"changed while packed: {data.relative_to(model).as_posix()}"
    assert sorted(os.listdir(tmp_path)) == ["model"]
    assert pack.pack(model, tmp_path / "m.tar.gz").files == 2  # Once it stays as it is.


def test_an_output_that_is_a_folder_is_refused_before_anything_is_read(tmp_path, capsys):
    """`tfhub pack MODEL -o dist/` read and compressed the whole model (after TensorFlow's
    load), then failed at the rename: 'Cannot write the archive dist (Is a directory); check
    that its folder exists and is writable'."""
    from tfhub.cli.main import main

    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"")  # Not loadable: refused before the load.
    (tmp_path / "dist").mkdir()
    for output in (tmp_path / "dist", f"{tmp_path}/dist/"):
        with pytest.raises(errors.PublishTargetError) as caught:
            pack.pack(model, output)
        assert str(caught.value) == (
            f"{output} is a folder: name the archive file (e.g. -o "
            f"{os.path.join(output, 'model.tar.gz')}). Received: output={os.fspath(output)!r}"
        )
    assert main(["pack", os.fspath(model), "-o", os.fspath(tmp_path / "dist")]) == 1
    assert capsys.readouterr().err.startswith(
        f"tfhub: error: {tmp_path}/dist is a folder: name the archive file"
    )
    assert sorted(os.listdir(tmp_path)) == ["dist", "model"] and not os.listdir(tmp_path / "dist")
