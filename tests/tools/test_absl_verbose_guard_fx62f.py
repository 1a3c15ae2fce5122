"""`add_absl_app_flags` adds tfhub's `-v` / `--verbose` only to a parser that has neither.

Its guard looked for `-v` alone: a parser with its own `--verbose` (and no `-v`) got
"argparse.ArgumentError: argument -v/--verbose: conflicting option string: --verbose".
"""

from __future__ import annotations

import argparse

from tfhub.tools.absl_argv import add_absl_app_flags


def test_a_parser_with_its_own_verbose_keeps_it() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    add_absl_app_flags(parser)
    assert parser.parse_args(["--verbose"]).verbose is True
    assert "-v" not in parser._option_string_actions  # Its own flag stays the only one.
    assert parser.parse_args(["--logtostderr"]).absl_logtostderr is True


def test_a_parser_without_either_gets_both() -> None:
    parser = argparse.ArgumentParser()
    add_absl_app_flags(parser)
    assert parser._option_string_actions["-v"] is parser._option_string_actions["--verbose"]
