"""Entry point of the `tfhub` command (`tfhub = tfhub.cli.main:main`).

Only the standard library is imported when this module loads: the console script imports it
before `main` runs, and a Ctrl-C then (a slow disk, a busy machine) would be Python's
traceback. tfhub's own modules are imported by `main`, where Ctrl-C is `tfhub: interrupted`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Collection, Iterator, Sequence

EPILOG = """\
examples:
  tfhub demo
  tfhub pull https://www.kaggle.com/models/google/mobilenet-v2/TensorFlow2/100-224-classification/2
  tfhub cache list

Run `tfhub COMMAND --help` for a command's options, examples and environment variables.

Errors print one line and exit 2 (invalid handle or value), 3 (offline), 4 (download),
5 (archive), 6 (cache), 7 (not found), 8 (missing dependency) or 1; TFHUB_DEBUG=1 adds the
traceback.
"""


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """Returns the parser of the `tfhub` subcommands.

    Args:
        commands: the subcommands to build in full (their modules are imported); the others
            get a placeholder that only shows their help line in `tfhub --help`. None: all.
    """
    from .. import __version__
    from ..help_text import HelpFormatter
    from ._parsers import COMMANDS, help_when_bare

    parser = argparse.ArgumentParser(
        prog="tfhub",
        description=(
            "TensorFlow Hub models: resolve handles, manage the cache, inspect models, run a "
            "private hub (serve, publish) and upstream's tools."
        ),
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tfhub {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress (and TensorFlow's) to stderr"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    help_when_bare(parser)
    wanted = COMMANDS.keys() if commands is None else commands
    to_build = {COMMANDS[name].module for name in wanted if name in COMMANDS}
    for name, command in COMMANDS.items():
        if name in subparsers.choices:
            continue  # Added with an earlier command of its module.
        if command.module in to_build:
            importlib.import_module(f"{__package__}.{command.module}").add_commands(subparsers)
        else:
            subparsers.add_parser(name, help=command.help, add_help=False)
    _accept_verbose_everywhere(parser)
    return parser


def named_command(argv: Sequence[str]) -> str | None:
    """Returns the subcommand `argv` names (its first word that is not an option), or None.

    The top-level options take no value, so the first other word is the command.
    """
    for arg in argv:  # A `--` before the command is skipped too (`_without_end_of_options`).
        if not arg.startswith("-"):
            return arg
    return None


def _without_end_of_options(argv: list[str]) -> list[str]:
    """`argv` without the first `--` if it comes before the command (`tfhub -- cache list`):
    argparse (Python 3.11) took it for the command, "invalid choice: '--'". What follows it is
    read as before (`tfhub -- -v cache list` is verbose). A `--` after the command is the
    command's own."""
    for index, arg in enumerate(argv):
        if arg == "--":
            return argv[:index] + argv[index + 1 :]
        if not arg.startswith("-"):
            break
    return argv


# Tool subcommands that leave all their arguments to the tool, which reads them when it runs.
_TOOLS_READING_THEIR_OWN = ("make-nearest-neighbour-index",)


def _tool_flags_read_as_absl(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`argv` with what follows a tool's subcommand (`absl_flags` in `COMMANDS`) read as the
    tool's console script reads it: `-image_dir=x` is `--image_dir=x`, as in absl's flags.
    After a tool that reads its own (`_TOOLS_READING_THEIR_OWN`), absl's `--v=N` and `-v N`
    are spelled `--verbosity=N`: the `tfhub` parser took `--v=1` for an ambiguous `--verbose`
    or `--version` ("ambiguous option")."""
    from ._parsers import COMMANDS

    command = named_command(argv)
    entry = COMMANDS.get(command or "")
    if command in _TOOLS_READING_THEIR_OWN:
        from ..tools.absl_app_flags import with_verbosity_spelled

        at = argv.index(command) + 1
        return [*argv[:at], *with_verbosity_spelled(argv[at:])]
    if command is None or entry is None or not entry.absl_flags:
        return argv
    from ..tools.absl_argv import read_as_absl  # Only a tool's command line needs it.

    subcommands = _subcommands(parser)
    if subcommands is None or command not in subcommands.choices:
        return argv  # Not built with the tool's parser: argparse says what is wrong.
    at = argv.index(command) + 1
    return [*argv[:at], *read_as_absl(argv[at:], subcommands.choices[command])]


def _subcommands(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser] | None:
    """The action that holds `parser`'s subcommands (argparse keeps it among the actions), or
    None."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    subcommands = _subcommands(parser)
    if subcommands is not None:
        for sub in dict.fromkeys(subcommands.choices.values()):
            yield sub
            yield from _subparsers(sub)


def chosen_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """Returns the parser of the (sub)command `args` chose (`tfhub cache rm` -> rm's parser).

    argparse reports an argument no parser knows from the top-level parser, whose usage
    (`tfhub [-h] [--version] [-v] COMMAND ...`) shows none of the command's options;
    `tfhub cache rm --force X` is better answered with rm's usage.
    """
    subcommands = _subcommands(parser)
    if subcommands is not None:
        chosen = subcommands.choices.get(getattr(args, subcommands.dest, None) or "")
        if chosen is not None:
            return chosen_parser(chosen, args)
    return parser


def _reporting_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str], unknown: str
) -> argparse.ArgumentParser:
    """The parser that says `unknown` is unrecognized: the command's (its usage shows the
    options it takes), or `tfhub`'s for an option given before the command (`tfhub --x ls`)."""
    command = named_command(argv)
    if command is not None and unknown in argv[: argv.index(command)]:
        return parser
    return chosen_parser(parser, args)


def _accept_verbose_everywhere(parser: argparse.ArgumentParser) -> None:
    """Lets `-v` come after the subcommand too (`tfhub resolve -v HANDLE`)."""
    for sub in _subparsers(parser):
        if "-v" not in sub._option_string_actions:
            sub.add_argument(
                "-v",
                "--verbose",
                action="store_true",
                default=argparse.SUPPRESS,  # Keeps the value given before the subcommand.
                help="log progress (and TensorFlow's) to stderr",
            )


@contextlib.contextmanager
def _stderr_for_argparse() -> Iterator[None]:
    """Gives argparse a stderr that discards what it says when descriptor 2 was closed at start
    (`tfhub resolve 2>&-`). Python 3.10 then sets `sys.stderr` to None, and a usage error wrote
    its usage to stdout (`print_usage(None)`) and ended with an AttributeError (exit 1, not 2).
    """
    if sys.stderr is not None:
        yield
        return
    with open(os.devnull, "w") as sink:
        sys.stderr = sink
        try:
            yield
        finally:
            sys.stderr = None  # type: ignore[assignment]  # As the process started.


def _usage_problem(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int | None:
    """Says a usage problem that argparse cannot see (`tfhub cache rm` without entries or
    --all: the command's `usage_problem` default) as argparse says one, the command's usage
    and `tfhub cache rm: error: ...`; returns its exit code, 2 (None if there is none)."""
    find_problem = getattr(args, "usage_problem", None)
    problem = find_problem(args) if find_problem is not None else None
    if problem is None:
        return None
    from ..program.report import tell

    chosen = chosen_parser(parser, args)
    if sys.stderr is not None:  # Closed (`2>&-`): print_usage(None) would write to stdout.
        chosen.print_usage(sys.stderr)
    tell(f"{chosen.prog}: error: {problem}")
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `tfhub` command.

    Args:
        argv: the arguments (default: sys.argv[1:]).

    Returns:
        The exit code: 0 on success; errors print one line to stderr and return non-zero;
        130 after `tfhub: interrupted` for a Ctrl-C at any time, while tfhub's modules import
        too (before the command runs, when there is nothing to clean up); 2 after the usage
        and error line of a usage problem argparse cannot see (`tfhub cache rm` alone).

    Raises:
        SystemExit: where argparse ends the program itself: --help and --version (0, or 141
            or 1 if stdout cannot take them: `program.stdout.parse_args`) and a usage error
            it sees (2: an unknown option, a missing argument).
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:  # The command itself reports its own (run_reported).
        return say_interrupted()


def say_interrupted() -> int:
    """Says `tfhub: interrupted` on stderr (if open) and returns 130, without importing
    anything: Ctrl-C may have cut an import of tfhub's short. The command's own Ctrl-C is
    said by `program.signals.say_stopped`, in the same words."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            print("tfhub: interrupted", file=sys.stderr, flush=True)
    return 130


def _unrecognized(argv: Sequence[str], unknown: Sequence[str]) -> str:
    """The usage error of arguments no command takes. Where one of them, joined by spaces to
    the argument before it, names a file or folder that exists (`tfhub resolve /models/my
    model`, for `/models/my model`), it is the rest of a path typed without quotes: the
    message says so and names the path (argparse named only `model`)."""
    import shlex  # Only for this error.

    message = f"unrecognized arguments: {' '.join(unknown)}"
    path = _unquoted_path(argv, unknown[0])
    if path is not None:
        message += f". A path holding spaces is one argument: quote it, as {shlex.quote(path)}"
    return message


def _unquoted_path(argv: Sequence[str], first_unknown: str) -> str | None:
    """The existing path that `first_unknown` and the words around it make when joined by
    spaces (the longest, starting at the word before it), or None."""
    if first_unknown.startswith("-") or first_unknown not in argv:
        return None
    at = argv.index(first_unknown)
    if at == 0 or argv[at - 1].startswith("-"):
        return None
    words = [argv[at - 1]]
    for word in argv[at:]:
        if word.startswith("-"):
            break
        words.append(word)
    for end in range(len(words), 1, -1):
        joined = " ".join(words[:end])
        with contextlib.suppress(OSError, ValueError):
            if os.path.lexists(joined):
                return joined
    return None


def _main(argv: Sequence[str] | None) -> int:
    """`main`'s work: parses `argv`, runs the command it names."""
    from .. import errors
    from ..program.runner import run_reported
    from ..program.stdout import parse_args

    argv = _without_end_of_options(list(sys.argv[1:] if argv is None else argv))
    # Only the named command's module is imported: `tfhub cache list` never imports the hub.
    parser = build_parser([named_command(argv) or ""])
    try:
        with _stderr_for_argparse():
            argv = _tool_flags_read_as_absl(parser, argv)
            args, unknown = parse_args(parser, argv, known=True)
            if unknown:
                _reporting_parser(parser, args, argv, unknown[0]).error(
                    _unrecognized(argv, unknown)
                )
    except errors.TFHubError as err:  # A tool's flags read (absl missing for --flagfile).
        from ..program.report import report

        return report(err)
    problem_code = _usage_problem(parser, args)
    if problem_code is not None:
        return problem_code
    return run_reported(
        lambda: args.run(args), prog="tfhub", verbose=args.verbose, tensorflow_logs=args.verbose
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
