"""review47d's findings on `tfhub serve --cache-dir`, fixed: a Kubernetes emptyDir (root's,
0777, no sticky bit) refused with advice a non-root user can follow, and taken with the
explicit `--cache-dir-shared-parents` (the cache folder itself this user's, 0700); a cache
folder made unwritable after start named with what to do, not the model folder's chmod (L1);
the overflow uid taken as root's only where no user of the namespace has it, said once as a
warning naming the folder, and the overflow gid never one of this user's groups (L2)."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests._helpers.cache_users import NOBODY, run_as_user
from tests._helpers.hub_server import free_port
from tests.hub.test_serving_fixes_probes47 import (
    _captured,
    _download,
    _folder_hub,
    needs_root,
)

from tfhub import errors
from tfhub.hub import archive_answers, cache_dir, userns
from tfhub.hub.app import create_app
from tfhub.hub.pack import pack
from tfhub.hub.runner import check_options
from tfhub.hub.settings import ServeSettings
from tfhub.utils.warn_once import WarnedOnce

OTHER = 1000  # Another user, not root.


def _as_nobody(work: Callable[[], str]) -> str:
    """What `work()` returns in a forked child run as the user nobody (no groups), or the error
    it raised as "raised Class: message"."""
    outcome = run_as_user(work)
    return f"raised {outcome.value}" if outcome.kind == "raised" else outcome.result()


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder the user nobody can reach, root's and 1777 as /tmp is (tmp_path's parents are
    root's, 0700)."""
    made = Path(tempfile.mkdtemp(prefix="cachedir48-", dir="/tmp"))
    os.chmod(made, 0o1777)
    yield made
    shutil.rmtree(made)


def _empty_dir(shared: Path) -> Path:
    """A folder as Kubernetes mounts an emptyDir volume: root's, mode 0777, no sticky bit."""
    volume = shared / "volume"
    volume.mkdir()
    os.chmod(volume, 0o777)
    return volume


@pytest.fixture(autouse=True)
def _no_shared_parents(monkeypatch: pytest.MonkeyPatch) -> None:
    """No cache folder an earlier test took keeps the opt-in in this process."""
    monkeypatch.setattr(cache_dir, "_SHARED_TAKEN", set())


@needs_root
def test_an_emptydir_parent_is_refused_with_advice_a_non_root_user_can_follow(shared):
    """Refused by default (every uid in the pod may write there); the message named 'chmod
    +t', which a non-root user cannot run on root's folder: it now names the parent, why, a
    folder of this user's own, and the explicit opt-in."""
    volume = _empty_dir(shared)
    said = _as_nobody(lambda: cache_dir.check_cache_dir(str(volume / "archives")))
    assert said.startswith("raised ServeConfigError: Cannot pack folder versions into"), said
    assert (
        f"the folder {volume} above it is writable by every user (o+w) without the sticky bit "
        "(mode 0777)"
    ) in said
    assert "--cache-dir-shared-parents" in said and "Kubernetes emptyDir" in said
    assert "~/.cache/tfhub-serve" in said  # A folder below one only this user may write.
    assert f"its owner (root) may 'chmod +t {volume}'" in said  # Not this user.
    assert not (volume / "archives").exists()


@needs_root
def test_the_opt_in_takes_an_emptydir_and_makes_the_cache_folder_private(shared):
    volume = _empty_dir(shared)

    def work() -> str:
        real = cache_dir.check_cache_dir(str(volume / "archives"), shared_parents=True)
        info = os.stat(real)
        again = cache_dir.recheck(real)
        os.chmod(real, 0o750)  # No longer this user's alone: refused before the next pack.
        later = cache_dir.recheck(real)
        return f"{real} {info.st_uid} {stat.S_IMODE(info.st_mode):o} {again}\n{later}"

    taken, later = _as_nobody(work).split("\n")
    assert taken == f"{volume}/archives {NOBODY} 700 None"
    assert later == (
        "it is not this user's alone now (mode 0750), as --cache-dir-shared-parents needs: "
        f"'chmod 700 {volume}/archives'"
    )


@needs_root
def test_the_opt_in_is_for_its_folder_only_and_still_refuses_strangers(shared):
    """Only the folder it was given for; a parent of another user (not root) stays refused
    (they own it: no mode bit helps), and the cache folder itself must be this user's, 0700."""
    volume = _empty_dir(shared)
    (volume / "open").mkdir()
    os.chown(volume / "open", NOBODY, NOBODY)
    os.chmod(volume / "open", 0o755)
    (volume / "roots").mkdir()
    os.chmod(volume / "roots", 0o777)  # Root's: writable by this user only as by every user.
    (volume / "other").mkdir()
    os.chmod(volume / "other", 0o777)
    os.chown(volume / "other", OTHER, OTHER)

    def work() -> str:
        said = []
        for name in ("open", "roots", "other/archives"):
            try:
                taken = cache_dir.check_cache_dir(str(volume / name), shared_parents=True)
                said.append(f"taken {taken}")
            except errors.ServeConfigError as err:
                said.append(str(err))
        try:
            cache_dir.check_cache_dir(str(volume / "elsewhere"))
        except errors.ServeConfigError as err:
            said.append(str(err))
        return "\n".join(said)

    open_, roots, other, elsewhere = _as_nobody(work).split("\n")
    assert "with --cache-dir-shared-parents it must be this user's alone (mode 0700)" in open_
    assert f"'chmod 700 {volume}/open'" in open_
    assert "it is owned by root (uid 0), not this user" in roots
    assert f"the folder {volume}/other above it is owned by " in other
    assert f"uid {OTHER}" in other and "not this user or root (mode 0777)" in other
    assert "writable by every user (o+w) without the sticky bit" in elsewhere


@needs_root
def test_tfhub_serve_with_the_opt_in_starts_warns_once_and_serves_from_the_emptydir(shared):
    """A worker (`create_app`, given the settings `tfhub serve` passes it) takes it and packs
    there; the parent's checks (`check_options`) take it and warn once what it allows."""
    volume = _empty_dir(shared)
    cache = volume / "archives"
    warm, _folder = _folder_hub(shared / "hub", shared / "warm")
    assert _download(warm)[0] == 200  # Imports what a download needs (nobody cannot read them).
    for path in [shared / "hub", *(shared / "hub").rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def work() -> str:
        settings = ServeSettings(root=str(shared / "hub"), cache_dir=str(cache), rescan_seconds=0)
        try:
            check_options(settings, host="127.0.0.1", port=free_port(), workers=1, server="uvicorn")
        except errors.ServeConfigError:
            pass
        else:
            return "taken without the opt-in"
        opted = ServeSettings(**{**settings.__dict__, "cache_dir_shared_parents": True})
        status = _download(create_app(opted, started=True))[0]  # A worker: its settings only.
        with _captured("tfhub.hub.settings") as lines:
            check_options(opted, host="127.0.0.1", port=free_port(), workers=1, server="uvicorn")
        return f"{status} {sorted(os.listdir(cache))}\n" + "\n".join(lines)

    said = _as_nobody(work)
    head, *warned = said.split("\n")
    assert head.startswith("200 [") and ".tar.gz" in head, said
    assert len(warned) == 1, warned
    assert warned[0].startswith("--cache-dir-shared-parents: the folders above the cache folder")
    assert str(cache) in warned[0] and "without the sticky bit" in warned[0]


def test_the_serve_command_passes_the_opt_in_to_the_server(tmp_path, monkeypatch):
    from tfhub.cli.main import main
    from tfhub.hub import runner

    given: list[ServeSettings] = []
    monkeypatch.setattr(runner, "serve", lambda settings, **_: given.append(settings))
    argv = ["serve", str(tmp_path), "--cache-dir", str(tmp_path / "c")]
    assert main([*argv, "--cache-dir-shared-parents"]) == 0
    assert main(argv) == 0
    assert [settings.cache_dir_shared_parents for settings in given] == [True, False]


@needs_root
def test_a_cache_folder_made_unwritable_after_start_is_named_with_what_to_do(shared):
    """L1: a 500 whose log gave the MODEL folder's fix ('chmod -R a+rX MODEL'); now the check
    before the pack names the cache folder, that this user cannot write it, and the fix."""
    cache = shared / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, NOBODY, NOBODY)
    warm, _folder = _folder_hub(shared / "hub", shared / "warm")
    assert _download(warm)[0] == 200  # Imports what a download needs (nobody cannot read them).
    for path in [shared / "hub", *(shared / "hub").rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def work() -> str:
        app = create_app(ServeSettings(root=str(shared / "hub"), cache_dir=str(cache)))
        os.chmod(cache, 0o500)
        with _captured("tfhub.hub.archive_answers") as lines:
            status, body = _download(app)
        return f"{status}|{body.decode()}|{' '.join(lines)}"

    status, body, log = _as_nobody(work).split("|", 2)
    assert status == "500", log
    assert "cache folder" in body
    assert "a+rX" not in log
    assert f"Refused to use the cache folder {cache}: this user (nobody (uid {NOBODY}))" in log
    assert f"cannot write into it now (mode 0500): 'chmod u+rwx {cache}'" in log


@needs_root
def test_a_pack_the_cache_folder_refuses_mid_way_names_the_cache_folder(shared, caplog):
    """L1: the archive's write failing in the cache folder (after the check: made unwritable
    meanwhile, a full disk) raised pack's "Cannot write the archive", which names no file: it
    was taken for the model folder's fault ('chmod -R a+rX MODEL')."""
    cache = shared / "cache"
    cache.mkdir(mode=0o500)
    os.chown(cache, NOBODY, NOBODY)
    model = shared / "model"
    model.mkdir(mode=0o755)
    (model / "saved_model.pb").write_bytes(b"pb")
    os.chmod(model / "saved_model.pb", 0o644)

    def work() -> str:
        try:
            pack(model, cache / ".x.tar.gz")
        except OSError as err:
            with _captured("tfhub.hub.archive_answers") as lines:
                answer = archive_answers.pack_failed(model, err, "acme/x/1", cache_dir=str(cache))
            return f"{answer.status_code}|{answer.body.decode()}|{' '.join(lines)}"
        return "packed"

    status, body, log = _as_nobody(work).split("|", 2)
    assert status == "500", log
    assert "cache folder" in body and "the folder of acme/x/1" not in body
    assert f"Cannot pack acme/x/1 into the cache folder {cache} (answered 500)" in log
    assert "a+rX" not in log and f"'chmod u+rwx {cache}'" in log


def _fake_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, uid_map: str, gid_map: str
) -> None:
    """Points the /proc files `cache_dir` reads at files that say: in a user namespace with
    these maps, overflow uid and gid 65534."""
    for name, text in {
        "uid_map": uid_map,
        "gid_map": gid_map,
        "overflowuid": f"{NOBODY}\n",
        "overflowgid": f"{NOBODY}\n",
    }.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(userns, "UID_MAP", str(tmp_path / "uid_map"))
    monkeypatch.setattr(userns, "GID_MAP", str(tmp_path / "gid_map"))
    monkeypatch.setattr(userns, "OVERFLOW_UID", str(tmp_path / "overflowuid"))
    monkeypatch.setattr(userns, "OVERFLOW_GID", str(tmp_path / "overflowgid"))
    monkeypatch.setattr(userns, "_UNMAPPED_SAID", WarnedOnce(16))


@needs_root
def test_the_overflow_uid_is_a_user_of_the_namespace_where_it_is_mapped(tmp_path, monkeypatch):
    """L2: with uid 65534 mapped (a full 65536-id map, as rootful podman gives), a folder of
    uid 65534 is its user nobody's, whom a process of the namespace may be: refused."""
    _fake_namespace(tmp_path, monkeypatch, uid_map="0 100000 65536\n", gid_map="0 100000 65536\n")
    host = tmp_path / "host"
    host.mkdir()
    os.chown(host, NOBODY, NOBODY)
    with pytest.raises(errors.ServeConfigError, match=f"is owned by nobody \\(uid {NOBODY}\\)"):
        cache_dir.check_cache_dir(str(host / "cache"))


@needs_root
def test_an_unmapped_owner_is_accepted_with_one_warning_naming_the_folder(
    tmp_path, monkeypatch, caplog
):
    """L2: root and another user of the host look alike from inside: taken as root's (else
    no rootless container could start), with a WARNING naming the folder and the limit."""
    _fake_namespace(tmp_path, monkeypatch, uid_map="0 1000 1\n", gid_map="0 1000 1\n")
    host = tmp_path / "host"
    host.mkdir()
    os.chown(host, NOBODY, NOBODY)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.userns"):
        real = cache_dir.check_cache_dir(str(host / "cache"))
        assert cache_dir.recheck(real) is None
    warned = [r for r in caplog.records if "overflow uid" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert f": {host}." in warned[0].getMessage()
    assert "another user of the host" in warned[0].getMessage()


@needs_root
def test_the_overflow_gid_is_no_group_of_this_user(tmp_path, monkeypatch):
    """L2: unmapped supplementary groups show as the overflow gid in getgroups(), as does the
    group of a host folder: a parent group-writable by 'group 65534' was taken as a team
    folder of this user's group, though its real group is unknown."""
    _fake_namespace(tmp_path, monkeypatch, uid_map="0 1000 1\n", gid_map="0 1000 1\n")
    team = tmp_path / "team"
    team.mkdir()
    os.chown(team, 0, NOBODY)
    os.chmod(team, 0o775)

    def work() -> str:
        os.setgroups([NOBODY])  # As root: the child only.
        try:
            return f"taken {cache_dir.check_cache_dir(str(team / 'cache'), team=True)}"
        except errors.ServeConfigError as err:
            return str(err)

    said = run_as_user(work, uid=0, gid=0).result()  # Root, its groups set by `work`.
    assert f"is writable by the group {NOBODY} (g+w), not one of this user's" in said, said
