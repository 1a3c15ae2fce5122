"""absl's own flags on the tools' command lines (session 60): upstream's tools ran under
`absl.app.run(main)`, so scripts pass `--logtostderr`, `-v 1`, `--log_dir=DIR`,
`--only_check_args`, `--undefok=a,b`, ...; every tool refused each as an unknown argument
(`tfhub.tools.absl_app_flags`). No TensorFlow: each run ends at `--only_check_args`, a usage
error, or a flag check before any model is read."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tfhub.cli.main import main as tfhub_main
from tfhub.tools.make_image_classifier import cli as mic
from tfhub.tools.make_nearest_neighbour_index import cli as nn
from tfhub.tools.module_search import cli as search

MISSING = "/nonexistent_absl60"
# Each tool's console script and `tfhub` spelling, with flags that fail if the tool runs.
PROGRAMS: dict[str, Callable[[Sequence[str]], int]] = {
    "make_image_classifier": lambda argv: mic.main([*argv, f"--image_dir={MISSING}"]),
    "tfhub make-image-classifier": lambda argv: tfhub_main(
        ["make-image-classifier", *argv, f"--image_dir={MISSING}"]
    ),
    "tfhub-module-search": lambda argv: search.main([*argv, f"--dataset={MISSING}"]),
    "tfhub module-search": lambda argv: tfhub_main(
        ["module-search", *argv, f"--dataset={MISSING}", "--module=m"]
    ),
    "make_nearest_neighbour_index": lambda argv: nn.main(["build", *argv]),
    "tfhub make-nearest-neighbour-index": lambda argv: tfhub_main(
        ["make-nearest-neighbour-index", "build", *argv]
    ),
}
ABSL_FLAGS = [
    "--logtostderr",
    "--alsologtostderr",
    "-v",
    "1",
    "--verbosity=0",
    "-verbosity",
    "-1",
    "--stderrthreshold=INFO",
    "--showprefixforinfo",
    "--noshowprefixforinfo",
    "--undefok=foo,bar",
    "--foo=1",
    "-nobar",
    "--run_with_pdb",
    "--pdb_post_mortem",
    "--run_with_profiling",
    "--use_cprofile_for_profiling",
    "--only_check_args",
]


@pytest.mark.parametrize("program", PROGRAMS)
def test_absl_flags_are_taken_and_only_check_args_runs_nothing(program, tmp_path, capsys):
    """Each flag was "unrecognized arguments" (exit 2); the nearest-neighbour tool's `build`
    said "Unknown arguments for `build` (only generate and e2e take Beam pipeline options)".
    With `--only_check_args` the tool exits 0 before running (the flags it would fail on are
    never checked), writing nothing: no log file either."""
    argv = [*ABSL_FLAGS, f"--log_dir={tmp_path}", f"--profile_file={tmp_path / 'prof'}"]
    assert PROGRAMS[program](argv) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "unknown"),
    [
        (["--undefok=foo", "--baz=1"], "--baz=1"),  # Only the flags it names.
        (["--undefok=foo", "--foo", "1"], "1"),  # `--foo V`: V stays, as absl leaves it.
        (["--undefok=foo", "--", "--foo=1"], "-- --foo=1"),  # Not after `--`.
    ],
)
def test_undefok_drops_only_the_flags_it_names(argv, unknown, capsys):
    with pytest.raises(SystemExit) as stop:
        mic.main(["--only_check_args", *argv])
    assert stop.value.code == 2
    assert f"unrecognized arguments: {unknown}" in capsys.readouterr().err


def test_undefok_keeps_a_flag_the_tool_knows(capsys):
    """`--undefok=image_dir` does not drop a known flag: its value is still read."""
    code = mic.main([f"--image_dir={MISSING}", "--undefok=image_dir"])
    assert code != 0
    assert f"Cannot use the image folder {MISSING}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--helpxml"], "--helpxml (absl's flags as XML) is not available"),
        (["-helpxml"], "--helpxml (absl's flags as XML) is not available"),
        (["--stderrthreshold=loud"], "argument --stderrthreshold: expected one of debug"),
        (["--verbosity=x"], "argument --verbosity: expected an integer"),
        (["--logtostderr=maybe"], "--logtostderr takes true or false"),
    ],
)
def test_a_bad_absl_flag_is_a_usage_error(argv, said, capsys):
    with pytest.raises(SystemExit) as stop:
        search.main([*argv, "--dataset=d", "--module=m"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"tfhub-module-search: error: {said}" in err


def _parsed(argv: list[str]) -> argparse.Namespace:
    parser = mic.build_parser()
    from tfhub.tools.absl_argv import add_absl_app_flags, read_as_absl

    add_absl_app_flags(parser)
    return parser.parse_args(read_as_absl(argv, parser))


@pytest.mark.parametrize(
    ("argv", "verbosity", "verbose"),
    [
        (["-v", "1"], 1, True),
        (["-v=2"], 2, True),
        (["--v", "0"], 0, False),
        (["-v", "-1"], -1, False),
        (["-v"], None, True),  # tfhub's own `-v` (`--verbose`), as before.
        (["-v", "--image_dir=x"], None, True),
    ],
)
def test_v_with_an_integer_is_abseils_verbosity(argv, verbosity, verbose):
    args = _parsed(argv)
    assert (args.absl_verbosity, args.verbose) == (verbosity, verbose)


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_other_spellings_of_v_n(program, capsys):
    """`--v=0`, `-v=1` and `--v 2`, by every program: `tfhub make-nearest-neighbour-index`
    read `--v=0` as an ambiguous abbreviation of tfhub's `--verbose`/`--version` until `tfhub`
    spelled absl's `--v` as `--verbosity` after that command (147daab3)."""
    assert PROGRAMS[program](["--v=0", "-v=1", "--v", "2", "--only_check_args"]) == 0
    assert capsys.readouterr().err == ""


def test_tfhub_nn_leaves_abseils_v_n_to_the_tool():
    """`tfhub make-nearest-neighbour-index build -v 1` took `-v` as tfhub's and `1` as the
    operation ("invalid choice: '1'")."""
    from tfhub.cli.make_nearest_neighbour_index import _without_verbose

    assert _without_verbose(["-v", "1", "build"]) == (["-v", "1", "build"], False)
    assert _without_verbose(["build", "-v"]) == (["build"], True)


def _levels_seen(argv: list[str], tmp_path: Path) -> dict[str, bool]:
    """What the tool's and the library's loggers let through while a tool runs under `argv`."""
    seen: dict[str, bool] = {}

    def run() -> int:
        tool, library = logging.getLogger("tfhub.tools.x"), logging.getLogger("tfhub.resolver")
        seen.update(
            tool_info=tool.isEnabledFor(logging.INFO),
            tool_warning=tool.isEnabledFor(logging.WARNING),
            library_info=library.isEnabledFor(logging.INFO),
            library_debug=library.isEnabledFor(logging.DEBUG),
        )
        return 0

    from tfhub.tools import tool_progress_shown
    from tfhub.tools.absl_app_flags import run_with_absl_flags
    from tfhub.utils.logging import cli_logging

    with cli_logging(verbose=False), tool_progress_shown():
        assert run_with_absl_flags(_parsed(argv), run, prog="make_image_classifier") == 0
    return seen


def test_verbosity_sets_the_level_of_tfhubs_records(tmp_path):
    """absl's levels: 1 DEBUG, 0 INFO, -1 WARNING (the tool's progress lines hidden), -2 ERROR;
    without the flag tfhub's default: the tool's INFO shown, the library's not."""
    assert _levels_seen([], tmp_path) == dict(
        tool_info=True, tool_warning=True, library_info=False, library_debug=False
    )
    assert _levels_seen(["-v", "1"], tmp_path)["library_debug"] is True
    assert _levels_seen(["--verbosity=0"], tmp_path)["library_info"] is True
    assert _levels_seen(["--v=-1"], tmp_path)["tool_info"] is False
    assert _levels_seen(["--v=-2"], tmp_path)["tool_warning"] is False
    assert logging.getLogger("tfhub.tools").level == logging.NOTSET  # Restored.


def test_log_dir_gets_a_log_file_of_the_tools_records(tmp_path, capsys):
    """`--log_dir=DIR` writes tfhub's records (a warning, the tool's INFO) into a file named
    as absl's, with the `PROG.INFO` link; stderr still has them; credentials hidden."""
    from tfhub.tools.absl_app_flags import run_with_absl_flags
    from tfhub.utils.logging import cli_logging

    def run() -> int:
        logging.getLogger("tfhub.tools.x").warning("from https://user:secret@host/m")
        return 0

    with cli_logging(verbose=False):
        run_with_absl_flags(_parsed([f"--log_dir={tmp_path}"]), run, prog="make_image_classifier")
    link = tmp_path / "make_image_classifier.INFO"
    assert link.is_symlink()
    (file,) = [path for path in tmp_path.iterdir() if path != link]
    assert file.name.startswith("make_image_classifier.") and ".log.INFO." in file.name
    text = file.read_text()
    assert "tfhub.tools.x] from https://***@host/m" in text and "secret" not in text
    assert "from https://***@host/m" in capsys.readouterr().err


def test_log_dir_that_is_no_folder_is_refused_before_the_run(tmp_path, capsys):
    code = search.main([f"--log_dir={tmp_path / 'none'}", f"--dataset={MISSING}", "--module=m"])
    assert code != 0
    err = capsys.readouterr().err
    assert f"--log_dir {tmp_path / 'none'} is not a folder: create it" in err
    assert "Cannot use the image folder" not in err  # The run never started.


def test_a_debugging_flag_is_taken_with_a_warning(capsys):
    code = search.main(["--run_with_profiling", f"--dataset={MISSING}", "--module=m"])
    assert code != 0
    err = capsys.readouterr().err
    assert "tfhub: --run_with_profiling (absl's debugging flag) is ignored" in err
    assert "Cannot use the image folder" in err  # The run went on.


def test_absl_flags_do_not_reach_beam(tmp_path):
    """`generate`'s unknown flags are Beam's options: absl's went there too."""
    from tfhub.program.stdout import parse_args
    from tfhub.tools.absl_argv import read_as_absl

    parser = nn.command_parser()
    argv = ["generate", "--logtostderr", "-v", "1", "--undefok=x", "--x=1", "--runner=Direct"]
    args, beam_args = parse_args(parser, read_as_absl(argv, parser), known=True)
    assert beam_args == ["--runner=Direct"]
    assert args.absl_logtostderr is True
