"""`tfhub make-image-classifier`: the make_image_classifier tool as a `tfhub` subcommand."""

from __future__ import annotations

from typing import Any

from ..tools.make_image_classifier import cli
from ._parsers import add_command


def add_commands(commands: Any) -> None:
    """Adds the subcommand to the `tfhub` parser (same flags as `make_image_classifier`)."""
    tool = cli.build_parser()
    parser = add_command(
        commands,
        "make-image-classifier",
        description=tool.description,
        epilog=tool.epilog,
        allow_abbrev=False,  # As the console script.
    )
    cli.add_arguments(parser)
    parser.set_defaults(run=cli.run_command)
