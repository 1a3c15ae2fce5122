"""`tfhub make-nearest-neighbour-index OPERATION [flags]`: the make_nearest_neighbour_index tool.

Everything after the command goes to the tool's own parser (so Beam pipeline options pass
through), read as the tool's console script reads it (absl's one-dash flags too); see
tfhub.tools.make_nearest_neighbour_index.cli.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ._parsers import add_command

PROG = "tfhub make-nearest-neighbour-index"
# tfhub's own flag, which may also come after the operation (`... query -v`).
_VERBOSE = ("-v", "--verbose")


class _ToolArgs(argparse.Action):
    """Keeps what follows the command for the tool's parser, but for tfhub's `-v` (before a
    `--`), which sets `verbose` as `tfhub -v make-nearest-neighbour-index` does: tfhub's
    records at INFO and TensorFlow's lines shown (`run_reported`'s `tensorflow_logs`)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        tool_args, verbose = _without_verbose(values)
        setattr(namespace, self.dest, tool_args)
        if verbose:
            namespace.verbose = True


def add_commands(commands: Any) -> None:
    """Adds `tfhub make-nearest-neighbour-index` to the `tfhub` parser."""
    parser = add_command(commands, "make-nearest-neighbour-index", add_help=False)
    parser.add_argument("-h", "--help", action="store_true", dest="tool_help")
    parser.add_argument("tool_args", nargs=argparse.REMAINDER, action=_ToolArgs)
    parser.set_defaults(run=_run)


def _without_verbose(tool_args: Sequence[str]) -> tuple[list[str], bool]:
    """The tool's arguments without tfhub's `-v` (before a `--`), and whether it was there."""
    end = list(tool_args).index("--") if "--" in tool_args else len(tool_args)
    kept = [arg for arg in tool_args[:end] if arg not in _VERBOSE]
    return [*kept, *tool_args[end:]], len(kept) < end


def _run(args: argparse.Namespace) -> int:
    from ..program.stdout import parse_args
    from ..tools.absl_argv import read_as_absl
    from ..tools.make_nearest_neighbour_index import cli

    tool_args = args.tool_args  # Without tfhub's `-v` (`_ToolArgs`).
    if args.tool_help or not tool_args:
        tool_args = ["--help"]
    parser = cli.build_parser(PROG)
    tool, beam_args = parse_args(parser, read_as_absl(tool_args, parser), known=True)
    return cli.run_command(tool, beam_args)
