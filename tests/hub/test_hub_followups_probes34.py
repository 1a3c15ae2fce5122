"""Follow-ups of the session 34 audit of docs/hub.md (test_docs_claims_hub_probes34.py): the
versions `publish` and `mirror` accept, `/favicon.ico`'s caching, `--uncompressed-base` values no
client can follow, and the exit statuses of a refused handle (2) and of a publish that gave up
waiting for another one's lock (1)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import MODEL_FILES
from tests._helpers.hub_server import (
    free_port,
    write_model_doc,
    write_model_folder,
    write_publisher,
)
from tests._helpers.python_process import run_tfhub

import tfhub
from tfhub.cli.main import main
from tfhub.hub import doc_handles, publish_locks
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "hub.md"
COMPRESSED = {"tf-hub-format": "compressed"}
TOKEN = "s3cret-token"


def _hub(root: Path, handle: str = "acme/emb/1") -> Path:
    """A hub holding `handle` as a model folder (served as its packed archive)."""
    write_publisher(root, "acme", "Acme")
    version = handle.rsplit("/", 1)[1]
    write_model_folder(write_model_doc(root, handle, asset=f"{version}.tar.gz"))
    return root


def _server(root: Path, cache: Path, **options: str) -> BackgroundServer:
    settings = ServeSettings(
        root=str(root), cache_dir=str(cache), access_log=False, rescan_seconds=0, **options
    )
    return BackgroundServer(settings)


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")) if root.exists() else []


# --- 1. The versions publish and mirror accept ----------------------------------------------------


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, handle: str) -> str:
    """Runs `tfhub publish|mirror MODEL ROOT --handle|--as handle`; checks that it exits 2 in
    one line (`tfhub: invalid handle: ...`) with nothing written; returns that line."""
    model = tmp_path / "model"
    model.mkdir()
    root = tmp_path / "hub"
    option = "--handle" if command == "publish" else "--as"
    assert main([command, str(model), str(root), option, handle]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("tfhub: invalid handle: "), err
    assert _files(root) == []
    return err


@pytest.mark.parametrize("command", ["publish", "mirror"])
@pytest.mark.parametrize(
    ("handle", "meant"), [("acme/x/01", "acme/x/1"), ("acme/x/007", "acme/x/7")]
)
def test_a_version_written_with_leading_zeros_is_refused_naming_the_handle_to_write(
    tmp_path, capsys, command, handle, meant
):
    """`publish --handle acme/x/01` was published as acme/x/1 without a word, though the server
    answers `/acme/x/01` with a 404 ("a version is written without leading zeros"): a team's
    scripts and snippets saying `.../01` would never load. Refused now, exit 2, one line naming
    the handle and what to write instead; `mirror --as` the same."""
    err = _refused(tmp_path, capsys, command, handle)
    assert repr(handle) in err and f"write {meant}" in err, err


def test_validate_says_why_a_doc_named_with_leading_zeros_must_move(tmp_path, capsys):
    """A hand-written `01.md` ("# Module acme/x/01") is reported at its first line: it must be
    at `1.md`, and the problem says why (a version is written without leading zeros)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/x/01")
    assert main(["validate", str(root)]) == 1
    out = capsys.readouterr()
    said = out.out + out.err
    assert "01.md:1: the Module doc of acme/x/1 must be at assets/docs/acme/models/x/1.md" in said
    assert "a version is written without leading zeros" in said, said


def test_a_version_0_is_served_and_loaded_as_any_other(tmp_path, monkeypatch):
    """tfhub.dev's versions started at 1, but its validator's grammar (`\\d+`) allowed 0, the
    server answers it (latest included) and clients load it: `publish` accepts it (hub.md says
    so), unlike a version with leading zeros, which no URL of the hub answers."""
    assert doc_handles.parse_handle("acme/emb/0").version == 0
    root = _hub(tmp_path / "root", "acme/emb/0")
    with _server(root, tmp_path / "cache") as server:
        versioned = requests.get(server.url("acme/emb/0"), params=COMPRESSED, timeout=30)
        latest = requests.get(server.url("api/models/acme/emb"), timeout=30).json()
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "client-cache"))
        path = Path(tfhub.resolve(server.url("acme/emb/0")))
    assert versioned.status_code == 200 and latest["latest_version"] == 0
    assert (path / "saved_model.pb").read_bytes() == MODEL_FILES["saved_model.pb"]
    assert "version 0" in " ".join(DOC.read_text(encoding="utf-8").split())


# --- 4. Exit statuses of a refused handle and of a publish that gave up waiting -----------------


@pytest.mark.parametrize("command", ["publish", "mirror"])
@pytest.mark.parametrize(
    "handle", ["acme/x", "acme/.hidden/1", "api/x/1", "acme/lite-model/x/1", "acme/x/" + "9" * 19]
)
def test_a_refused_handle_exits_2_in_one_line(tmp_path, capsys, command, handle):
    """hub.md gave no exit status for a handle `publish` or `mirror` refuses: 2, as every
    command's invalid handle (malformed, a hidden part, a reserved publisher, a Lite URL's
    prefix, a version too long), before anything is read or written."""
    _refused(tmp_path, capsys, command, handle)


@pytest.fixture
def held_lock(tmp_path) -> Iterator[Path]:
    """The model folder of acme/emb in tmp_path/hub, locked as a running publish locks it."""
    folder = tmp_path / "hub" / "assets" / "docs" / "acme" / "models" / "emb"
    folder.mkdir(parents=True)
    holder = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield folder
    finally:
        os.close(holder)


def test_a_publish_that_gave_up_waiting_for_the_lock_exits_1_in_one_line(
    tmp_path, capsys, monkeypatch, held_lock
):
    """hub.md: a waiting publish gives up after 10 minutes (`PublishBusyError`) with one line:
    exit status 1, not the 2 of a bad value (the wait is shortened here)."""
    monkeypatch.setattr(publish_locks, "DEFAULT_TIMEOUT", 0.3)
    model = tmp_path / "model"
    model.mkdir()
    code = main(["publish", str(model), str(tmp_path / "hub"), "--handle", "acme/emb/1"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("tfhub: error: "), err
    assert "Another process has been publishing" in err and str(held_lock) in err


def test_hub_md_gives_the_exit_statuses_of_publish_and_mirror_refusals():
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "Exit statuses of `publish` (and `mirror`): 0 published; 2 a handle" in text
    assert "a publish that gave up waiting for another publish's lock (`PublishBusyError`" in text


# --- 2. /favicon.ico is cached as /static/* is ----------------------------------------------------


@pytest.mark.parametrize("tokens", [False, True])
def test_favicon_is_revalidated_as_the_static_files_are(tmp_path, tokens):
    """`/favicon.ico` was sent with `max-age=86400` while `/static/*` (its own file,
    `favicon.svg`) is `no-cache` with an ETag: after an upgrade the old icon stayed a day, and
    on a hub with tokens it was `public` (a shared cache could keep what needs a token)."""
    root = _hub(tmp_path / "root")
    options: dict[str, str] = {}
    auth = None
    if tokens:
        (tmp_path / "tokens").write_text(f"{TOKEN}\n")
        (tmp_path / "tokens").chmod(0o600)
        options["token_file"] = str(tmp_path / "tokens")
        auth = ("me", TOKEN)
    with _server(root, tmp_path / "cache", **options) as server:
        icon = requests.get(server.url("favicon.ico"), auth=auth, timeout=30)
        static = requests.get(server.url("static/favicon.svg"), auth=auth, timeout=30)
        again = requests.get(
            server.url("favicon.ico"),
            auth=auth,
            headers={"If-None-Match": icon.headers.get("ETag", "none")},
            timeout=30,
        )
    assert (icon.status_code, static.status_code) == (200, 200)
    assert icon.content == static.content and icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.headers["Cache-Control"] == static.headers["Cache-Control"]
    assert icon.headers["Cache-Control"] == f"{'private' if tokens else 'public'}, no-cache"
    assert again.status_code == 304 and again.content == b""


# --- 3. --uncompressed-base must be a location clients can follow -------------------------------


@pytest.mark.parametrize(
    "base", ["notaurl", "https://x/hub", "gs://", "gs://bucket/a b", "/srv/hub"]
)
def test_an_uncompressed_base_no_client_can_follow_is_refused_at_start(tmp_path, base):
    """tensorflow_hub and tfhub read uncompressed models only from a gs:// location; with another
    base the server started (a warning) and sent every such client a 303 it could not follow.
    Refused at start: exit 2, one line naming the option, the value and a valid example. (A
    child process: a server that starts would serve until the timeout.)"""
    root = _hub(tmp_path / "root")
    done = run_tfhub("serve", str(root), "--port", str(free_port()), "--uncompressed-base", base)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("tfhub: invalid value: --uncompressed-base"), done.stderr
    assert repr(base) in done.stderr and "gs://bucket/hub" in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("base", "why"),
    [
        ("https://x/hub", "it is not a gs:// URL"),
        ("gs://b/hub", "'b' is not a bucket name (3 to 223 characters"),
        ("gs://Team/hub", "'Team' is not a bucket name"),
        ("gs://bucket/../hub", "its path has a '..' segment"),
        ("gs://bucket/a b", "its path holds a space"),
        ("gs://bucket/hub#x", "it has a query or fragment"),
    ],
)
def test_a_refused_uncompressed_base_says_why(base, why):
    """`gs://b/hub` was refused with only "e.g. gs://bucket/hub": a bucket name needs three
    characters or more, in lower case, which the message did not say."""
    from tfhub.hub.settings import check_uncompressed_base

    with pytest.raises(tfhub.errors.ServeConfigError) as refused:
        check_uncompressed_base(base)
    assert f"with no query or fragment: {why}" in str(refused.value), str(refused.value)


def test_a_gs_uncompressed_base_is_answered_with_a_303(tmp_path):
    root = _hub(tmp_path / "root")
    with _server(root, tmp_path / "cache", uncompressed_base="gs://team-bucket/hub/") as server:
        answer = requests.get(
            server.url("acme/emb/1"),
            params={"tf-hub-format": "uncompressed"},
            allow_redirects=False,
            timeout=30,
        )
    assert answer.status_code == 303
    assert answer.headers["Location"] == answer.text == "gs://team-bucket/hub/acme/emb/1"
