"""`tfhub module-search --dataset D --module M ...`: ranks image feature-vector modules."""

from __future__ import annotations

from typing import Any

from ..tools.module_search import cli
from ._parsers import add_tool_command


def add_commands(commands: Any) -> None:
    """Adds `tfhub module-search` to the `tfhub` parser (same flags as `tfhub-module-search`)."""
    add_tool_command(commands, "module-search", cli)
