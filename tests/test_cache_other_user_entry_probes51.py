"""In a cache every user writes, another user's private entry (made under umask 077: folder
700, files 600) is that user's, not damage: resolve, import and `cache rm` leave it as it is and
say whose it is (rf51d's finding, review50a-F4 through other doors).

`hub.resolve` by a user who may not read the entry called it damaged, renamed it to
`<entry>.<hex>.deleting.tmp` (whose files it could not delete: left as litter) and downloaded
its own copy: the owner's model was gone. Needs root: the entry is root's, the user nobody
(a forked child, `run_as_user`) resolves it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os

import pytest
from tests._helpers.archives import make_tar_gz, tensorflow_hub_entry
from tests._helpers.cache_users import NOBODY, run_as_user

import tfhub as hub
from tfhub import errors
from tfhub.cache import health, importing, store
from tfhub.cli.main import main

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as two users"
)


@pytest.fixture
def open_cache(shared_dir, monkeypatch) -> str:
    """A cache folder every user may write (0777), as in rf51d's probe."""
    root = os.path.join(shared_dir, "cache")
    os.mkdir(root)
    os.chmod(root, 0o777)
    monkeypatch.setenv("TFHUB_CACHE_DIR", root)
    return root


@pytest.fixture
def warm(server, served_dir, tmp_path, monkeypatch) -> str:
    """The handle of an archive `server` serves, resolved once into another cache: the forked
    child, as nobody, may not read this interpreter's modules, so all are imported first."""
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "warm"))
    hub.resolve(handle)
    entry = hub.resolve(handle)
    importing.import_archive(make_tar_gz(tmp_path / "w.tar.gz"), handle, force=True)
    assert store.other_users_entry_error(entry) is None
    return handle


def _private(paths: list[str]) -> None:
    """Makes root's `paths` (and all below) readable by root only (umask 077)."""
    for path in paths:
        os.chmod(path, 0o700 if os.path.isdir(path) else 0o600)
        for folder, dirnames, names in os.walk(path):
            for name in dirnames:
                os.chmod(os.path.join(folder, name), 0o700)
            for name in names:
                os.chmod(os.path.join(folder, name), 0o600)


def _snapshot(root: str) -> list[tuple[str, int]]:
    """Every path below `root` with its inode: what a rename or removal would change."""
    seen = []
    for folder, dirnames, names in os.walk(root):
        for name in dirnames + names:
            path = os.path.join(folder, name)
            seen.append((os.path.relpath(path, root), os.lstat(path).st_ino))
    return sorted(seen)


def _tfhub_entry(handle: str, root: str, tmp_path) -> str:
    entry = importing.import_archive(make_tar_gz(tmp_path / "own.tar.gz"), handle)
    _private([entry, entry + ".descriptor.txt", entry + ".manifest.json"])
    return entry


def _check_refused(outcome, entry: str) -> None:
    assert outcome.kind == "raised", outcome
    kind, _, message = outcome.value.partition(": ")
    assert kind == "OtherUsersEntryError", outcome.value
    assert entry in message and "another user" in message and "root" in message
    assert "TFHUB_CACHE_DIR" in message


def test_resolve_leaves_another_users_private_tfhub_entry(warm, open_cache, tmp_path):
    entry = _tfhub_entry(warm, open_cache, tmp_path)
    before = _snapshot(open_cache)
    outcome = run_as_user(hub.resolve, warm)
    _check_refused(outcome, entry)
    assert [row for row in _snapshot(open_cache) if ".locks" not in row[0]] == [
        row for row in before if ".locks" not in row[0]
    ]


def test_resolve_leaves_another_users_private_tensorflow_hub_entry(warm, open_cache):
    entry = tensorflow_hub_entry(open_cache, warm)
    _private([entry, entry + ".descriptor.txt"])
    before = _snapshot(open_cache)
    _check_refused(run_as_user(hub.resolve, warm), entry)
    assert [row for row in _snapshot(open_cache) if ".locks" not in row[0]] == before


@pytest.mark.parametrize("force", [False, True], ids=["import", "import-force"])
def test_import_leaves_another_users_private_entry(warm, open_cache, tmp_path, force):
    entry = _tfhub_entry(warm, open_cache, tmp_path)
    archive = make_tar_gz(os.path.join(os.path.dirname(open_cache), "new.tar.gz"))
    os.chmod(archive, 0o644)
    before = _snapshot(open_cache)
    outcome = run_as_user(functools.partial(importing.import_archive, force=force), archive, warm)
    _check_refused(outcome, entry)
    assert [row for row in _snapshot(open_cache) if ".locks" not in row[0]] == [
        row for row in before if ".locks" not in row[0]
    ]


def test_cache_rm_leaves_another_users_private_entry(warm, open_cache, tmp_path):
    entry = _tfhub_entry(warm, open_cache, tmp_path)
    before = _snapshot(open_cache)
    _check_refused(run_as_user(store.remove, entry), entry)
    assert [row for row in _snapshot(open_cache) if ".locks" not in row[0]] == [
        row for row in before if ".locks" not in row[0]
    ]


def test_own_unreadable_entry_is_still_damage_to_replace(warm, open_cache, tmp_path):
    """An entry of this user's own whose manifest it made unreadable is damage it may replace."""
    entry = _tfhub_entry(warm, open_cache, tmp_path)
    for folder, _, names in os.walk(entry):
        for path in [folder] + [os.path.join(folder, name) for name in names]:
            os.chown(path, NOBODY, NOBODY)
    for path in (entry + ".descriptor.txt", entry + ".manifest.json"):
        os.chown(path, NOBODY, NOBODY)
    os.chmod(entry + ".manifest.json", 0o000)
    assert run_as_user(store.other_users_entry_error, entry).result() is None
    assert run_as_user(hub.resolve, warm).result() == entry


def test_the_error_is_a_permission_error_of_the_cache():
    error = errors.OtherUsersEntryError("m", path="/c/e")
    assert isinstance(error, PermissionError) and isinstance(error, errors.CacheError)


def _cli(*argv: str) -> tuple[int, str]:
    """`tfhub ARGV` in this process: (exit status, what it printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(list(argv))
    return status, out.getvalue()


def test_verify_says_another_users_entry_is_not_checked_not_damaged(warm, open_cache, tmp_path):
    entry = _tfhub_entry(warm, open_cache, tmp_path)
    _cli("cache", "verify")  # Imports what it uses, while this user may read the modules.
    status, said = run_as_user(_cli, "cache", "verify").result()
    line = next(line for line in said.splitlines() if line.startswith(os.path.basename(entry)))
    assert "DAMAGED" not in line and "another user's entry (root, uid 0)" in line, said
    assert status == 1, said  # Not known to be whole: as before (test_group_cache_entries37).
    assert os.path.isdir(entry) and os.path.isfile(entry + ".manifest.json")


_KAGGLE = (
    "https://www.kaggle.com/models/google/bert/frameworks/TensorFlow2/variations/en-uncased/"
    "versions/3"
)


def test_import_force_leaves_another_users_served_copy(warm, open_cache):
    """tensorflow_hub's copy keyed as given (`health.served_entry`), root's and readable but
    not removable by nobody: an `import --force` renamed it aside, failed to delete it, and
    said the import failed."""
    theirs = tensorflow_hub_entry(open_cache, _KAGGLE)
    assert health.served_entry(_KAGGLE) == theirs
    archive = make_tar_gz(os.path.join(os.path.dirname(open_cache), "new.tar.gz"))
    os.chmod(archive, 0o644)
    before = _snapshot(open_cache)
    outcome = run_as_user(functools.partial(importing.import_archive, force=True), archive, _KAGGLE)
    _check_refused(outcome, theirs)
    assert "may not remove" in outcome.value
    assert [row for row in _snapshot(open_cache) if ".locks" not in row[0]] == before


def test_cache_rm_leaves_another_users_entry_it_may_not_delete(warm, open_cache):
    theirs = tensorflow_hub_entry(open_cache, _KAGGLE)
    before = _snapshot(open_cache)
    outcome = run_as_user(store.remove, theirs)
    _check_refused(outcome, theirs)
    assert [row for row in _snapshot(open_cache) if ".locks" not in row[0]] == before


def test_import_force_replaces_another_users_entry_it_may_not_change(warm, open_cache, tmp_path):
    """Root's readable entry (umask 022) in a folder nobody may not change: `import --force`
    replaces it, as the user asked (in a team cache, a teammate's copy of the same handle; what
    tests/test_cache_filesystems_probes30.py's team cache does); the old folder, which nobody
    cannot delete, is left set aside for `tfhub cache prune` by its owner, never in use."""
    entry = importing.import_archive(make_tar_gz(tmp_path / "own.tar.gz"), warm)
    archive = make_tar_gz(os.path.join(os.path.dirname(open_cache), "new.tar.gz"))
    os.chmod(archive, 0o644)
    outcome = run_as_user(functools.partial(importing.import_archive, force=True), archive, warm)
    assert outcome.result() == entry
    assert os.stat(entry).st_uid == 65534  # nobody's copy is the entry now.
    assert health.damage(entry) is None
    aside = [name for name in os.listdir(open_cache) if name.endswith(".deleting.tmp")]
    assert len(aside) == 1 and aside[0].startswith(os.path.basename(entry)), aside
    assert main(["cache", "prune"]) == 0  # By root, its owner: the old folder goes.
    assert not [name for name in os.listdir(open_cache) if name.endswith(".deleting.tmp")]
    assert health.damage(entry) is None


def _resolve_with_log(handle: str) -> tuple[str, list[str]]:
    """hub.resolve(handle), returning how it ended and tfhub's log lines meanwhile."""
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("tfhub").addHandler(handler)
    try:
        hub.resolve(handle)
    except errors.OtherUsersEntryError:
        return "refused", lines
    return "resolved", lines


def test_resolve_of_another_users_entry_logs_no_damage(warm, open_cache, tmp_path):
    # rf51e: resolve warned "Cache entry ... is damaged (...); downloading it again." and then
    # refused the entry: it neither was damaged nor was downloaded again.
    _tfhub_entry(warm, open_cache, tmp_path)
    ended, lines = run_as_user(_resolve_with_log, warm).result()
    assert ended == "refused"
    assert not [line for line in lines if "damaged" in line or "downloading" in line], lines
