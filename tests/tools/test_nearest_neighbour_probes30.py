"""make_nearest_neighbour_index under the inputs users (and careless ones) give it: Beam options
that share a prefix with the tool's flags, the `tfhub` subcommand read as the console script,
text-embedding modules that return the wrong thing, and the interactive query at end of input."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.python_process import ctrl_c_as_in_a_terminal
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.cli.main import main as tfhub_main
from tfhub.tools.absl_argv import double_dashed
from tfhub.tools.make_nearest_neighbour_index import embedding_generator as generator
from tfhub.tools.make_nearest_neighbour_index import index_builder
from tfhub.tools.make_nearest_neighbour_index.cli import build_parser
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main
from tfhub.tools.make_nearest_neighbour_index.similarity_finder import SimilarityFinder
from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

pytestmark = pytest.mark.tf
pytest.importorskip(
    "apache_beam", reason="apache-beam is not installed (pip install 'tfhub[tools]')"
)


def test_dataflows_project_option_is_not_read_as_projected_dim():
    # argparse took `--project` (a required Dataflow option, in the docs' example) as an
    # abbreviation of --projected_dim: "expected an integer", or, for a project number, a
    # projection to that size.
    parser = build_parser()
    argv = ["generate", "--runner=DataflowRunner", "--project=my-project", "--project", "12"]
    args, beam_args = parser.parse_known_args(double_dashed(argv, parser))
    assert args.projected_dim is None
    assert beam_args == ["--runner=DataflowRunner", "--project=my-project", "--project", "12"]


def test_the_tfhub_subcommand_reads_the_arguments_as_the_console_script(tmp_path, capsys):
    # `tfhub make-nearest-neighbour-index` took neither absl's one-dash flags (the console
    # script does) nor its own -v after the operation (both went to Beam, or were missing).
    missing = tmp_path / "no_index"
    argv = ["query", "-module_url=m", f"-index_output_dir={missing}", "--query=x"]
    assert tool_main(argv) != 0
    expected = capsys.readouterr().err.strip()
    assert f"The index folder {missing} does not exist" in expected
    assert tfhub_main(["make-nearest-neighbour-index", *argv, "-v"]) != 0
    assert capsys.readouterr().err.strip() == expected


def _save_string_module(path: str, fn: Callable[[Any], Any]) -> str:
    """A SavedModel whose `__call__` takes strings [None] and returns `fn(strings)`."""
    import tensorflow as tf

    module = tf.Module()
    module.__call__ = tf.function(fn, input_signature=[tf.TensorSpec([None], tf.string)])
    tf.saved_model.save(module, path)
    return path


def _wrong_outputs() -> dict[str, Callable[[Any], Any]]:
    """Modules that take strings but do not give one float vector per string, by name: a
    fixed batch of 2 (the check on load embeds 2 strings), a size that grows with the batch,
    two outputs, integers, vectors of no floats."""
    import tensorflow as tf

    def rows(strings: Any, dim: Any, dtype: Any = tf.float32) -> Any:
        return tf.zeros([tf.shape(strings)[0], dim], dtype)

    return {
        "fixed_batch": lambda s: tf.zeros([2, 4]),
        "growing": lambda s: rows(s, tf.shape(s)[0] + 2),
        "two_outputs": lambda s: {"a": rows(s, 4), "b": rows(s, 4)},
        "integers": lambda s: rows(s, 4, tf.int32),
        "no_floats": lambda s: rows(s, 0),
    }


@pytest.fixture(scope="module")
def wrong_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """name -> a SavedModel of `_wrong_outputs()`'s, read only: saved by the first pytest
    worker that asks (`computed_once`), read by the others."""
    return computed_once(
        tmp_path_factory, f"{__name__}.wrong_modules", lambda: _save_wrong_modules(tmp_path_factory)
    )


def _save_wrong_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`wrong_modules`' SavedModels, saved in this worker's base folder."""
    root = tmp_path_factory.mktemp("wrong_text_modules")
    return {
        name: _save_string_module(os.fspath(root / name), fn)
        for name, fn in _wrong_outputs().items()
    }


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("two_outputs", "it returns several outputs ['a', 'b']"),  # Was: "it takes string
        ("integers", "it returns int32 values (2, 4), not floats"),  # [None], not strings";
        ("no_floats", "its output for 2 strings has shape (2, 0): vectors of 0 floats"),
    ],  # "it returns EagerTensor"; accepted, and generate wrote embeddings of size 0.
)
def test_a_module_that_gives_no_float_vectors_is_named_on_load(wrong_modules, name, problem):
    with pytest.raises(errors.NotATextEmbeddingError) as caught:
        TextEmbedder(wrong_modules[name])
    assert f"is not a text embedding: {problem}. Use a module" in str(caught.value)
    assert caught.value.handle == wrong_modules[name]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("fixed_batch", "its output for 3 strings has shape (2, 4)"),
        ("growing", "its output for 3 strings has shape (3, 5), where it gave 4 floats per "
         "string before"),
    ],
)  # fmt: skip
def test_a_module_whose_output_does_not_fit_the_batch_is_named_when_called(
    wrong_modules, name, problem
):
    # Both passed the check on load (2 strings): the first then gave 2 vectors for any number
    # of strings (generate failed on "zip() argument 2 is shorter than argument 1", a query
    # was answered with the first vector of 2), the second vectors of another size per batch.
    embedder = TextEmbedder(wrong_modules[name])
    with pytest.raises(errors.NotATextEmbeddingError) as caught:
        embedder(["the cat", "sat", "hello"])
    assert f"is not a text embedding: {problem}. Use a module" in str(caught.value)
    assert caught.value.handle == wrong_modules[name]


def test_generate_with_a_fixed_batch_module_is_the_modules_error(wrong_modules, tmp_path):
    data = nn.write_lines(tmp_path / "lines.txt", nn.lines(5))
    config = generator.GenerateConfig(data, wrong_modules["fixed_batch"], str(tmp_path / "out"))
    with pytest.raises(errors.NotATextEmbeddingError) as caught:
        generator.run(config)
    # The error the step raised, not Beam's copy of it (no fields, "[while running 'Embed']"
    # after what was received).
    message = str(caught.value)
    assert "its output for 5 strings has shape (2, 4)" in message
    assert message.endswith(f"Received: module_url={wrong_modules['fixed_batch']!r}")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.handle == caught.value.handle == wrong_modules["fixed_batch"]
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def small_index(text_module: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An index folder of 10 items, embedded by `text_module` (written as generate does)."""
    root = tmp_path_factory.mktemp("small_index")
    os.mkdir(root / "embeds")
    items = nn.lines(10)
    vectors = nn.text_embedding_expected(items, dim=nn.DIM)
    records = [
        (item.encode(), vector.tolist()) for item, vector in zip(items, vectors, strict=True)
    ]
    nn.write_records(root / "embeds" / "emb-00000-of-00001.tfrecords", records)
    index_builder.run(index_builder.BuildConfig(str(root / "embeds"), str(root / "index")))
    return str(root / "index")


@pytest.mark.parametrize("typed", ["the cat\n", "the cat\n\n", ""])
def test_the_interactive_query_ends_its_output_with_a_line_end(
    typed, text_module, small_index, capsys, monkeypatch
):
    # At end of input (Ctrl-D on a terminal, which echoes no newline) the output ended in
    # "Enter your query: ", and the shell's prompt followed on that line; so did a pipe's
    # empty line.
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    argv = ["query", f"--module_url={text_module}", f"--index_output_dir={small_index}"]
    assert tool_main(argv) == 0
    out = capsys.readouterr().out
    assert out.endswith("Enter your query: \n")
    assert out.count("Results:") == typed.count("the cat")


def _documented_flags() -> dict[str, tuple[str, set[str]]]:
    """docs/tools.md's table of the tool's flags: flag -> (default, the operations using it)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "tools.md").read_text()
    section = text.split("## make_nearest_neighbour_index", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(--\w+)[^`]*` \| ([^|]+) \| ([^|]+) \|", section, re.MULTILINE)
    return {
        flag: (default.strip().strip("`"), {word.strip() for word in used.split(",")})
        for flag, default, used in rows
    }


def test_help_and_the_docs_flag_table_agree():
    documented = _documented_flags()
    parser = build_parser()
    actions = {
        action.option_strings[0]: action
        for action in parser._actions
        if action.option_strings and action.dest != "help"
    }
    assert set(documented) == set(actions)
    for flag, (default, used_by) in documented.items():
        # e2e runs generate, then build, with the same flags (--allow_pickle aside: e2e's
        # build reads the .npy matrix its generate wrote).
        if "generate" in used_by or ("build" in used_by and flag != "--allow_pickle"):
            assert "e2e" in used_by, flag  # The table left it out for 5 flags.
        if default in ("—", "none", "off"):
            assert actions[flag].default in (None, False), flag
        else:  # --help said "largest batch embedded at once", without the default.
            said = actions[flag].help or ""
            assert f"default {default}" in said or f"default: {default}" in said, flag


def test_a_tfhub_index_that_lost_its_description_is_named_so(text_module, small_index, tmp_path):
    # Without ann.index.json an index folder is read as upstream's annoy one: tfhub's hnswlib
    # index was then "does not hold 8-dimensional vectors, the size of the query vectors, or it
    # is damaged. Query with the module ...", without a word of the description it lacks.
    folder = tmp_path / "index"
    shutil.copytree(small_index, folder)
    os.remove(folder / "ann.index.json")
    with pytest.raises(errors.IndexDimensionError) as caught:
        SimilarityFinder(text_module, str(folder))
    said = "The folder has no ann.index.json, which tfhub's build writes beside every index"
    assert said in str(caught.value)


def test_a_damaged_mapping_or_matrix_names_the_file_that_was_read(tmp_path):
    # Each named upstream's pickle (ann.index.mapping, random_projection.matrix), which does
    # not exist, where the .json / .npy file beside it had been read.
    from tfhub.tools.make_nearest_neighbour_index import files

    (tmp_path / "ann.index.mapping.json").write_text('{"a": 1}')
    with pytest.raises(errors.IndexFilesError) as caught:
        files.read_mapping(str(tmp_path), allow_pickle=False)
    json_path = str(tmp_path / "ann.index.mapping.json")
    assert f"The mapping {json_path} is not a list of strings: build" in str(caught.value)
    assert caught.value.path == json_path
    np.save(tmp_path / "random_projection.matrix.npy", np.zeros((8, 1, 1)))
    with pytest.raises(errors.IndexFilesError) as caught:
        files.read_matrix(str(tmp_path), allow_pickle=False)
    npy_path = str(tmp_path / "random_projection.matrix.npy")
    assert f"The projection matrix {npy_path} is not a 2-D array (it holds (8, 1, 1))" in str(
        caught.value
    )
    assert caught.value.path == npy_path


def test_items_with_control_characters_print_on_one_line(text_module, tmp_path, capsys):
    # Items come from input files and from records other programs wrote: a line end in one
    # forged a result line, ESC reached the terminal. (Tabs stay: the columns split at the
    # first one.)
    items = ["the cat\n0.0000\tforged", "cat\tsat", "\x1b[2Jmat"]
    vector = nn.text_embedding_expected(["the cat"], dim=nn.DIM)[0].tolist()
    os.mkdir(tmp_path / "embeds")
    nn.write_records(
        tmp_path / "embeds" / "emb-00000-of-00001.tfrecords",
        [(item.encode(), vector) for item in items],
    )
    index = str(tmp_path / "index")
    index_builder.run(index_builder.BuildConfig(str(tmp_path / "embeds"), index))
    argv = ["query", f"--module_url={text_module}", f"--index_output_dir={index}"]
    assert tool_main([*argv, "--query=the\tcat"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Query: the\tcat"
    shown = sorted(line.split("\t", 1)[1] for line in lines[3:])
    assert len(lines) == 6
    assert shown == ["\\x1B[2Jmat", "cat\tsat", "the cat\\x0A0.0000\tforged"]


def _read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    """Reads the pty `fd` until `wanted` shows (or `seconds` pass, or it closes)."""
    import select
    import time

    seen, end = b"", time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # The child ended: its side of the pty is gone.
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.tf
def test_ctrl_c_at_the_prompt_ends_the_prompt_line_first(text_module, small_index):
    """A terminal echoes Ctrl-C as "^C" with no line end: the last line was "Enter your query:
    ^Cmake_nearest_neighbour_index: interrupted"."""
    import pty
    import signal
    import sys
    import time

    argv = [sys.executable, "-m", "tfhub.tools.make_nearest_neighbour_index", "query"]
    argv += [f"--module_url={text_module}", f"--index_output_dir={small_index}"]
    pid, fd = pty.fork()
    if pid == 0:  # The child: the pty is its controlling terminal, Ctrl-C its SIGINT.
        ctrl_c_as_in_a_terminal()
        os.execv(sys.executable, argv)
    try:
        assert b"Enter your query: " in _read_until(fd, b"Enter your query: ", 120)
        # As a person types it, not as the prompt shows: a signal arriving before readline
        # waits on the terminal is handled only at the next key (CPython's readline).
        time.sleep(1.0)
        os.write(fd, b"\x03")
        said = _read_until(fd, b"interrupted", 30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    assert b"\nmake_nearest_neighbour_index: interrupted" in said, said


@pytest.mark.tf
def test_a_module_giving_nan_for_a_string_is_named_when_called(tmp_path):
    """NaN went into the embedding files; only `build`, after the whole pipeline, refused
    them (and a query's NaN vector was answered with arbitrary items)."""
    import tensorflow as tf

    class NanForEmpty(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, strings):
            lengths = tf.cast(tf.strings.length(strings), tf.float32)[:, None]
            return tf.concat([lengths, 1.0 / lengths - 1.0 / lengths], axis=1)  # 0/0 for "".

    path = os.fspath(tmp_path / "nan_for_empty")
    tf.saved_model.save(NanForEmpty(), path)
    embedder = TextEmbedder(path)
    assert embedder(["a cat", "sat"]).shape == (2, 2)
    with pytest.raises(errors.NotATextEmbeddingError) as caught:
        embedder(["a cat", "", "sat"])
    assert "its vectors of 1 of 3 strings hold NaN or infinity (the first for '')" in str(
        caught.value
    )
