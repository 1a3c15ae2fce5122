"""What a user does with the tools' outputs after a run (session 63, p63t): class folders named
with numbers are labelled in upstream's order (flow_from_directory's sorted names, "10" before
"2"), an `e2e` into the folders of an earlier `e2e` with another --projected_dim leaves no stale
projection matrix beside the new index, and `query` of an index built from upstream's own files
answers --num_matches larger than its items with every item once, nearest first; queries piped
from a file with CRLF line ends (or given as `--query "$(head -1 q.txt)"` of one) are the text
without the CR, as `generate` reads the lines of such a file."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets
from tests.tools import _nn_support as nn

from tfhub.tools import image_folders

_NUMBERED = ("10", "9", "2", "1a", "B", "a")


def _numbered_classes(root: Path) -> Path:
    pixels = np.zeros((8, 8, 3), np.uint8)
    for label in _NUMBERED:
        (root / label).mkdir(parents=True)
        image_sets.write_image(root / label / "x.png", pixels)
    return root


def test_classes_named_with_numbers_are_labelled_in_name_order_not_by_value(
    tmp_path: Path,
) -> None:
    """Folders 10, 9 and 2 are the classes 10, 2, 9 (their names sorted as text), as
    upstream's `flow_from_directory` numbered them: a labels file written in number order
    would name each prediction of a model trained by upstream's tool wrongly."""
    root = _numbered_classes(tmp_path / "images")

    labels = image_folders.list_image_files(os.fspath(root)).labels

    assert tuple(labels) == ("10", "1a", "2", "9", "B", "a")


@pytest.mark.tf
def test_the_numbered_order_is_keras_directory_iterators(tmp_path: Path) -> None:
    """The reference: tf_keras' DirectoryIterator, the code upstream's ImageDataGenerator ran."""
    image = pytest.importorskip("tf_keras.preprocessing.image")
    root = _numbered_classes(tmp_path / "images")
    iterator = image.ImageDataGenerator().flow_from_directory(os.fspath(root), target_size=(8, 8))
    upstream = sorted(iterator.class_indices, key=iterator.class_indices.__getitem__)

    assert tuple(image_folders.list_image_files(os.fspath(root)).labels) == tuple(upstream)


def _e2e(tool_main, text_module: str, data: str, out: Path, projected_dim: int) -> int:
    return tool_main(
        [
            "e2e",
            f"--data_file_pattern={data}",
            f"--module_url={text_module}",
            f"--embed_output_dir={out / 'embeds'}",
            f"--index_output_dir={out / 'index'}",
            f"--projected_dim={projected_dim}",
            "--index_library=annoy",
            "--num_trees=2",
        ]
    )


@pytest.mark.tf
def test_a_second_e2e_without_projection_leaves_no_matrix_of_the_first(
    text_module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """e2e --projected_dim=6, then e2e --projected_dim=0 into the same two folders: the
    second index is of the module's 8 dimensions, neither folder keeps the first run's 8 x 6
    matrix (query would project its queries to 6 dimensions with it), and query finds each
    item at distance 0."""
    pytest.importorskip("apache_beam", reason="apache-beam is not installed (tfhub[tools])")
    from tfhub.tools.make_nearest_neighbour_index import files
    from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

    items = nn.lines(10)
    data = nn.write_lines(tmp_path / "items.txt", items)
    assert _e2e(tool_main, text_module, data, tmp_path, 6) == 0, capsys.readouterr().err
    assert (tmp_path / "index" / files.RANDOM_PROJECTION_NPY).exists()
    assert _e2e(tool_main, text_module, data, tmp_path, 0) == 0, capsys.readouterr().err

    for folder in ("embeds", "index"):
        names = os.listdir(tmp_path / folder)
        assert not [name for name in names if name.startswith(files.RANDOM_PROJECTION_FILENAME)]
    capsys.readouterr()
    query = [f"--module_url={text_module}", f"--index_output_dir={tmp_path / 'index'}"]
    assert tool_main(["query", *query, "--num_matches=1", f"--query={items[4]}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[3] == f"0.0000\t{items[4]}"


@pytest.mark.tf
def test_more_matches_than_items_of_upstreams_index_answer_each_item_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index built from upstream's own embeddings (1,000 items, projected 128 -> 64 by its
    pickled matrix), asked for 1,005 matches: the 1,000 items, each once, nearest first."""
    pytest.importorskip("apache_beam", reason="apache-beam is not installed (tfhub[tools])")
    from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

    embeds = nn.copy_upstream_embeds(tmp_path / "embeds")
    index = tmp_path / "index"
    build = ["build", f"--embed_output_dir={embeds}", f"--index_output_dir={index}"]
    assert tool_main([*build, "--allow_pickle"]) == 0, capsys.readouterr().err
    module = nn.save_text_embedding(str(tmp_path / "text128"), dim=128)
    capsys.readouterr()
    argv = ["query", f"--module_url={module}", f"--index_output_dir={index}"]
    assert tool_main([*argv, "--num_matches=1005", "--query=the cat sat"]) == 0

    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines() if "\t" in line]
    distances = [float(distance) for distance, _ in rows]
    stored, _ = nn.read_records(os.fspath(embeds))
    assert len(rows) == 1000 and sorted(item for _, item in rows) == sorted(stored)
    assert distances == sorted(distances)


def _save_character_embedding(path: Path) -> str:
    """A text embedding that counts each character (code point mod 8): a trailing CR moves
    every vector, as it would for a character-level module."""
    import tensorflow as tf

    class Characters(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, texts: tf.Tensor) -> tf.Tensor:
            points = tf.strings.unicode_decode(texts, "UTF-8")
            return tf.reduce_sum(tf.one_hot(points % 8, 8), axis=1) + 0.01

    tf.saved_model.save(Characters(), os.fspath(path))
    return os.fspath(path)


@pytest.mark.tf
def test_queries_of_a_file_with_crlf_line_ends_are_read_without_the_cr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`query < queries.txt` of a file saved with CRLF line ends (Notepad's): Python reads a
    pipe's lines up to the LF, so each query was embedded with a trailing CR and its own item
    was found at 0.29, not 0.0000, while generate reads the lines of such a file without it;
    `--query "$(head -1 queries.txt)"` (the shell drops the LF, not the CR) was the same."""
    pytest.importorskip("apache_beam", reason="apache-beam is not installed (tfhub[tools])")
    import tensorflow as tf

    from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

    module = _save_character_embedding(tmp_path / "characters")
    items = ["cat", "sat mat", "hello", "world", "the cat", "dog"]
    vectors = tf.saved_model.load(module)(tf.constant(items)).numpy()
    (tmp_path / "embeds").mkdir()
    records = [(item.encode(), list(map(float, v))) for item, v in zip(items, vectors, strict=True)]
    nn.write_records(tmp_path / "embeds" / "emb-00000-of-00001.tfrecords", records)
    index = tmp_path / "index"
    build = ["build", f"--embed_output_dir={tmp_path / 'embeds'}", f"--index_output_dir={index}"]
    assert tool_main(build) == 0, capsys.readouterr().err
    capsys.readouterr()
    piped = io.BytesIO(b"hello\r\nworld\r\n")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(piped, "utf-8", newline="\n"))  # POSIX's.
    argv = ["query", f"--module_url={module}", f"--index_output_dir={index}", "--num_matches=1"]

    assert tool_main(argv) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "\t" in line] == [
        "0.0000\thello",
        "0.0000\tworld",
    ]
    assert tool_main([*argv, "--query=hello\r"]) == 0
    assert capsys.readouterr().out.splitlines()[::3] == ["Query: hello", "0.0000\thello"]


def test_a_query_of_a_line_converted_to_crlf_twice_loses_every_cr_lead63() -> None:
    """Review rv63b: generate drops every CR of a line ('a\\r\\r\\n' is the item 'a'); query
    dropped one ('a\\r')."""
    from tfhub.tools.make_nearest_neighbour_index.query_answers import query_text

    assert query_text("\ufeffa\r\r") == "a"
