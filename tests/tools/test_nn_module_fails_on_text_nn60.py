"""make_nearest_neighbour_index with a text module that loads, passes the first check, and then
fails on some strings (here: longer than 12 characters, as a module with a length limit that
asserts it): the module's own reason is named in one line, and a typed query it fails on is
skipped as other unanswerable typed lines are (session 60)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import index_builder
from tfhub.tools.make_nearest_neighbour_index.cli import build_parser, run
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

LONG = "a much longer query than that"
ITEMS = ["hello", "the cat", "world", "mat sat"]


def _save_short_text_module(path: Path) -> str:
    """A text module of 3 numbers a string that fails on a string of more than 12 characters."""
    import tensorflow as tf

    class ShortTexts(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, sentences):
            lengths = tf.strings.length(sentences)
            tf.debugging.assert_less_equal(
                tf.reduce_max(lengths), 12, message="sequence longer than 12"
            )
            hashed = tf.strings.to_hash_bucket_fast(sentences, 7)
            floats = [tf.cast(lengths, tf.float32), tf.cast(hashed, tf.float32) + 1.0]
            return tf.stack([*floats, tf.ones_like(floats[0])], 1)

    tf.saved_model.save(ShortTexts(), os.fspath(path))
    return os.fspath(path)


@pytest.fixture(scope="module")
def short_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """(the module, an index of ITEMS made with it, a scratch folder)."""
    root = tmp_path_factory.mktemp("nn60")
    module = _save_short_text_module(root / "short")
    embeds = root / "embeds"
    embeds.mkdir()
    records = [
        (item.encode(), [float(len(item)), float(i + 1), 1.0]) for i, item in enumerate(ITEMS)
    ]
    nn.write_records(embeds / "emb-00000-of-00001.tfrecords", records)
    index_builder.run(index_builder.BuildConfig(str(embeds), str(root / "index")))
    return module, str(root / "index"), root


def _error_line(err: str) -> str:
    (line,) = [line for line in err.splitlines() if line.startswith("tfhub: error: ")]
    return line


@pytest.mark.tf
def test_a_query_the_module_fails_on_is_one_line_with_the_modules_reason(short_index, capsys):
    """It was "tfhub: unexpected error: InvalidArgumentError: Graph execution error: Detected
    at node ..." (the reason deep inside)."""
    module, index, _ = short_index
    argv = ["query", f"--module_url={module}", f"--index_output_dir={index}"]
    assert tool_main([*argv, "--query=the cat", f"--query={LONG}"]) == 1
    printed = capsys.readouterr()
    line = _error_line(printed.err)
    assert line.startswith(f"tfhub: error: {module} is not a text embedding: it fails on 1 ")
    assert f"(the first {LONG!r}): assertion failed: [sequence longer than 12]" in line
    assert "unexpected" not in printed.err and "Graph execution" not in line
    assert line.endswith(f"Received: module_url={module!r}")


@pytest.mark.tf
def test_a_typed_query_the_module_fails_on_is_skipped(short_index, monkeypatch, capsys, caplog):
    """The whole session ended on it, as on an unexpected error; now it is named (its line)
    and skipped, as a typed line of no words the module embeds is."""
    module, index, _ = short_index
    monkeypatch.setattr("sys.stdin", io.StringIO(f"the cat\n{LONG}\nworld\n"))
    parser = build_parser()
    args = parser.parse_args(["query", f"--module_url={module}", f"--index_output_dir={index}"])
    args.num_matches = 1
    assert run(args) == 0
    answers = capsys.readouterr().out.split("Results:")[1:]
    assert [answer.count("\t") for answer in answers] == [1, 1], answers
    (skipped,) = [record.getMessage() for record in caplog.records]
    assert skipped.startswith("The query on line 2 is skipped: ")
    assert "assertion failed: [sequence longer than 12]" in skipped


@pytest.mark.tf
def test_generate_names_the_modules_reason(short_index, capsys):
    """Beam's error kept only TensorFlow's node mark: "RuntimeError: [[{{node
    assert_less_equal/Assert/Assert}}]] [Op:__inference_restored_function_body_475] [while
    running 'Embed']", without the module's reason."""
    module, _, root = short_index
    data = nn.write_lines(root / "long.txt", ["hello", LONG])
    out = root / "generated"
    argv = ["generate", f"--data_file_pattern={data}", f"--module_url={module}"]
    assert tool_main([*argv, f"--embed_output_dir={out}"]) == 1
    line = _error_line(capsys.readouterr().err)
    assert "assertion failed: [sequence longer than 12]" in line, line
    assert not out.exists()
    with pytest.raises(errors.NotATextEmbeddingError):
        from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

        TextEmbedder(module)([LONG])
