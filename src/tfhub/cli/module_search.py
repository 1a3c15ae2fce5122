"""`tfhub module-search --dataset D --module M ...`: ranks image feature-vector modules."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(commands: Any) -> None:
    """Adds `tfhub module-search` to the `tfhub` parser."""
    from ..tools.module_search import cli

    parser = commands.add_parser(
        "module-search",
        help="rank image feature-vector modules for an image dataset (1-NN error)",
    )
    cli.add_arguments(parser)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from ..tools.module_search import cli

    return cli.run(args)
