"""Tests that kill mutants the other tests let live (session 42's hand mutation pass over the
rest of the nearest-neighbour tool, module_search, and the remote (gs://) storage, output
folder and index folder code of session 41): each test names the decision it pins down."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import (
    embedding_records,
    files,
    index_builder,
    input_files,
    record_checks,
    similarity_finder,
)
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

# --- make_nearest_neighbour_index: record_checks ---------------------------------------------


@pytest.mark.parametrize(
    ("item", "shown"),
    [
        (b"\xff" + b"a" * 39, repr(b"\xff" + b"a" * 39) + ")"),
        (b"\xff" + b"a" * 49, repr(b"\xff" + b"a" * 39) + "...)"),
    ],
)
def test_an_item_that_is_not_utf8_is_shown_by_its_first_40_bytes(item: bytes, shown: str) -> None:
    """The error shows up to 40 bytes of the item, and "..." only if it has more."""
    items = np.array([b"ok", item], dtype=object)
    texts, place = record_checks.decoded(items)
    assert (texts, place) == (["ok"], 1)
    found = record_checks.item_problem(items, place)
    assert found is not None
    assert found[0] == 1
    assert f"not UTF-8 text ({shown}" in found[1], found[1]


# --- make_nearest_neighbour_index: index files, upstream's program module -------------------


def test_a_dimension_error_names_the_index_folder_not_its_index_file(
    text_module: str, tmp_path: Path
) -> None:
    """`IndexFiles.where` is the folder given (what messages and `index_dir` name), and the
    index file only when no folder was given (upstream's five-argument constructor)."""
    embeds = nn.copy_upstream_embeds(tmp_path / "embeds")  # 64 dimensions, the module's 8.
    os.remove(embeds / files.RANDOM_PROJECTION_FILENAME)
    folder = str(tmp_path / "index")
    index_builder.run(index_builder.BuildConfig(str(embeds), folder))
    with pytest.raises(errors.IndexDimensionError) as caught:
        similarity_finder.SimilarityFinder(text_module, folder)
    assert caught.value.index_dir == folder
    assert str(caught.value).startswith(f"The index in {folder} holds 64-dimensional vectors")


def test_upstreams_main_hands_the_words_after_the_operation_to_beam(
    text_module: str, tmp_path: Path
) -> None:
    """`main(["prog", "generate", *beam_options])`: the options reach the pipeline (an
    unknown runner fails it), as they do on the command line."""
    from tfhub.tools.make_nearest_neighbour_index import make_nearest_neighbour_index as hub2ann

    defaults = {name: hub2ann.FLAGS[name].value for name in hub2ann.FLAGS}
    try:
        hub2ann.FLAGS.data_file_pattern = nn.write_lines(tmp_path / "lines.txt", nn.lines(8))
        hub2ann.FLAGS.module_url = text_module
        hub2ann.FLAGS.embed_output_dir = str(tmp_path / "embeds")
        with pytest.raises(errors.TFHubError, match="NoSuchRunner"):
            hub2ann.main(["prog", "generate", "--runner=NoSuchRunner"])
        assert not (tmp_path / "embeds").exists()
    finally:
        for name, value in defaults.items():
            hub2ann.FLAGS[name].value = value


# --- make_nearest_neighbour_index: embedding records -----------------------------------------


@pytest.mark.tf
def test_record_files_are_read_in_sorted_order_not_the_folders(tmp_path: Path) -> None:
    """`embedding_files` sorts the names (emb-00000-of-N first), whatever order the file
    system lists them in: the items keep generate's order."""
    names = [f"emb-{n:05d}-of-00012.tfrecords" for n in range(12)]
    for number, name in enumerate(names):
        nn.write_records(tmp_path / name, [(f"item {number}".encode(), [float(number), 1.0])])
    assert os.listdir(tmp_path) != names  # Else this folder cannot tell the orders apart.
    items, vectors = embedding_records.read_embeddings(os.fspath(tmp_path), batch=5)
    assert items == [f"item {n}" for n in range(12)]
    assert vectors[:, 0].tolist() == list(range(12))


def test_an_embedding_folder_that_is_a_file_is_named_so(tmp_path: Path) -> None:
    """`--embed_output_dir` naming a file: "which is a file", not "does not exist"."""
    (tmp_path / "embeds").write_text("not a folder")
    with pytest.raises(errors.EmbeddingFilesError, match="embeds, which is a file: run"):
        embedding_records.embedding_files(str(tmp_path / "embeds"))


# --- make_nearest_neighbour_index: input files ------------------------------------------------


def test_a_file_of_blank_lines_beside_one_with_text_is_taken(tmp_path: Path) -> None:
    """The input is refused as blank only if no matched file holds text (`any`)."""
    (tmp_path / "a.txt").write_text(" \n\n")
    (tmp_path / "b.txt").write_text("an item\n")
    input_files.check(str(tmp_path / "*.txt"))


@pytest.mark.parametrize("blank", ["\x0b\n", "\x0c\r\n", " \t\x0b\x0c\n"])
def test_vertical_tabs_and_form_feeds_are_blank_as_python_strips_them(
    tmp_path: Path, blank: str
) -> None:
    """items_of_line skips lines that str.strip() empties, \\v and \\f included: a file of
    those has no item, and is refused before the pipeline runs."""
    (tmp_path / "a.txt").write_text(blank * 3)
    assert not list(input_files.items_of_line(blank))
    with pytest.raises(errors.EmbeddingFilesError, match="hold blank lines only"):
        input_files.check(str(tmp_path / "a.txt"))


def test_a_remote_pattern_is_left_to_beam() -> None:
    """A gs:// pattern is not globbed locally (it would match nothing): Beam matches it."""
    input_files.check("gs://no-such-bucket-tfhub/lines-*.txt")
    assert input_files.first_non_utf8_line("gs://no-such-bucket-tfhub/lines-*.txt") is None


# --- make_nearest_neighbour_index: query (cli) ------------------------------------------------


@pytest.fixture(scope="module")
def small_index(text_module: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An index folder of 10 items embedded by `text_module`, as generate writes them."""
    root = tmp_path_factory.mktemp("small_index")
    os.mkdir(root / "embeds")
    items = nn.lines(10)
    vectors = nn.text_embedding_expected(items, dim=nn.DIM)
    records = [(i.encode(), v.tolist()) for i, v in zip(items, vectors, strict=True)]
    nn.write_records(root / "embeds" / "emb-00000-of-00001.tfrecords", records)
    index_builder.run(index_builder.BuildConfig(str(root / "embeds"), str(root / "index")))
    return str(root / "index")


def _query_typed(typed: str, text_module: str, index: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Runs `query` at its prompt on the lines `typed`."""
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    return tool_main(["query", f"--module_url={text_module}", f"--index_output_dir={index}"])


def test_a_typed_line_of_spaces_ends_the_prompt_as_an_empty_one(
    text_module: str, small_index: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """docs/tools.md: the prompt ends on an empty line; a blank one (spaces, a tab) is one
    too, as a blank --query is refused: it is not looked up."""
    assert _query_typed(" \t \nthe cat\n", text_module, small_index, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "Results:" not in out, out


def test_query_prints_each_distance_to_four_places_and_the_query_on_one_line(
    text_module: str, small_index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`distance<TAB>item` (docs/tools.md): the finder's distance to 1e-4, not coarser; the
    `Query:` line echoes the --query with its control characters escaped (ESC as \\x1B)."""
    query = "the cat\x1b[2J"
    argv = ["query", f"--module_url={text_module}", f"--index_output_dir={small_index}"]
    assert tool_main([*argv, f"--query={query}", "--num_matches=3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["Query: the cat\\x1B[2J", "Results:", "========="], lines
    expected = similarity_finder.SimilarityFinder(text_module, small_index).find_matches(query, 3)
    printed = [line.split("\t", 1) for line in lines[3:]]
    assert [item for _, item in printed] == [match.item for match in expected]
    for (distance, _), match in zip(printed, expected, strict=True):
        assert distance == f"{match.distance:.4f}", (distance, match)


# --- make_nearest_neighbour_index: remote record files (ram://, TensorFlow's in-memory one) --


@pytest.mark.tf
def test_a_damaged_remote_record_file_is_named_by_its_own_name(tmp_path: Path) -> None:
    """Remote record files are read through local copies of the same names
    (`storage.local_copies`): the damage found in a copy names the remote file's name, and
    says what to do (generate again)."""
    tf = pytest.importorskip("tensorflow")
    folder = f"ram://tfhub-probes42/{tmp_path.name}/emb"
    tf.io.gfile.makedirs(folder)
    nn.write_records(f"{folder}/emb-00000-of-00002.tfrecords", [(b"a", [1.0, 0.0])])
    with tf.io.gfile.GFile(f"{folder}/emb-00001-of-00002.tfrecords", "wb") as out:
        out.write(b"not a record at all")
    with pytest.raises(errors.EmbeddingFilesError, match="cannot be indexed") as caught:
        embedding_records.read_embeddings(folder, batch=4)
    said = str(caught.value)
    assert "emb-00001-of-00002.tfrecords is damaged (" in said, said
    assert "); run `make_nearest_neighbour_index generate` again. Received: " in said, said


# --- output_errors.refuse_others (a local or remote output folder holding other files) ------


@pytest.mark.parametrize(
    ("others", "shown"),
    [(["c", "a", "b"], "(a, b, c)"), (["d", "c", "a", "b"], "(a, b, c, ...)")],
)
def test_the_other_files_are_named_sorted_three_at_most(others: list[str], shown: str) -> None:
    from tfhub.tools import output_errors

    with pytest.raises(errors.OutputNotWritableError) as caught:
        output_errors.refuse_others("out", others, what="index folder", flag="index_output_dir")
    assert f"The index folder out holds other files {shown}: writing" in str(caught.value)
    assert str(caught.value).endswith("Received: index_output_dir='out'")


def test_an_output_folder_and_files_with_terminal_escapes_are_shown_escaped() -> None:
    """The folder's name and its files' (whoever writes there chose them) are shown escaped
    in the message itself, not only by the command's printing (the `Received:` repr escapes
    the folder too): an ESC in them cannot clear the terminal of a Python API user."""
    from tfhub.tools import output_errors

    path = "gs://bucket/a\x1b[2Jb"
    with pytest.raises(errors.OutputNotWritableError) as caught:
        output_errors.refuse_others(path, ["n\x07otes.txt"], what="index folder")
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value), caught.value
    said = "The index folder gs://bucket/a\\x1B[2Jb holds other files (n\\x07otes.txt)"
    assert said in str(caught.value), caught.value
    assert caught.value.path == path


# --- module_search: lib (scoring) ------------------------------------------------------------


@pytest.mark.tf
def test_a_modules_time_leaves_out_the_reading_of_the_images(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    """score_module's seconds are the module's (loading, embedding, scoring): the reading of
    the images at its size, which the first module of that size pays for all, is taken out."""
    import time

    from tfhub.tools.module_search import lib

    module = image_modules["variable"]  # Any size: 256 x 256 makes the reading long enough.
    warm_up = lib.load_dataset(lib.DataSpec(str(shape_images), 6))
    lib.score_module(module, warm_up, image_size=32)  # TensorFlow's start, outside the clock.
    dataset = lib.load_dataset(lib.DataSpec(str(shape_images)))
    reading = dataset.seconds_reading
    started = time.perf_counter()
    score = lib.score_module(module, dataset, image_size=256)
    took = time.perf_counter() - started
    read = dataset.seconds_reading - reading
    # Read inside the call: its time with the reading cannot be more than `took`; without
    # it, it is `took` but for the microseconds between the two clocks' readings.
    assert read > 0.01, read  # 60 images decoded and resized: more than those microseconds.
    assert score.seconds + read <= took, (score.seconds, took, read)


@pytest.mark.tf
def test_each_module_is_freed_before_the_next_is_scored(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    """A loaded module lives in reference cycles: rank_modules collects them after each
    module (`gc.collect()`), even where automatic collection is off or has not run yet."""
    import gc
    import weakref

    from tfhub.tools.module_search import lib

    class Cycle:
        pass

    held: list[weakref.ref[Cycle]] = []

    def on_score(score: lib.Score) -> None:
        cycle = Cycle()
        cycle.me = cycle  # type: ignore[attr-defined]
        held.append(weakref.ref(cycle))

    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 12))
    gc.disable()
    try:
        lib.rank_modules([image_modules["fixed"]], dataset, on_score=on_score)
        assert len(held) == 1 and held[0]() is None
    finally:
        gc.enable()


# --- make_nearest_neighbour_index: a remote index folder (ram://) ----------------------------


@pytest.mark.tf
def test_a_remote_index_folder_is_emptied_then_filled_and_the_staging_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`index_builder._index_folder` for a remote folder: once built, the folder is emptied
    (an older build's projection matrix goes), then the staged files are uploaded (in that
    order: they are all there after), and the staging folder in TMPDIR is removed."""
    tf = pytest.importorskip("tensorflow")
    with_matrix = nn.copy_upstream_embeds(tmp_path / "embeds")
    without = nn.copy_upstream_embeds(tmp_path / "plain")
    os.remove(without / files.RANDOM_PROJECTION_FILENAME)
    folder = f"ram://tfhub-probes42/{tmp_path.name}/index"
    monkeypatch.setenv("TMPDIR", os.fspath(tmp_path))  # Where the staging folder goes.
    monkeypatch.setattr("tempfile.tempdir", None)
    index_builder.run(index_builder.BuildConfig(str(with_matrix), folder))
    assert files.RANDOM_PROJECTION_FILENAME in tf.io.gfile.listdir(folder)
    index_builder.run(index_builder.BuildConfig(str(without), folder))
    names = sorted(tf.io.gfile.listdir(folder))
    assert names == sorted([files.INDEX_FILENAME, files.MAPPING_JSON, files.INDEX_INFO_JSON]), names
    assert not [name for name in os.listdir(tmp_path) if name.startswith("tfhub-")]
