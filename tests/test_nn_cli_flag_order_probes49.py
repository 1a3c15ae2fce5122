"""`tfhub make-nearest-neighbour-index` reads its arguments as the console script does, flags
before the operation included (review49b-F6): `--num_matches 3 query ...` was a usage error of
`tfhub` (exit 2, "unrecognized arguments: --num_matches"), while the console script, upstream's
absl flags and the subcommand's own usage line (all flags, then the operation) take that order.

Each case runs `tfhub make-nearest-neighbour-index ARGV` and the console script with the same
ARGV, in this process, and expects the same exit code and the same error line. No case gets as
far as loading a module or Apache Beam: each stops at the index folder that does not exist.
"""

from __future__ import annotations

import pytest
from tests._helpers.cli import run_tfhub

from tfhub.cli.main import build_parser
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

COMMAND = "make-nearest-neighbour-index"


def _both(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, int, str]:
    """(exit code, stderr) of `tfhub COMMAND ARGV`, then of the console script."""
    code, _, err = run_tfhub(capsys, COMMAND, *argv)
    tool_code = tool_main(argv)
    return code, err, tool_code, capsys.readouterr().err


@pytest.mark.parametrize(
    "flags",
    [
        ["--num_matches", "3"],  # The reviewer's.
        ["--num_matches=3", "--module_url=m2"],
        ["-num_matches=3"],  # absl's one dash.
        ["-num_matches", "3"],
        ["-v", "--num_matches", "3"],  # tfhub's -v among them.
    ],
)
def test_flags_before_the_operation_are_the_tools(tmp_path, capsys, flags):
    index = tmp_path / "no_index"
    argv = [*flags, "query", "--module_url=m", f"--index_output_dir={index}", "--query=x"]
    code, err, tool_code, tool_err = _both(capsys, argv)
    assert "unrecognized arguments" not in err
    assert code == tool_code == 1, err
    assert err.startswith(f"tfhub: error: The index folder {index} does not exist"), err
    assert err.count("\n") == 1 and err.split(":", 1)[1] == tool_err.split(":", 1)[1]


def test_every_flag_before_the_operation(tmp_path, capsys):
    index = tmp_path / "no_index"
    argv = [f"-index_output_dir={index}", "--query", "x", "-module_url", "m", "query"]
    code, err, tool_code, _ = _both(capsys, argv)
    assert (code, tool_code) == (1, 1), err
    assert err.startswith(f"tfhub: error: The index folder {index} does not exist"), err


def test_an_unknown_flag_before_the_operation_is_the_tools_error(tmp_path, capsys):
    """The tool says what is wrong with it, as its console script does: not tfhub's usage
    error."""
    argv = ["--num_matchs=3", "query", "--module_url=m", f"--index_output_dir={tmp_path}"]
    code, err, tool_code, tool_err = _both(capsys, argv)
    assert code == tool_code == 1, err
    assert "--num_matchs=3" in err and err.split(":", 1)[1] == tool_err.split(":", 1)[1]


def test_tfhubs_verbose_and_help_before_the_operation(capsys):
    parser = build_parser([COMMAND])
    args = parser.parse_args([COMMAND, "-v", "--num_matches", "3", "query", "--", "-v"])
    assert (args.verbose, args.tool_args) == (True, ["--num_matches", "3", "query", "--", "-v"])
    code, out, err = run_tfhub(capsys, COMMAND, "--num_matches", "3", "-h", "query")
    assert (code, err) == (0, "")
    assert out.startswith("usage: tfhub make-nearest-neighbour-index ")
