"""The one shape of a `tfhub` subcommand's help: a description, examples, the variables."""

from __future__ import annotations

import argparse
from typing import Any


def add_documented_parser(
    commands: Any, name: str, *, help: str, description: str, examples: str, environment: str
) -> argparse.ArgumentParser:
    """Adds subcommand `name` whose --help ends with its examples and environment variables.

    Args:
        commands: the subparsers object to add to.
        name: the subcommand's name.
        help: the one line shown in the parent's command list.
        description: what the command does (shown first in its --help).
        examples: example command lines, one per line, indented.
        environment: the text listing the environment variables that apply.

    Returns:
        The new parser.
    """
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=description,
        epilog=f"examples:\n{examples}\n\n{environment}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser
