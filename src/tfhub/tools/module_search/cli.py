"""The `tfhub-module-search` command (and `tfhub module-search`): upstream's flags
`--dataset`, `--module` (repeated) and `--module_list`; prints the ranked table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ... import errors
from ..absl_argv import double_dashed

PROG = "tfhub-module-search"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the tool's flags to `parser`."""
    parser.add_argument(
        "--dataset",
        required=True,
        help="NAME[#N]: a folder with one sub-folder of images per class, or a downloaded "
        "tensorflow_datasets name; #N keeps N examples (e.g. ./flowers#500)",
    )
    parser.add_argument("--module", action="append", default=[], help="module to rank (repeatable)")
    parser.add_argument(
        "--module_list",
        help="file with a module per line (empty lines and lines starting with # ignored)",
    )
    parser.add_argument(
        "--image_size", type=int, help="image size for modules of any size (default: 224)"
    )


def run(args: argparse.Namespace) -> int:
    """Ranks the modules of parsed arguments and prints the table; returns the exit code."""
    from . import lib

    lib.check_image_size(args.image_size)
    modules = list(args.module)
    if args.module_list:
        modules.extend(lib.read_module_list(args.module_list))
    if not modules:
        raise errors.ToolFlagError(
            "Use --module or --module_list to name the modules to rank. Received: no module",
            flag="module",
            value=None,
        )
    spec = lib.DataSpec.parse(args.dataset)
    dataset = lib.load_dataset(spec)
    scores = lib.rank_modules(modules, dataset, image_size=args.image_size)
    print(lib.format_table(scores, spec, len(dataset.labels)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Console script `tfhub-module-search`; errors end as one line on stderr."""
    from ...cli import _errors

    parser = argparse.ArgumentParser(
        prog=PROG, description="Rank image feature-vector modules for a labelled image dataset."
    )
    add_arguments(parser)
    args = parser.parse_args(double_dashed(sys.argv[1:] if argv is None else argv, parser))
    return _errors.run_reported(lambda: run(args), prog=PROG, verbose=True, tensorflow_logs=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
