"""make_nearest_neighbour_index's lines that count dimensions and items (session 60): one is
"1 dimension", "1 item" (with --projected_dim=1 the build said "1 dimensions")."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.tools import _nn_support as nn

from tfhub.tools.make_nearest_neighbour_index import module_record
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main


@pytest.mark.tf
@pytest.mark.parametrize(
    ("records", "said"),
    [
        ([(b"only", [0.5])], ("1 item (1 dimension) written", "1 embedding of size", "1 item in")),
        (
            [(b"a", [0.5, 1.0]), (b"b", [1.0, 0.5])],
            ("2 items (2 dimensions) written", "2 embeddings of size", "2 items in"),
        ),
    ],
)
def test_the_build_line_counts_in_the_singular_for_one(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    records: list[tuple[bytes, list[float]]],
    said: tuple[str, str, str],
) -> None:
    embeds = tmp_path / "embeds"
    embeds.mkdir()
    nn.write_records(embeds / "emb-00000-of-00001.tfrecords", records)
    argv = ["build", f"--embed_output_dir={embeds}", f"--index_output_dir={tmp_path / 'i'}"]
    assert tool_main(argv) == 0, capsys.readouterr().err
    printed = capsys.readouterr()
    assert said[0] in printed.out
    assert said[1] in printed.err and said[2] in printed.err, printed.err


def test_a_projection_to_one_dimension_is_named_in_the_singular() -> None:
    """module_record's messages on a projection (an index and its record that disagree)."""
    assert module_record._projection(1) == "a projection to 1 dimension"
    assert module_record._projection(2) == "a projection to 2 dimensions"
    assert module_record._projection(None) == "no projection"
