"""Every tools error (tfhub.errors.ToolError) carries the data its docstring names as attributes,
subclasses the builtin upstream raised, and survives pickling with that data."""

from __future__ import annotations

import inspect
import pickle
import re

import pytest

from tfhub import errors

TOOL_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.ToolError) and cls is not errors.ToolError
]


def test_every_tool_error_is_listed() -> None:
    assert len(TOOL_ERRORS) >= 15 and errors.ToolFlagError in TOOL_ERRORS


@pytest.mark.parametrize("cls", TOOL_ERRORS, ids=lambda cls: cls.__name__)
def test_tool_error_carries_its_data_and_pickles(cls: type[errors.ToolError]) -> None:
    names = re.findall(r"`\.(\w+)`", cls.__doc__ or "")
    assert names, f"{cls.__name__}'s docstring names no attribute (`.name`)"
    builtins = [base for base in cls.__mro__ if base.__module__ == "builtins"]
    assert builtins[0] is not Exception, f"{cls.__name__} subclasses no specific builtin"
    data = {name: f"value of {name}" for name in names}
    error = cls("what went wrong, where, and what to do", **data)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and str(copy) == str(error)
    assert {name: getattr(copy, name) for name in names} == data


def test_a_value_with_runs_of_spaces_is_printed_as_it_is(tmp_path, capsys) -> None:
    """The one error line kept every line of the message but squeezed each run of spaces to
    one: `--image_dir 'my  photos'` was named as 'my photos', a folder the user cannot copy."""
    from tfhub.tools.make_image_classifier.cli import main

    folder = str(tmp_path / "my  photos")
    assert main(["--image_dir", folder]) == 1
    (line,) = capsys.readouterr().err.splitlines()[-1:]
    assert line.startswith(f"tfhub: error: Cannot use the image folder {folder}: ")
    assert line.endswith(f"Received: image_dir={folder!r}")


def test_a_message_of_several_lines_is_still_one_line() -> None:
    from tfhub.program.report import one_line

    message = "first line\n    indented  detail\n\nlast line  "
    assert one_line(message) == "first line indented  detail last line"


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (
            ["tfhub.tools.make_image_classifier", "--image_dir", "x", "--learning", "0.1"],
            "--learning",
        ),
        (["tfhub", "make-image-classifier", "--image_dir", "x", "--learning", "0.1"], "--learning"),
        (["tfhub.tools.module_search", "--module_l", "list.txt", "--dataset", "x"], "--module_l"),
        (["tfhub", "module-search", "--module_l", "list.txt", "--dataset", "x"], "--module_l"),
    ],
)
def test_tool_flags_are_not_abbreviated(argv: list[str], flag: str) -> None:
    """argparse took `--learning 0.1` for --learning_rate (and a prefix of a flag added later
    would change meaning); upstream's absl flags refused it, as make_nearest_neighbour_index
    does."""
    import subprocess
    import sys

    ended = subprocess.run(
        [sys.executable, "-m", *argv], capture_output=True, text=True, timeout=120
    )
    assert ended.returncode == 2, ended.stderr
    assert f"unrecognized arguments: {flag}" in ended.stderr
