"""Upstream's console scripts parsed their flags with absl, which takes a long flag after one
dash as after two (`-image_dir=photos`, `-nodo_fine_tuning`): scripts written for them keep
working with tfhub's (`tfhub.tools.absl_argv`)."""

from __future__ import annotations

import pytest

from tfhub.tools.absl_argv import double_dashed
from tfhub.tools.make_image_classifier import cli as classifier_cli
from tfhub.tools.make_nearest_neighbour_index.cli import main as nn_main
from tfhub.tools.module_search.cli import main as search_main


def test_one_dash_long_flags_get_two_and_nothing_else_changes() -> None:
    parser = classifier_cli.build_parser()
    argv = ["-image_dir=photos", "-nodo_fine_tuning", "-train_epochs", "3", "-v", "-x=1",
            "--batch_size", "-5", "--", "-image_dir"]  # fmt: skip
    assert double_dashed(argv, parser) == [
        "--image_dir=photos", "--nodo_fine_tuning", "--train_epochs=3", "-v", "-x=1",
        "--batch_size=-5", "--", "-image_dir",
    ]  # fmt: skip
    args = parser.parse_args(double_dashed(["-do_fine_tuning", "-image_size=96"], parser))
    assert args.do_fine_tuning and args.image_size == 96


@pytest.mark.parametrize(
    ("main", "argv", "message"),
    [
        (classifier_cli.main, ["-image_dir", "photos", "-train_epochs=0"],
         "--train_epochs must be a positive number of passes"),
        (nn_main, ["build", "-embed_output_dir=e", "-index_output_dir", "e"],
         "--index_output_dir and --embed_output_dir must be apart"),
        (search_main, ["-dataset=photos#-1", "-module", "m"], "--dataset must be NAME or NAME#N"),
    ],
)  # fmt: skip
def test_each_console_script_takes_absl_one_dash_flags(
    main, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) != 0  # The flags were parsed: the error is about their values.
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: {message}")


def test_path_flags_expand_a_tilde_as_a_shell_would_in_a_word_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shell expands `~` in `--image_dir ~/photos` but not in `--image_dir=~/photos`: that
    reached upstream's tools as `~/photos`, a folder that "does not exist"."""
    import argparse

    from tfhub.tools.make_nearest_neighbour_index.cli import build_parser as nn_parser
    from tfhub.tools.module_search.cli import add_arguments as search_arguments

    monkeypatch.setenv("HOME", "/home/ada")
    args = classifier_cli.build_parser().parse_args(
        ["--image_dir=~/photos", "--tfhub_module=~/m", "--saved_model_dir=~/out"]
        + ["--tflite_output_file=~/m.tflite", "--labels_output_file=~/l.txt"]
        + ["--summaries_dir=~/logs"]
    )
    assert (args.image_dir, args.tfhub_module, args.saved_model_dir) == (
        "/home/ada/photos",
        "/home/ada/m",
        "/home/ada/out",
    )
    assert (args.tflite_output_file, args.labels_output_file, args.summaries_dir) == (
        "/home/ada/m.tflite",
        "/home/ada/l.txt",
        "/home/ada/logs",
    )
    args = nn_parser().parse_args(
        ["e2e", "--data_file_pattern=~/t-*.txt", "--module_url=~/m"]
        + ["--embed_output_dir=~/e", "--index_output_dir=~/i"]
    )
    assert [args.data_file_pattern, args.module_url, args.embed_output_dir] == [
        "/home/ada/t-*.txt",
        "/home/ada/m",
        "/home/ada/e",
    ]
    assert args.index_output_dir == "/home/ada/i"
    search = argparse.ArgumentParser()
    search_arguments(search)
    args = search.parse_args(["--dataset=~/flowers#50", "--module=~/m", "--module_list=~/l.txt"])
    assert (args.dataset, args.module, args.module_list) == (
        "/home/ada/flowers#50",
        ["/home/ada/m"],
        "/home/ada/l.txt",
    )
    # URLs and relative paths stay as given.
    args = classifier_cli.build_parser().parse_args(
        ["--tfhub_module=https://h/m/1", "--image_dir=p"]
    )
    assert (args.tfhub_module, args.image_dir) == ("https://h/m/1", "p")
