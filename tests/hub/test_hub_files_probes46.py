"""Session 46: what `files.FileResponse` sends is the file it OPENED, checked to lie inside the
folder it may serve from (ROOT, or the cache of packed folder versions), not the path the
catalog checked before: a symlink swapped in since (the archive, or a folder above it) or a
FIFO named like an archive is a 404, with the server answering on. Also the one home of "is
this path inside ROOT" (`confinement`) and the bound of `settled`'s warned journals.

The servers are real `tfhub serve` processes (`--rescan 0`: the catalog keeps what it scanned,
so the swap after the start is what the catalog would have accepted only before it)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import serve_hub, write_model_doc, write_model_folder

from tfhub.hub import commit, confinement, settled
from tfhub.hub.archives import fingerprint
from tfhub.hub.files import FileResponse
from tfhub.utils.warn_once import WarnedOnce

SECRET = {"saved_model.pb": b"secret bytes outside the hub " * 8}


def _archive(root: Path, handle: str) -> Path:
    publisher, model, version = handle.split("/")
    return root / "assets" / "docs" / publisher / "models" / model / f"{version}.tar.gz"


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ROOT (its docs and archives written), a folder outside it with a secret archive, and
    the cache of packed folder versions."""
    root = tmp_path_factory.mktemp("hub46")
    outside = tmp_path_factory.mktemp("outside46")
    make_tar_gz(outside / "secret.tar.gz", SECRET)
    for handle in ("acme/swapped/1", "acme/moved/1", "acme/piped/1", "acme/good/1"):
        make_tar_gz(write_model_doc(root, handle).with_name("1.tar.gz"))
    linked = write_model_doc(root, "acme/linked/1")  # A symlink that stays inside ROOT.
    linked.with_name("1.tar.gz").symlink_to(_archive(root, "acme/good/1"))
    write_model_folder(write_model_doc(root, "acme/folder/1"))
    cache = tmp_path_factory.mktemp("cache46")
    return {"root": root, "outside": outside, "cache": cache}


@pytest.fixture(scope="module")
def server(places: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    log = tmp_path_factory.mktemp("log46") / "serve.log"
    options = ["--rescan", "0", "--workers", "1", "--cache-dir", str(places["cache"])]
    with serve_hub(places["root"], log, *options) as running:
        yield running


def _get(server, handle: str) -> requests.Response:
    return requests.get(server.url(f"{handle}?tf-hub-format=compressed"), timeout=8)


def _secret() -> bytes:
    return SECRET["saved_model.pb"]


def _log_since(server, start: int) -> str:
    return server.access_log()[start:]


def _refused(server, handle: str, named: str) -> None:
    """A 404 with the download's own message, no byte of the secret, and one log line (from
    the log's length `start` on) naming the path `named`."""
    start = len(server.access_log())
    answer = _get(server, handle)
    assert answer.status_code == 404, answer.status_code
    assert answer.text == f"404 Not Found: {handle} has no model files in this hub.\n"
    assert b"secret" not in answer.content
    deadline = time.monotonic() + 5
    while "Refused to send" not in _log_since(server, start) and time.monotonic() < deadline:
        time.sleep(0.05)  # The worker's log line reaches the file a moment after the answer.
    lines = [line for line in _log_since(server, start).splitlines() if "Refused" in line]
    assert len(lines) == 1, lines
    assert f"Refused to send {named}: " in lines[0]


def test_an_archive_swapped_for_a_symlink_out_of_root_after_the_scan_is_a_404(server, places):
    archive = _archive(places["root"], "acme/swapped/1")
    assert _get(server, "acme/swapped/1").status_code == 200
    archive.unlink()
    archive.symlink_to(places["outside"] / "secret.tar.gz")
    _refused(server, "acme/swapped/1", str(archive))
    assert _get(server, "acme/good/1").status_code == 200  # The server answers on.


def test_a_model_folder_swapped_for_a_symlink_out_of_root_after_the_scan_is_a_404(server, places):
    """A folder above the archive (the model folder) replaced by a symlink to a copy of it
    outside ROOT, which holds the secret under the archive's name."""
    folder = _archive(places["root"], "acme/moved/1").parent
    assert _get(server, "acme/moved/1").status_code == 200
    elsewhere = places["outside"] / "moved"
    shutil.copytree(folder, elsewhere)
    shutil.copyfile(places["outside"] / "secret.tar.gz", elsewhere / "1.tar.gz")
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere, target_is_directory=True)
    _refused(server, "acme/moved/1", str(folder / "1.tar.gz"))


def test_a_fifo_in_place_of_an_archive_is_a_404_at_once_and_the_server_answers_on(server, places):
    archive = _archive(places["root"], "acme/piped/1")
    archive.unlink()
    os.mkfifo(archive)
    started = time.monotonic()
    _refused(
        server, "acme/piped/1", str(archive)
    )  # Opened without waiting for a writer (8 s timeout).
    assert time.monotonic() - started < 6
    assert _get(server, "acme/good/1").status_code == 200
    assert requests.get(server.url("healthz"), timeout=8).status_code == 200


def test_a_symlink_that_stays_inside_root_is_still_served(server, places):
    answer = _get(server, "acme/linked/1")
    assert answer.status_code == 200
    assert answer.content == _archive(places["root"], "acme/good/1").read_bytes()


def test_a_packed_archive_swapped_for_a_symlink_out_of_the_cache_is_a_404(server, places):
    """A folder version's packed archive is served from the cache folder only: one replaced
    there by a symlink to a file elsewhere is refused."""
    first = _get(server, "acme/folder/1")
    assert first.status_code == 200
    folder = _archive(places["root"], "acme/folder/1").with_suffix("").with_suffix("")
    packed = places["cache"] / f"{fingerprint(folder)}.tar.gz"
    assert packed.read_bytes() == first.content
    packed.unlink()
    packed.symlink_to(places["outside"] / "secret.tar.gz")
    _refused(server, "acme/folder/1", str(packed))


def test_a_file_response_without_a_root_sends_only_from_the_files_own_folder(tmp_path):
    """`FileResponse(path)` (no `root`) confines the file to the folder holding `path`: a
    symlink there to a file elsewhere is the 404."""
    (tmp_path / "hub").mkdir()
    (tmp_path / "secret.tar.gz").write_bytes(b"secret")
    (tmp_path / "hub" / "own.tar.gz").write_bytes(b"own")
    os.symlink(tmp_path / "secret.tar.gz", tmp_path / "hub" / "1.tar.gz")

    def answer(path: Path) -> tuple[int, bytes]:
        messages: list[dict] = []

        async def receive() -> dict:
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            messages.append(message)

        scope = {"type": "http", "method": "GET", "headers": []}
        asyncio.run(FileResponse(path, missing="gone\n")(scope, receive, send))
        return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])

    assert answer(tmp_path / "hub" / "own.tar.gz") == (200, b"own")
    assert answer(tmp_path / "hub" / "1.tar.gz") == (404, b"gone\n")


# --- confinement: the one answer to "is this path inside ROOT" -------------------------------


def test_inside_follows_links_and_needs_the_path_to_exist(tmp_path):
    root, sibling = tmp_path / "hub", tmp_path / "hub-private"
    (root / "a").mkdir(parents=True)
    sibling.mkdir()
    (root / "a" / "x").write_bytes(b"x")
    (sibling / "y").write_bytes(b"y")
    os.symlink(sibling / "y", root / "out")
    os.symlink(root / "a" / "x", tmp_path / "in")
    assert confinement.inside(root / "a" / "x", root)
    assert confinement.inside(root, root)
    assert not confinement.inside(root / "out", root)  # A prefix of text is not a folder.
    assert not confinement.inside(root / "gone", root)  # Strict: it must exist.
    assert confinement.inside(root / "gone", root, strict=False)
    assert confinement.inside(tmp_path / "in", root)  # Its real path is inside.
    os.symlink("loop", root / "loop")
    assert not confinement.inside(root / "loop", root)


def test_is_below_compares_the_paths_as_written(tmp_path):
    assert confinement.is_below("/srv/hub/a", "/srv/hub")
    assert confinement.is_below("/srv/hub", "/srv/hub/")
    assert confinement.is_below("/srv/hub/a/../b", "/srv/hub")
    assert not confinement.is_below("/srv/hub/../hub-private/x", "/srv/hub")
    assert not confinement.is_below("/srv/hub-private", "/srv/hub")
    assert confinement.is_below("/anything", "/")


def test_open_inside_returns_a_descriptor_of_the_file_inside(tmp_path):
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "a.tar.gz").write_bytes(b"inside")
    fd = confinement.open_inside(tmp_path / "hub" / "a.tar.gz", tmp_path / "hub")
    assert fd is not None
    try:
        assert os.pread(fd, 100, 0) == b"inside"
    finally:
        os.close(fd)
    assert confinement.open_inside(tmp_path / "hub" / "missing.tar.gz", tmp_path / "hub") is None
    assert confinement.open_inside(tmp_path / "hub", tmp_path / "hub") is None  # A folder.


def test_open_inside_refuses_a_symlink_loop_in_place_of_the_file(tmp_path, caplog):
    """A symlink that loops (swapped in after the scan) is refused, not an error (a 500): the
    real path of a loop is the loop itself, which `O_NOFOLLOW` refuses (ELOOP)."""
    (tmp_path / "hub").mkdir()
    os.symlink("1.tar.gz", tmp_path / "hub" / "1.tar.gz")
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.confinement"):
        assert confinement.open_inside(tmp_path / "hub" / "1.tar.gz", tmp_path / "hub") is None
    assert f"Refused to send {tmp_path / 'hub' / '1.tar.gz'}: it became a symlink" in caplog.text


def test_without_proc_the_checked_real_path_must_be_inside(tmp_path, monkeypatch, caplog):
    """Where there is no /proc/self/fd (macOS), the real path is checked (and then opened one
    name at a time, following no link): a symlink out of the folder is refused there too."""
    monkeypatch.setattr(confinement, "_PROC_FD", str(tmp_path / "no-proc"))
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "a.tar.gz").write_bytes(b"inside")
    (tmp_path / "secret.tar.gz").write_bytes(b"secret")
    os.symlink(tmp_path / "secret.tar.gz", tmp_path / "hub" / "b.tar.gz")
    fd = confinement.open_inside(tmp_path / "hub" / "a.tar.gz", tmp_path / "hub")
    assert fd is not None
    os.close(fd)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.confinement"):
        assert confinement.open_inside(tmp_path / "hub" / "b.tar.gz", tmp_path / "hub") is None
    assert f"its real path {tmp_path / 'secret.tar.gz'} is outside" in caplog.text


def test_the_same_file_check_compares_the_inodes(tmp_path):
    """Where /proc/self/fd is missing (macOS), the descriptor is compared with the checked
    real path by (st_dev, st_ino): a file replaced after the open is another file."""
    path = tmp_path / "a.tar.gz"
    path.write_bytes(b"first")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert confinement.same_file(fd, os.fspath(path))
        path.unlink()
        path.write_bytes(b"second")
        assert not confinement.same_file(fd, os.fspath(path))
        path.unlink()
        assert not confinement.same_file(fd, os.fspath(path))
    finally:
        os.close(fd)


# --- settled: the journals warned about, bounded ----------------------------------------------


def test_the_warned_set_keeps_the_last_ones_seen():
    warned = WarnedOnce(3)
    paths = [Path(f"/hub/s{i}") for i in range(5)]
    for path in paths[:3]:
        warned.add(path)
    warned.add(paths[0])  # Seen again: the last seen now.
    warned.add(paths[3])
    assert list(warned) == [paths[2], paths[0], paths[3]]  # paths[1]: seen longest ago.
    warned.add(paths[4])
    assert len(warned) == 3 and paths[2] not in warned and paths[4] in warned
    assert isinstance(settled._WARNED, WarnedOnce) and settled._WARNED.limit == 1024
    assert settled.MAX_WARNED == 1024


def test_a_server_warns_about_a_forgotten_garbled_journal_again(tmp_path, caplog, monkeypatch):
    """Each garbled journal is warned about once while remembered; past the bound (here 2) the
    one seen longest ago is forgotten (the set stays bounded) and warned about again."""
    monkeypatch.setattr(settled, "_WARNED", WarnedOnce(2))
    docs = tmp_path / "assets" / "docs"
    folders = [docs / "acme" / "models" / f"m{i}" for i in range(3)]
    for folder in folders:
        staging = folder / f".1.publish-{'0' * 32}"
        staging.mkdir(parents=True)
        (staging / "journal.json").write_text("not json")

    def warned_about(folder: Path) -> int:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tfhub.hub.commit"):
            assert settled.Settled(docs).journals(folder) == []
        return sum("unreadable publish journal" in r.getMessage() for r in caplog.records)

    assert [warned_about(folder) for folder in folders[:2]] == [1, 1]
    assert [warned_about(folder) for folder in folders[:2]] == [0, 0]
    assert warned_about(folders[2]) == 1  # folders[0]'s journal is forgotten.
    assert len(settled._WARNED) == 2
    assert warned_about(folders[0]) == 1
    assert warned_about(folders[2]) == 0


def test_a_folder_with_too_many_journals_is_warned_about_once(tmp_path, caplog, monkeypatch):
    """The journals past a model folder's first `MAX_JOURNALS` are named in one warning each,
    not one per request (they are remembered in `_WARNED` too)."""
    monkeypatch.setattr(settled, "_WARNED", WarnedOnce())
    docs = tmp_path / "assets" / "docs"
    folder = docs / "acme" / "models" / "emb"
    for index in range(settled.MAX_JOURNALS + 2):
        name = f".x{index:02d}.publish-" + "e" * 32
        (folder / name).mkdir(parents=True)
        renames = [[f"{name}/absent-{index}.tar.gz", f"new-{index}.tar.gz"]]
        (folder / name / commit.JOURNAL).write_text(json.dumps({"schema": 1, "renames": renames}))
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.settled"):
        for _ in range(3):  # Three requests.
            assert len(settled.Settled(docs).journals(folder)) == settled.MAX_JOURNALS
    ignored = [r.getMessage() for r in caplog.records if "first 4 are followed" in r.getMessage()]
    assert len(ignored) == 2, ignored
