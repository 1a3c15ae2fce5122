"""make_nearest_neighbour_index build's warning of items whose embedding is all zeros (rf57h)
names the first three items; a long line (a ruler of 5000 dashes, a line of only punctuation
from a scraped page) was written out whole, three times, in one log line. Each item is now
cut to its first 40 characters and "...", as record_checks names an item."""

from __future__ import annotations

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

pytestmark = pytest.mark.tf

DIM = 4


def test_long_items_of_zero_embedding_are_cut_in_the_warning(tmp_path, capsys):
    embeds = tmp_path / "embeds"
    embeds.mkdir()
    vectors = np.random.default_rng(3).normal(size=(4, DIM)).tolist()
    records = [(f"item {i}".encode(), v) for i, v in enumerate(vectors)]
    records += [(b"-" * 5000, [0.0] * DIM), (b"* * *", [0.0] * DIM)]
    nn.write_records(embeds / "emb-00000-of-00001.tfrecords", records)
    index = tmp_path / "index"
    assert tool_main(["build", f"--embed_output_dir={embeds}", f"--index_output_dir={index}"]) == 0
    captured = capsys.readouterr()
    (line,) = [line for line in captured.err.splitlines() if "all zeros" in line]
    assert line.startswith("tfhub: 2 of the 6 items have an embedding of all zeros")
    assert line.endswith(f"Received: {'-' * 40!r}..., '* * *'")
    assert len(line) < 500


def test_one_item_of_zero_embedding_is_named_in_the_singular(tmp_path, capsys):
    embeds = tmp_path / "embeds"
    embeds.mkdir()
    vectors = np.random.default_rng(4).normal(size=(3, DIM)).tolist()
    records = [(f"item {i}".encode(), v) for i, v in enumerate(vectors)]
    records += [(b"...", [0.0] * DIM)]
    nn.write_records(embeds / "emb-00000-of-00001.tfrecords", records)
    index = tmp_path / "index"
    assert tool_main(["build", f"--embed_output_dir={embeds}", f"--index_output_dir={index}"]) == 0
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "all zeros" in line]
    assert line.startswith("tfhub: 1 of the 4 items has an embedding of all zeros"), line
    assert "no query finds it for its meaning" in line, line
