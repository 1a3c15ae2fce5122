"""Numbers read from text that is not tfhub's own (folder names, query parameters, HTTP headers,
lock files, flags): `str.isdigit()` is True for `²` and `٣`, and the `int(...)` after it raised.
Each such place now reads only ASCII digits as a number (`utils.numbers.is_number`)."""

from __future__ import annotations

import pytest

from tfhub import _http, errors, model_folder_checks
from tfhub.cache import locks
from tfhub.utils.numbers import is_number


def test_is_number_reads_only_ascii_digits():
    assert [is_number(text) for text in ["0", "0123", "", "²", "٣", "1²", "-1", "+1", " 1"]] == [
        True, True, False, False, False, False, False, False, False,
    ]  # fmt: skip
    assert is_number("9" * 4300) and not is_number("9" * 4301)  # int() refuses more digits.


def test_a_superscript_version_folder_is_not_a_version(tmp_path):
    for name in ["1", "²", "2"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "saved_model.pb").write_bytes(b"")
    names = [path.rsplit("/", 1)[-1] for path in model_folder_checks.models_below(str(tmp_path))]
    assert names == ["2", "1", "²"]  # Numbered ones first, newest first, then the others.
    problem, todo = model_folder_checks.no_pb_problem(str(tmp_path))
    assert "version folders 1/, 2/" in problem and todo.endswith("/2 (the newest)?")


def test_a_retry_after_header_of_other_digits_asks_for_no_wait():
    class Answer:
        headers = {"Retry-After": "²"}

    assert _http.retry_after(Answer()) is None


def test_an_upstream_lock_file_with_other_digits_names_no_process():
    assert locks._split_upstream("host.²³.task") == (None, None, "task")
    assert locks._split_upstream("host.123.task") == ("host", 123, "task")


def test_a_dataset_count_of_other_digits_is_a_flag_error():
    lib = pytest.importorskip("tfhub.tools.module_search.lib")
    with pytest.raises(errors.ToolFlagError, match="NAME#N"):
        lib.DataSpec.parse("./flowers#²")


def test_a_kaggle_version_of_other_digits_or_too_many_is_no_version(capsys):
    """A Kaggle URL's version of 5,000 digits ended `hub.resolve` with Python's bare
    ValueError ("Exceeds the limit (4300 digits) for integer string conversion"); one of other
    scripts' digits (`٣`) was read as version 3, another model's URL."""
    from tfhub import handles
    from tfhub.cli.main import main

    base = "https://www.kaggle.com/models/google/bert/tensorFlow2/en-uncased/"
    with pytest.raises(errors.InvalidHandleError, match="this one has 5,000 digits"):
        handles.parse(base + "9" * 5000)
    assert main(["resolve", base + "9" * 5000]) == 2
    assert "tfhub: invalid handle: A Kaggle model's version is a number" in capsys.readouterr().err
    assert not isinstance(handles.parse(base + "٣"), handles.KaggleModel)
    assert handles.parse(base + "3") == handles.parse(base + "3/")
