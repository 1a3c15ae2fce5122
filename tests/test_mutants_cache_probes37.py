"""Tests that kill hand-made mutants of the cache's rule-making modules (session 37).

Each test pins one decision that a mutant (a flipped comparison, a dropped check, a deleted
line) changed without any other test failing: the docstring names the mutant it kills. Real
cache folders in tmp_path, real archives and real processes; nothing under test is mocked.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from tests._helpers import mounts
from tests._helpers.archives import make_tar_gz, read_tree, tensorflow_hub_entry

from tfhub import errors
from tfhub.cache import bookkeeping, health, layout, locks, prune, recovery, store, verify
from tfhub.cache.importing import import_archive


def test_rm_argument_never_names_credentials_nor_a_redacted_handle(isolated_cache):
    """Mutant: `"***" in handle or redact(handle) != handle` -> `and`. A handle with its
    credentials was given back for `tfhub cache rm` in a message (the password printed), and
    a redacted one (which names no entry once two entries show it) too: both must give the
    entry's folder name."""
    from tfhub import saved_model_proto

    handle = "https://ann:secret@h.example/models/m/1"
    entry = tensorflow_hub_entry(isolated_cache, handle)  # Keyed as given, as upstream does.
    name = os.path.basename(entry)
    assert layout.rm_argument(handle, entry) == name
    assert layout.rm_argument("https://***@h.example/models/m/1", entry) == name
    message = str(saved_model_proto.damaged_model_error(entry, "saved_model.pb is missing"))
    assert f"`tfhub cache rm {name}`" in message and "secret" not in message
    assert (
        layout.rm_argument("https://h.example/models/m/1", entry) == "https://h.example/models/m/1"
    )


def _damaged_entry(tmp_path, handle: str = "https://h.example/models/m/1") -> str:
    """An imported entry (the default model) whose variables index is gone; returns it."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), handle)
    os.remove(os.path.join(entry, "variables", "variables.index"))
    return entry


def _unmark_descriptor(entry: str) -> str:
    """Removes tfhub's mark from the entry's descriptor (as tfhub before the mark wrote it)."""
    descriptor = layout.descriptor_path(entry)
    with open(descriptor, encoding="utf-8") as text:
        unmarked = text.read().replace(bookkeeping.WRITTEN_BY_LINE + "\n", "")
    with open(descriptor, "w", encoding="utf-8") as text:
        text.write(unmarked)
    return descriptor


def test_damage_of_an_entry_without_descriptor_or_with_a_touched_one_is_found(
    isolated_cache, tmp_path
):
    """Mutant: `descriptor is None or descriptor.written_by_tfhub` -> `and` (in the check of
    a stale manifest): an entry whose descriptor was lost raised AttributeError from
    `damage`, and one whose tfhub descriptor is newer than its manifest (copied, touched) was
    checked as tensorflow_hub's and passed."""
    entry = _damaged_entry(tmp_path)
    descriptor = layout.descriptor_path(entry)
    later = os.stat(layout.manifest_path(entry)).st_mtime_ns + 10**9
    os.utime(descriptor, ns=(later, later))
    assert health.damage(entry) == "variables/variables.index is missing"
    os.remove(descriptor)
    assert health.damage(entry) == "variables/variables.index is missing"
    assert health.full_damage(entry) == "variables/variables.index is missing"


def test_a_manifest_as_old_as_an_unmarked_descriptor_still_counts(isolated_cache, tmp_path):
    """Mutant: descriptor mtime `>` manifest mtime -> `>=`. On a filesystem with coarse
    timestamps, an entry of a tfhub before the descriptor's mark got both files in the same
    tick: its manifest is not stale, and a file missing from it is damage."""
    entry = _damaged_entry(tmp_path)
    descriptor = _unmark_descriptor(entry)
    tick = os.stat(layout.manifest_path(entry)).st_mtime_ns // 10**9 * 10**9
    for path in (descriptor, layout.manifest_path(entry)):
        os.utime(path, ns=(tick, tick))
    assert health.damage(entry) == "variables/variables.index is missing"


def test_an_unreadable_manifest_is_damage_whoever_wrote_the_descriptor(isolated_cache, tmp_path):
    """Mutant: the `os.path.exists(manifest)` check of an entry whose descriptor is not
    tfhub's -> `False`. A manifest only tfhub writes, now corrupt, beside an unmarked
    descriptor (tfhub before the mark) was taken for a tensorflow_hub entry: complete."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    _unmark_descriptor(entry)
    with open(layout.manifest_path(entry), "w", encoding="utf-8") as manifest:
        manifest.write('{"format": 2, "files": ')
    assert health.damage(entry) == health.BAD_MANIFEST
    assert health.full_damage(entry) == health.BAD_MANIFEST


def test_a_tensorflow_hub_saved_model_without_variables_is_complete(isolated_cache):
    """Mutant: `isfile(variables.index) and not any(data shard)` -> `not any(data shard)`. A
    model without variables (its `variables/` empty, as TF1 Hub modules of lookup tables or
    of constants are saved) was called damaged: "variables/variables.data-* is missing"."""
    entry = tensorflow_hub_entry(isolated_cache, "https://h.example/models/constant/1")
    os.mkdir(os.path.join(entry, "variables"))
    assert health.damage(entry) is None
    open(os.path.join(entry, "variables", "variables.index"), "wb").write(b"index")
    assert health.damage(entry) == "variables/variables.data-* is missing"


_NEW_FILES = {"saved_model.pb": b"\x08\x02" * 40, "new_only.txt": b"new"}


def _killed_before_rename(tmp_path) -> tuple[str, str]:
    """The state an `import --force` killed between its manifest and its rename leaves: the old
    folder under the new manifest, the new folder complete beside it. Returns both."""
    entry = import_archive(make_tar_gz(tmp_path / "old.tar.gz"), "https://h.example/models/m/1")
    new = layout.new_tmp_dir(entry)
    os.mkdir(new)
    for name, data in _NEW_FILES.items():
        open(os.path.join(new, name), "wb").write(data)
    bookkeeping.write_manifest(entry, bookkeeping.list_files(new), source_dir=new)
    assert health.full_damage(entry) is not None
    return entry, new


def test_an_install_is_not_finished_over_an_entry_that_is_complete(isolated_cache, tmp_path):
    """Mutant: `... or health.full_damage(module_path) is None` dropped from `finish_install`.
    An entry installed again by another process since prune saw it damaged was swapped for a
    leftover folder with the same names and sizes (other content: a download killed before
    its rename)."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    leftover = layout.new_tmp_dir(entry)
    shutil.copytree(entry, leftover)
    with open(os.path.join(leftover, "saved_model.pb"), "r+b") as pb:
        pb.write(b"\xff")  # Same size, other content.
    before = read_tree(entry)
    assert recovery.finish_install(entry) is False
    assert read_tree(entry) == before and os.path.isdir(leftover)
    assert health.deep_damage(entry) == (None, True)


@contextlib.contextmanager
def _upstream_download(entry: str, tmp_dir: str) -> Iterator[None]:
    """tensorflow_hub's `<entry>.lock` naming a live process of this host writing `tmp_dir`
    (a real process, killed at the end: the file then names a dead process)."""
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        uid = tmp_dir[len(entry) + 1 : -len(layout.TMP_SUFFIX)]
        content = f"{socket.gethostname()}.{writer.pid}.{uid}"
        with open(layout.upstream_lock_path(entry), "w", encoding="utf-8") as lock:
            lock.write(content)
        yield
    finally:
        writer.kill()
        writer.wait()


def test_no_install_is_finished_while_tensorflow_hub_downloads_the_entry(isolated_cache, tmp_path):
    """Mutant: the live `<entry>.lock` check of `finish_install` -> `False`. A folder of a
    tensorflow_hub download that holds the manifest's files (about to be renamed by it) was
    taken from under it; now nothing is done until that download ends."""
    entry, new = _killed_before_rename(tmp_path)
    with _upstream_download(entry, new):
        assert recovery.finish_install(entry) is False
        assert os.path.isdir(new) and health.full_damage(entry) is not None
    assert recovery.finish_install(entry) is True  # Its writer is gone: the lock is stale.
    assert read_tree(entry) == _NEW_FILES and not os.path.lexists(new)


def test_damage_that_an_install_ended_meanwhile_is_settled_as_ok(isolated_cache, tmp_path):
    """Mutant: the second check of `verify.settle` dropped. `tfhub cache verify` checked an
    entry while an `import --force` stood between its manifest and its rename, and the import
    ended before the lock was looked at: the first answer was reported as damage."""
    entry, new = _killed_before_rename(tmp_path)
    seen = health.full_damage(entry)  # The first look, during the install.
    os.rename(entry, entry + ".old")  # The install's two renames.
    os.rename(new, entry)
    verdict = verify.settle(entry, seen, lambda: health.full_damage(entry))
    assert verdict == verify.Verdict("ok", None)


def test_a_leftover_folder_with_other_sizes_is_not_put_in_place(isolated_cache, tmp_path):
    """Mutant: `list_files(folder) == manifest.sizes` -> only the names compared. A folder of
    a download killed while writing (its last file cut short) was put in place of the entry,
    whose old folder was deleted: the entry stayed damaged and lost its old files."""
    entry, new = _killed_before_rename(tmp_path)
    with open(os.path.join(new, "saved_model.pb"), "r+b") as pb:
        pb.truncate(7)
    old = read_tree(entry)
    assert recovery.finish_install(entry) is False
    assert read_tree(entry) == old and os.path.isdir(new)


def test_prune_of_a_damaged_entry_another_rm_removed_meanwhile_is_skipped(isolated_cache, tmp_path):
    """Mutant: prune's `{"kept": "kept", "gone": "skipped"}` -> without "gone". An entry
    planned as damaged and removed by another `tfhub cache rm` before prune got to it was
    counted as removed by this prune."""
    entry = _damaged_entry(tmp_path)
    planned = prune.plan()
    assert [(item.path, item.kind) for item in planned] == [(entry, "damaged entry")]
    assert store.remove(entry).removed == "folder"  # The other process's `rm`.
    result = prune._apply(planned[0])
    assert result.outcome == "skipped", result


def test_prune_of_a_leftover_another_prune_removed_meanwhile_is_skipped(isolated_cache, tmp_path):
    """Mutant: prune's `if not os.path.lexists(item.path)` (gone meanwhile) -> `False`. A
    leftover download removed by another prune after this one planned it was counted as
    removed by this one."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    leftover = layout.new_tmp_dir(entry)
    shutil.copytree(entry, leftover)
    planned = prune.plan()
    assert [(item.path, item.kind) for item in planned] == [(leftover, "leftover download")]
    assert [result.outcome for result in prune.prune()] == ["removed"]  # The other prune.
    result = prune._apply(planned[0])
    assert (result.outcome, result.detail) == ("skipped", "gone meanwhile")


def test_prune_keeps_bookkeeping_whose_entry_was_installed_again_meanwhile(
    isolated_cache, tmp_path
):
    """Mutants: prune's re-check under the lock (`_still_prunable`) -> skipped, and its
    "orphan bookkeeping whose entry exists now" rule -> `False`. The descriptor and manifest
    of a folder deleted by hand, planned as orphans, were removed after another process had
    installed the entry again: it lost its bookkeeping (and `cache list` its handle)."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    handle = "https://h.example/models/m/1"
    entry = import_archive(archive, handle)
    shutil.rmtree(entry)
    planned = [item for item in prune.plan() if item.kind == "orphan bookkeeping"]
    assert len(planned) == 2  # The descriptor and the manifest.
    assert import_archive(archive, handle) == entry  # Another process installs it again.
    results = [prune._apply(item) for item in planned]
    assert [(result.outcome, result.detail) for result in results] == [("kept", "in use again")] * 2
    assert store.entry(entry).handle == handle and health.full_damage(entry) is None


def test_prune_leaves_a_folder_tensorflow_hub_started_writing_after_the_plan(
    isolated_cache, tmp_path
):
    """Mutants: prune's re-check of a live tensorflow_hub download for leftover downloads
    (`kind in ("orphan bookkeeping", "leftover download")` -> orphans only), and its
    `upstream is None or upstream.is_stale()` -> `upstream is None`. A download that started
    after the plan lost its folder; a lock whose writer died kept its leftover forever."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    leftover = layout.new_tmp_dir(entry)
    shutil.copytree(entry, leftover)
    (planned,) = prune.plan()
    assert (planned.path, planned.kind) == (leftover, "leftover download")
    with _upstream_download(entry, leftover):
        result = prune._apply(planned)
        assert (result.outcome, result.detail) == ("kept", "in use again")
        assert os.path.isdir(leftover)
    assert prune._apply(planned).outcome == "removed"  # Its writer is gone now.
    assert not os.path.lexists(leftover) and health.full_damage(entry) is None


def test_prune_leaves_files_not_named_like_an_entrys_bookkeeping(isolated_cache, tmp_path):
    """Mutants: `layout.is_entry_name(...)` dropped from prune's orphan and leftover rules. A
    file of the user's in the cache folder that merely ends like bookkeeping or a download
    (`notes.descriptor.txt`, `scratch.tmp`) was deleted."""
    import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    mine = [
        isolated_cache / name
        for name in ("notes.descriptor.txt", "run.manifest.json", "scratch.tmp", "log.part")
    ]
    for path in mine:
        path.write_text("mine")
    assert prune.plan() == [] and prune.prune() == []
    assert all(path.read_text() == "mine" for path in mine)


def test_a_cache_on_a_read_only_mount_that_lacks_the_model_says_to_pre_fill_it(
    tmp_path, monkeypatch
):
    """Mutant: `ensure_writable_root`'s `if not os.access(root, os.W_OK)` -> `False`. An
    install into a cache on a read-only mount failed later, at its lock, with an error that
    did not say that the cache lacks the model and how to pre-fill it."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    with mounts.tmpfs(tmp_path / "fs", "size=1m") as mount_point:
        root = mount_point / "cache"
        root.mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
        with pytest.raises(errors.CacheError) as caught:
            import_archive(archive, "https://h.example/models/m/1")
        assert "is read-only and does not hold a complete copy" in str(caught.value)
        assert "tfhub pull" in str(caught.value) and os.listdir(root) == []


@contextlib.contextmanager
def _immutable(path: str, *, root: str) -> Iterator[None]:
    """Makes a file immutable (`chattr +i`: not even root may delete it) for the block; then
    every file below `root` (where the file may have moved) is mutable again."""
    done = subprocess.run(["chattr", "+i", path], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not possible here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-R", "-i", root], check=True)


def test_rm_of_an_entry_whose_file_resists_says_so_and_keeps_its_bookkeeping(
    isolated_cache, tmp_path
):
    """Mutant: `remove_tree`'s `if strict and os.path.lexists(doomed)` -> `False`. `tfhub
    cache rm` of an entry with a file that cannot be deleted (immutable, a busy mount) said
    it was removed, and removed the bookkeeping that lets `prune` find what was left."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    with _immutable(os.path.join(entry, "saved_model.pb"), root=os.fspath(isolated_cache)):
        with pytest.raises(errors.CacheError, match="Could not remove all of"):
            store.remove(entry)
        assert os.path.exists(layout.manifest_path(entry))
        assert os.path.exists(layout.descriptor_path(entry))
    assert store.remove(entry).removed == "leftovers"  # Once the file may go.
    assert not store.has_remains(entry)


def test_rm_of_an_entry_folder_given_with_a_trailing_slash(isolated_cache, tmp_path):
    """Mutant: `remove`'s `module_path.rstrip("/" + os.sep) or module_path` dropped. An entry
    folder given as `<cache>/<sha1>/` (as a shell completes a folder) was refused as no entry
    name."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    assert store.remove(entry + os.sep).removed == "folder"
    assert not store.has_remains(entry)


def test_prune_does_not_wait_for_a_tensorflow_hub_download(isolated_cache, tmp_path, monkeypatch):
    """Mutant: `remove`'s `if timeout != 0` (before waiting for tensorflow_hub's download) ->
    `True`. `tfhub cache prune` (which never waits: timeout 0) waited for a live
    tensorflow_hub download of a damaged entry, up to TFHUB_LOCK_TIMEOUT without growth."""
    import time

    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "20")
    entry = _damaged_entry(tmp_path)
    download = layout.new_tmp_dir(entry)
    os.mkdir(download)
    with _upstream_download(entry, download):
        started = time.monotonic()
        results = prune.prune()
        took = time.monotonic() - started
        lock_left = os.path.exists(layout.upstream_lock_path(entry))
    assert took < 10, took
    assert [(result.item.path, result.outcome) for result in results] == [(entry, "removed")]
    assert lock_left and os.path.isdir(download)  # tensorflow_hub's download is left to it.


def test_rm_finishes_what_an_interrupted_removal_left(isolated_cache, tmp_path):
    """Mutants: `remove`'s loop over `removal_leftovers` -> nothing, and `has_remains`'s
    `bool(removal_leftovers(...))` -> `False`. The half-deleted folder an `rm` killed after
    renaming the entry aside leaves (`<entry>.<uid>.deleting.tmp`) was kept by the next `rm`,
    which said it finished; alone (its bookkeeping gone too), it was "removed meanwhile"."""
    for bookkeeping_left in (True, False):
        entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
        aside = store.set_aside(entry)  # What the killed `rm` did first.
        assert aside is not None and aside.endswith(".deleting.tmp")
        os.remove(os.path.join(aside, "saved_model.pb"))  # ...and part of its deleting.
        if not bookkeeping_left:
            os.remove(layout.manifest_path(entry))
            os.remove(layout.descriptor_path(entry))
        assert store.has_remains(entry)
        removal = store.remove(entry)
        assert removal.removed == "leftovers", removal
        assert not os.path.lexists(aside) and not store.has_remains(entry)


def test_a_bookkeeping_write_on_a_full_disk_leaves_no_part_file(tmp_path):
    """Mutant: `atomic_write_text`'s cleanup of its temporary `.part` file dropped. A manifest
    written on a full disk left `<entry>.manifest.json.<uid>.part` (filling it further), which
    nothing removes."""
    with mounts.tmpfs(tmp_path / "fs", "size=64k") as mount_point:
        target = os.fspath(mount_point / ("0" * 40 + layout.MANIFEST_SUFFIX))
        with pytest.raises(errors.DiskFullError):
            bookkeeping.atomic_write_text(target, "x" * (1 << 20))
        assert os.listdir(mount_point) == []


def test_resolves_bounded_check_covers_the_largest_files_and_the_key_files(isolated_cache):
    """Mutants: the sample's `[:SAMPLE_LARGEST]` largest files -> none, and its SavedModel key
    files dropped. A cut-short large file (the variables shard a full disk truncated) or a
    lost `saved_model.pb` that fell between the spread's picks passed every resolve."""
    from tfhub.download import atomic_download

    names = [f"assets/f{i:04d}" for i in range(200)]
    files = {name: b"x" * 8 for name in names}
    files[names[1]] = b"y" * 4096  # Index 1: never one of the spread's picks (step > 2).
    files["variables/variables.index"] = b"index"  # Sorted last, among the smallest.

    def fill(target: str) -> None:
        for name, data in files.items():
            os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
            with open(os.path.join(target, name), "wb") as out:
                out.write(data)

    entry = atomic_download("many-files", fill)
    with open(os.path.join(entry, names[1]), "r+b") as big:
        big.truncate(100)
    assert health.damage(entry) == f"{names[1]} has 100 bytes instead of 4096"
    os.remove(os.path.join(entry, names[1]))
    assert health.damage(entry) == f"{names[1]} is missing"
    atomic_download("many-files", fill)  # Installed anew.
    os.remove(os.path.join(entry, "variables", "variables.index"))
    assert health.damage(entry) == "variables/variables.index is missing"


def test_a_manifest_of_another_format_or_with_empty_path_parts_is_no_manifest(
    isolated_cache, tmp_path
):
    """Mutants: `parse_header`'s `raw.get("format") != 2` dropped, and `safe_relpath`'s empty
    part (`""`) allowed. A manifest of another format (a later tfhub's, whose fields may
    mean other things) was read as this one; a listed `variables//x` or `variables/` (a
    folder: its size stat'ed as a file's) passed as a path of the entry."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    manifest = layout.manifest_path(entry)
    with open(manifest, encoding="utf-8") as text:
        written = text.read()
    assert written.startswith('{"format":2,')
    with open(manifest, "w", encoding="utf-8") as text:
        text.write(written.replace('{"format":2,', '{"format":3,', 1))  # Same length.
    assert health.damage(entry) == health.BAD_MANIFEST
    for odd in ("variables//variables.index", "variables/"):
        text = bookkeeping.manifest_text({odd: 5}, {odd: "0" * 64}, algorithm="sha256")
        assert bookkeeping.parse_manifest(text) is None, odd


def test_a_manifest_whose_count_disagrees_with_its_list_is_no_manifest(isolated_cache, tmp_path):
    """Mutant: `_parse_files`'s `len(sizes) != header.file_count` dropped. A manifest whose
    header (what `cache list` and resolve read) no longer matches its file list passed
    `tfhub cache verify`."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    manifest = layout.manifest_path(entry)
    with open(manifest, encoding="utf-8") as text:
        written = text.read()
    assert '"count":3,' in written
    with open(manifest, "w", encoding="utf-8") as text:
        text.write(written.replace('"count":3,', '"count":4,', 1))
    assert health.full_damage(entry) == health.BAD_MANIFEST


def test_a_replaced_manifest_is_read_again(isolated_cache, tmp_path):
    """Mutant: `read_header`'s memo used without comparing the manifest's (inode, mtime,
    size). After `import --force` replaced the entry, resolve kept checking it against the
    old manifest's sample ("variables/variables.index is missing")."""
    handle = "https://h.example/models/m/1"
    entry = import_archive(make_tar_gz(tmp_path / "old.tar.gz"), handle)
    assert health.damage(entry) is None and bookkeeping.read_header(entry).file_count == 3
    new = make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES)
    assert import_archive(new, handle, force=True) == entry
    assert bookkeeping.read_header(entry).file_count == len(_NEW_FILES)
    assert health.damage(entry) is None


def test_tfhub_never_writes_over_a_live_tensorflow_hub_lock(isolated_cache, tmp_path):
    """Mutant: `_write_new_file`'s `O_EXCL` -> `O_TRUNC`. A tfhub download that began while
    tensorflow_hub downloaded the entry wrote its own "host.pid.uid" over tensorflow_hub's
    lock file, and removed it when done: tensorflow_hub's waiters then took its download for
    finished or abandoned."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    theirs = layout.new_tmp_dir(entry)
    os.mkdir(theirs)
    lock = layout.upstream_lock_path(entry)
    with _upstream_download(entry, theirs):
        with open(lock, encoding="utf-8") as text:
            written = text.read()
        with locks.upstream_lock(entry, layout.new_tmp_dir(entry)):
            with open(lock, encoding="utf-8") as text:
                assert text.read() == written
        with open(lock, encoding="utf-8") as text:
            assert text.read() == written


def test_a_wait_for_tensorflow_hub_ends_once_the_entry_is_complete(
    isolated_cache, tmp_path, monkeypatch
):
    """Mutant: `wait_for_upstream_download`'s `if health.is_complete(...)` -> `False`. A
    tensorflow_hub download that had installed the entry but not yet removed its lock file
    (or was killed just then) was waited for until TFHUB_LOCK_TIMEOUT without growth."""
    import time

    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "20")
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    with _upstream_download(entry, layout.new_tmp_dir(entry)):
        started = time.monotonic()
        assert locks.wait_for_upstream_download(entry) == (True, None)
        assert time.monotonic() - started < 10


def test_import_puts_a_gs_archive_in_the_cache_and_repairs_a_damaged_entry(
    isolated_cache, tmp_path
):
    """Mutants: `import_archive`'s `GcsPath and not parsed.is_archive` -> any GcsPath, and
    its `not force and health.is_complete(...)` -> `os.path.isdir(...)`. A gs:// archive
    (looked up in the cache) was refused, and a damaged entry was kept as "already in the
    cache" instead of being replaced by the archive given."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    entry = import_archive(archive, "gs://bucket/models/m.tar.gz")
    assert entry == layout.module_dir("gs://bucket/models/m.tar.gz")
    assert health.full_damage(entry) is None
    with pytest.raises(errors.InvalidHandleError):
        import_archive(archive, "gs://bucket/models/m")  # A folder: read in place.
    os.remove(os.path.join(entry, "saved_model.pb"))
    assert import_archive(archive, "gs://bucket/models/m.tar.gz") == entry
    assert health.deep_damage(entry) == (None, True)


def test_a_lock_file_a_new_download_wrote_meanwhile_is_not_removed_as_dead(
    isolated_cache, tmp_path, monkeypatch
):
    """Mutant: `remove_dead_upstream_locks`' re-check under the entry's lock
    (`current.is_stale()`) dropped. A tensorflow_hub download that started after the dead lock
    file was listed (its process rewrote `<entry>.lock`) lost its lock file. The new download
    starts right before the entry's lock is taken: `entry_lock` itself stays the real one."""
    holding = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    other = layout.module_dir("https://h.example/models/other/1")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = layout.upstream_lock_path(other)
    with open(lock, "w", encoding="utf-8") as text:
        text.write(f"{socket.gethostname()}.{dead.pid}.{'0' * 32}")
    started = []
    real_entry_lock = locks.entry_lock

    @contextlib.contextmanager
    def entry_lock(module_path: str, **options: object) -> Iterator[bool]:
        if module_path == other and not started:
            started.append(stack.enter_context(_upstream_download(other, new_tmp)))
        with real_entry_lock(module_path, **options) as held:  # type: ignore[arg-type]
            yield held

    new_tmp = layout.new_tmp_dir(other)
    with contextlib.ExitStack() as stack:
        monkeypatch.setattr(locks, "entry_lock", entry_lock)
        locks.remove_dead_upstream_locks(os.fspath(isolated_cache), holding=holding)
        assert started and os.path.exists(lock)
        assert not locks.read_upstream_lock(other).is_stale()


def test_a_lock_file_is_removed_only_while_it_is_still_ours(isolated_cache, tmp_path):
    """Mutant: `remove_upstream_lock`'s `current.content == content` dropped. A download
    ending removed `<entry>.lock` after tensorflow_hub had taken it over (rewritten it)."""
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/models/m/1")
    with _upstream_download(entry, layout.new_tmp_dir(entry)):
        locks.remove_upstream_lock(entry, f"{socket.gethostname()}.{os.getpid()}.{'1' * 32}")
        assert os.path.exists(layout.upstream_lock_path(entry))


def test_a_download_replaces_the_dead_lock_file_of_its_own_entry(isolated_cache, tmp_path):
    """Mutant: `remove_dead_upstream_locks`' removal of the held entry's own dead lock file
    dropped. The entry's lock is held by this download, so the file was skipped as "in use":
    the dead file stayed and tensorflow_hub processes did not see this download."""
    entry = layout.module_dir("https://h.example/models/m/1")
    os.makedirs(os.path.dirname(entry))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = layout.upstream_lock_path(entry)
    with open(lock, "w", encoding="utf-8") as text:
        text.write(f"{socket.gethostname()}.{dead.pid}.{'0' * 32}")
    tmp_dir = layout.new_tmp_dir(entry)
    with locks.entry_lock(entry, what="a test download", timeout=0):
        with locks.upstream_lock(entry, tmp_dir):
            mine = locks.read_upstream_lock(entry)
            assert mine is not None and mine.pid == os.getpid()
            assert layout.tmp_dir_task_uid(entry, tmp_dir) == mine.task_uid
    assert not os.path.exists(lock)


def test_only_hashes_of_files_of_the_reported_size_are_recorded(isolated_cache, tmp_path):
    """Mutant: `known_digests`' `files.get(rel) == size` dropped. A hash a fetch reported for
    a file that is not what ended on disk (another size) was recorded as its content."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"abcd")
    sizes = bookkeeping.list_files(os.fspath(folder))
    reported = ({"a.bin": (3, "0" * 64)}, "sha256")
    assert bookkeeping.known_digests(sizes, reported) == {}
    assert bookkeeping.known_digests(sizes, ({"a.bin": (4, "f" * 64)}, "sha256")) == {
        "a.bin": "f" * 64
    }


def test_an_entry_of_a_text_saved_model_or_of_tensorflow_hub_is_listed_whole(isolated_cache):
    """Mutants: `("saved_model.pb", "saved_model.pbtxt")` -> the binary only, and the size
    of an entry without manifest (tensorflow_hub's) -> 0. A SavedModel saved as text was
    called damaged ("saved_model.pb is missing"); `cache list` showed tensorflow_hub's
    entries as 0 bytes."""
    entry = tensorflow_hub_entry(isolated_cache, "https://h.example/models/text/1")
    os.rename(os.path.join(entry, "saved_model.pb"), os.path.join(entry, "saved_model.pbtxt"))
    os.mkdir(os.path.join(entry, "variables"))
    assert health.damage(entry) is None
    listed = store.entry(entry)
    assert (listed.size, listed.damage) == (os.path.getsize(entry + "/saved_model.pbtxt"), None)


def test_import_keys_the_entry_as_downloads_do(isolated_cache, tmp_path):
    """Mutant: `import_archive`'s `handles.cache_handle(handle)` -> the handle as given. An
    import under a URL with credentials or in upper case made an entry no resolve of that
    URL finds (and named the password in the cache folder's listing)."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    for given in ("https://ann:secret@h.example/m/1", "HTTPS://h.example/m/1"):
        assert import_archive(archive, given) == layout.module_dir("https://h.example/m/1")
