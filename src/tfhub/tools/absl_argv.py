"""Command lines as upstream's absl-based tools took them, for argparse.

absl flags take a long flag after one dash as well as after two (`-image_dir=photos`,
`-nodo_fine_tuning`, `-num_trees 10`); argparse only after two. Upstream's console scripts
accepted both, so scripts written for them keep working. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def long_flags(parser: argparse.ArgumentParser) -> set[str]:
    """The parser's long option strings (`--image_dir`, `--nodo_fine_tuning`, ...)."""
    return {
        option
        for action in parser._actions  # argparse keeps them there; it has no public list.
        for option in action.option_strings
        if option.startswith("--")
    }


def double_dashed(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """Returns `argv` with absl's one-dash long flags of `parser` written with two dashes.

    Only the parser's own flags change (`-image_dir=x` -> `--image_dir=x`); anything else,
    values, short flags (`-v`), and everything after `--` stays as given.
    """
    known = long_flags(parser)
    rewritten: list[str] = []
    for index, arg in enumerate(argv):
        if arg == "--":
            return [*rewritten, *argv[index:]]
        one_dash = arg.startswith("-") and not arg.startswith("--")
        if one_dash and "-" + arg.split("=", 1)[0] in known:
            arg = "-" + arg
        rewritten.append(arg)
    return rewritten
