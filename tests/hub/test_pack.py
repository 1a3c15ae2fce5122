"""`tfhub pack`: deterministic archives that resolve and load through tfhub and tensorflow_hub."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import signal
import tarfile
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import models, mounts
from tests._helpers.python_process import start_python

import tfhub as hub
from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import pack, pack_output

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)


@pytest.fixture(scope="module")
def tf2_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 SavedModel with an empty assets/ folder, built once for this file."""
    return Path(models.save_tf2_module(str(tmp_path_factory.mktemp("pack") / "model")))


def test_two_packs_are_byte_identical_whatever_the_file_times(tf2_model, tmp_path):
    first = pack.pack(tf2_model, tmp_path / "a.tar.gz")
    copy = tmp_path / "copy"
    shutil.copytree(tf2_model, copy)
    for path in copy.rglob("*"):
        os.utime(path, (1_234_567, 1_234_567))
    second = pack.pack(copy, tmp_path / "b.tar.gz")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert (first.sha256, first.size, first.files) == (second.sha256, second.size, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "b.tar.gz", "copy"]


def test_archive_members_are_normalised_with_the_model_root_at_the_top(tf2_model, tmp_path):
    packed = pack.pack(tf2_model, tmp_path / "m.tar.gz")
    raw = packed.path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # gzip magic, mtime 0.
    assert raw[3] & 0x08 == 0  # No FNAME: the header carries no file name.
    with tarfile.open(packed.path) as archive:
        members = archive.getmembers()
    names = [m.name for m in members]
    assert names == [
        "assets",
        "fingerprint.pb",
        "saved_model.pb",
        "variables",
        "variables/variables.data-00000-of-00001",
        "variables/variables.index",
    ]
    for member in members:
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (
            0,
            0,
            0,
            "",
            "",
        )
        assert member.mode == (0o755 if member.isdir() else 0o644)
    with gzip.open(packed.path) as data:
        assert len(data.read()) % 512 == 0


def test_archive_resolves_and_loads_through_tfhub_and_tensorflow_hub(
    tf2_model, server, served_dir, isolated_cache, monkeypatch
):
    (served_dir / "models/m").mkdir(parents=True)
    pack.pack_model(tf2_model, served_dir / "models/m/1.tar.gz")
    expected = models.tf2_module_expected(X)["logits"]
    import tensorflow_hub

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(isolated_cache / "upstream"))
    theirs = tensorflow_hub.load(server.url("models/m/1"))
    np.testing.assert_allclose(theirs(X, training=False).numpy(), expected, rtol=1e-6)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(isolated_cache / "ours"))
    path = hub.resolve(server.url("models/m/1"))
    assert sorted(os.listdir(path)) == ["assets", "fingerprint.pb", "saved_model.pb", "variables"]
    ours = hub.load(server.url("models/m/1"))
    np.testing.assert_allclose(ours(X, training=False).numpy(), expected, rtol=1e-6)


def test_tf1_hub_module_packs_and_its_archive_matches_upstream_members(upstream_dir, tmp_path):
    packed = pack.pack_model(upstream_dir / "tf1_multi_sig", tmp_path / "tf1.tar.gz")
    with (
        tarfile.open(packed.path) as ours,
        tarfile.open(upstream_dir / "tf1_multi_sig.tar.gz") as up,
    ):
        assert sorted(m.name for m in ours if m.isfile()) == sorted(
            m.name for m in up if m.isfile()
        )
        assert "tfhub_module.pb" in ours.getnames()


def test_folder_without_saved_model_is_refused_before_tensorflow(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.NotAModelError, match="holds no saved_model.pb") as caught:
        pack.pack(tmp_path / "empty", tmp_path / "x.tar.gz")
    again = pickle.loads(pickle.dumps(caught.value))
    assert (again.path, again.reason) == (str(tmp_path / "empty"), "no saved_model.pb")
    with pytest.raises(errors.NotAModelError, match="absent does not exist: check the path"):
        pack.pack(tmp_path / "absent", tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()
    (tmp_path / "empty/saved_model.pb").write_bytes(b"")
    with pytest.raises(errors.PublishTargetError, match="inside the model folder"):
        pack.pack(tmp_path / "empty", tmp_path / "empty/variables/x.tar.gz")
    with pytest.raises(FileNotFoundError) as missing:  # Said with the name the user gave.
        pack.pack(tmp_path / "empty", tmp_path / "no/such/folder/x.tar.gz")
    assert str(missing.value) == (
        f"Cannot write the archive {tmp_path}/no/such/folder/x.tar.gz (No such file or "
        "directory); check that its folder exists and is writable"
    )
    assert missing.value.errno == 2


def test_a_full_disk_says_to_free_space_and_leaves_nothing(tf2_model, tmp_path, capsys):
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        (disk / "filler").write_bytes(b"\0" * (16 << 10))  # The disk is full.
        with pytest.raises(OSError) as caught:
            pack.pack(tf2_model, disk / "m.tar.gz")
        assert caught.value.errno == 28 and str(caught.value) == (
            f"Cannot write the archive {disk}/m.tar.gz (No space left on device); free space "
            "on its disk, or write it elsewhere"
        )
        assert os.listdir(disk) == ["filler"]
        assert main(["pack", str(tf2_model), "-o", str(disk / "m.tar.gz")]) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith("tfhub: OS error: Cannot write the archive") and "free space" in line


_KILLED_PACK = """
import sys, time
from tfhub.hub import pack, pack_archive
def write_then_hang(out, *args):
    out.write(b"half an archive")
    print("writing", flush=True)
    time.sleep(600)  # Killed here, as the OOM killer would.
pack_archive.write_archive = write_then_hang
pack.pack(sys.argv[1], sys.argv[2])
"""


def test_a_killed_packs_leftover_is_removed_by_the_next_pack(tf2_model, tmp_path):
    target = tmp_path / "m.tar.gz"
    packer = start_python(_KILLED_PACK, str(tf2_model), str(target))
    try:
        assert packer.stdout is not None and packer.stdout.readline() == "writing\n"
        (live,) = os.listdir(tmp_path)
        assert live.startswith(".m.tar.gz.") and live.endswith(".part")
        pack.pack(tf2_model, target)  # Meanwhile: the live pack's temporary is kept.
        assert sorted(os.listdir(tmp_path)) == [live, "m.tar.gz"]
    finally:
        packer.send_signal(signal.SIGKILL)
        packer.communicate(timeout=60)
    (tmp_path / ".other.tar.gz.0123456789abcdef0123456789abcdef.part").write_bytes(b"kept")
    packed = pack.pack(tf2_model, target)
    assert sorted(os.listdir(tmp_path)) == [
        ".other.tar.gz.0123456789abcdef0123456789abcdef.part",  # Another archive's.
        "m.tar.gz",
    ]
    assert packed.sha256 == pack.pack(tf2_model, tmp_path / "again.tar.gz").sha256


def test_symlinks_are_refused_and_nothing_is_written(tf2_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tf2_model, model)
    (model / "assets/link.txt").symlink_to("/etc/hostname")
    with pytest.raises(errors.NotAModelError) as caught:
        pack.pack(model, tmp_path / "x.tar.gz")
    assert str(caught.value).startswith(
        f"{model}/assets/link.txt is a symlink; a model archive holds only regular files and "
        "folders (copy the file it leads to in its place)."
    )
    assert caught.value.reason == "not a regular file: assets/link.txt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_symlink_to_a_folder_is_named_so(tf2_model, tmp_path):
    """It was told to "copy the file it leads to"."""
    model = tmp_path / "model"
    shutil.copytree(tf2_model, model)
    (model / "assets/more").symlink_to(tmp_path)
    with pytest.raises(errors.NotAModelError) as caught:
        pack.pack(model, tmp_path / "x.tar.gz")
    assert str(caught.value).startswith(
        f"{model}/assets/more is a symlink to a folder; a model archive holds only regular files "
        "and folders (copy the folder it leads to in its place)."
    )


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("model.keras", "is a Keras model file, not a model folder. Load it with "),
        ("saved_model.pb", "is the model's saved_model.pb, not a model folder. Pass its folder, "),
        ("model.tflite", "is a TensorFlow Lite model, not a model folder. Run it with "),
        ("model.tar.gz", "is an archive file, not a folder: `tfhub publish` and `tfhub mirror`"),
    ],
)
def test_a_file_given_as_the_model_folder_is_named(tmp_path, name, said):
    (tmp_path / name).write_bytes(b"x")
    with pytest.raises(errors.NotAModelError) as caught:
        pack.pack(tmp_path / name, tmp_path / "x.tar.gz")
    assert str(caught.value).startswith(f"{tmp_path / name} {said}")
    assert ".." not in str(caught.value).replace(str(tmp_path), "")


def test_folder_that_does_not_load_is_refused(tf2_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tf2_model, model)
    (model / "saved_model.pb").write_bytes(b"not a protobuf")
    with pytest.raises(errors.NotAModelError, match="does not load as a model") as caught:
        pack.pack_model(model, tmp_path / "x.tar.gz")
    assert caught.value.reason == "saved_model.pb (14 bytes) is truncated or damaged"
    assert not (tmp_path / "x.tar.gz").exists()


def test_pack_command_prints_the_archive_and_refuses_non_models(tf2_model, tmp_path, capsys):
    output = tmp_path / "out.tar.gz"
    assert main(["pack", str(tf2_model), "-o", str(output)]) == 0
    out, _ = capsys.readouterr()
    packed = pack.pack(tf2_model, tmp_path / "again.tar.gz")
    assert out == f"{output}\t{packed.size}\tsha256={packed.sha256}\n"
    assert main(["pack", str(tmp_path), "-o", str(tmp_path / "no.tar.gz")]) == 7
    _, err = capsys.readouterr()
    assert err.startswith("tfhub: not found: ") and "holds no saved_model.pb" in err
    assert len(err.strip().splitlines()) == 1


def test_an_archive_into_a_pipe_is_the_packed_bytes_and_the_pipe_stays(tf2_model, tmp_path):
    """`tfhub pack -o /dev/null` (or a named pipe, or /dev/full) replaced the special file with
    a regular one: as root, /dev/null itself."""
    import threading

    on_disk = pack.pack(tf2_model, tmp_path / "m.tar.gz")
    fifo = tmp_path / "m.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    piped = pack.pack(tf2_model, fifo)
    reader.join(timeout=30)
    assert received == [(tmp_path / "m.tar.gz").read_bytes()] and fifo.is_fifo()
    assert (piped.size, piped.sha256) == (on_disk.size, on_disk.sha256)
    assert sorted(os.listdir(tmp_path)) == ["m.fifo", "m.tar.gz"]  # No .part file left.


def test_a_named_pipe_nobody_reads_is_an_error_not_a_wait_forever(
    tf2_model, tmp_path, monkeypatch, capsys
):
    """`tfhub pack -o FIFO` with no reader blocked in open() forever (as `tar czf FIFO` does);
    a reader that comes within the wait gets the archive."""
    import threading
    import time

    from tfhub.cli.main import main

    fifo = tmp_path / "m.fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(pack_output, "FIFO_READER_WAIT", 0.5)
    started = time.monotonic()
    with pytest.raises(errors.PublishTargetError, match="No process read the named pipe") as caught:
        pack.pack(tf2_model, fifo)
    assert time.monotonic() - started < 10 and isinstance(caught.value, OSError | ValueError)
    assert main(["pack", str(tf2_model), "-o", str(fifo)]) != 0
    assert f"start its reader (e.g. `cat {fifo} > model.tar.gz`)" in capsys.readouterr().err
    monkeypatch.setattr(pack_output, "FIFO_READER_WAIT", 30.0)
    received: list[bytes] = []

    def read_later() -> None:
        time.sleep(0.3)  # The reader comes after the pack started.
        received.append(fifo.read_bytes())

    reader = threading.Thread(target=read_later, daemon=True)
    reader.start()
    packed = pack.pack(tf2_model, fifo)
    reader.join(timeout=30)
    assert len(received[0]) == packed.size and fifo.is_fifo()


def test_pack_to_stdout_streams_the_archive_and_reports_on_stderr(tf2_model, tmp_path):
    """`tfhub pack MODEL -o /dev/stdout | ssh host 'cat > m.tar.gz'`: the report line would
    have been mixed into the archive. The test writes to /proc/self/fd/1, where /dev/stdout
    leads: a pack that replaced its output could replace the machine's /dev/stdout link (as
    root), never a /proc entry."""
    import subprocess
    import sys

    expected = pack.pack(tf2_model, tmp_path / "m.tar.gz")
    code = "import sys\nfrom tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    done = subprocess.run(
        [sys.executable, "-c", code, "pack", os.fspath(tf2_model), "-o", "/proc/self/fd/1"],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (tmp_path / "m.tar.gz").read_bytes()
    assert done.stderr.decode().startswith(f"/proc/self/fd/1\t{expected.size}\tsha256=")


def test_an_output_naming_a_closed_stdout_is_refused_before_tensorflow_and_the_link_stays(
    tf2_model, tmp_path
):
    """`tfhub pack MODEL -o /dev/stdout >&-`: /dev/stdout did not exist then, so pack wrote a
    temporary file in /dev and renamed it over the /dev/stdout link, breaking it for every
    program on the machine (as root). The test's link stands in for /dev/stdout."""
    import subprocess
    import sys

    from tests._helpers.python_process import child_env

    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    code = (
        "import sys\nfrom tfhub.cli.main import main\ncode = main(sys.argv[1:])\n"
        "sys.stderr.write('tensorflow imported\\n' if 'tensorflow' in sys.modules else '')\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-c", code]
        + ["pack", os.fspath(tf2_model), "-o", os.fspath(link)],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == (  # No "tensorflow imported": refused before loading the model.
        f"tfhub: error: {link} names standard output (descriptor 1), which is closed "
        "(e.g. by `>&-`): run it with that stream open, or write the archive to a file. "
        f"Received: output={os.fspath(link)!r}\n"
    )
    assert os.listdir(tmp_path) == ["stdout"] and os.readlink(link) == "/proc/self/fd/1"


def test_an_archive_through_a_link_goes_to_the_file_it_leads_to(tf2_model, tmp_path):
    """As `tar czf link.tar.gz` and a shell's `> link.tar.gz` do: the link stays."""
    (tmp_path / "real.tar.gz").write_bytes(b"old")
    link = tmp_path / "link.tar.gz"
    link.symlink_to("real.tar.gz")
    packed = pack.pack(tf2_model, link)
    assert packed.path == link and link.is_symlink()
    assert (tmp_path / "real.tar.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert packed.size == (tmp_path / "real.tar.gz").stat().st_size
    assert sorted(os.listdir(tmp_path)) == ["link.tar.gz", "real.tar.gz"]


def test_pack_refuses_to_write_binary_to_a_terminal(tf2_model):
    """`tfhub pack MODEL -o /dev/stdout` typed at a terminal: as `tar czf /dev/tty` refuses."""
    controller, terminal = os.openpty()
    try:
        with pytest.raises(errors.PublishTargetError, match="is a terminal: redirect the arch"):
            pack.pack(tf2_model, os.ttyname(terminal))
        os.set_blocking(controller, False)
        with pytest.raises(BlockingIOError):
            os.read(controller, 1)  # Nothing was written.
    finally:
        os.close(controller)
        os.close(terminal)


def test_pack_refuses_a_socket(tf2_model, tmp_path):
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(os.fspath(tmp_path / "sock"))
        with pytest.raises(errors.PublishTargetError, match="is a socket: write the archive"):
            pack.pack(tf2_model, tmp_path / "sock")
