"""make_nearest_neighbour_index `query` with a query that has no words the module embeds (only
punctuation, say): a real text embedding (nnlm's tokenizer drops punctuation) then gives a vector
of zeros, as far from every item as from any other, so the "matches" are arbitrary items, as a
blank query's would be (which the tool refuses). The query is refused (the library), named
before any answer (--query) or named and skipped (the prompt)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main
from tfhub.tools.make_nearest_neighbour_index.similarity_finder import SimilarityFinder

pytestmark = pytest.mark.tf

WORDS = ("stocks", "fall", "vaccine", "rain", "match", "court")
DIM = 4


def _save_word_module(path: Path) -> str:
    """A TF2 text embedding whose tokenizer drops punctuation (as nnlm's): the mean of its
    words' vectors (a vector per known word, one for any other), zeros for a text of none."""
    import tensorflow as tf

    rows = np.random.default_rng(0).normal(size=(len(WORDS) + 1, DIM)).astype(np.float32)

    class WordEmbedding(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            init = tf.lookup.KeyValueTensorInitializer(
                list(WORDS), list(range(len(WORDS))), value_dtype=tf.int64
            )
            self.table = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=1)
            self.embeddings = tf.Variable(rows, name="embeddings")

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, sentences: Any) -> Any:
            text = tf.strings.regex_replace(tf.strings.lower(sentences), "[[:punct:]]", " ")
            tokens = tf.strings.split(text)
            ids = tf.ragged.map_flat_values(self.table.lookup, tokens)
            vectors = tf.ragged.map_flat_values(tf.nn.embedding_lookup, self.embeddings, ids)
            counts = tf.cast(tf.expand_dims(tokens.row_lengths(), 1), tf.float32)
            return tf.math.divide_no_nan(tf.reduce_sum(vectors, axis=1), counts)

    module = WordEmbedding()
    tf.saved_model.save(module, os.fspath(path), signatures=module.__call__)
    return os.fspath(path)


@pytest.fixture(scope="module")
def word_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(module folder, index folder): an hnswlib index of 12 items of random vectors."""
    root = tmp_path_factory.mktemp("nn_words")
    module = _save_word_module(root / "module")
    embeds = root / "embeds"
    embeds.mkdir()
    vectors = np.random.default_rng(1).normal(size=(12, DIM)).astype(np.float32)
    records = [(f"item {i}".encode(), list(map(float, v))) for i, v in enumerate(vectors)]
    nn.write_records(embeds / "emb-00000-of-00001.tfrecords", records)
    index = root / "index"
    argv = ["build", f"--embed_output_dir={embeds}", f"--index_output_dir={index}"]
    assert tool_main(argv) == 0
    return module, os.fspath(index)


def test_the_library_refuses_a_query_without_words(word_index):
    finder = SimilarityFinder(*word_index)
    assert len(finder.find_matches("Stocks fall!", 3)) == 3
    for query in ("...", "?! -- !?"):
        with pytest.raises(errors.ArgumentError, match="no words") as raised:
            finder.find_similar_items(query, 3)
        message = str(raised.value)
        assert "all zeros" in message and message.endswith(f"Received: query={query!r}")


def test_a_query_flag_without_words_is_named_before_any_answer(word_index, capsys):
    module, index = word_index
    argv = ["query", f"--module_url={module}", f"--index_output_dir={index}"]
    assert tool_main([*argv, "--query=stocks fall", "--query=..."]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # Not the first query's answer, then an error.
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(
        "tfhub: error: --query 2 of 2 cannot be answered: The query has no words the module embeds"
    )
    assert line.endswith("Received: query='...'")


def test_a_typed_query_without_words_is_named_and_skipped(word_index, capsys, monkeypatch):
    module, index = word_index
    monkeypatch.setattr("sys.stdin", io.StringIO("stocks fall\n!!!\nrain\n"))
    argv = ["query", f"--module_url={module}", f"--index_output_dir={index}"]
    assert tool_main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.count("Enter your query: ") == 4 and captured.out.count("Results:") == 2
    (line,) = [line for line in captured.err.splitlines() if "no words" in line]
    assert line.startswith(
        "tfhub: The query on line 2 is skipped: The query has no words the module embeds"
    )
    assert line.endswith("Received: query='!!!'")


def test_build_names_items_whose_embedding_is_all_zeros(tmp_path, capsys):
    """Lines without words ("---") embed to zeros: no query finds them nearer than any other
    item, so build says which they are (still indexing them, as upstream did)."""
    embeds = tmp_path / "embeds"
    embeds.mkdir()
    vectors = np.random.default_rng(2).normal(size=(6, DIM)).tolist()
    records = [(f"item {i}".encode(), v) for i, v in enumerate(vectors)]
    records[1:1] = [(b"---", [0.0] * DIM), (b"* * *", [0.0] * DIM)]
    nn.write_records(embeds / "emb-00000-of-00001.tfrecords", records)
    index = tmp_path / "index"
    assert tool_main(["build", f"--embed_output_dir={embeds}", f"--index_output_dir={index}"]) == 0
    captured = capsys.readouterr()
    assert "index of 8 items" in captured.out  # Indexed all the same.
    (line,) = [line for line in captured.err.splitlines() if "all zeros" in line]
    assert line.startswith("tfhub: 2 of the 8 items have an embedding of all zeros")
    assert line.endswith("Received: '---', '* * *'")
