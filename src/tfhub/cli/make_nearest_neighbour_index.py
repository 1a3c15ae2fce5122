"""`tfhub make-nearest-neighbour-index OPERATION [flags]`: the make_nearest_neighbour_index tool.

Everything after the command goes to the tool's own parser (so Beam pipeline options pass
through); see tfhub.tools.make_nearest_neighbour_index.cli.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._parsers import add_command


def add_commands(commands: Any) -> None:
    """Adds `tfhub make-nearest-neighbour-index` to the `tfhub` parser."""
    parser = add_command(commands, "make-nearest-neighbour-index", add_help=False)
    parser.add_argument("-h", "--help", action="store_true", dest="tool_help")
    parser.add_argument("tool_args", nargs=argparse.REMAINDER)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from ..tools.make_nearest_neighbour_index import cli

    tool_args = ["--help"] if args.tool_help or not args.tool_args else list(args.tool_args)
    tool, beam_args = cli.build_parser("tfhub make-nearest-neighbour-index").parse_known_args(
        tool_args
    )
    return cli.run(tool, beam_args)
