"""make_nearest_neighbour_index under the inputs users (and careless ones) give it: Beam options
that share a prefix with the tool's flags, the `tfhub` subcommand read as the console script,
text-embedding modules that return the wrong thing, and the interactive query at end of input."""

from __future__ import annotations

import pytest

from tfhub.cli.main import main as tfhub_main
from tfhub.tools.absl_argv import double_dashed
from tfhub.tools.make_nearest_neighbour_index.cli import build_parser
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

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
