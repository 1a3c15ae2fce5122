"""make_nearest_neighbour_index as users run it on odd inputs: Beam options with values Beam
refuses, text files with a byte-order mark or blank lines, empty queries, index folders that
are not what their files say."""

from __future__ import annotations

import os

import pytest
from tests.tools import _nn_support as nn

from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

pytestmark = pytest.mark.tf
pytest.importorskip(
    "apache_beam", reason="apache-beam is not installed (pip install 'tfhub[tools]')"
)


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        ("--direct_num_workers=two", "argument --direct_num_workers: invalid int value: 'two'"),
        ("--direct_running_mode=bogus", "argument --direct_running_mode: invalid choice: 'bogus'"),
        ("--direct_num_workers", "argument --direct_num_workers: expected one argument"),
    ],
)
def test_a_beam_option_value_beam_refuses_is_one_line(option, problem, tmp_path, capsys):
    """Beam's option parser exited the process (status 2) after printing its whole usage,
    about 300 lines of every Beam option, under the name of the Python program."""
    data = nn.write_lines(tmp_path / "lines.txt", ["hello"])
    argv = ["generate", f"--data_file_pattern={data}", f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'embeds'}", option]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: Apache Beam refuses a pipeline option: {problem}")
    assert line.endswith(f"Received: arguments={option!r}")
    assert sorted(os.listdir(tmp_path)) == ["lines.txt"]


def test_an_upstream_folder_whose_index_does_not_fit_is_one_line(text_module, tmp_path, capfd):
    """A folder without ann.index.json is read as upstream's annoy index; annoy printed its own
    line on stderr ("Index size is not a multiple of vector size. ...: Success (0)") before
    tfhub's error."""
    index = tmp_path / "index"
    index.mkdir()
    (index / "ann.index").write_bytes(b"\0" * 7)  # No whole annoy node of 8 dimensions.
    (index / "ann.index.mapping.json").write_text('["hello"]', encoding="utf-8")
    argv = ["query", f"--module_url={text_module}", f"--index_output_dir={index}", "--query=a"]
    assert tool_main(argv) == 1
    lines = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tfhub: error: The index {index / 'ann.index'} does not hold 8-")
