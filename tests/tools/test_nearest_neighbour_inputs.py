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
