"""The one shape of every tfhub program's --help (`tfhub` and its subcommands, the tools'
console scripts): `HelpFormatter`, and the `environment:` section built from
`tfhub.constants.ENV_VARS`.

It sits below both `tfhub.cli` and `tfhub.tools` (docs/architecture.md), so that a tool's
--help is written the way `tfhub`'s is without the tools importing the command's package.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from typing import Any

from . import constants as c

# The one line each environment variable gets in a command's --help: `EnvVar.brief` (the docs'
# tables, generated from the same `constants.ENV_VARS`, give its `meaning`).
ENV_HELP: dict[str, str] = {var.name: var.brief for var in c.ENV_VARS}

# What a command that downloads handles (resolve, pull, inspect, mirror, the tools) reads.
DOWNLOAD_VARIABLES = (
    c.TFHUB_CACHE_DIR,
    c.TFHUB_OFFLINE,
    c.TFHUB_MODEL_LOAD_FORMAT,
    c.TFHUB_HTTP_TIMEOUT,
    c.TFHUB_HTTP_RETRIES,
    c.TFHUB_HTTP_RETRY_TIMEOUT,
    c.TFHUB_LOCK_TIMEOUT,
    c.TFHUB_DOWNLOAD_PROGRESS,
    c.TFHUB_DOWNLOAD_MIN_SPEED,
    c.TFHUB_MAX_EXTRACTED_BYTES,
    c.TFHUB_MAX_ARCHIVE_MEMBERS,
    c.TFHUB_KAGGLE_ENDPOINT,
    c.TFHUB_TOKEN,
    c.TFHUB_TOKEN_HOST,
    c.TFHUB_DISABLE_CERT_VALIDATION,
    c.PROXY_VARIABLES,
)


def environment(*names: str, note: str = "") -> str:
    """Returns the `environment:` section of a command's --help: one line per variable.

    Args:
        *names: the variables that apply (keys of `ENV_HELP`), in the order to show them.
        note: a last line, e.g. which usual variables a command ignores.

    Returns:
        The section's text, ending with a newline.
    """
    width = max(len(name) for name in names if len(name) <= 25)
    lines = ["environment:"]
    for name in names:
        if len(name) > width:  # The proxies' names: their meaning goes on the next line.
            lines += [f"  {name}", f"  {'':{width}}  {ENV_HELP[name]}"]
        else:
            lines.append(f"  {name:{width}}  {ENV_HELP[name]}")
    if note:
        lines.append(note)
    return "\n".join(lines) + "\n"


def help_environment(*extra: str) -> str:
    """The `environment:` section of a tool's --help: the variables that decide how its module
    handle is fetched (the cache, TFHUB_OFFLINE, a private hub's TFHUB_TOKEN, ...), `extra`,
    then TFHUB_DEBUG.

    Args:
        *extra: the tool's own variables (names in `tfhub.constants.ENV_VARS`).

    Returns:
        The section's text, as `tfhub resolve --help` ends with it.
    """
    return environment(*DOWNLOAD_VARIABLES, *extra, c.TFHUB_DEBUG)


# The widest a --help gets, whatever the terminal: long lines are hard to read.
HELP_WIDTH = 100


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The one shape of tfhub's --help: at most `HELP_WIDTH` columns (fewer on a narrower
    terminal); the description's paragraphs wrapped; the epilog's examples and environment
    lines, and indented lines, kept as written."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        if kwargs.get("width") is None:
            kwargs["width"] = min(shutil.get_terminal_size().columns, HELP_WIDTH) - 2
        super().__init__(prog, **kwargs)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for paragraph in _paragraphs(text.splitlines()):
            first = paragraph[0]
            if len(paragraph) > 1 or (not first[:1].isspace() and len(indent + first) > width):
                joined = " ".join(line.strip() for line in paragraph)
                lines.append(
                    textwrap.fill(joined, width, initial_indent=indent, subsequent_indent=indent)
                )
            else:
                lines.append(indent + first)
        return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Groups help text into what is wrapped as one: a run of unindented lines (prose written
    hard-wrapped in the source), ended by a blank or indented line, or by a line ending with ":"
    (a heading such as "examples:"). Blank and indented lines stand alone, kept as written."""
    paragraphs: list[list[str]] = []
    in_prose = False
    for line in lines:
        prose = bool(line) and not line[:1].isspace()
        if prose and in_prose:
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
        in_prose = prose and not line.endswith(":")
    return paragraphs
