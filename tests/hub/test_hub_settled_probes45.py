"""Hostile journals of "killed" publishes against the server (`settled`) and `commit.roll_back`
(the fixes of review45, session 45): garbled ones, ones naming paths out of their model folder,
and the cost of a model with many versions. Each app is a real ASGI app on a real hub folder.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    run_nginx,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

from tfhub.hub import commit
from tfhub.hub import leftovers as leftovers_lib
from tfhub.hub.app import create_app
from tfhub.hub.nginx import nginx_config
from tfhub.hub.settings import ServeSettings

STAGING = ".1.publish-" + "c" * 32
ARCHIVE = {"saved_model.pb": b"the archive in place"}


def _hub(tmp_path: Path) -> tuple[Path, Path]:
    """ROOT with acme/emb/1 (an archive) and an empty staging folder beside its doc."""
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), ARCHIVE)
    staging = doc.parent / STAGING
    staging.mkdir()
    return root, staging


def _app(root: Path, tmp_path: Path):
    return create_app(
        ServeSettings(
            root=str(root), access_log=False, rescan_seconds=0, cache_dir=str(tmp_path / "c")
        )
    )


def _download(app) -> tuple[int, bytes]:
    return asgi_request(app, "GET", b"/acme/emb/1", b"tf-hub-format=compressed")


def _journal(renames: list[list[str]]) -> str:
    return json.dumps({"schema": 1, "renames": renames})


# Each would be followed (or crash the reader) without bounds. A followed "moved the archive
# into place" rename makes the roll-back move the archive aside (the server: 404).
_PUT_IN_PLACE = [f"{STAGING}/1.tar.gz", "1.tar.gz"]
GARBLED = {
    "nul-in-a-path": _journal([["1.tar.gz\0x", f"{STAGING}/old-0-1.tar.gz"]]),
    "nested-30000-deep": '{"renames": ' + "[" * 30_000 + "]" * 30_000 + "}",  # < 64 KiB.
    "65-renames": _journal([_PUT_IN_PLACE] * (commit.MAX_RENAMES + 1)),
    "over-64-kib": _journal([_PUT_IN_PLACE]) + " " * commit.MAX_JOURNAL_BYTES,
    "not-utf-8": '{"renames": "\udcff"}',
}


@pytest.mark.parametrize("name", sorted(GARBLED))
def test_a_garbled_journal_is_ignored_with_one_warning(tmp_path, caplog, name):
    """The server starts, answers the download and the API (never a 500), warns once naming
    the journal; `commit.roll_back` (`tfhub validate`) renames nothing and raises nothing."""
    root, staging = _hub(tmp_path)
    journal = staging / commit.JOURNAL
    journal.write_bytes(GARBLED[name].encode("utf-8", "surrogateescape"))
    with caplog.at_level(logging.WARNING):
        app = _app(root, tmp_path)
        for _ in range(2):
            status, body = _download(app)
            assert status == 200
            assert asgi_request(app, "GET", b"/api/models/acme/emb")[0] == 200
    assert [str(journal) in r.getMessage() for r in caplog.records].count(True) == 1
    assert commit.roll_back(staging, docs=root / "assets" / "docs") is False
    assert (staging.parent / "1.tar.gz").is_file()


def test_the_bounds_are_not_reached_by_a_real_journal(tmp_path):
    """Control for the rows above: the same journal within the bounds is followed."""
    root, staging = _hub(tmp_path)
    (staging / commit.JOURNAL).write_text(_journal([_PUT_IN_PLACE] * commit.MAX_RENAMES))
    assert _download(_app(root, tmp_path))[0] == 404  # Rolled back: the archive goes aside.


def test_a_fifo_journal_blocks_nothing(tmp_path):
    """A FIFO named journal.json (no writer): the scan, a download and the roll-back answer."""
    root, staging = _hub(tmp_path)
    os.mkfifo(staging / commit.JOURNAL)
    got: list[object] = []

    def serve() -> None:
        app = _app(root, tmp_path)
        got.append(_download(app)[0])
        got.append(commit.roll_back(staging, docs=root / "assets" / "docs"))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    thread.join(10)
    blocked = thread.is_alive()
    if blocked:  # Let the blocked open go on, so that the thread ends.
        os.close(os.open(staging / commit.JOURNAL, os.O_WRONLY | os.O_NONBLOCK))
    assert not blocked
    assert got == [200, False]


# --- Journals naming paths out of their model folder (findings 1 and 3) ----------------------


def _escaping_journal(staging: Path, outside: Path, name: str) -> None:
    """A journal moving `name` (of the model folder) aside to a path that, through the
    filesystem, is in `staging` (symlinks: `lnk` 41 folders down, each folder of `outside`'s
    path a link to `.`) but, as text (`..` dropped), is `outside`."""
    deep = staging.joinpath(*["d"] * 41)
    deep.mkdir(parents=True)
    os.symlink(deep, staging / "lnk")
    parts = os.path.relpath(outside, "/").split("/")
    for part in set(parts[:-1]):
        if not (staging / part).exists():
            os.symlink(".", staging / part)
    raw = f"{staging.name}/lnk/" + "../" * 41 + "/".join(parts)
    journal = [[name, raw], [f"{staging.name}/nothing", name]]
    (staging / commit.JOURNAL).write_text(_journal(journal))


@pytest.mark.parametrize("name", ["1.tar.gz", "1.md"])
def test_a_journal_through_a_symlink_then_dotdot_is_refused(tmp_path, caplog, name):
    """The server sends no file from outside ROOT (the archive, or the doc in the API), and
    the roll-back renames nothing: both refuse the journal, so both agree."""
    root, staging = _hub(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("TOP SECRET outside ROOT\n")
    app = _app(root, tmp_path)  # The journal appears after the scan.
    _escaping_journal(staging, outside, name)
    with caplog.at_level(logging.WARNING):
        status, body = _download(app)
        api = asgi_request(app, "GET", b"/api/models/acme/emb")
    assert (status, b"TOP SECRET" in body) == (200, False)
    assert api[0] == 200
    assert b"TOP SECRET" not in api[1]
    assert "symlink then '..'" in caplog.text
    folder = staging.parent
    before = sorted(os.listdir(folder))
    assert commit.roll_back(staging, docs=root / "assets" / "docs") is False
    assert sorted(os.listdir(folder)) == before
    assert outside.read_text() == "TOP SECRET outside ROOT\n"


def test_a_journal_in_one_model_folder_changes_no_other_model(tmp_path, caplog):
    """A journal in acme/emb naming bob/secret's doc and archive (no symlinks, `../`): bob's
    model is served as it is, and the roll-back of acme's folder renames none of bob's files."""
    root, staging = _hub(tmp_path)
    write_publisher(root, "bob", "Bob")
    bob = write_model_doc(root, "bob/secret/1", asset="1.tar.gz", description="Bob's words.")
    make_tar_gz(bob.with_name("1.tar.gz"), {"saved_model.pb": b"BOB"})
    fake = write_model_doc(tmp_path / "x", "bob/secret/1", asset="1.tar.gz", description="Acme!")
    fake.rename(staging / "evil.md")
    make_tar_gz(staging / "evil.tar.gz", {"saved_model.pb": b"ACME-EVIL"})
    bob_rel = "../../../bob/models/secret/"
    journal = [
        [bob_rel + "1.md", f"{STAGING}/evil.md"],
        [f"{STAGING}/c", bob_rel + "1.md"],
        [bob_rel + "1.tar.gz", f"{STAGING}/evil.tar.gz"],
        [f"{STAGING}/d", bob_rel + "1.tar.gz"],
    ]
    (staging / commit.JOURNAL).write_text(_journal(journal))
    bob_files = {path.name: path.read_bytes() for path in bob.parent.iterdir()}
    with caplog.at_level(logging.WARNING):
        app = _app(root, tmp_path)
        status, body = asgi_request(app, "GET", b"/api/models/bob/secret")
    model = json.loads(body)
    assert (status, model["description"]) == (200, "Bob's words.")
    assert "Bob's words." in model["versions"][0]["doc_markdown"]
    got = asgi_request(app, "GET", b"/bob/secret/1", b"tf-hub-format=compressed")
    assert got == (200, bob.with_name("1.tar.gz").read_bytes())
    assert "is not in its model folder" in caplog.text
    assert commit.roll_back(staging, docs=root / "assets" / "docs") is False
    assert {path.name: path.read_bytes() for path in bob.parent.iterdir()} == bob_files


# --- Per-request cost (finding 6) -----------------------------------------------------------


def test_a_model_with_1000_versions_lists_its_folder_once_per_request(tmp_path, monkeypatch):
    """The API and the page of a model with 1,000 versions read the model folder's journals
    once per request (before: 2-3 times per version, 3-4 s instead of ~50 ms for the API)."""
    root, staging = _hub(tmp_path)
    archive = (staging.parent / "1.tar.gz").read_bytes()
    for version in range(2, 1001):
        doc = write_model_doc(root, f"acme/emb/{version}", asset=f"{version}.tar.gz")
        doc.with_name(f"{version}.tar.gz").write_bytes(archive)
    app = _app(root, tmp_path)
    listed: list[Path] = []
    leftovers = leftovers_lib.leftovers

    def counted(folder: Path) -> list[Path]:
        listed.append(folder)
        return leftovers(folder)

    monkeypatch.setattr(leftovers_lib, "leftovers", counted)
    status, body = asgi_request(app, "GET", b"/api/models/acme/emb")
    assert status == 200
    assert len(json.loads(body)["versions"]) == 1000
    assert listed == [staging.parent]  # Its time (3-4 s before, ~50 ms after) is no test's.
    listed.clear()
    assert asgi_request(app, "GET", b"/acme/emb/1")[0] == 200
    assert listed == [staging.parent]


def test_a_folder_versions_download_lists_its_model_folder_once(tmp_path, monkeypatch):
    """The download of a folder version (packed on first use) read the model folder's journals
    twice: once to check the folder, again to pack it."""
    root, staging = _hub(tmp_path)
    write_model_folder(write_model_doc(root, "acme/emb/2"))
    app = _app(root, tmp_path)
    listed: list[Path] = []
    leftovers = leftovers_lib.leftovers

    def counted(folder: Path) -> list[Path]:
        listed.append(folder)
        return leftovers(folder)

    monkeypatch.setattr(leftovers_lib, "leftovers", counted)
    assert asgi_request(app, "GET", b"/acme/emb/2", b"tf-hub-format=compressed")[0] == 200
    assert listed == [staging.parent]


# --- nginx (finding 5) ----------------------------------------------------------------------


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_sends_no_archive_for_a_version_ending_in_a_newline(tmp_path):
    """`/acme/emb/1%0A` is not version 1 (tfhub serve: 400): nginx passes it on to tfhub
    serve (down here: 502) instead of sending 1.tar.gz; `1` and `1/` are still nginx's."""
    root, _ = _hub(tmp_path)
    app_port, nginx_port = free_port(), free_port()
    conf = nginx_config(
        str(root), upstream=f"127.0.0.1:{app_port}", listen=f"127.0.0.1:{nginx_port}", auth=False
    )
    with run_nginx(conf, tmp_path / "nginx", port=nginx_port) as base:
        got = {
            path: requests.get(f"{base}/{path}?tf-hub-format=compressed", timeout=10).status_code
            for path in ("acme/emb/1", "acme/emb/1/", "acme/emb/1%0A", "acme/emb/1/%0A")
        }
    assert got == {
        "acme/emb/1": 200,
        "acme/emb/1/": 200,
        "acme/emb/1%0A": 502,
        "acme/emb/1/%0A": 502,
    }


@pytest.mark.parametrize(("publisher", "followed"), [("acme", True), ("bob", False)])
def test_a_journal_may_name_its_own_publisher_doc_only(tmp_path, publisher, followed):
    """A journal in acme/emb may put back acme's publisher doc (a first publish of acme puts
    it in place), not bob's: that journal is refused, and the roll-back leaves bob's doc."""
    root, staging = _hub(tmp_path)
    write_publisher(root, "bob", "Bob")
    docs = root / "assets" / "docs"
    doc = docs / publisher / f"{publisher}.md"
    text = doc.read_text()
    (staging / "other.md").write_text(text.replace("Acme", "Other").replace("Bob", "Other"))
    rel = f"../../../{publisher}/{publisher}.md"
    journal = [[rel, f"{STAGING}/other.md"], [f"{STAGING}/new.md", rel]]
    (staging / commit.JOURNAL).write_text(_journal(journal))
    assert (commit.read_journal(staging, docs=docs) is not None) is followed
    assert commit.roll_back(staging, docs=docs) is followed
    assert (doc.read_text() == text) is not followed
