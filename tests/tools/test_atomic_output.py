"""tfhub.tools.atomic_output, the one home of the tools' atomic writes (make_image_classifier's
exports, make_nearest_neighbour_index's folders): complete outputs or the old ones, never half,
and no `.tmp-`/`.old-` leftovers. Real files in tmp_path; no TensorFlow."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools import atomic_output


def _write_tree(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def _tree(folder: Path) -> dict[str, str]:
    return {
        os.fspath(path.relative_to(folder)): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _assert_tfhub_error(caught: pytest.ExceptionInfo, path: Path, what: str, flag: str) -> None:
    error = caught.value
    assert isinstance(error, OSError) and (error.path, error.what) == (os.fspath(path), what)
    assert str(error).endswith(f"Received: {flag}={os.fspath(path)!r}") and "\n" not in str(error)
    assert pickle.loads(pickle.dumps(error)).path == error.path


class _Failure(Exception):
    pass


def test_a_folder_replaces_the_old_one_and_leaves_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_tree(out, {"old.txt": "old", "sub/deep.txt": "old"})
    with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
        assert os.path.isdir(tmp) and os.listdir(tmp) == []
        assert os.path.dirname(tmp) == os.fspath(tmp_path) and ".out.tmp-" in tmp
        _write_tree(Path(tmp), {"new.txt": "new"})
        assert _tree(out) == {"old.txt": "old", os.path.join("sub", "deep.txt"): "old"}
    assert _tree(out) == {"new.txt": "new"}
    assert os.listdir(tmp_path) == ["out"]


def test_a_new_folder_and_its_parents_are_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
        _write_tree(Path(tmp), {"x": "1"})
    assert _tree(out) == {"x": "1"} and os.listdir(out.parent) == ["out"]


def test_an_error_in_the_block_keeps_the_old_folder_and_removes_the_new(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_tree(out, {"old.txt": "old"})
    with pytest.raises(_Failure):
        with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
            _write_tree(Path(tmp), {"half.txt": "half"})
            raise _Failure
    assert _tree(out) == {"old.txt": "old"} and os.listdir(tmp_path) == ["out"]
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C too.
        with atomic_output.write_folder(os.fspath(tmp_path / "new"), what="output folder"):
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == ["out"]


def test_a_failed_rename_into_place_puts_the_old_folder_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_tree(out, {"old.txt": "old"})
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
            os.rmdir(tmp)  # Something removed the new folder before it could be renamed.
    _assert_tfhub_error(caught, out, "output folder", "output_folder")
    assert _tree(out) == {"old.txt": "old"} and os.listdir(tmp_path) == ["out"]


def test_a_file_where_the_folder_goes_is_refused_and_kept(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(errors.OutputNotWritableError, match="exists and is not a folder") as caught:
        with atomic_output.write_folder(os.fspath(blocker), what="output folder", flag="out_dir"):
            pytest.fail("the block must not run")
    _assert_tfhub_error(caught, blocker, "output folder", "out_dir")
    assert blocker.read_text() == "not a folder" and os.listdir(tmp_path) == ["a_file"]


def test_a_parent_that_cannot_be_created_is_a_tfhub_error(tmp_path: Path) -> None:
    # A path under a regular file: chmod would not stop root, this stops everyone.
    blocker = tmp_path / "a_file"
    blocker.write_text("in the way")
    out = blocker / "out"
    with pytest.raises(errors.OutputNotWritableError, match="Not a directory") as caught:
        with atomic_output.write_folder(os.fspath(out), what="saved model dir"):
            pytest.fail("the block must not run")
    _assert_tfhub_error(caught, out, "saved model dir", "saved_model_dir")
    with pytest.raises(errors.OutputNotWritableError) as caught:
        atomic_output.write_file(os.fspath(blocker / "x" / "labels.txt"), b"", what="labels file")
    _assert_tfhub_error(caught, blocker / "x" / "labels.txt", "labels file", "labels_file")
    assert os.listdir(tmp_path) == ["a_file"] and blocker.read_text() == "in the way"


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    _write_tree(real, {"old.txt": "old"})
    link.symlink_to(real, target_is_directory=True)
    with atomic_output.write_folder(os.fspath(link), what="output folder") as tmp:
        _write_tree(Path(tmp), {"new.txt": "new"})
    assert link.is_symlink() and os.readlink(link) == os.fspath(real)
    assert _tree(real) == {"new.txt": "new"} and sorted(os.listdir(tmp_path)) == ["link", "real"]


def test_a_file_is_written_whole_and_replaces_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "labels.txt"
    atomic_output.write_file(os.fspath(target), b"a\nb\n", what="labels output file")
    assert target.read_bytes() == b"a\nb\n"
    atomic_output.write_file(os.fspath(target), b"c\n", what="labels output file")
    assert target.read_bytes() == b"c\n" and os.listdir(target.parent) == ["labels.txt"]


def test_a_folder_where_the_file_goes_is_refused_and_kept(tmp_path: Path) -> None:
    (tmp_path / "model.tflite").mkdir()
    with pytest.raises(errors.OutputNotWritableError, match="exists and is not a file") as caught:
        atomic_output.write_file(os.fspath(tmp_path / "model.tflite"), b"x", what="tflite file")
    _assert_tfhub_error(caught, tmp_path / "model.tflite", "tflite file", "tflite_file")
    assert os.listdir(tmp_path) == ["model.tflite"] and os.listdir(tmp_path / "model.tflite") == []


def test_check_writable_creates_nothing_and_names_the_obstacle(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("in the way")
    atomic_output.check_writable(os.fspath(tmp_path / "n" / "sm"), is_dir=True, what="dir")
    assert os.listdir(tmp_path) == ["a_file"]
    with pytest.raises(errors.OutputNotWritableError, match=f"\\({blocker}\\)") as caught:
        atomic_output.check_writable(os.fspath(blocker / "sm"), is_dir=True, what="saved model dir")
    _assert_tfhub_error(caught, blocker / "sm", "saved model dir", "saved_model_dir")
    with pytest.raises(errors.OutputNotWritableError, match="exists and is not a file"):
        atomic_output.check_writable(os.fspath(tmp_path), is_dir=False, what="tflite output file")
