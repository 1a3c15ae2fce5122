"""A module exported into the folder its assets are read from (rf53a-F6, session 53).

`hub.create_module_spec_from_saved_model(folder)` exported into `folder` (making the SavedModel a
module in place), or a module folder without its `tfhub_module.pb` (an interrupted export, which
docs/tf1.md says to export again into the same folder) exported from a module read there: the
export copied each asset onto itself with overwrite=True, which left the vocabulary empty (0
bytes). The module then loaded and mapped every token to the out-of-vocabulary bucket.
tensorflow_hub 0.10.0 refused (AlreadyExistsError) and left the file whole.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
SENTENCES = ["the cat sat", "zzz", ""]


def _embeddings(handle: Any) -> list[list[float]]:
    with tf.Graph().as_default():
        outputs = hub.Module(handle)(tf.constant(SENTENCES))
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            return session.run(outputs).tolist()


def _export(spec_or_handle: Any, path: Path, before_export: Any = None) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec_or_handle)
        if before_export is not None:
            before_export()
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            module.export(str(path), session)


@pytest.fixture
def vocab_module(tmp_path: Path) -> Path:
    folder = tmp_path / "tf1_text_vocab"
    shutil.copytree(upstream_path("tf1_text_vocab"), folder)
    return folder


def test_a_saved_model_exported_in_place_keeps_its_vocabulary(vocab_module: Path) -> None:
    expected = _embeddings(str(vocab_module))
    vocabulary = (vocab_module / "assets" / "tokens.txt").read_bytes()
    (vocab_module / "tfhub_module.pb").unlink()  # Now a TF1 SavedModel.
    _export(hub.create_module_spec_from_saved_model(str(vocab_module)), vocab_module)
    assert (vocab_module / "assets" / "tokens.txt").read_bytes() == vocabulary
    assert _embeddings(str(vocab_module)) == expected


def test_a_module_exported_into_its_own_folder_keeps_its_vocabulary(vocab_module: Path) -> None:
    expected = _embeddings(str(vocab_module))
    vocabulary = (vocab_module / "assets" / "tokens.txt").read_bytes()
    _export(str(vocab_module), vocab_module, (vocab_module / "tfhub_module.pb").unlink)
    assert (vocab_module / "assets" / "tokens.txt").read_bytes() == vocabulary
    assert _embeddings(str(vocab_module)) == expected
