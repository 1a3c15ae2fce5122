"""`tfhub module-search --dataset D --module M ...`: ranks image feature-vector modules."""

from __future__ import annotations

import argparse
from typing import Any

from ._parsers import add_command


def add_commands(commands: Any) -> None:
    """Adds `tfhub module-search` to the `tfhub` parser."""
    from ..tools.module_search import cli

    tool = cli.build_parser()
    parser = add_command(
        commands,
        "module-search",
        description=tool.description,
        epilog=tool.epilog,
        allow_abbrev=False,  # As the console script.
    )
    cli.add_arguments(parser)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from ..tools.module_search import cli

    return cli.run_command(args)
