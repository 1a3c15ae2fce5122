"""`query` with another module than `generate` embedded with is an error, not meaningless
"nearest" items: `generate` records which module and projection made the embeddings
(embedding_module.json), `build` copies the record into the index folder, `query` compares it
with its --module_url. Folders without a record (upstream's, an older tfhub's) work as before."""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import cli, files, index_builder, similarity_finder

pytestmark = pytest.mark.tf

RECORD = "embedding_module.json"  # What docs/tools.md names; upstream's build globs *.tfrecords.
ITEMS = nn.lines(24)


def _save_other_text_module(path: Path) -> str:
    """Another text embedding of the same size (8) as the `text_module` fixture, whose vectors
    differ: words hashed into a table of its own values, averaged."""
    import tensorflow as tf

    class HashedWords(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            table = np.random.default_rng(58).normal(size=(64, nn.DIM)).astype(np.float32)
            self.table = tf.Variable(table)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, sentences: tf.Tensor) -> tf.Tensor:
            words = tf.strings.split(tf.strings.lower(sentences))
            ids = tf.strings.to_hash_bucket_fast(words, 64)
            vectors = tf.ragged.map_flat_values(tf.nn.embedding_lookup, self.table, ids)
            counts = tf.cast(tf.expand_dims(words.row_lengths(), 1), tf.float32)
            return tf.math.divide_no_nan(tf.reduce_sum(vectors, axis=1), counts)

    module = HashedWords()
    tf.saved_model.save(module, os.fspath(path), signatures=module.__call__)
    return os.fspath(path)


@pytest.fixture(scope="module")
def other_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _save_other_text_module(tmp_path_factory.mktemp("other") / "hashed8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, text_module: str) -> Path:
    """One `e2e` run (generate, then build) with `text_module`, projected 8 -> 4: the folder
    holding `embeds/` and `index/` (read only)."""
    root = tmp_path_factory.mktemp("nn58")
    argv = [
        "e2e",
        f"--data_file_pattern={nn.write_lines(root / 'lines.txt', ITEMS)}",
        f"--module_url={text_module}",
        f"--embed_output_dir={root / 'embeds'}",
        f"--index_output_dir={root / 'index'}",
        "--projected_dim=4",
        "--seed=58",
        "--batch_size=8",
    ]
    assert cli.main(argv) == 0
    return root


def _record(folder: Path) -> dict[str, object]:
    return json.loads((folder / RECORD).read_text(encoding="utf-8"))


def test_generate_and_build_record_the_module_and_projection(built, text_module):
    recorded = _record(built / "embeds")
    assert recorded["module_url"] == text_module
    assert recorded["module_key"] == os.path.realpath(text_module)
    assert (recorded["embedding_dim"], recorded["projected_dim"]) == (nn.DIM, 4)
    assert str(recorded["module_digest"]).startswith("sha256:")
    assert _record(built / "index") == recorded  # build copied it, as the matrix.
    assert files.is_output_name(RECORD, flag="embed_output_dir")
    assert files.is_output_name(RECORD, flag="index_output_dir")
    # Upstream's build reads the *.tfrecords only: the record is not one of them.
    assert not RECORD.endswith(files.EMBED_FILE_SUFFIX)


def test_query_with_the_module_that_made_the_embeddings_works(built, text_module, tmp_path):
    finder = similarity_finder.SimilarityFinder(text_module, str(built / "index"))
    assert finder.find_similar_items(ITEMS[5], 1) == [ITEMS[5]]
    moved = shutil.copytree(text_module, tmp_path / "moved")  # The same files elsewhere.
    finder = similarity_finder.SimilarityFinder(str(moved), str(built / "index"))
    assert finder.find_similar_items(ITEMS[5], 1) == [ITEMS[5]]


def test_query_with_another_module_of_the_same_size_is_an_error(built, text_module, other_module):
    with pytest.raises(errors.TFHubError) as caught:
        similarity_finder.SimilarityFinder(other_module, str(built / "index"))
    err = caught.value
    assert isinstance(err, ValueError) and type(err).__name__ == "ModuleMismatchError"
    message = str(err)
    assert text_module in message and other_module in message and "--allow_other_module" in message
    assert (err.recorded, err.module_url) == (text_module, other_module)
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == message and again.recorded == text_module


def test_the_command_says_which_modules_differ_in_one_line(
    built, text_module, other_module, capsys
):
    argv = ["query", f"--module_url={other_module}", f"--index_output_dir={built / 'index'}"]
    assert cli.main([*argv, "--query=hello world"]) != 0
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and text_module in err[0] and other_module in err[0], err
    assert "Results:" not in captured.out
    assert "--allow_other_module" in cli.build_parser().format_help()


def test_allow_other_module_overrides_the_check(built, other_module, caplog):
    with caplog.at_level(logging.INFO):
        finder = similarity_finder.SimilarityFinder(
            other_module, str(built / "index"), allow_other_module=True
        )
    assert len(finder.find_similar_items("hello world", 3)) == 3
    assert any("allow_other_module" in record.getMessage() for record in caplog.records)


def test_build_refuses_a_record_that_does_not_fit_the_embeddings(built, tmp_path):
    embeds = shutil.copytree(built / "embeds", tmp_path / "embeds")
    recorded = _record(embeds)
    (embeds / RECORD).write_text(json.dumps({**recorded, "projected_dim": 5}), encoding="utf-8")
    with pytest.raises(errors.EmbeddingFilesError, match="embedding_module.json"):
        index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    (embeds / RECORD).write_text("{not json", encoding="utf-8")
    with pytest.raises(errors.EmbeddingFilesError, match="damaged"):
        index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    assert not (tmp_path / "index").exists()


def test_a_damaged_record_in_the_index_is_an_index_files_error(built, text_module, tmp_path):
    index = shutil.copytree(built / "index", tmp_path / "index")
    (index / RECORD).write_text('{"module_url": 3}', encoding="utf-8")
    with pytest.raises(errors.IndexFilesError, match="embedding_module.json"):
        similarity_finder.SimilarityFinder(text_module, str(index))


def test_upstreams_folders_without_a_record_work_as_before(tmp_path, caplog):
    embeds = nn.copy_upstream_embeds(tmp_path / "embeds")
    index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    assert not (tmp_path / "index" / RECORD).exists()  # No record is made up.
    module = nn.save_text_embedding(str(tmp_path / "text128"), dim=128)  # upstream's 128 -> 64
    with caplog.at_level(logging.DEBUG):
        finder = similarity_finder.SimilarityFinder(
            module, str(tmp_path / "index"), allow_pickle=True
        )
    assert len(finder.find_similar_items("the cat sat on the mat", 10)) == 10
    noted = [r for r in caplog.records if "cannot be checked" in r.getMessage()]
    assert [r.levelno for r in noted] == [logging.DEBUG]  # The command's stderr is as before.


def test_same_module_rules():
    """Which handles name one module: the same files (digest) whatever the path; without a
    digest on either side, the same place (handle key or resolved folder)."""
    from tfhub.tools.make_nearest_neighbour_index.module_record import (
        ModuleIdentity,
        ModuleRecord,
        differs,
    )

    cached = "/cache/0123abcd"
    by_url = ModuleIdentity("https://h/m/1", "https://h/m/1", cached, "sha256:aa")
    assert differs(by_url, ModuleIdentity(cached, cached, cached, "sha256:aa")) is None
    assert differs(by_url, ModuleIdentity("/moved/m", "/moved/m", "/moved/m", "sha256:aa")) is None
    changed = differs(by_url, ModuleIdentity("https://h/m/1", "https://h/m/1", cached, "sha256:bb"))
    assert changed is not None and "changed" in changed
    other = differs(by_url, ModuleIdentity("/other", "/other", "/other", "sha256:bb"))
    assert other is not None and "differ" in other
    remote = ModuleIdentity("gs://b/m", "gs://b/m", None, None)
    assert differs(remote, ModuleIdentity("gs://b/m/", "gs://b/m", None, None)) is None
    assert differs(remote, ModuleIdentity("gs://b/n", "gs://b/n", None, None)) is not None
    assert differs(by_url, ModuleIdentity("gs://b/m", "gs://b/m", None, None)) is not None
    record = ModuleRecord(by_url, 8, 4)
    assert ModuleRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    for damaged in ([], {**record.to_json(), "projected_dim": 9}, {"module_url": "x"}):
        assert isinstance(ModuleRecord.from_json(damaged), str)


def test_a_failed_generate_leaves_no_record(text_module, tmp_path):
    """The record is written into the output folder being written, with the embeddings: a
    pipeline that fails (a line that is not UTF-8) leaves no folder, so no record alone."""
    from tfhub.tools.make_nearest_neighbour_index import embedding_generator as generator

    data = tmp_path / "lines.txt"
    data.write_bytes(b"hello world\n\xff\xfe not utf-8\n")
    config = generator.GenerateConfig(str(data), text_module, str(tmp_path / "embeds"))
    with pytest.raises(errors.PipelineError):
        generator.run(config)
    assert sorted(os.listdir(tmp_path)) == ["lines.txt"]


def test_a_url_and_its_cache_folder_are_the_module_of_its_files(
    built, text_module, server, served_dir
):
    """The index made with the module's folder is queried by the module's URL (served as an
    archive, downloaded into the cache) and by that cache folder: the same files."""
    from tests._helpers.models import make_tarball

    from tfhub.tools.make_nearest_neighbour_index.module_record import ModuleIdentity, differs
    from tfhub.tools.module_handles import resolve_model_folder

    make_tarball(text_module, str(served_dir / "text8.tar.gz"))
    url = server.url("text8.tar.gz")
    finder = similarity_finder.SimilarityFinder(url, str(built / "index"))
    assert finder.find_similar_items(ITEMS[2], 1) == [ITEMS[2]]
    cached = resolve_model_folder(url, flag="module_url")
    assert differs(ModuleIdentity.of(url, cached), ModuleIdentity.of(cached, cached)) is None
    finder = similarity_finder.SimilarityFinder(cached, str(built / "index"))
    assert finder.find_similar_items(ITEMS[2], 1) == [ITEMS[2]]
