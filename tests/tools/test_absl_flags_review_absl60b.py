"""Review findings on absl's own flags on the tools' command lines (session 60,
`tfhub.tools.absl_app_flags`): the `--log_dir` file as redacted and escaped as stderr, the
spellings absl 2.5.1 takes (`--stderrthreshold=warn`, `--logger_levels`, `-v 0x2`, `-v +1`),
and `-v N` / `--verbosity=N` turning TensorFlow's lines on and off as absl's last value says,
in `tfhub make-nearest-neighbour-index` too. No TensorFlow: each run is a stand-in function,
`--only_check_args`, or a parse."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from tfhub.tools.make_image_classifier import cli as mic
from tfhub.tools.module_search import cli as search


def _parsed(argv: list[str]) -> argparse.Namespace:
    """`argv` as the console script `make_image_classifier` parses it."""
    from tfhub.tools.absl_argv import add_absl_app_flags, read_as_absl

    parser = mic.build_parser()
    add_absl_app_flags(parser)
    return parser.parse_args(read_as_absl(argv, parser))


def _log_file_of(run: Callable[[], int], folder: Path) -> str:
    """The text of the `--log_dir` file written while `run` runs as a tool's command."""
    from tfhub.tools.absl_app_flags import run_with_absl_flags
    from tfhub.utils.logging import cli_logging

    with cli_logging(verbose=False):
        run_with_absl_flags(_parsed([f"--log_dir={folder}"]), run, prog="make_image_classifier")
    (file,) = [path for path in folder.iterdir() if not path.is_symlink()]
    return file.read_text(encoding="utf-8")


def test_log_file_takes_a_file_name_that_is_not_utf8(tmp_path, capsys):
    """The file's strict UTF-8 handler failed on a surrogate-escaped byte ("--- Logging error
    --- UnicodeEncodeError" on stderr, the line missing from the file)."""

    def run() -> int:
        logging.getLogger("tfhub.tools.x").warning("cannot read %s", "/data/caf\udcff.jpg")
        return 0

    text = _log_file_of(run, tmp_path)
    assert "tfhub.tools.x] cannot read /data/caf\\xff.jpg" in text
    err = capsys.readouterr().err
    assert "Logging error" not in err
    assert "cannot read /data/caf\\xff.jpg" in err


def test_log_file_redacts_a_traceback(tmp_path):
    """A record's traceback (exc_info) went to the file as written: the filter redacted only
    the message."""

    def run() -> int:
        try:
            raise ValueError("fetching https://user:secret@host/m failed")
        except ValueError:
            logging.getLogger("tfhub.tools.x").warning("download failed", exc_info=True)
        return 0

    text = _log_file_of(run, tmp_path)
    assert "ValueError: fetching https://***@host/m failed" in text
    assert "secret" not in text


def test_log_file_message_cannot_forge_a_line(tmp_path):
    """A line break in a quoted name started a second line that looked like a record."""

    def run() -> int:
        logging.getLogger("tfhub.tools.x").warning("reading %s", "a\nI1207 00:00:00 1 forged] x")
        return 0

    lines = _log_file_of(run, tmp_path).splitlines()
    assert len(lines) == 1
    assert "reading a\\x0A" in lines[0] or "reading a\\n" in lines[0]


@pytest.mark.parametrize(
    "flag",
    ["--stderrthreshold=warn", "--stderrthreshold=WARN", "--logger_levels=tfhub:DEBUG"],
)
def test_spellings_absl_takes_are_taken(flag, capsys):
    """absl 2.5.1's `--stderrthreshold` takes warn (as warning), its `--logger_levels`
    (absl.logging's) NAME:LEVEL pairs; tfhub said "expected one of ..." and "unrecognized
    arguments"."""
    assert search.main([flag, "--only_check_args", "--dataset=d", "--module=m"]) == 0
    assert capsys.readouterr().err == ""


def test_a_bad_stderrthreshold_names_warn_and_not_absl(capsys):
    with pytest.raises(SystemExit):
        search.main(["--stderrthreshold=loud", "--dataset=d", "--module=m"])
    err = capsys.readouterr().err
    assert "argument --stderrthreshold: expected one of debug" in err
    assert "warn" in err.split("expected one of", 1)[1] and "as absl" not in err


@pytest.mark.parametrize("value", ["tfhub", "tfhub:LOUD", ":DEBUG"])
def test_a_bad_logger_levels_is_a_usage_error(value, capsys):
    """absl refuses a pair without a colon, or a level Python's logging does not name."""
    with pytest.raises(SystemExit) as stop:
        search.main([f"--logger_levels={value}", "--dataset=d", "--module=m"])
    assert stop.value.code == 2
    assert "argument --logger_levels: " in capsys.readouterr().err


def test_logger_levels_set_the_named_loggers_while_the_tool_runs():
    """As absl's `app.run` sets them (`logging.getLogger(name).setLevel(level)`); restored
    after the run (a tool called in-process leaves logging as it was)."""
    from tfhub.tools.absl_app_flags import run_with_absl_flags

    seen: dict[str, int] = {}

    def run() -> int:
        seen.update(
            library=logging.getLogger("tfhub.resolver").getEffectiveLevel(),
            other=logging.getLogger("other_absl60b.lib").level,
        )
        return 0

    argv = ["-v", "-1", "--logger_levels=tfhub:DEBUG, other_absl60b.lib:ERROR"]
    assert run_with_absl_flags(_parsed(argv), run, prog="make_image_classifier") == 0
    assert seen == dict(library=logging.DEBUG, other=logging.ERROR)
    assert logging.getLogger("other_absl60b.lib").level == logging.NOTSET
    assert logging.getLogger("tfhub").level == logging.NOTSET


@pytest.mark.parametrize(
    ("argv", "verbosity", "verbose"),
    [
        (["-v", "0x2"], 2, True),  # absl's integers: hexadecimal after 0x.
        (["-v", "+1"], 1, True),
        (["-v", "1", "--verbosity=0"], 0, False),  # absl takes the last value.
        (["--verbosity=2", "-v", "-1"], -1, False),
        (["-v", "--verbosity=0"], 0, True),  # tfhub's bare -v stays on.
        (["--verbose", "-v", "-1"], -1, True),
    ],
)
def test_verbosity_as_absl_reads_it(argv, verbosity, verbose):
    args = _parsed(argv)
    assert (args.absl_verbosity, args.verbose) == (verbosity, verbose)


def _tfhub_nn_verbose(argv: list[str]) -> bool:
    """The `verbose` that `tfhub make-nearest-neighbour-index ARGV` runs under (what
    `run_reported` gets: tfhub's records at INFO and TensorFlow's lines shown)."""
    from tfhub.cli.main import build_parser

    command = "make-nearest-neighbour-index"
    args, unknown = build_parser([command]).parse_known_args([command, *argv])
    assert unknown == []
    return bool(args.verbose)


@pytest.mark.parametrize(
    ("argv", "verbose"),
    [
        (["-v", "1", "build"], True),  # docs/tools.md: -v N from 1 also shows TF's lines.
        (["build", "--verbosity=1"], True),
        (["build", "-v", "2"], True),
        (["-v", "1", "build", "--verbosity=0"], False),
        (["build"], False),
        (["build", "-v"], True),  # tfhub's own -v.
        (["--verbose", "build", "--verbosity=0"], True),
    ],
)
def test_tfhub_nn_runs_with_the_verbose_of_abseils_verbosity(argv, verbose):
    """`verbose` was set on the tool's namespace, parsed after `run_reported` had been
    entered with tfhub's: `-v 1` showed no TensorFlow line under `tfhub`, as it did under the
    console script and `tfhub make-image-classifier -v 1`."""
    assert _tfhub_nn_verbose(argv) is verbose


def test_tfhub_nn_still_runs_the_tool(capsys):
    from tfhub.cli.main import main as tfhub_main

    code = tfhub_main(["make-nearest-neighbour-index", "-v", "1", "build", "--only_check_args"])
    assert code == 0
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit) as stop:
        tfhub_main(["make-nearest-neighbour-index", "build", "--num_trees=x"])
    assert stop.value.code == 2
    assert "argument --num_trees: expected an integer" in capsys.readouterr().err


def test_tfhub_nn_takes_only_v_before_an_integer_as_abseils():
    """`--verbose 1` is tfhub's `--verbose` and an argument 1 (absl has no `--verbose`);
    it was left to the tool as if it were `-v 1`."""
    from tfhub.cli.make_nearest_neighbour_index import _without_verbose

    assert _without_verbose(["--verbose", "1", "build"]) == (["1", "build"], True)
    assert _without_verbose(["-v", "1", "build"]) == (["-v", "1", "build"], False)
