"""Entry point of the `tfhub` command (`tfhub = tfhub.cli.main:main`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..utils.logging import cli_logging
from . import _errors
from . import cache as cache_cmd
from . import demo as demo_cmd
from . import inspect as inspect_cmd
from . import make_image_classifier as make_image_classifier_cmd
from . import make_nearest_neighbour_index as make_nearest_neighbour_index_cmd
from . import module_search as module_search_cmd
from . import publish as publish_cmd
from . import resolve as resolve_cmd
from . import serve as serve_cmd


def build_parser() -> argparse.ArgumentParser:
    """Returns the parser of every `tfhub` subcommand."""
    parser = argparse.ArgumentParser(
        prog="tfhub",
        description="TensorFlow Hub models: resolve handles, manage the cache, inspect models.",
    )
    parser.add_argument("--version", action="version", version=f"tfhub {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    resolve_cmd.add_commands(commands)
    inspect_cmd.add_commands(commands)
    cache_cmd.add_commands(commands)
    demo_cmd.add_commands(commands)
    publish_cmd.add_commands(commands)
    serve_cmd.add_commands(commands)
    make_image_classifier_cmd.add_commands(commands)
    make_nearest_neighbour_index_cmd.add_commands(commands)
    module_search_cmd.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `tfhub` command.

    Args:
        argv: the arguments (default: sys.argv[1:]).

    Returns:
        The exit code: 0 on success; errors print one line to stderr and return non-zero.
    """
    args = build_parser().parse_args(argv)
    with cli_logging(verbose=args.verbose):
        try:
            return int(args.run(args) or 0)
        except KeyboardInterrupt:
            print("tfhub: interrupted", file=sys.stderr)
            return 130
        except Exception as err:
            return _errors.report(err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
