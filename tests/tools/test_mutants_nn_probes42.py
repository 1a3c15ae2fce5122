"""Tests that kill mutants the other tests let live (session 42's hand mutation pass over the
rest of the nearest-neighbour tool, module_search, and the remote (gs://) storage, output
folder and index folder code of session 41): each test names the decision it pins down."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import (
    files,
    index_builder,
    record_checks,
    similarity_finder,
)

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
