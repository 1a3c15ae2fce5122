"""Upstream's tools were absl programs, and absl reads `--flagfile=FILE`: command lines (and
files of flags) written for them keep working with tfhub's console scripts and subcommands
(`tfhub.tools.absl_argv.with_flagfiles_read`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub import errors
from tfhub.cli.main import main as tfhub_main
from tfhub.tools.absl_argv import with_flagfiles_read
from tfhub.tools.make_image_classifier import cli as classifier_cli
from tfhub.tools.make_nearest_neighbour_index.cli import main as nn_main


def test_each_form_of_the_directive_is_replaced_by_its_files_flags_in_place(
    tmp_path: Path,
) -> None:
    inner = tmp_path / "inner.txt"
    inner.write_text("--train_epochs=2\n")
    outer = tmp_path / "outer.txt"
    outer.write_text(f"# a comment\n// another\n\n--image_dir=photos\n--flagfile={inner}\n")
    for directive in ([f"--flagfile={outer}"], [f"-flagfile={outer}"], ["--flagfile", str(outer)]):
        argv = ["-v", *directive, "--batch_size=4"]
        assert with_flagfiles_read(argv) == [
            "-v", "--image_dir=photos", "--train_epochs=2", "--batch_size=4",
        ]  # fmt: skip


def test_a_directive_after_a_double_dash_is_left_as_it_is(tmp_path: Path) -> None:
    argv = ["--batch_size=4", "--", f"--flagfile={tmp_path / 'missing.txt'}"]
    assert with_flagfiles_read(argv) == argv


def test_a_flagfile_that_cannot_be_read_is_a_tool_flag_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(errors.ToolFlagError) as raised:
        with_flagfiles_read([f"--flagfile={missing}"])
    assert raised.value.flag == "flagfile"
    assert str(missing) in str(raised.value) and "No such file" in str(raised.value)
    with pytest.raises(errors.ToolFlagError, match="--flagfile with no argument"):
        with_flagfiles_read(["--image_dir=x", "--flagfile"])


def test_the_console_script_reads_the_files_flags_and_a_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = tmp_path / "flags.txt"
    flags.write_text("-image_dir=.\n--train_epochs=0\n")  # absl's one-dash form too.
    assert classifier_cli.main([f"--flagfile={flags}"]) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("tfhub: error: --train_epochs must be a positive number")
    with pytest.raises(SystemExit) as exited:
        classifier_cli.main([f"--flagfile={tmp_path / 'missing.txt'}"])
    assert exited.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("make_image_classifier: error: --flagfile cannot be read")


def test_the_tfhub_subcommand_reads_a_flagfile_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = tmp_path / "flags.txt"
    flags.write_text("--num_matches=0\n")
    argv = ["make-nearest-neighbour-index", "query", "--module_url=m", "--index_output_dir=i"]
    assert tfhub_main([*argv, f"--flagfile={flags}"]) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("tfhub: error: --num_matches must be a positive integer")


def test_query_names_an_argument_it_does_not_know_before_the_flags_it_misses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`query --bogus=1` said "You must provide --module_url": the unknown argument is what the
    user typed wrong, and query takes no Beam options for it to be one."""
    assert nn_main(["query", "--bogus=1"]) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("tfhub: error: Unknown arguments for `query`") and "--bogus=1" in line
