"""`tfhub make-nearest-neighbour-index OPERATION [flags]`: the make_nearest_neighbour_index tool.

Everything after the command, flags before the operation too, goes to the tool's own parser
(so Beam pipeline options pass through), read as the tool's console script reads it (absl's
one-dash flags too); see
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


class _ToolParser(argparse.ArgumentParser):
    """The subcommand's parser: it reads no argument itself and hands all of them, in order,
    to the tool's parser (`tool_args`, parsed into `tool` and `beam_args`), as the console
    script gets them, but for tfhub's `-v` (before a `--`), which sets `verbose` as `tfhub -v
    make-nearest-neighbour-index` does: tfhub's records at INFO and TensorFlow's lines shown
    (`run_reported`'s `tensorflow_logs`). absl's `-v N` / `--verbosity=N` from 1 on does too,
    as under the console script: the tool's arguments are parsed here, before `tfhub` enters
    `run_reported` with `verbose` (a usage error of the tool is its parser's, exit 2, as it
    was when `_run` parsed them).

    A positional with `nargs=argparse.REMAINDER` starts at the first word that is no option:
    flags before the operation (`--num_matches 3 query`, the order of the tool's usage line,
    of its console script and of upstream's absl flags) were left to `tfhub`'s parser, which
    knows none of them ("unrecognized arguments", exit 2).
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        namespace = argparse.Namespace() if namespace is None else namespace
        tool_args, verbose = _without_verbose(list(args or ()))
        namespace.tool_args = tool_args
        namespace.tool, namespace.beam_args = _tool_parsed(tool_args)
        namespace.run = _run
        if verbose or namespace.tool.verbose:
            namespace.verbose = True
        return namespace, []


def add_commands(commands: Any) -> None:
    """Adds `tfhub make-nearest-neighbour-index` to the `tfhub` parser."""
    parser = add_command(commands, "make-nearest-neighbour-index", add_help=False)
    # argparse makes every subcommand's parser of one class (the `tfhub` parser's): this one
    # is made a `_ToolParser` in place.
    parser.__class__ = _ToolParser


def _without_verbose(tool_args: Sequence[str]) -> tuple[list[str], bool]:
    """The tool's arguments without tfhub's `-v` (before a `--`), and whether it was there;
    absl's `-v N` (an integer after `-v`, as absl reads one: `--verbosity=N`) is the tool's;
    `--verbose N` is tfhub's `--verbose` and an argument N (absl has no `--verbose`)."""
    from ..tools.absl_app_flags import is_verbosity
    from ..tools.absl_argv import end_of_flags

    end = end_of_flags(tool_args)
    kept = [
        arg
        for index, arg in enumerate(tool_args[:end])
        if arg not in _VERBOSE
        or (arg == "-v" and index + 1 < end and is_verbosity(tool_args[index + 1]))
    ]
    return [*kept, *tool_args[end:]], len(kept) < end


def _tool_parsed(tool_args: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """The tool's arguments (without tfhub's `-v`; none: `--help`) parsed as its console
    script parses them: its flags, and Beam's pipeline options.

    Raises:
        SystemExit: as argparse does (the tool's --help, 0; a usage error, 2); `tfhub`'s
            `parse_args`, whose parse runs this, writes what it printed on stdout.
    """
    from ..tools.absl_argv import read_as_absl
    from ..tools.make_nearest_neighbour_index import cli

    parser = cli.command_parser(PROG)
    read = read_as_absl(list(tool_args) or ["--help"], parser)
    return parser.parse_known_args(read)


def _run(args: argparse.Namespace) -> int:
    from ..tools.make_nearest_neighbour_index import cli

    return cli.run_command(args.tool, args.beam_args)
