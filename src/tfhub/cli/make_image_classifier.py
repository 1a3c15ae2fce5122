"""`tfhub make-image-classifier`: the make_image_classifier tool as a `tfhub` subcommand."""

from __future__ import annotations

from typing import Any

from ..tools.make_image_classifier import cli
from ._parsers import add_tool_command


def add_commands(commands: Any) -> None:
    """Adds the subcommand to the `tfhub` parser (same flags as `make_image_classifier`)."""
    add_tool_command(commands, "make-image-classifier", cli)
