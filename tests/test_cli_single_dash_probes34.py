"""`tfhub make-image-classifier` and `tfhub module-search` read their flags as their console
scripts (and upstream's absl flags) do: a long flag after one dash as after two, a flag's value
as the next argument whatever it starts with. They took the two-dash form only, while `tfhub
make-nearest-neighbour-index` and every console script took both (docs/tools.md).

No TensorFlow work: a value the flag's type refuses, named in the usage error, shows the flag
was read. A flag given '--' (refused: argparse drops that value) is a usage error, not a
traceback, in the console scripts too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

SRC = Path(__file__).resolve().parents[1] / "src"


def _last_line(err: str) -> str:
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["make-image-classifier", "-batch_size=abc"],
            "tfhub make-image-classifier: error: argument --batch_size: expected an integer. "
            "Received: 'abc'",
        ),
        (  # A boolean's absl negation, then a value as the next argument.
            ["make-image-classifier", "-nodo_fine_tuning", "-train_epochs", "x"],
            "tfhub make-image-classifier: error: argument --train_epochs: expected an integer. "
            "Received: 'x'",
        ),
        (
            ["module-search", "-dataset", "photos", "-image_size=abc"],
            "tfhub module-search: error: argument --image_size: expected an integer. "
            "Received: 'abc'",
        ),
        (  # A value that starts with a dash, after a two-dash flag: absl takes it.
            ["module-search", "--dataset=photos", "--image_size", "-abc"],
            "tfhub module-search: error: argument --image_size: expected an integer. "
            "Received: '-abc'",
        ),
    ],
)
def test_one_dash_flags_are_read(capsys, argv, expected) -> None:
    code, out, err = run_tfhub(capsys, *argv)
    assert (code, out, _last_line(err)) == (2, "", expected), err


@pytest.mark.parametrize("command", ["make-image-classifier", "module-search"])
def test_one_dash_help_prints_the_help(capsys, command) -> None:
    """absl's `-help`; argparse read it as `-h` with the value 'elp' (a usage error)."""
    code, out, err = run_tfhub(capsys, command, "-help")
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: tfhub {command} [-h]") and "--image_size" in out


def test_short_flags_and_what_follows_a_double_dash_stay_as_given(capsys) -> None:
    """`-v` is the short flag, not `--v...`; after `--` nothing is rewritten."""
    code, out, err = run_tfhub(capsys, "module-search", "-v", "--dataset=d", "--", "-image_size=1")
    assert code == 2 and out == ""
    assert _last_line(err) == "tfhub module-search: error: unrecognized arguments: -- -image_size=1"


def test_a_double_dash_value_is_a_usage_error_of_the_subcommand(capsys) -> None:
    code, out, err = run_tfhub(capsys, "module-search", "-dataset=--")
    assert code == 2 and out == "" and "Traceback" not in err
    assert _last_line(err).startswith(
        "tfhub module-search: error: --dataset cannot take '--' as its value here"
    )


@pytest.mark.parametrize(
    ("module", "argv", "flag"),
    [
        ("make_image_classifier", ["--image_dir=--"], "image_dir"),
        ("module_search", ["--dataset", "--"], "dataset"),
        (
            "make_nearest_neighbour_index",
            ["generate", "--data_file_pattern=--"],
            "data_file_pattern",
        ),
    ],
)
def test_a_console_script_says_a_double_dash_value_as_a_usage_error(module, argv, flag) -> None:
    """The console scripts normalised their flags before run_reported: the refusal of '--'
    was a traceback (exit 1)."""
    env = dict(os.environ, PYTHONPATH=str(SRC))
    ended = subprocess.run(
        [sys.executable, "-m", f"tfhub.tools.{module}", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ended.returncode == 2 and ended.stdout == "" and "Traceback" not in ended.stderr
    assert f"error: --{flag} cannot take '--' as its value here" in _last_line(ended.stderr)
