"""Session 50's fixes of review50c's findings on make_nearest_neighbour_index and module_search:
an output folder that is the working directory (or holds it) is refused, not swapped away from
under the caller (F3)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools import atomic_output
from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable
from tfhub.tools.make_image_classifier.outputs import Outputs
from tfhub.tools.make_nearest_neighbour_index import files

# --- F3: the working directory as an output folder ----------------------------------------------


@pytest.mark.parametrize("given", [".", "{cwd}", "..", "{parent}"])
def test_an_output_folder_that_is_or_holds_the_working_directory_is_refused(
    given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_folder renamed the caller's working directory aside, put a new folder at its path
    and deleted the old one: the shell stood in a deleted folder. Now refused, before anything
    is written, naming the flag and what to do; the working directory stays."""
    cwd = tmp_path / "outer" / "emb"
    cwd.mkdir(parents=True)
    (cwd / "keep.txt").write_text("x")
    monkeypatch.chdir(cwd)
    path = given.format(cwd=cwd, parent=cwd.parent)
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with atomic_output.write_folder(path, what="embedding folder", flag="embed_output_dir"):
            pytest.fail("the block ran")
    message = str(caught.value)
    assert "working directory" in message and "embed_output_dir=" in message, message
    assert "cd " in message, message
    assert os.path.samefile(os.getcwd(), cwd) and (cwd / "keep.txt").read_text() == "x"
    assert sorted(os.listdir(cwd.parent)) == ["emb"]  # No temporary or old copy left.


@pytest.mark.parametrize("flag", ["embed_output_dir", "index_output_dir"])
def test_the_tools_check_refuses_the_working_directory_before_any_work(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_output_folder accepted `.` (empty, or holding only the tool's files)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError) as caught:
        files.check_output_folder(".", flag=flag)
    assert f"{flag}='.'" in str(caught.value)
    assert "cd .. and --" in str(caught.value)


def test_make_image_classifier_refuses_the_working_directory_as_saved_model_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--saved_model_dir is replaced whole, as the tool's folders are: `.` is refused before
    training; --summaries_dir, written into in place, may be `.`."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError, match="working directory"):
        check_outputs_writable(Outputs(saved_model_dir="."))
    check_outputs_writable(Outputs(summaries_dir="."))


def test_a_folder_beside_the_working_directory_is_still_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the working directory and its parents are refused: a sibling (whose name starts
    the same) and a sub-folder are written as before."""
    (tmp_path / "emb").mkdir()
    monkeypatch.chdir(tmp_path / "emb")
    for path in ("../emb2", "sub"):
        with atomic_output.write_folder(path, what="index folder", flag="index_output_dir") as tmp:
            Path(tmp, "ann.index").write_text("new")
        assert Path(path, "ann.index").read_text() == "new"
