"""The cache on the filesystems users run it on: read-only mounts, folders they may not read,
links to nothing, disks out of inodes, and handles that print badly.

Each test is a case that failed before (session 30's probes): a cache command must end with a
tfhub error (one line on stderr saying what, where and what to do), never a bare OSError, and
leave the cache valid. Tests that mount a tmpfs or switch user skip where they may not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests._helpers import mounts
from tests._helpers.archives import make_tar_gz, tensorflow_hub_entry
from tests._helpers.cache_users import tfhub_as_nobody
from tests._helpers.python_process import child_env, python_command

from tfhub import cache
from tfhub.cli.main import main

UPSTREAM_ENTRY = "bf03ae91ed96b80ba42b2c59a5018ce13298d0c5"  # tf1_multi_sig, by tensorflow_hub.


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and "OS error" not in err


def _upstream_cache(upstream_dir: Path, target: Path) -> Path:
    """A writable copy of the cache tensorflow_hub 0.15 wrote (tests/data/upstream)."""
    shutil.copytree(upstream_dir / "cache_0.15", target)
    for folder, _, _ in os.walk(target):
        os.chmod(folder, 0o755)
    return target


@pytest.fixture
def tmpfs_cache(tmp_path: Path, upstream_dir: Path):
    """tensorflow_hub's cache on a 2 MB tmpfs of its own (skips where this may not mount)."""
    with mounts.tmpfs(tmp_path / "fs", "size=2m") as mount_point:
        yield _upstream_cache(upstream_dir, mount_point / "cache")


def _remount_read_only(cache_dir: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(cache_dir.parent)], check=True)


# --- A cache mounted read-only -------------------------------------------------------------------


def test_prune_on_a_read_only_mount_is_a_cache_error(capsys, tmpfs_cache, monkeypatch):
    """`tfhub cache prune` of leftovers on a read-only mount ended in `tfhub: OS error: [Errno
    30] Read-only file system: '...descriptor.txt'` (exit 1) at the first orphan file."""
    orphan = tmpfs_cache / ("0" * 40 + cache.DESCRIPTOR_SUFFIX)
    orphan.write_text("Module: https://h.example/gone/1\n")
    _remount_read_only(tmpfs_cache)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs_cache))
    code, out, err = run(capsys, "cache", "prune")
    assert code == 6 and _one_line(err), err
    assert f"failed {orphan}" in out and "mounted read-only" in out, out
    assert "could not be removed" in err and str(tmpfs_cache) in err
    assert orphan.exists() and (tmpfs_cache / UPSTREAM_ENTRY).is_dir()


def test_rm_of_bookkeeping_on_a_read_only_mount_is_a_cache_error(capsys, tmpfs_cache, monkeypatch):
    """`tfhub cache rm` of an entry whose folder was deleted by hand (its descriptor stays)
    raised the bare OSError of removing the descriptor on a read-only mount."""
    shutil.rmtree(tmpfs_cache / UPSTREAM_ENTRY)
    _remount_read_only(tmpfs_cache)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs_cache))
    code, out, err = run(capsys, "cache", "rm", UPSTREAM_ENTRY)
    assert code == 6 and out == "" and _one_line(err), err
    assert "mounted read-only" in err and UPSTREAM_ENTRY in err
    assert (tmpfs_cache / (UPSTREAM_ENTRY + cache.DESCRIPTOR_SUFFIX)).exists()


def test_a_read_only_cache_still_resolves_and_lists(capsys, tmpfs_cache, monkeypatch):
    """What a read-only cache can do, it does: resolve what it holds, list, verify."""
    _remount_read_only(tmpfs_cache)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs_cache))
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    code, out, _ = run(capsys, "resolve", "http://127.0.0.1:43187/tf1_multi_sig.tar.gz")
    assert code == 0 and out.strip() == str(tmpfs_cache / UPSTREAM_ENTRY)
    assert run(capsys, "cache", "list")[0] == 0
    assert run(capsys, "cache", "verify")[0] == 0


def test_rm_by_folder_name_of_an_entry_deleted_by_hand(capsys, tmp_path, upstream_dir, monkeypatch):
    """`tfhub cache rm <folder name>` of an entry whose folder was deleted by hand said "Not in
    the cache" although `prune` and `info` count its descriptor (rm by handle removed it)."""
    root = _upstream_cache(upstream_dir, tmp_path / "cache")
    shutil.rmtree(root / UPSTREAM_ENTRY)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    code, out, err = run(capsys, "cache", "rm", UPSTREAM_ENTRY)
    assert code == 0 and err == "", err
    assert out == f"removed the bookkeeping of {root / UPSTREAM_ENTRY} (its folder was gone)\n"
    assert not (root / (UPSTREAM_ENTRY + cache.DESCRIPTOR_SUFFIX)).exists()
    assert run(capsys, "cache", "prune", "--dry-run")[1] == f"Nothing to prune in {root}.\n"


# --- What TFHUB_CACHE_DIR points at ---------------------------------------------------------------


def _links(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Cache folders that are links to nothing: (the setting, what the error must say)."""
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "unmounted" / "disk")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    return {
        "dangling": (dangling, f"{dangling} is a link to {tmp_path / 'unmounted' / 'disk'}, "),
        "below a dangling link": (dangling / "cache", f"{dangling} is a link to "),
        "loop": (loop, f"{loop} is a link that leads to itself"),
    }


@pytest.mark.parametrize("kind", ["dangling", "below a dangling link", "loop"])
def test_a_cache_dir_that_is_a_link_to_nothing_is_named_so(capsys, tmp_path, monkeypatch, kind):
    """A TFHUB_CACHE_DIR that is a link to a missing folder (a disk not mounted) or a loop of
    links was called "a file, not a folder", sending users to look for a file."""
    root, says = _links(tmp_path)[kind]
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    for argv in (["cache", "list"], ["cache", "verify"], ["resolve", "https://h.invalid/m.tgz"]):
        code, out, err = run(capsys, *argv)
        assert code == 6 and out == "" and _one_line(err), (argv, err)
        assert says in err and "is a file" not in err and "TFHUB_CACHE_DIR" in err, (argv, err)


@pytest.mark.parametrize("where", ["the cache folder", "a folder above it"])
def test_a_cache_folder_this_user_may_not_read_is_a_cache_error(shared_dir, upstream_dir, where):
    """Another user's private cache: `tfhub cache list|verify|prune|rm` ended in `tfhub: OS
    error: [Errno 13] Permission denied` (exit 1); below a private folder `cache list` called
    it empty; `resolve` of a cached handle said "read-only and does not hold the model"."""
    private = shared_dir / "private"
    root = _upstream_cache(upstream_dir, private / "cache")
    os.chmod(root if where == "the cache folder" else private, 0o700)
    says = "cannot be read by this user" if where == "the cache folder" else "cannot be reached"
    handle = "http://127.0.0.1:43187/tf1_multi_sig.tar.gz"
    for argv in (["cache", "list"], ["cache", "verify"], ["cache", "prune"], ["resolve", handle]):
        done = tfhub_as_nobody(*argv, cache_dir=root)
        assert done.returncode == 6 and done.stdout == "", (argv, done.stderr)
        assert _one_line(done.stderr) and says in done.stderr, (argv, done.stderr)
        assert str(root) in done.stderr and "TFHUB_CACHE_DIR" in done.stderr
    assert (root / UPSTREAM_ENTRY).is_dir()


# --- What the cache commands print ---------------------------------------------------------------


def test_verify_prints_an_odd_handle_as_list_does(capsys, tmp_path, upstream_dir, monkeypatch):
    """A descriptor another tool wrote may hold tabs and terminal escapes: `cache list` wrote
    them escaped, `cache verify` as they were (a fourth column, a red terminal)."""
    root = _upstream_cache(upstream_dir, tmp_path / "cache")
    descriptor = root / (UPSTREAM_ENTRY + cache.DESCRIPTOR_SUFFIX)
    descriptor.write_text("Module: https://h.example/a\tb/\x1b[31mred/1\nDownload Time: now\n")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    for command in ("list", "verify"):
        code, out, _ = run(capsys, "cache", command)
        line = next(line for line in out.splitlines() if line.startswith(UPSTREAM_ENTRY))
        assert code == 0 and "\x1b" not in out, (command, out)
        assert line.split("\t")[-1] == "https://h.example/a\\x09b/\\x1B[31mred/1", (command, out)


# --- A full disk ---------------------------------------------------------------------------------


def test_a_disk_out_of_inodes_says_so(capsys, server, served_dir, tmp_path, monkeypatch):
    """With no inode left (a disk of many small files) the error said only "the disk is full.
    Free space ...", while `df -h` shows the disk nearly empty."""
    files = {f"assets/{number}.txt": b"x" for number in range(40)}
    make_tar_gz(served_dir / "many.tar.gz", {"saved_model.pb": b"pb", **files})
    make_tar_gz(served_dir / "small.tar.gz")
    with mounts.tmpfs(tmp_path / "fs", "size=4m,nr_inodes=20") as disk:
        root = disk / "cache"
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
        code, out, err = run(capsys, "resolve", server.url("many.tar.gz"))
        assert code == 6 and out == "" and _one_line(err), err
        assert "no inode left" in err and f"df -i {root}" in err, err
        # Said as at the failure: the folder's removal, said before, freed its inodes.
        assert "The temporary folder was removed." in err, err
        assert "it had no inode left for another file when the download failed" in err, err
        assert "Free space" in err and "TFHUB_CACHE_DIR" in err
        assert sorted(os.listdir(root)) == [cache.LOCKS_DIRNAME]
        assert os.listdir(root / cache.LOCKS_DIRNAME) == []
        assert run(capsys, "resolve", server.url("small.tar.gz"))[0] == 0


def test_a_full_disk_says_how_much_room_there_was(
    capsys, server, served_dir, tmp_path, monkeypatch
):
    """A model bigger than the disk: the error named neither the disk's size nor what the
    model needs, so "free space" had no target."""
    make_tar_gz(served_dir / "big.tar.gz", {"saved_model.pb": os.urandom(3_000_000)})
    with mounts.tmpfs(tmp_path / "fs", "size=1m") as disk:
        root = disk / "cache"
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
        code, out, err = run(capsys, "resolve", server.url("big.tar.gz"))
        assert code == 6 and out == "" and _one_line(err), err
        assert "The model needs more than 1" in err and "free of 1.0 MB" in err, err
        assert err.count("Free space") == 1 and "TFHUB_CACHE_DIR" in err
        assert sorted(os.listdir(root)) == [cache.LOCKS_DIRNAME]
        assert run(capsys, "cache", "verify")[0] == 0


def test_rm_takes_the_handle_list_shows_for_an_entry_with_credentials(
    capsys, tmp_path, monkeypatch, isolated_cache
):
    """`cache list` shows a handle with credentials redacted; `cache rm` of what it showed
    said "Not in the cache" (the redacted handle names no entry). Two entries that show the
    same handle are not guessed between. tfhub keys a URL without its credentials, so such
    entries are tensorflow_hub's (keyed as given)."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    first = run(capsys, "import", archive, "--handle", "https://ann:secret@h.example/m/1")[1]
    code, out, _ = run(capsys, "cache", "list")
    assert code == 0 and out.rstrip("\n").endswith("\thttps://h.example/m/1"), out
    code, out, err = run(capsys, "cache", "rm", "https://bob:other@h.example/m/1")
    assert code == 0 and out == f"removed {first.strip()}\n", err  # One entry, any password.
    shown = "https://***@h.example/m/1"
    made = [tensorflow_hub_entry(isolated_cache, "https://ann:secret@h.example/m/1")]
    code, out, _ = run(capsys, "cache", "list")
    assert code == 0 and out.rstrip("\n").endswith("\t" + shown), out
    code, out, err = run(capsys, "cache", "rm", shown)
    assert code == 0 and out.startswith(f"removed {made[0]}"), err
    made = [
        tensorflow_hub_entry(isolated_cache, f"https://{user}:secret@h.example/m/1")
        for user in ("ann", "bob")
    ]
    code, out, err = run(capsys, "cache", "rm", shown)
    assert code == 2 and out == "" and _one_line(err), err
    names = sorted(os.path.basename(folder) for folder in made)
    assert f"{names[0]} and {names[1]}" in err and "nothing was removed" in err, err
    assert len(cache.scan()) == 2


# --- Waiting for another process -----------------------------------------------------------------


def test_rm_with_a_short_lock_timeout_waits_for_a_live_download(capsys, monkeypatch):
    """`TFHUB_LOCK_TIMEOUT=1 tfhub cache rm H` while a job with the default setting downloads
    H: that job touches its lock every 5 s, so after 1 s rm said it "has shown no sign of
    life" and told the user to end it (a live download is waited for as long as it runs)."""
    handle = "https://h.example/m/1"
    module_path = cache.module_dir(handle)
    code = """
        import sys, time
        from tfhub import download
        def fetch(folder):
            print("downloading", flush=True)
            time.sleep(3)
            open(folder + "/saved_model.pb", "w").close()
        download.atomic_download(sys.argv[1], fetch, local=True)
    """
    env = {**child_env(), "TFHUB_CACHE_DIR": os.path.dirname(module_path)}
    env.pop("TFHUB_LOCK_TIMEOUT", None)  # The job's own setting: the default.
    job = subprocess.Popen(python_command(code, handle), env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert job.stdout is not None and job.stdout.readline() == "downloading\n"
        monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "1")
        code, out, err = run(capsys, "cache", "rm", handle)
    finally:
        assert job.wait(timeout=60) == 0
    assert code == 0 and out == f"removed {module_path}\n", err
    assert not os.path.lexists(module_path)


def test_verify_of_an_entry_with_a_file_this_user_may_not_read(shared_dir):
    """A file of an entry that this user may not read (root's, mode 600, in a shared cache):
    `cache verify --deep` ended in `tfhub: OS error: [Errno 13] Permission denied` (exit 1)
    without a word on the other entries; a folder it may not enter was "missing"."""
    root = shared_dir / "cache"
    archive = make_tar_gz(shared_dir / "m.tar.gz")
    for handle in ("https://h.example/a/1", "https://h.example/b/1"):
        assert (
            tfhub_as_nobody("import", archive, "--handle", handle, cache_dir=root).returncode == 0
        )
    first, second = cache.store.entry_paths(str(root))
    os.chown(os.path.join(first, "saved_model.pb"), 0, 0)
    os.chmod(os.path.join(first, "saved_model.pb"), 0o600)
    os.chown(os.path.join(second, "variables"), 0, 0)
    os.chmod(os.path.join(second, "variables"), 0o700)
    done = tfhub_as_nobody("cache", "verify", "--deep", cache_dir=root)
    assert done.returncode == 1 and done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    assert lines[0].startswith(os.path.basename(first) + "\tDAMAGED: saved_model.pb cannot be ")
    assert "read by this user (Permission denied)" in lines[0], lines[0]
    assert "DAMAGED: variables/variables." in lines[1], lines[1]
    assert "cannot be read by this user (Permission denied)" in lines[1], lines[1]


def test_a_team_cache_keeps_its_locks_usable_by_the_team(shared_dir, monkeypatch):
    """A cache folder shared by a group (mode 2775): the `.locks` folder and lock files that
    one member made under the usual umask 022 were 755 and 644, so every other member ran
    without a lock ("continuing without a lock"), racing the first one's downloads."""
    root = shared_dir / "cache"
    root.mkdir()
    os.chown(root, 0, 65534)
    os.chmod(root, 0o2775)
    archive = make_tar_gz(shared_dir / "m.tar.gz")
    os.chmod(archive, 0o644)
    handle = "https://h.example/team/1"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    umask = os.umask(0o022)
    try:
        assert main(["import", str(archive), "--handle", handle]) == 0
    finally:
        os.umask(umask)
    done = tfhub_as_nobody(
        "-v", "import", str(archive), "--handle", handle, "--force", cache_dir=root
    )
    assert done.returncode == 0, done.stderr
    assert "without a lock" not in done.stderr, done.stderr


def test_a_link_to_a_cache_this_user_may_not_reach_says_so(shared_dir):
    """TFHUB_CACHE_DIR a link into another user's private folder: the link was said to point
    to a folder "which does not exist" (it does; this user may not reach it)."""
    private = shared_dir / "private"
    (private / "cache").mkdir(parents=True)
    os.chmod(private, 0o700)
    link = shared_dir / "team-cache"
    link.symlink_to(private / "cache")
    for argv in (["cache", "list"], ["resolve", "https://h.invalid/m.tgz"]):
        done = tfhub_as_nobody(*argv, cache_dir=link)
        assert done.returncode == 6 and done.stdout == "", done.stderr
        assert _one_line(done.stderr) and "does not exist" not in done.stderr, done.stderr
        assert f"{link} cannot be reached by this user" in done.stderr, done.stderr
        assert f"namei -l {link}" in done.stderr and "TFHUB_CACHE_DIR" in done.stderr
