"""absl's `-v N` and tfhub's bare `-v` / `--verbose` read alike by the tools' console scripts and
their `tfhub` subcommands (parse only; nothing runs).

docs/tools.md: of absl's `-v N` the last one given decides (as absl's own flags: checked with
absl 2.5.1, `-v 2 -v 0` is verbosity 0; absl has no bare `-v`, "Missing value for flag -v"),
and tfhub's bare `-v` stays on whatever N follows; "the `tfhub` subcommands take every spelling
as the console scripts do". `tfhub make-image-classifier ... -v 1 --verbose -v 0` and
`tfhub module-search ... -v 1 --verbose -v 0` ended with verbose off (the subcommand's
`--verbose` was argparse's store_true, which `-v 0` undid), where the console scripts keep it on.
"""

from __future__ import annotations

import argparse

import pytest

from tfhub.cli import main as cli_main
from tfhub.program.stdout import parse_args
from tfhub.tools.absl_argv import add_absl_app_flags, read_as_absl
from tfhub.tools.make_image_classifier.cli import build_parser as mic_parser
from tfhub.tools.make_nearest_neighbour_index.cli import command_parser as nn_parser
from tfhub.tools.module_search.cli import build_parser as search_parser

TOOLS = {  # subcommand: (console script's parser, the arguments it needs besides -v)
    "make-image-classifier": (mic_parser, ["--image_dir=photos"]),
    "module-search": (search_parser, ["--dataset=images"]),
    "make-nearest-neighbour-index": (nn_parser, ["build"]),
}
CASES = [  # flags, verbose: the last -v N decides, a bare -v / --verbose stays on.
    (["-v", "2", "-v", "0"], False),
    (["-v", "0", "-v", "1"], True),
    (["-v", "1", "--verbose", "-v", "0"], True),
    (["-v", "1", "-v", "-v", "0"], True),
    (["--verbose", "-v", "0"], True),
    (["-v", "1", "-v", "-1"], False),
]


def _console(command: str, flags: list[str]) -> argparse.Namespace:
    build, rest = TOOLS[command]
    parser = build()
    if "--verbosity" not in parser._option_string_actions:
        add_absl_app_flags(parser)  # As the console script's main.
    return parse_args(parser, read_as_absl([*rest, *flags], parser))


def _subcommand(command: str, flags: list[str]) -> argparse.Namespace:
    """As `tfhub COMMAND ...` parses (cli.main._main's steps, without running)."""
    argv = [command, *TOOLS[command][1], *flags]
    parser = cli_main.build_parser([command])
    args, _ = parse_args(parser, cli_main._tool_flags_read_as_absl(parser, argv), known=True)
    return args


@pytest.mark.parametrize("command", sorted(TOOLS))
@pytest.mark.parametrize(("flags", "verbose"), CASES, ids=[" ".join(f) for f, _ in CASES])
def test_the_subcommand_reads_verbose_as_the_console_script(
    command: str, flags: list[str], verbose: bool
) -> None:
    assert _console(command, flags).verbose is verbose
    assert _subcommand(command, flags).verbose is verbose


@pytest.mark.parametrize("command", ["make-image-classifier", "module-search"])
def test_absls_last_verbosity_wins_in_the_subcommand(command: str) -> None:
    assert _subcommand(command, ["-v", "2", "--verbosity=1", "-v", "0"]).absl_verbosity == 0


def test_a_verbose_before_the_subcommand_stays_on() -> None:
    """`tfhub -v COMMAND ... -v 1 -v 0`: the `tfhub` parser's -v is not undone by the tool's."""
    argv = ["-v", "module-search", "--dataset=images", "-v", "1", "-v", "0"]
    parser = cli_main.build_parser(["module-search"])
    args, _ = parse_args(parser, cli_main._tool_flags_read_as_absl(parser, argv), known=True)
    assert args.verbose is True
