"""`tfhub import ARCHIVE --handle HANDLE` of archives that hold no model at their top."""

from __future__ import annotations

import json
import os

from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.python_process import child_env, run_python

_CLI = "import sys\nfrom tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
HANDLE = "https://h.example/models/m/1"


def _import(archive: str, cache_dir: str) -> tuple[str, str]:
    """Runs `tfhub import ARCHIVE --handle HANDLE` (exit 0 expected); returns stdout, stderr."""
    env = child_env(TFHUB_CACHE_DIR=cache_dir)
    done = run_python(_CLI, "import", archive, "--handle", HANDLE, env=env, timeout=60)
    return done.stdout, done.stderr


def test_an_archive_of_the_model_folder_itself_is_imported_with_a_warning(tmp_path):
    """`tar czf m.tar.gz my_model/` (the folder, not its contents) was imported without a word
    (exit 0); the handle then failed at its first load."""
    nested = {f"my_model/{name}": data for name, data in MODEL_FILES.items()}
    archive = make_tar_gz(tmp_path / "m.tar.gz", nested, folders=True)
    out, err = _import(archive, os.fspath(tmp_path / "cache"))
    entry = out.strip()
    assert read_tree(entry) == nested  # Imported as it is, as a download of it would be.
    assert err == (
        f"tfhub: Imported {archive} as {HANDLE}, but its archive holds the model in a folder, "
        "my_model/, not at its top: tfhub.load cannot load it. Load "
        f"{entry}/my_model, or repack the archive with the model's files at its top (`tfhub "
        "pack MODEL_FOLDER -o model.tar.gz` packs a folder's contents).\n"
    )


def test_an_archive_of_a_model_or_of_a_tfjs_model_is_imported(tmp_path):
    out, err = _import(make_tar_gz(tmp_path / "m.tar.gz"), os.fspath(tmp_path / "cache"))
    assert read_tree(out.strip()) == MODEL_FILES and err == ""
    tfjs = {"model.json": json.dumps({"format": "graph-model"}).encode(), "group1.bin": b"w"}
    archive = make_tar_gz(tmp_path / "tfjs.tar.gz", tfjs)
    out, err = _import(archive, os.fspath(tmp_path / "cache2"))
    assert read_tree(out.strip()) == tfjs  # hub.resolve gives it; TF.js loads it.
    assert err.startswith(
        f"tfhub: Imported {archive} as {HANDLE}, but it is a TensorFlow.js model (model.json), "
        "not a SavedModel: tfhub.load cannot load it. Load it with TensorFlow.js"
    )
