"""tensorflow_hub's `tools.make_nearest_neighbour_index.make_nearest_neighbour_index` module: the
command as upstream's absl program, for code that drives it that way::

    from tfhub.tools.make_nearest_neighbour_index import make_nearest_neighbour_index as hub2ann

    hub2ann.FLAGS.data_file_pattern = "titles.txt"
    hub2ann.FLAGS.module_url = "https://hub.corp/text/embedding/1"
    hub2ann.FLAGS.embed_output_dir = "embeds/"
    hub2ann.FLAGS.index_output_dir = "index/"
    hub2ann.main(["make_nearest_neighbour_index", "e2e"])

`FLAGS` holds the command's flags with its defaults (absl flags of their own `FlagValues`, made
from the command line's parser); `validate_args(args)` checks them for the operation
`args[1]` and returns it; `main(args)` runs it as the command does (`query` without
`FLAGS.query` asks interactively, as upstream), raising on failure. Further items of `args`
are Beam pipeline options for `generate` and `e2e`. `run_main()` is the console script, and
`python -m` runs it too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ... import errors
from .. import absl_argv
from . import cli

__all__ = ["FLAGS", "main", "run_main", "validate_args"]

FLAGS = absl_argv.flag_values(cli.build_parser(), purpose="make_nearest_neighbour_index's FLAGS")


def _arguments(operation: str) -> argparse.Namespace:
    """`FLAGS` as the parsed command line of `operation`."""
    return argparse.Namespace(operation=operation, **{name: FLAGS[name].value for name in FLAGS})


def validate_args(args: Sequence[str]) -> str:
    """Checks `FLAGS` for the operation `args[1]` (upstream's `args`: the program's name, then
    the words after its flags); returns the operation.

    Raises:
        tfhub.errors.ToolFlagError: (a ValueError, as upstream's) no known operation, or a
            flag it needs is missing or unusable.
    """
    if len(args) < 2 or args[1] not in cli.OPERATIONS:
        given = args[1] if len(args) >= 2 else None
        raise errors.ToolFlagError(
            "You need to specify one of four operations: generate | build | e2e | query. "
            f"Received: operation={given!r}",
            flag="operation",
            value=given,
        )
    cli.validate(_arguments(args[1]), args[2:])
    return args[1]


def main(args: Sequence[str]) -> None:
    """Runs the operation `args[1]` as `FLAGS` say (upstream's absl main).

    Raises:
        tfhub.errors.TFHubError: subclasses say what went wrong, as the command's errors.
    """
    operation = validate_args(args)
    cli.run(_arguments(operation), args[2:])


def run_main() -> None:
    """The console script: parses the command line and runs; exits with its status."""
    sys.exit(cli.main())


if __name__ == "__main__":  # pragma: no cover
    run_main()
