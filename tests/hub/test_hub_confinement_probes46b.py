"""Session 46b (review46c's H-a, H-b, M-b, M-c and LOWs): the confined open passes through
folders the server may search but not list, and the cache of packed archives is checked once,
at its real path, by every way of starting the hub.

* H-b: folders on the walk are opened for search only (`O_PATH`), so ROOT or a folder above a
  file at mode 0711 serves the file (as before the walk); a file the server's user may not read
  is a 403 with one warning, not a 500. Run as the user nobody in a forked child (root reads
  everything);
* H-a, M-b: the cache folder's real path is taken once at start; a --cache-dir symlink made by
  another user is refused, and the library (`create_app`, `BackgroundServer`) checks it too;
* M-c: team folders (2775, group one of ours) and own 0775 are taken; o+w or another user's
  folder not shared with one of our groups are refused, saying which and the fix."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.cache_users import NOBODY, run_as_user
from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub import errors
from tfhub.hub import api, cache_dir, confinement, files
from tfhub.hub.app import create_app
from tfhub.hub.archives import fingerprint
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder in /tmp the user nobody may pass through (pytest's tmp_path is root's 0700)."""
    made = Path(tempfile.mkdtemp(prefix="hubconf46b-", dir="/tmp"))
    os.chmod(made, 0o711)
    yield made
    shutil.rmtree(made)


def _read_as_nobody(path: Path, root: Path) -> bytes | None:
    def read() -> bytes | None:
        fd = confinement.open_inside(path, root)
        if fd is None:
            return None
        try:
            return os.read(fd, 100)
        finally:
            os.close(fd)

    return run_as_user(read).result()


# --- H-b: search permission is enough on the walk --------------------------------------------


def test_a_file_below_a_root_of_mode_0711_is_opened(shared_tmp):
    root = shared_tmp / "hub"
    model = root / "assets" / "docs" / "acme" / "models" / "m"
    model.mkdir(parents=True)
    (model / "1.tar.gz").write_bytes(b"the archive")
    for folder in [root, *model.relative_to(root).parents, model.relative_to(root)]:
        os.chmod(root / folder, 0o755)
    os.chmod(root, 0o711)
    os.chmod(model / "1.tar.gz", 0o644)
    assert _read_as_nobody(model / "1.tar.gz", root) == b"the archive"


def test_a_file_below_a_bucket_folder_of_mode_0711_is_opened(shared_tmp):
    bucket = shared_tmp / "bucket"
    bucket.mkdir(mode=0o711)
    os.chmod(bucket, 0o711)
    (bucket / "m.tar.gz").write_bytes(b"in the bucket")
    os.chmod(bucket / "m.tar.gz", 0o644)
    assert _read_as_nobody(bucket / "m.tar.gz", shared_tmp) == b"in the bucket"


def _serve(path: Path, root: Path) -> tuple[int, bytes, list[str]]:
    """GET `path` through `files.FileResponse` (the real ASGI response, no server): the status,
    the body and the warnings logged."""
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    scope = {"type": "http", "method": "GET", "headers": []}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    logging.getLogger("tfhub.hub").addHandler(handler)
    try:
        asyncio.run(files.FileResponse(path, root=root)(scope, receive, send))
    finally:
        logging.getLogger("tfhub.hub").removeHandler(handler)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), warnings


def test_a_file_the_server_may_not_read_is_a_403_with_one_warning(shared_tmp):
    secret = shared_tmp / "unreadable.tar.gz"
    secret.write_bytes(b"root's only")
    os.chmod(secret, 0o600)
    status, body, warnings = run_as_user(_serve, secret, shared_tmp).result()
    assert status == 403, body
    assert body.startswith(b"403 Forbidden: the hub's server may not read this file")
    assert warnings == [f"Cannot send {secret}: Permission denied (answered 403)"]


# --- H-a, M-b: the cache folder checked once, at its real path, by every way to start ----------

PLANTED = b"PLANTED BY ANOTHER USER"


def _hub_with_a_planted_archive(tmp_path: Path, planted_in: Path) -> Path:
    """ROOT with one folder version; its packed archive's name planted in `planted_in`."""
    root = tmp_path / "hub"
    folder = write_model_folder(write_model_doc(root, "acme/fold/1"))
    planted_in.mkdir(exist_ok=True)
    make_tar_gz(planted_in / f"{fingerprint(folder)}.tar.gz", {"saved_model.pb": PLANTED})
    return root


def _download(app: Any) -> tuple[int, bytes]:
    return asgi_request(app, "GET", b"/acme/fold/1", b"tf-hub-format=compressed")


def test_a_cache_dir_symlink_of_another_user_is_refused(tmp_path):
    """e2e_cache_symlink_swap.py: another user made the link (in sticky /tmp) to a folder of
    ours, to re-point it later at its own folder of planted archives."""
    ours = tmp_path / "ours"
    ours.mkdir(mode=0o700)
    link = tmp_path / "tfhub-serve-0"
    os.symlink(ours, link)
    os.lchown(link, NOBODY, NOBODY)
    with pytest.raises(errors.ServeConfigError) as caught:
        cache_dir.check_cache_dir(str(link))
    message = str(caught.value)
    assert f"Cannot pack folder versions into {link}: it is a symlink owned by " in message
    assert f"uid {NOBODY}" in message and repr(str(ours)) in message
    root = _hub_with_a_planted_archive(tmp_path, tmp_path / "evil")
    with pytest.raises(errors.ServeConfigError, match="it is a symlink owned by"):
        create_app(ServeSettings(root=str(root), cache_dir=str(link), rescan_seconds=0))


def test_a_cache_dir_link_re_pointed_after_the_start_is_not_followed(tmp_path):
    """The real path taken at start is used for every request: a link re-pointed at a folder of
    planted archives later (by whoever may) changes nothing."""
    evil = tmp_path / "evil"
    root = _hub_with_a_planted_archive(tmp_path, evil)
    ours = tmp_path / "ours"
    ours.mkdir(mode=0o700)
    link = tmp_path / "cache-link"
    os.symlink(ours, link)
    app = create_app(ServeSettings(root=str(root), cache_dir=str(link), rescan_seconds=0))
    os.symlink(evil, tmp_path / "new-link")
    os.replace(tmp_path / "new-link", link)
    status, body = _download(app)
    assert status == 200 and PLANTED not in body
    assert [path.name for path in ours.iterdir() if path.name.endswith(".tar.gz")]


def _planted_cache(tmp_path: Path) -> tuple[Path, Path]:
    """library_planted_cache.py: another user's 0777 folder holding a planted archive."""
    cache = tmp_path / "planted"
    root = _hub_with_a_planted_archive(tmp_path, cache)
    os.chmod(cache, 0o777)
    os.chown(cache, NOBODY, NOBODY)
    return root, cache


def test_create_app_refuses_a_cache_dir_another_user_may_plant_in(tmp_path):
    root, cache = _planted_cache(tmp_path)
    with pytest.raises(
        errors.ServeConfigError,
        match=f"into {cache}: it is owned by nobody.*; and it is writable by every",
    ):
        create_app(ServeSettings(root=str(root), cache_dir=str(cache), rescan_seconds=0))


def test_background_server_refuses_a_cache_dir_another_user_may_plant_in(tmp_path):
    root, cache = _planted_cache(tmp_path)
    with pytest.raises(
        errors.ServeConfigError,
        match=f"into {cache}: it is owned by nobody.*; and it is writable by every",
    ):
        BackgroundServer(ServeSettings(root=str(root), cache_dir=str(cache), rescan_seconds=0))


# --- M-c: what teams and upgrades have is taken; what lets a stranger plant is refused ---------


@pytest.mark.parametrize(
    ("mode", "owner", "group"),
    [
        (0o700, 0, 0),  # Own, private: the default.
        (0o755, 0, 0),
        (0o775, 0, 0),  # Own, made by an older tfhub under umask 002.
        (0o2775, NOBODY, 0),  # A team folder of another member, its group one of ours.
        (0o2770, NOBODY, 0),
    ],
    ids=["own-0700", "own-0755", "own-0775", "team-2775", "team-2770"],
)
def test_a_cache_dir_no_stranger_may_write_into_is_taken(tmp_path, mode, owner, group):
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chown(cache, owner, group)
    os.chmod(cache, mode)
    assert cache_dir.check_cache_dir(str(cache)) == str(cache)


@pytest.mark.parametrize(
    ("mode", "owner", "group", "why", "fix"),
    [
        (0o777, 0, 0, "it is writable by every user (o+w)", "'chmod o-w {cache}'"),
        (0o1777, 0, 0, "it is writable by every user (o+w)", "'chmod o-w {cache}'"),
        (0o702, 0, 0, "it is writable by every user (o+w)", "'chmod o-w {cache}'"),
        (0o2777, NOBODY, 0, "it is writable by every user (o+w)", "'chmod o-w {cache}'"),
        (0o755, 1000, 1000, "(uid 1000), not this user", "'chown root {cache}'"),
        (0o2775, NOBODY, NOBODY, f"owned by nobody (uid {NOBODY}), not", "'chown root {cache}'"),
        (0o2755, NOBODY, 0, "and is no team folder shared with", "'chown root {cache}'"),
    ],
    ids=[
        "own-0777",
        "own-1777",
        "own-0702",
        "team-2777",
        "volume-0755",
        "stranger-2775",
        "ro-2755",
    ],
)
def test_a_cache_dir_a_stranger_may_write_into_is_refused(tmp_path, mode, owner, group, why, fix):
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chown(cache, owner, group)
    os.chmod(cache, mode)
    with pytest.raises(errors.ServeConfigError) as caught:
        cache_dir.check_cache_dir(str(cache))
    message = str(caught.value)
    assert (
        message.startswith(f"Cannot pack folder versions into {cache}: it is ") and why in message
    )
    assert fix.format(cache=cache) in message and f"mode {mode:04o}" in message
    assert "--cache-dir another folder" in message and "go-w" not in message


# --- LOW: the size refusal is logged once; ENOTDIR's words -----------------------------------


def test_a_refused_size_is_logged_once_per_path(tmp_path, caplog):
    """review46c LOW: every page and API call measuring a folder swapped for a symlink out of
    ROOT logged the refusal again (log flooding): once per path per process now."""
    from tfhub.hub.catalog import Catalog

    folder = write_model_folder(write_model_doc(tmp_path / "hub", "acme/emb/1"))
    version = Catalog.scan(tmp_path / "hub").models["acme/emb"].versions[1]
    shutil.copytree(folder, tmp_path / "outside")
    shutil.rmtree(folder)
    folder.symlink_to(tmp_path / "outside", target_is_directory=True)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub"):
        sizes = [api.version_size(version) for _ in range(3)]
    assert sizes == [None, None, None]
    refusals = [r.getMessage() for r in caplog.records if "Refused to send" in r.getMessage()]
    assert refusals == [
        f"Refused to send {folder}: its real path {tmp_path / 'outside'} is outside "
        f"{tmp_path / 'hub'} (its size left out)"
    ]


def test_a_file_in_place_of_a_folder_above_is_worded_so(tmp_path, caplog):
    """ENOTDIR is no symlink: the warning says the folder above is no longer a folder."""
    root = tmp_path / "hub"
    (root / "m").mkdir(parents=True)
    (root / "m" / "1.tar.gz").write_bytes(b"inside")
    real_open = os.open

    def replacing_open(*args: Any, **kwargs: Any) -> int:
        os.open = real_open
        shutil.rmtree(root / "m")
        (root / "m").write_bytes(b"a file now")
        return real_open(*args, **kwargs)

    os.open = replacing_open
    try:
        with caplog.at_level(logging.WARNING, logger="tfhub.hub.confinement"):
            assert confinement.open_inside(root / "m" / "1.tar.gz", root) is None
    finally:
        os.open = real_open
    assert caplog.messages == [
        f"Refused to send {root / 'm' / '1.tar.gz'}: a folder above it is no longer a folder "
        "(a file put in its place) since it was checked (answered 404)"
    ]


# --- M-a: the folder packed is the one the confined walk opened ------------------------------


def test_a_model_folder_swapped_after_the_last_check_is_packed_as_opened(tmp_path, monkeypatch):
    """review46c M-a (pack_race_real.py won it with rename(2) alone): the model folder swapped
    for a symlink out of ROOT after the check right before packing was packed through the link.
    The swap is made deterministic: right after that second check returns."""
    import tarfile

    from tfhub.hub import archives

    root = tmp_path / "hub"
    folder = write_model_folder(write_model_doc(root, "acme/emb/1"))
    outside = tmp_path / "outside"
    shutil.copytree(folder, outside)
    (outside / "assets").mkdir(exist_ok=True)
    (outside / "assets" / "secret.txt").write_bytes(PLANTED)
    real_inside, calls = confinement.real_inside, []

    def swapping(*args: Any, **kwargs: Any) -> str | None:
        found = real_inside(*args, **kwargs)
        calls.append(found)
        if len(calls) == 2:  # The check right before packing passed: now the swap.
            folder.rename(root / "moved-away")
            folder.symlink_to(outside, target_is_directory=True)
        return found

    monkeypatch.setattr(confinement, "real_inside", swapping)
    packed = archives.packed_archive(folder, cache_dir=str(tmp_path / "cache"), root=root)
    assert len(calls) == 2 and folder.is_symlink()  # The swap happened.
    assert packed is not None
    with tarfile.open(packed) as tar:
        names = tar.getnames()
    assert "assets/secret.txt" not in names and "saved_model.pb" in names
