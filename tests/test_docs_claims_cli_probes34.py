"""docs/cli.md and README.md ("The cache", "The `tfhub` command"): the claims no other test
checked, as a user meets them: the real `tfhub` entry point (`python -m tfhub`) in its own
process, a real server on 127.0.0.1, real cache entries."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree, tensorflow_hub_entry
from tests._helpers.cli_session_sp61topa import Said, run_tfhub_session
from tests._helpers.http_server import LocalServer
from tests._helpers.python_process import child_env, run_tfhub

from tfhub import handles


def _tfhub(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m tfhub ARGV` as a shell would, with the test's TFHUB_* environment."""
    return run_tfhub(*argv, **env)


def test_the_cache_layout_is_the_one_the_readme_draws(
    server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    """README, "The cache": `<sha1(handle)>/` holds exactly the archive's files; beside it
    `.descriptor.txt` ("Module: <handle>", download time, host, as upstream), `.manifest.json`
    (every file's size and sha256) and `.locks/<sha1(handle)>.lock` (holder's host and pid)."""
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    pulled = _tfhub("pull", handle)
    key = handles.cache_key(handle)
    entry = isolated_cache / key
    assert (pulled.returncode, pulled.stdout) == (0, f"{handle}\t{entry}\n"), pulled.stderr
    assert read_tree(entry) == MODEL_FILES
    descriptor = (isolated_cache / f"{key}.descriptor.txt").read_text().splitlines()
    assert descriptor[0] == f"Module: {handle}"
    assert descriptor[1].startswith("Download Time: ")
    assert descriptor[2].startswith(f"Downloader Hostname: {socket.gethostname()} (PID:")
    manifest = json.loads((isolated_cache / f"{key}.manifest.json").read_text())
    assert manifest["files"] == {
        name: [len(data), hashlib.sha256(data).hexdigest()] for name, data in MODEL_FILES.items()
    }
    holder = (isolated_cache / ".locks" / f"{key}.lock").read_text().split()
    assert holder[:2] == [socket.gethostname(), "pid"] and holder[2].isdigit()
    assert sorted(os.listdir(isolated_cache)) == sorted(
        [".locks", key, f"{key}.descriptor.txt", f"{key}.manifest.json"]
    )


def test_only_deep_verify_sees_a_same_size_change_and_it_exits_1(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """docs/cli.md: `cache verify [--deep]` ... (--deep: content hashes); exit 1 if one is
    damaged; "--deep recomputes every file's sha256 and compares it with the one recorded at
    install". A file rewritten in place with as many bytes passes the size check only."""
    handle = "https://host/models/m/1"
    made = _tfhub("import", make_tar_gz(tmp_path / "m.tar.gz"), "--handle", handle)
    assert made.returncode == 0, made.stderr
    pb = Path(made.stdout.strip()) / "saved_model.pb"
    pb.write_bytes(b"\x09" * len(MODEL_FILES["saved_model.pb"]))
    quick = _tfhub("cache", "verify")
    assert (quick.returncode, quick.stdout) == (0, f"{pb.parent.name}\tOK\t{handle}\n")
    deep = _tfhub("cache", "verify", "--deep")
    assert deep.returncode == 1 and deep.stderr == ""
    assert deep.stdout == (
        f"{pb.parent.name}\tDAMAGED: saved_model.pb has other content than was installed"
        f" (sha256 differs)\t{handle}\n"
    )


def test_cache_info_and_verify_count_damage_and_leftovers(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """docs/cli.md: `cache info` says where the cache is, its entries, size and leftovers;
    `cache verify` names leftovers of interrupted downloads with its exit status unchanged
    (0 with none damaged, 1 with one)."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    made = _imports(archive, "https://host/m/1", "https://host/m/2")
    assert [done.returncode for done in made] == [0, 0], [done.stderr for done in made]
    leftover = isolated_cache / (handles.cache_key("https://host/m/3") + ".0123abcd.tmp")
    leftover.mkdir()
    size = sum(len(data) for data in MODEL_FILES.values())
    info = _tfhub("cache", "info")
    assert info.returncode == 0 and info.stdout.splitlines() == [
        f"cache folder: {isolated_cache}",
        "writable: True",
        "entries: 2",
        f"total size: {2 * size / 1024:.1f} KB",  # 1024-based, as `ls -sh`.
        "damaged entries: 0",
        "leftovers: 1",
    ]
    verified = _tfhub("cache", "verify")
    assert verified.returncode == 0 and "1 leftover(s)" in verified.stdout
    assert str(leftover) in verified.stdout
    os.remove(isolated_cache / handles.cache_key("https://host/m/2") / "saved_model.pb")
    assert "damaged entries: 1" in _tfhub("cache", "info").stdout.splitlines()
    verified = _tfhub("cache", "verify")
    assert verified.returncode == 1 and str(leftover) in verified.stdout


def test_rm_of_a_handle_that_several_entries_show_names_their_folders(
    isolated_cache: Path,
) -> None:
    """docs/cli.md: `cache rm` takes a handle as `cache list` shows it, credentials redacted;
    "if several entries show it, it names their folders and removes nothing"."""
    isolated_cache.mkdir()
    folders = [
        Path(tensorflow_hub_entry(isolated_cache, f"http://u:{password}@h/m.tar.gz")).name
        for password in ("one", "two")
    ]
    listed = _tfhub("cache", "list").stdout
    assert listed.count("\thttp://***@h/m.tar.gz\n") == 2 and "one" not in listed
    removed = _tfhub("cache", "rm", "http://***@h/m.tar.gz")
    assert removed.returncode == 2 and removed.stdout == ""
    assert all(folder in removed.stderr for folder in folders), removed.stderr
    assert "nothing was removed" in removed.stderr and "folder name" in removed.stderr
    assert all((isolated_cache / folder).is_dir() for folder in folders)
    assert _tfhub("cache", "list").stdout == listed


_HOLD_LOCK = """
import sys, time
from tfhub.utils import filelock
filelock.HEARTBEAT_SEC = 0.1
with filelock.weak_file_lock(sys.argv[1], what="test") as held:
    print("held" if held else "unlocked", flush=True)
    time.sleep(60)
"""


@contextlib.contextmanager
def _stopped_holder(lock: Path) -> Iterator[subprocess.Popen[str]]:
    """A process that holds tfhub's lock `lock`, then stops (SIGSTOP): alive, silent."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(lock)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        holder.send_signal(signal.SIGSTOP)
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=10)


def _imported(tmp_path: Path, *handles_: str) -> list[Path]:
    """Imports a small archive under each of `handles_` (`tfhub import`, the commands one after
    the other in one child process: `run_tfhub_session`); returns their entries."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    made = _imports(archive, *handles_)
    assert all(done.returncode == 0 for done in made), [done.stderr for done in made]
    return [Path(done.stdout.strip()) for done in made]


def _imports(archive: str, *handles_: str) -> list[Said]:
    """`tfhub import ARCHIVE --handle H` for each of `handles_`, in order, in one child process
    with the test's TFHUB_* environment (what is checked is what the commands leave, not the
    process: a fresh `python -m tfhub` per import cost ~0.3 CPU-s each)."""
    commands = [(["import", archive, "--handle", handle], os.getcwd()) for handle in handles_]
    return run_tfhub_session(commands)


def test_rm_of_an_entry_a_stopped_process_holds_is_exit_6_naming_it(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """docs/cli.md: `cache rm` waits for the entry's lock; "a holder that shows no sign of life
    for `TFHUB_LOCK_TIMEOUT` seconds ends the wait with `LockTimeoutError`, exit 6, naming that
    process"; prune skips the entry, and `verify` calls it BUSY (exit 0)."""
    handle = "https://host/m/1"
    (entry,) = _imported(tmp_path, handle)
    os.remove(entry / "saved_model.pb")  # Damaged: prune would remove it if it could.
    lock = isolated_cache / ".locks" / f"{entry.name}.lock"
    with _stopped_holder(lock) as holder:
        started = time.monotonic()
        removed = _tfhub("cache", "rm", handle, TFHUB_LOCK_TIMEOUT="1")
        assert time.monotonic() - started < 20
        pruned = _tfhub("cache", "prune", TFHUB_LOCK_TIMEOUT="1")
        verified = _tfhub("cache", "verify", TFHUB_LOCK_TIMEOUT="1")
    assert (removed.returncode, removed.stdout) == (6, "")
    assert removed.stderr.startswith("tfhub: cache error: Gave up waiting")
    assert f" pid {holder.pid} holds the lock {lock}" in removed.stderr
    assert removed.stderr.count("\n") == 1 and "TFHUB_LOCK_TIMEOUT" in removed.stderr
    assert pruned.returncode == 0 and pruned.stdout.startswith(f"skipped {entry}: "), pruned
    assert "another tfhub process holds its lock" in pruned.stdout  # Not only a download's.
    assert verified.returncode == 0 and f"{entry.name}\tBUSY: " in verified.stdout
    assert entry.is_dir()


def test_rm_of_several_entries_removes_the_others_when_one_is_stuck(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """`cache rm --all` ("clears the cache safely while other processes use it") stopped at the
    first entry whose lock a stuck process held, leaving the entries after it (which nothing
    held) and not saying how many it had removed; `rm H1 H2` left H2. Each entry is tried, as
    prune does item by item; the command still ends in the stuck entry's error (exit 6)."""
    handles_ = [f"https://host/m/{number}" for number in range(4)]
    entries = _imported(tmp_path, *handles_)
    stuck = min(entries)  # What `rm --all` tries first; and named first below.
    other = max(entries)
    lock = isolated_cache / ".locks" / f"{stuck.name}.lock"
    with _stopped_holder(lock) as holder:
        named = _tfhub(
            "cache", "rm", handles_[entries.index(stuck)], other.name, TFHUB_LOCK_TIMEOUT="1"
        )
        assert stuck.is_dir() and not other.is_dir()
        cleared = _tfhub("cache", "rm", "--all", TFHUB_LOCK_TIMEOUT="1")
    for done in (named, cleared):
        assert done.returncode == 6 and done.stderr.count("\n") == 1, done.stderr
        assert f" pid {holder.pid} holds the lock {lock}" in done.stderr
    assert cleared.stdout.splitlines()[-1] == f"2 entries removed from {isolated_cache}."
    assert [entry for entry in entries if entry.is_dir()] == [stuck]


def test_rm_all_with_two_stuck_entries_says_how_many_were_left(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """Two entries that cannot be removed are one error (exit 6) that counts them and gives the
    first's reason; the third entry is removed and counted."""
    entries = sorted(
        _imported(tmp_path, "https://host/m/1", "https://host/m/2", "https://host/m/3")
    )
    locks = [isolated_cache / ".locks" / f"{entry.name}.lock" for entry in entries[:2]]
    with _stopped_holder(locks[0]), _stopped_holder(locks[1]):
        cleared = _tfhub("cache", "rm", "--all", TFHUB_LOCK_TIMEOUT="1")
    assert cleared.returncode == 6 and cleared.stderr.count("\n") == 1, cleared.stderr
    assert cleared.stderr.startswith(
        f"tfhub: cache error: 2 entries of the cache {isolated_cache} could not be removed; the "
        f"first: Gave up waiting for removing cache entry {entries[0].name} "
    )
    assert cleared.stdout == (f"removed {entries[2]}\n1 entry removed from {isolated_cache}.\n")
    assert [entry.is_dir() for entry in entries] == [True, True, False]


def test_rm_takes_a_folder_name_with_the_slash_tab_completion_adds(
    server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    """`tfhub cache rm <TAB>` in the cache folder completes `<sha1>/`: that names the entry as
    `<sha1>` does (only an entry's 40-hex-digit name: nothing outside the cache is joined)."""
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    assert _tfhub("pull", handle).returncode == 0
    key = handles.cache_key(handle)
    removed = _tfhub("cache", "rm", f"{key}/")
    assert removed.returncode == 0, removed.stderr
    assert not (isolated_cache / key).exists()
    again = _tfhub("cache", "rm", f"{key}/")
    assert again.returncode == 7 and "Not in the cache" in again.stderr, again.stderr


def test_rm_of_a_stuck_entry_and_a_missing_name_says_both(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """`rm STUCK MISSING`: the stuck entry's error (exit 6) also names what is not in the cache,
    which the error would otherwise hide (alone, MISSING is exit 7)."""
    (stuck,) = _imported(tmp_path, "https://host/m/1")
    lock = isolated_cache / ".locks" / f"{stuck.name}.lock"
    with _stopped_holder(lock):
        done = _tfhub("cache", "rm", stuck.name, "https://host/nothing/1", TFHUB_LOCK_TIMEOUT="1")
    assert done.returncode == 6 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        f"tfhub: cache error: 1 entry of the cache {isolated_cache} could not be removed; the "
        f"first: Gave up waiting for removing cache entry {stuck.name} "
    )
    assert done.stderr.rstrip().endswith("Also not in the cache: ['https://host/nothing/1']."), (
        done.stderr
    )


def test_cache_list_marks_a_damaged_entry_after_its_handle_and_in_json(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """docs/cli.md: `cache list`'s four columns are tab-separated; a damaged entry's line ends
    with `  [damaged: WHAT]` after the handle, and `--json` gives WHAT as `damage` (null when
    the entry is whole)."""
    whole, damaged = _imported(tmp_path, "https://host/m/1", "https://host/m/2")
    os.remove(damaged / "saved_model.pb")
    listed = _tfhub("cache", "list")
    as_json = json.loads(_tfhub("cache", "list", "--json").stdout)
    lines = {line.split("\t")[0]: line.split("\t") for line in listed.stdout.splitlines()}
    assert lines[whole.name][3] == "https://host/m/1"
    damage = {item["name"]: item["damage"] for item in as_json}
    assert damage[whole.name] is None and damage[damaged.name]
    assert lines[damaged.name][3] == f"https://host/m/2  [damaged: {damage[damaged.name]}]"
    assert all(len(columns) == 4 for columns in lines.values())
