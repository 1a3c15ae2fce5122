"""tfhub.tools.atomic_output, the one home of the tools' atomic writes (make_image_classifier's
exports, make_nearest_neighbour_index's folders): complete outputs or the old ones, never half,
and no `.tmp-`/`.old-` leftovers. Real files in tmp_path; no TensorFlow."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from tests._helpers import mounts
from tests._helpers.python_process import start_python

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


def _closed_descriptor_link(tmp_path: Path) -> tuple[Path, int]:
    """A link like /dev/stdout (to /proc/self/fd/N) whose descriptor N is closed."""
    number = os.open(os.devnull, os.O_RDONLY)
    os.close(number)
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{number}")
    return link, number


@pytest.mark.parametrize("write", ["file", "check file", "check folder", "folder"])
def test_a_closed_stream_is_refused_and_its_link_stays(write: str, tmp_path: Path) -> None:
    """`--labels_output_file /dev/stdout >&-`: the path does not exist then. The check passed
    (/dev takes new files, as root) and the write failed after training with "No such file or
    directory"; a rename over the path would have replaced the machine's /dev/stdout link."""
    link, number = _closed_descriptor_link(tmp_path)
    with pytest.raises(errors.OutputNotWritableError) as caught:
        if write == "file":
            atomic_output.write_file(os.fspath(link), b"x", what="labels output file")
        elif write.startswith("check"):
            is_dir = write == "check folder"
            atomic_output.check_writable(os.fspath(link), is_dir=is_dir, what="labels output file")
        else:
            with atomic_output.write_folder(os.fspath(link), what="labels output file"):
                pass
    assert f"it names descriptor {number}, which is closed (e.g. by `>&-`)" in str(caught.value)
    assert "Run it with that stream open, or give a file path." in str(caught.value)
    _assert_tfhub_error(caught, link, "labels output file", "labels_output_file")
    assert os.listdir(tmp_path) == ["stdout"] and link.is_symlink()


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


def test_a_folder_holding_other_files_is_not_replaced(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    _write_tree(photos, {"cats/1.jpg": "a cat", "model.pb": "a former output"})
    is_output = {"model.pb"}.__contains__
    with pytest.raises(errors.OutputNotWritableError, match=r"holds other files \(cats\)") as e:
        atomic_output.check_replaceable(os.fspath(photos), is_output, what="model dir")
    _assert_tfhub_error(e, photos, "model dir", "model_dir")
    assert _tree(photos) == {"cats/1.jpg": "a cat", "model.pb": "a former output"}
    shutil.rmtree(photos / "cats")  # A former output alone, nothing, or no folder: replaceable.
    (tmp_path / "empty").mkdir()
    for folder in (photos, tmp_path / "empty", tmp_path / "new"):
        atomic_output.check_replaceable(os.fspath(folder), is_output, what="model dir")


# --- Parent folders a failed write created are removed ----------------------------------------


def test_a_failed_folder_write_removes_the_parents_it_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c" / "out"
    with pytest.raises(_Failure):
        with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
            _write_tree(Path(tmp), {"half.txt": "half"})
            raise _Failure
    assert os.listdir(tmp_path) == []
    with pytest.raises(KeyboardInterrupt):
        with atomic_output.write_folder(os.fspath(out), what="output folder"):
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_a_parent_that_existed_stays_with_its_content(tmp_path: Path) -> None:
    _write_tree(tmp_path / "a", {"keep.txt": "mine"})
    with pytest.raises(_Failure):
        with atomic_output.write_folder(os.fspath(tmp_path / "a/b/c/out"), what="output folder"):
            raise _Failure
    assert _tree(tmp_path) == {os.path.join("a", "keep.txt"): "mine"}
    assert os.listdir(tmp_path / "a") == ["keep.txt"]


def test_a_parent_someone_else_filled_meanwhile_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c" / "out"
    with pytest.raises(_Failure):
        with atomic_output.write_folder(os.fspath(out), what="output folder"):
            (tmp_path / "a" / "b" / "theirs.txt").write_text("theirs")  # Another writer.
            raise _Failure
    assert _tree(tmp_path) == {os.path.join("a", "b", "theirs.txt"): "theirs"}
    assert os.listdir(tmp_path / "a" / "b") == ["theirs.txt"]  # The empty `c` is gone.


def test_a_failed_swap_removes_the_parents_it_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
            os.rmdir(tmp)  # Something removed the new folder before it could be renamed.
    _assert_tfhub_error(caught, out, "output folder", "output_folder")
    assert os.listdir(tmp_path) == []


def test_a_temporary_that_cannot_be_created_leaves_no_parent(tmp_path: Path) -> None:
    # The target's name fits (255 bytes) but `.<name>.tmp-<uuid>` does not: ENAMETOOLONG
    # once the parents are made.
    name = "n" * 250
    out = tmp_path / "a" / "b" / name
    with pytest.raises(errors.OutputNotWritableError, match="too long") as caught:
        atomic_output.write_file(os.fspath(out), b"x", what="labels file")
    _assert_tfhub_error(caught, out, "labels file", "labels_file")
    assert os.listdir(tmp_path) == []
    with pytest.raises(errors.OutputNotWritableError, match="too long") as caught:
        with atomic_output.write_folder(os.fspath(out), what="output folder"):
            pytest.fail("the block must not run")
    _assert_tfhub_error(caught, out, "output folder", "output_folder")
    assert os.listdir(tmp_path) == []


def test_a_failed_file_write_removes_the_parents_it_created(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(TypeError):  # Not bytes: the write itself fails.
        atomic_output.write_file(
            os.fspath(tmp_path / "a" / "b" / "c" / "labels.txt"),
            "text",  # type: ignore[arg-type]
            what="labels file",
        )
    assert _tree(tmp_path) == {} and os.listdir(tmp_path) == ["a"]
    assert os.listdir(tmp_path / "a") == []


def test_a_parent_that_cannot_be_made_undoes_the_ones_made_before(tmp_path: Path) -> None:
    # `a/b` is made, then `a/b/<250+ bytes>` cannot be: `a` is removed again.
    out = tmp_path / "a" / "b" / ("n" * 300) / "labels.txt"
    with pytest.raises(errors.OutputNotWritableError, match="too long"):
        atomic_output.write_file(os.fspath(out), b"x", what="labels file")
    assert os.listdir(tmp_path) == []


# --- Flushed to the disk ------------------------------------------------------------------------


_WRITER = """
import sys
from pathlib import Path
from tfhub.tools import atomic_output
root = Path(sys.argv[1])
atomic_output.write_file(str(root / "new" / "labels.txt"), b"a\\n", what="labels file")
with atomic_output.write_folder(str(root / "model"), what="saved model dir") as tmp:
    (Path(tmp) / "variables").mkdir()
    (Path(tmp) / "variables" / "v.data").write_bytes(b"v")
    (Path(tmp) / "saved_model.pb").write_bytes(b"pb")
    (Path(tmp) / "link").symlink_to("saved_model.pb")
"""


def _fsynced_paths(root: Path) -> list[str]:
    """Runs _WRITER under `strace -y` and returns the paths it fsynced, in order."""
    import re
    import subprocess
    import sys

    src = os.fspath(Path(atomic_output.__file__).parents[2])
    done = subprocess.run(
        ["strace", "-f", "-y", "-e", "trace=fsync", "-o", os.fspath(root / "trace"),
         sys.executable, "-c", _WRITER, os.fspath(root / "out")],
        env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0 and "ptrace" in done.stderr:
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    trace = (root / "trace").read_text()
    return re.findall(r"fsync\(\d+<([^>]*)>\)\s+= 0", trace)


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_outputs_and_their_folders_are_fsynced(tmp_path: Path) -> None:
    root = tmp_path / "out"
    synced = _fsynced_paths(tmp_path)
    assert (root / "new" / "labels.txt").read_bytes() == b"a\n"
    tmp_file = [path for path in synced if "/.labels.txt.tmp-" in path]
    assert len(tmp_file) == 1  # Before the rename, under its temporary name.
    after_file = synced[synced.index(tmp_file[0]) + 1 :]
    assert after_file[:3] == [os.fspath(root / "new"), os.fspath(root), os.fspath(tmp_path)]
    tree = [path for path in synced if "/.model.tmp-" in path]
    names = [path.split("/.model.tmp-")[1].partition("/")[2] for path in tree]
    assert sorted(names) == ["", "saved_model.pb", "variables", "variables/v.data"]
    assert synced[-1] == os.fspath(root)  # The swap itself, after the tree.


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no tmpfs at /dev/shm")
def test_outputs_are_written_on_tmpfs(tmp_path: Path) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        root = Path(shm)
        atomic_output.write_file(os.fspath(root / "x" / "labels.txt"), b"a", what="labels file")
        with atomic_output.write_folder(os.fspath(root / "y" / "model"), what="output") as tmp:
            _write_tree(Path(tmp), {"v/d": "1"})
        assert _tree(root) == {
            os.path.join("x", "labels.txt"): "a",
            os.path.join("y", "model", "v", "d"): "1",
        }


def test_a_full_disk_while_the_block_writes_is_one_error_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        out = disk / "out"
        with pytest.raises(errors.OutputNotWritableError) as caught:
            with atomic_output.write_folder(os.fspath(out), what="index folder") as tmp:
                (Path(tmp) / "index").write_bytes(b"\0" * (1 << 20))  # Bigger than the disk.
        _assert_tfhub_error(caught, out, "index folder", "index_folder")
        assert "No space left on device" in str(caught.value)
        assert "Free space on its disk, or choose a folder on a disk with room" in str(caught.value)
        assert isinstance(caught.value.__cause__, OSError) and os.listdir(disk) == []


def test_a_refused_write_into_the_new_folder_is_one_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with atomic_output.write_folder(os.fspath(out), what="saved model dir") as tmp:
            raise PermissionError(13, "Permission denied", os.path.join(tmp, "variables"))
    _assert_tfhub_error(caught, out, "saved model dir", "saved_model_dir")
    assert "Permission denied. Choose a folder you can write to." in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_other_errors_of_the_block_propagate_as_they_are(tmp_path: Path) -> None:
    """An input that cannot be read is not an output that cannot be written."""
    missing = tmp_path / "embeds" / "emb-00000-of-00001.tfrecords"
    with pytest.raises(FileNotFoundError) as caught:
        with atomic_output.write_folder(os.fspath(tmp_path / "out"), what="index folder"):
            open(missing, "rb")
    assert not isinstance(caught.value, errors.TFHubError) and caught.value.filename == os.fspath(
        missing
    )
    assert os.listdir(tmp_path) == []


_KILLED_WRITER = """
import sys, time
from tfhub.tools import atomic_output
target, kind = sys.argv[1], sys.argv[2]
if kind == "folder":
    with atomic_output.write_folder(target, what="output folder") as tmp:
        open(tmp + "/half.bin", "wb").write(b"half")
        print("writing", flush=True)
        time.sleep(600)  # Killed here, as the OOM killer would.
else:
    import os
    def stuck(fd):  # The flush of the written file hangs: the process is killed in it.
        print("writing", flush=True)
        time.sleep(600)
    os.fsync = stuck
    atomic_output.write_file(target, b"new" * 100_000, what="labels file")
"""


def _killed_mid_write(target: Path, kind: str) -> list[str]:
    """Starts a write of `target` in another process, waits until it is writing, SIGKILLs it;
    returns the names it left beside `target`."""
    writer = start_python(_KILLED_WRITER, os.fspath(target), kind)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        leftovers = sorted(name for name in os.listdir(target.parent) if ".tmp-" in name)
        with pytest.raises(_Failure):  # A live write's temporary is not a leftover.
            with atomic_output.write_folder(os.fspath(target), what="output folder"):
                raise _Failure
        assert sorted(n for n in os.listdir(target.parent) if ".tmp-" in n) == leftovers
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    return leftovers


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_leftovers_of_a_killed_write_are_removed_by_the_next_one(tmp_path: Path, kind) -> None:
    target = tmp_path / ("out" if kind == "folder" else "labels.txt")
    (left,) = _killed_mid_write(target, kind)
    assert left.startswith(f".{target.name}.tmp-")
    (tmp_path / ".other.tmp-0123456789ab").write_text("another output's: kept")
    if kind == "folder":
        with atomic_output.write_folder(os.fspath(target), what="output folder") as tmp:
            _write_tree(Path(tmp), {"new.txt": "new"})
        assert _tree(target) == {"new.txt": "new"}
    else:
        atomic_output.write_file(os.fspath(target), b"new", what="labels file")
        assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == [".other.tmp-0123456789ab", target.name]


def test_a_live_write_keeps_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with atomic_output.write_folder(os.fspath(target), what="output folder") as first:
        _write_tree(Path(first), {"a.txt": "first"})
        with pytest.raises(_Failure):  # A second write of the same output, meanwhile.
            with atomic_output.write_folder(os.fspath(target), what="output folder"):
                raise _Failure
        assert _tree(Path(first)) == {"a.txt": "first"}
    assert _tree(target) == {"a.txt": "first"} and os.listdir(tmp_path) == ["out"]


def test_a_scratch_folder_is_a_hidden_temporary_beside_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an output is made from (a .tflite file's temporary SavedModel) goes beside it, as a
    write's temporary: a killed run's is removed by the next, a live one's is kept."""
    target = tmp_path / "out" / "model.tflite"
    with atomic_output.scratch_folder(os.fspath(target), what="tflite output file") as scratch:
        assert Path(scratch).parent == target.parent and os.listdir(scratch) == []
        assert Path(scratch).name.startswith(".model.tflite.tmp-")
        _write_tree(Path(scratch), {"saved_model/saved_model.pb": "x"})
        with atomic_output.scratch_folder(os.fspath(target), what="tflite output file") as other:
            assert sorted(os.listdir(target.parent)) == sorted(
                [Path(scratch).name, Path(other).name]
            )  # The live one is kept.
    assert not (tmp_path / "out").exists()  # Removed, and the folder it made.
    left = tmp_path / "out" / ".model.tflite.tmp-00000000abcd"  # A killed run's.
    _write_tree(left, {"saved_model/saved_model.pb": "x"})
    with atomic_output.scratch_folder(os.fspath(target), what="tflite output file"):
        assert not left.exists()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(tmp_path))
    with atomic_output.scratch_folder(os.devnull, what="tflite output file") as scratch:
        assert Path(scratch).parent == tmp_path  # A stream has no folder of its own.
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_write_killed_between_the_renames_gets_the_old_output_back(tmp_path: Path) -> None:
    """What a kill after `target -> .old-` and before `.tmp- -> target` leaves."""
    _write_tree(tmp_path / ".out.old-00000000abcd", {"model.txt": "previous"})
    _write_tree(tmp_path / ".out.tmp-00000000abcd", {"model.txt": "complete, not renamed"})
    with pytest.raises(_Failure):  # The next write fails: the output is the previous one.
        with atomic_output.write_folder(os.fspath(tmp_path / "out"), what="output folder"):
            raise _Failure
    assert _tree(tmp_path / "out") == {"model.txt": "previous"}
    assert os.listdir(tmp_path) == ["out"]
    _write_tree(tmp_path / ".out.old-00000000beef", {"model.txt": "replaced, not removed"})
    with atomic_output.write_folder(os.fspath(tmp_path / "out"), what="output folder") as tmp:
        _write_tree(Path(tmp), {"model.txt": "new"})
    assert _tree(tmp_path / "out") == {"model.txt": "new"} and os.listdir(tmp_path) == ["out"]


# --- Special files at a file output: written into, never replaced -----------------------------


def test_a_fifo_or_character_device_output_is_written_into_not_replaced(tmp_path: Path) -> None:
    """`--labels_output_file /dev/null` (or /dev/stdout) replaced the device with a regular
    file: as root, in a container, that broke /dev/null for every program."""
    import threading

    fifo = tmp_path / "labels.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    atomic_output.check_writable(os.fspath(fifo), is_dir=False, what="labels output file")
    atomic_output.write_file(os.fspath(fifo), b"cat\ndog\n", what="labels output file")
    reader.join(timeout=30)
    assert received == [b"cat\ndog\n"] and fifo.is_fifo()
    assert os.listdir(tmp_path) == ["labels.fifo"]  # No temporary beside it.
    device = tmp_path / "null"
    if subprocess.run(["mknod", "-m", "666", os.fspath(device), "c", "1", "3"]).returncode:
        pytest.skip("cannot make a device node here (needs root)")
    try:
        os.close(os.open(device, os.O_WRONLY))
    except OSError as err:
        pytest.skip(f"device nodes cannot be opened on this file system (nodev?): {err}")
    atomic_output.write_file(os.fspath(device), b"cat\n", what="labels output file")
    assert device.is_char_device()


def test_a_socket_output_is_refused_as_a_block_device_is(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(os.fspath(tmp_path / "sock"))
        for write in (
            lambda: atomic_output.write_file(os.fspath(tmp_path / "sock"), b"x", what="labels"),
            lambda: atomic_output.check_writable(
                os.fspath(tmp_path / "sock"), is_dir=False, what="labels"
            ),
        ):
            with pytest.raises(errors.OutputNotWritableError, match="it is a socket, not a file"):
                write()
    assert (tmp_path / "sock").is_socket()
