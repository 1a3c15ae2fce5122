"""The `tfhub` subcommands (name, module, one-line help) and how their parsers are added (the
shape of their --help and its environment section: `tfhub/help_text.py`).

`COMMANDS` is the one list of subcommands: `tfhub --help` is printed from it without importing
any command's module, and `tfhub NAME ...` imports only the module that adds NAME (see
`cli/main.py`), so a light command does not pay for the hub's or the tools' imports.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NamedTuple, Protocol

from .. import handles
from ..handle_check import not_utf8_problem
from ..help_text import HelpFormatter


class Command(NamedTuple):
    """One `tfhub` subcommand: the `tfhub.cli` module whose `add_commands` adds it, its help,
    and whether it is a tool whose flags `tfhub` reads as its console script does (absl's
    one-dash flags too: `cli/main.py` passes what follows the name through
    `tools.absl_argv.read_as_absl` before parsing; see `add_tool_command`)."""

    module: str
    help: str
    absl_flags: bool = False


# In the order `tfhub --help` lists them.
COMMANDS: dict[str, Command] = {
    "resolve": Command("resolve", "print the local folder of a handle"),
    "pull": Command("resolve", "download handles into the cache (for offline use)"),
    "import": Command("resolve", "put a .tar.gz archive into the cache as a handle"),
    "inspect": Command("inspect", "show a model's format, signatures, variables"),
    "cache": Command("cache", "list, check and clean the cache"),
    "demo": Command("demo", "the main job, offline, on the bundled model"),
    "pack": Command("publish", "pack a model folder into a deterministic .tar.gz"),
    "publish": Command("publish", "add a model version to a hub folder"),
    "validate": Command("publish", "check every doc of a hub folder"),
    "mirror": Command("publish", "copy models into a hub folder (air-gapped use)"),
    "serve": Command(
        "serve", "serve a hub folder: models by the hosting protocol, pages, search, JSON API"
    ),
    "make-image-classifier": Command(
        "make_image_classifier",
        "train an image classifier on top of an image feature-vector module",
        absl_flags=True,
    ),
    "make-nearest-neighbour-index": Command(
        "make_nearest_neighbour_index",
        "embed text (Apache Beam), build and query a nearest-neighbour index",
    ),
    # make-nearest-neighbour-index reads its own (after its operation, Beam's options among them).
    "module-search": Command(
        "module_search",
        "rank image feature-vector modules for an image dataset (1-NN error)",
        absl_flags=True,
    ),
}


def help_when_bare(parser: argparse.ArgumentParser) -> None:
    """Makes `parser`, given without a subcommand (`tfhub`, `tfhub cache`), print its whole help
    to stderr (the subcommands listed) and exit 2, as a usage error; argparse named only the
    missing argument ("the following arguments are required: COMMAND")."""

    def print_help(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(run=print_help)


def add_command(commands: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """Adds subcommand `name` (one of `COMMANDS`) with its help line; kwargs go to add_parser."""
    kwargs.setdefault("formatter_class", HelpFormatter)
    parser: argparse.ArgumentParser = commands.add_parser(name, help=COMMANDS[name].help, **kwargs)
    return parser


class ToolCli(Protocol):
    """A tool's `cli` module, as `add_tool_command` uses it."""

    def build_parser(self) -> argparse.ArgumentParser: ...

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run_command(self, args: argparse.Namespace) -> int: ...


def add_tool_command(commands: Any, name: str, tool: ToolCli) -> argparse.ArgumentParser:
    """Adds subcommand `name` (one of `COMMANDS`) that runs a tool as its console script does:
    the same flags, description and epilog (its environment section), and no abbreviated flags
    (the command's `COMMANDS` entry says `absl_flags`, so that `tfhub` reads them as absl did).

    Args:
        commands: the subparsers object to add to.
        name: the subcommand's name.
        tool: the tool's `cli` module (`build_parser`, `add_arguments`, `run_command`).

    Returns:
        The new parser.
    """
    console = tool.build_parser()
    parser = add_command(
        commands,
        name,
        description=console.description,
        epilog=console.epilog,
        allow_abbrev=False,  # As the console script (and upstream's absl flags).
    )
    tool.add_arguments(parser)
    from ..tools.absl_argv import add_absl_app_flags  # A tool's command only.

    add_absl_app_flags(parser)  # absl's own (`--logtostderr`, `-v N`), as the console script.
    parser.set_defaults(run=tool.run_command)
    return parser


# Where `StoreOnce` notes, on the namespace being parsed, the options given so far.
_GIVEN = "_tfhub_options_given"


class StoreOnce(argparse._StoreAction):
    """The action of every single-value option of tfhub's own commands: given twice with
    different values (`tfhub import F --handle A --handle B`), it is a usage error naming both.

    argparse kept the last silently, so a command that writes or publishes under a name picked
    one of the two the user typed. The same value twice is accepted. Options of another nargs
    (`?`, `*`, `+`, N) stay as argparse has them.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if self.nargs is None and self.option_strings:
            given: dict[str, tuple[str, Any]] = namespace.__dict__.setdefault(_GIVEN, {})
            typed = option_string or self.option_strings[-1]
            if self.dest not in given:
                given[self.dest] = (typed, values)
            elif given[self.dest][1] != values:
                raise argparse.ArgumentError(self, _given_twice(*given[self.dest], typed, values))
        super().__call__(parser, namespace, values, option_string)


def _given_twice(first_option: str, first: Any, option: str, value: Any) -> str:
    """The usage error of a single-value option given twice, with different values."""
    return (
        "given twice, with different values: give it once. Received: "
        f"{first_option}={str(first)!r} and {option}={str(value)!r}"
    )


def refuse_repeats(parser: argparse.ArgumentParser) -> None:
    """Makes the single-value options added to `parser` from now on (and to its argument
    groups) `StoreOnce`: given twice with different values, a usage error (exit 2)."""
    parser.register("action", None, StoreOnce)
    parser.register("action", "store", StoreOnce)


def add_documented_parser(
    commands: Any,
    name: str,
    *,
    description: str,
    examples: str,
    environment: str,
    help: str | None = None,
) -> argparse.ArgumentParser:
    """Adds subcommand `name` whose --help ends with its examples and environment variables.

    Args:
        commands: the subparsers object to add to.
        name: the subcommand's name.
        description: what the command does (shown first in its --help).
        examples: example command lines, one per line, indented.
        environment: the text listing the environment variables that apply.
        help: the one line shown in the parent's command list (default: `COMMANDS[name]`'s).

    Returns:
        The new parser.
    """
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=COMMANDS[name].help if help is None else help,
        description=description,
        epilog=f"examples:\n{examples}\n\n{environment}",
        formatter_class=HelpFormatter,
    )
    refuse_repeats(parser)
    return parser


def handle_text(value: str) -> str:
    """argparse `type` of a handle argument (`resolve`, `pull`, `inspect`, `import --handle`):
    the handle as the user typed it, whatever the locale.

    Under a locale whose encoding is not UTF-8 (LC_ALL=C with PYTHONUTF8=0, say), Python hands
    the bytes of argv it cannot decode over as lone surrogates, which no URL or cache key can
    hold: `tfhub resolve https://host/mod\u00e8le/1` said "invalid value: 'utf-8' codec can't
    encode characters in position 26-27". A URL is UTF-8 text (RFC 3987): its bytes are decoded
    as UTF-8. A local path (or file:// URL) is kept as given: it names a file by its bytes.

    Raises:
        argparse.ArgumentTypeError: a URL whose bytes are not UTF-8 either.
    """
    if handles.scheme(value) in (None, "file"):
        return value
    return cache_text(value)


def cache_text(value: str) -> str:
    """argparse `type` of `tfhub cache rm`'s arguments (handles and entry folder names, never
    paths): `value`, with the bytes of argv the locale could not decode read as UTF-8, as
    `handle_text` reads a URL's.

    Raises:
        argparse.ArgumentTypeError: `value`'s bytes are not UTF-8 text.
    """
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        raw = os.fsencode(value)  # The bytes of argv, as the user's terminal sent them.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise argparse.ArgumentTypeError(
            f"the handle {not_utf8_problem(raw)}, or type it where the terminal sends UTF-8. "
            f"Received: handle='{repr(raw)[2:-1]}'"
        ) from err
