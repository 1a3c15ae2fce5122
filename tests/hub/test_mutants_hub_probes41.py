"""Rules of the private hub's middleware (auth, proxies, base path, URL length), protocol,
JSON API, staging, docs layout and format, model-file checks, publish refusals, validator,
renderer, starter docs, runner and mirror source that a hand-made mutant (a flipped
comparison, a dropped check, a value left out) could change without any test failing (the
lines session 40 planned but did not run, and modules with few earlier mutants): each test
here fails under the mutant its docstring names, and passes on the code as it is."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import (
    docs_layout,
    leftovers,
    model_files,
    publish_locks,
    render,
    signatures,
    staging,
    validator,
)
from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings

TOKEN = "s3cret-token-41"


def _app(root: Path, **options: Any) -> Any:
    return create_app(ServeSettings(root=str(root), access_log=False, rescan_seconds=0, **options))


def _private_hub(tmp_path: Path, *tokens: str) -> Any:
    """A hub of one model (ROOT tmp_path/hub) whose token file (tmp_path/tokens) holds
    `tokens` (default: TOKEN)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/emb/1")
    token_file = tmp_path / "tokens"
    token_file.write_text("".join(f"{token}\n" for token in tokens or (TOKEN,)))
    token_file.chmod(0o600)
    return _app(root, token_file=str(token_file))


def _status(app: Any, authorization: str, path: bytes = b"/api/models") -> int:
    return asgi_request(app, "GET", path, headers={"Authorization": authorization})[0]


def test_a_token_sent_with_a_scheme_other_than_bearer_or_basic_is_no_token(tmp_path):
    """Mutant: `bearer_token` without its `!= "bearer"` check; the token of any scheme
    (`Authorization: Token <t>`, as some clients send) was then taken, where the module
    docstring says a request needs `Bearer <token>` (or Basic)."""
    app = _private_hub(tmp_path)
    assert _status(app, f"Token {TOKEN}") == 401
    assert _status(app, f"Bearer {TOKEN}") == 200


def test_security_headers_leave_a_header_the_answer_sets_itself_alone():
    """Mutant: `_with_security` adds every security header, also one the answer set itself;
    a route sending its own Content-Security-Policy then went out with two, which browsers
    both enforce (the stricter union), not the route's own, as the class docstring says."""
    from tfhub.hub.middleware import SecurityHeaders

    started: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-security-policy", b"default-src 'self'")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def send(message: Any) -> None:
        started.append(message)

    asyncio.run(SecurityHeaders(app)({"type": "http"}, None, send))
    names = [name for name, _ in started[0]["headers"]]
    assert names.count(b"content-security-policy") == 1
    assert b"x-content-type-options" in names


def test_a_file_of_a_sibling_folder_named_as_the_root_and_more_is_not_inside(tmp_path):
    """Mutant: `inside` compares the real path with the root's as a text prefix (without the
    separator); a symlink in ROOT `/srv/hub` to `/srv/hub-private/x.tar.gz` was then served
    as inside the hub."""
    from tfhub.hub import confinement

    root, sibling = tmp_path / "hub", tmp_path / "hub-private"
    root.mkdir()
    sibling.mkdir()
    (sibling / "x.tar.gz").write_bytes(b"secret")
    os.symlink(sibling / "x.tar.gz", root / "x.tar.gz")
    assert not confinement.inside(str(root / "x.tar.gz"), str(root))
    assert confinement.inside(str(root), str(root))


def _json(app: Any, path: bytes, query: bytes = b"") -> tuple[int, Any]:
    status, body = asgi_request(app, "GET", path, query)
    return status, json.loads(body)


def test_api_search_takes_a_negative_offset_as_none(tmp_path):
    """Mutant: `_int_param` reads any integer (`-1` too); `/api/models?offset=-1` then cut the
    hits as `hits[-1:99]`: the last model only, and said `offset: -1`."""
    write_publisher(tmp_path, "acme", "Acme")
    for name in ("a", "b", "c"):
        write_model_doc(tmp_path, f"acme/{name}/1")
    status, data = _json(_app(tmp_path), b"/api/models", b"offset=-1")
    assert status == 200 and data["offset"] == 0 and len(data["models"]) == 3


def test_api_model_path_with_an_encoded_slash_is_refused(tmp_path):
    """Mutant: `one_model` checks the decoded path only; `/api/models/acme%2Femb` (an encoded
    slash, which the protocol refuses as an alias of another URL) then gave the model."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    app = _app(tmp_path)
    assert _json(app, b"/api/models/acme/emb")[0] == 200
    assert _json(app, b"/api/models/acme%2Femb")[0] == 404


META_GRAPH = b"\x12\x00"  # Field 2 (meta_graphs) of SavedModel, empty: the least that parses.


def _tar(path: Path, members: list[tuple[str, bytes | None]]) -> Path:
    """A .tar.gz of `members` in this order: (name, bytes) files, (name, None) folders."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def test_a_folder_member_makes_its_parent_folders_for_later_members(tmp_path):
    """Mutant: a folder member counts as making only itself, not its parents; an archive
    listing `assets/vocab/` then `assets/x.txt` was reported as one tensorflow_hub cannot
    extract, though its `MakeDirs` of `assets/vocab` makes `assets` too."""
    archive = _tar(
        tmp_path / "1.tar.gz",
        [("saved_model.pb", META_GRAPH), ("assets/vocab", None), ("assets/x.txt", b"x")],
    )
    assert model_files.archive_problems(archive) == []


def test_a_saved_model_pb_must_hold_a_meta_graph_not_just_any_message_field():
    """Mutant: every length-delimited field counted as a MetaGraph; a saved_model.pb of only
    field 1 (or another message cut down to its header) then passed as a SavedModel."""
    assert model_files.saved_model_pb_problem(io.BytesIO(b"\x0a\x00")) == (
        "saved_model.pb holds no MetaGraph"
    )
    assert model_files.saved_model_pb_problem(io.BytesIO(META_GRAPH)) is None


def test_a_varint_longer_than_ten_bytes_does_not_parse():
    """Mutant: `_varint` without its 64-bit bound; a key or value of eleven bytes and more,
    which no protobuf parser reads (TensorFlow refuses the file), then passed."""
    too_long = b"\x08" + b"\xff" * 10 + b"\x01"  # Field 1, varint of 11 bytes.
    assert "does not parse" in model_files.saved_model_pb_problem(io.BytesIO(too_long + META_GRAPH))
    longest = b"\x08" + b"\xff" * 9 + b"\x01"  # 10 bytes: a 64-bit value.
    assert model_files.saved_model_pb_problem(io.BytesIO(longest + META_GRAPH)) is None


def test_meta_graphs_across_two_chunks_of_a_pbtxt_are_found(tmp_path, monkeypatch):
    """Mutant: the tail of the previous chunk not kept; a saved_model.pbtxt whose word
    `meta_graphs` straddles two chunks of `_CHUNK` bytes was then "holds no meta_graphs"."""
    monkeypatch.setattr(model_files, "_CHUNK", 16)
    text = b"x" * 10 + b"meta_graphs {}\n"  # The word spans bytes 10-20: chunks 1 and 2.
    assert model_files._proto_problem("saved_model.pbtxt", io.BytesIO(text)) is None
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "saved_model.pbtxt").write_bytes(text)
    assert model_files.folder_problems(folder) == []


def test_a_root_saved_model_pbtxt_of_an_archive_is_read_too(tmp_path):
    """Mutant: only a root saved_model.pb read in an archive; one holding a saved_model.pbtxt
    without `meta_graphs` (no model) then passed `tfhub validate`."""
    archive = _tar(tmp_path / "1.tar.gz", [("saved_model.pbtxt", b"nothing here\n")])
    assert model_files.archive_problems(archive) == ["saved_model.pbtxt holds no meta_graphs"]
    good = _tar(tmp_path / "2.tar.gz", [("saved_model.pbtxt", b"meta_graphs {}\n")])
    assert model_files.archive_problems(good) == []


def test_the_url_written_as_the_text_of_an_empty_link_is_escaped():
    """Mutant: `_accessible_tag` writes the href of an empty link as its text unescaped; a
    doc's `<a href="https://x/&lt;img src=x onerror=...&gt;"></a>` (the sanitiser keeps the
    href, escaped) then put a live `<img onerror>` into the model page."""
    shown = render.markdown_to_html(
        '<a href="https://example.com/&lt;img src=x onerror=alert(1)&gt;"></a>'
    )
    assert "<img" not in shown
    assert ">https://example.com/&lt;img src=x onerror=alert(1)&gt;</a>" in shown


def test_a_record_of_a_negative_number_of_made_folders_removes_none(tmp_path):
    """Mutant: `_made_by` without `levels <= 0`; a damaged `made.json` saying `-1` was read
    as `chain[:-1]`, every folder from the model's up to the docs folder, and cleaning the
    leftover removed the model's and publisher's folders, which that publish never made."""
    docs = tmp_path / "hub" / "assets" / "docs"
    model = docs / "acme" / "models" / "emb"
    model.mkdir(parents=True)
    left = model / staging.staging_name("1", uuid.uuid4().hex)
    left.mkdir()
    (left / leftovers.MADE).write_text(json.dumps({"levels": -1}))
    assert leftovers.clean_tree(docs) == [left]
    assert model.is_dir() and not left.exists()


def test_a_doc_in_a_hidden_folder_such_as_a_publishs_staging_folder_is_no_doc(tmp_path):
    """Mutant: `find_doc_files` walks into hidden folders; the doc a running publish stages in
    `.<version>.publish-<id>/` was then listed as one more doc of the hub (`tfhub validate`
    and the server read it beside the published one), where the docstring skips hidden
    entries."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1")
    staged = doc.parent / staging.staging_name("2", uuid.uuid4().hex)
    staged.mkdir()
    (staged / "2.md").write_text(doc.read_text().replace("acme/emb/1", "acme/emb/2"))
    assert docs_layout.find_doc_files(root) == [
        root.absolute() / "assets/docs/acme/acme.md",
        doc.absolute(),
    ]


def test_an_asset_path_holding_a_nul_character_is_a_problem_not_a_crash(tmp_path):
    """Mutant: `url_parts` without its NUL check; `tfhub validate` of a doc whose asset-path
    holds a NUL (`1\\0.tar.gz`, a paste gone wrong) then stopped with `ValueError: embedded
    null byte` from the look for the file beside the doc, instead of reporting it."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1")
    text = re.sub(r"<!-- asset-path: [^>]*-->", "<!-- asset-path: 1\0.tar.gz -->", doc.read_text())
    doc.write_text(text)
    problems = [problem.message for problem in validator.validate_file(doc, root=root)]
    assert problems == [
        "'asset-path' is neither a URL nor a path (a bracket left open, a NUL character). "
        "Received: '1\\x00.tar.gz'"
    ]


def test_an_archive_and_a_model_folder_beside_one_doc_is_a_problem(tmp_path):
    """Mutant: `_model_file_problems` without its check of both; a version with a
    `1.tar.gz` and a `1/` model folder made by hand passed `tfhub validate`, though the
    server sends the archive only (the folder's model is never served)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    _tar(doc.with_name("1.tar.gz"), [("saved_model.pb", META_GRAPH)])
    assert validator.validate_file(doc, root=root) == []
    (doc.with_suffix("") / "variables").mkdir(parents=True)
    doc.with_suffix("").joinpath("saved_model.pb").write_bytes(META_GRAPH)
    assert [problem.message for problem in validator.validate_file(doc, root=root)] == [
        "1.tar.gz: the model folder 1/ is beside it too, and tfhub serve sends 1.tar.gz only; "
        "remove the one that is not this version"
    ]


def test_a_doc_in_a_folder_whose_name_holds_a_colon_keeps_its_whole_message(tmp_path):
    """Mutant: `_message_of` cuts at the first `: ` even when what comes before it is not the
    `file:line`; for a doc under a folder `a: b`, the problem then began `b/1.md:1: ...`, a
    path that does not exist."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    folder = root / "assets/docs/acme/models/a: b"
    folder.mkdir(parents=True)
    (folder / "1.md").write_text("Not a first line.\n")
    [problem] = validator.validate_tree(root)
    assert problem.path == "assets/docs/acme/models/a: b/1.md" and problem.line == 1
    assert "a: b/1.md:1: the first line must be" in problem.message


def test_a_collection_and_a_module_of_the_same_name_are_served_at_two_urls(tmp_path):
    """Mutant: `_duplicate_problems` takes a collection's URL without `collections/`; the
    collection acme/picks/1 (served at /acme/collections/picks/1) and the module acme/picks/1
    (at /acme/picks/1) were then reported as sharing a URL, and `tfhub validate` failed."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/picks/1")
    collection = root / "assets/docs/acme/collections/picks/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text("# Collection acme/picks/1\nPicks.\n\n<!-- task: text-embedding -->\n")
    assert validator.validate_tree(root) == []


def test_a_signature_summary_of_the_wrong_json_shape_is_a_summary_error(tmp_path):
    """Mutant: `read_summary` without AttributeError among the errors it turns into a
    SignatureSummaryError; a summary that is a JSON list (or whose `signatures` is one) then
    raised a bare AttributeError, where the docstring promises SignatureSummaryError (which
    `tfhub validate` reports, and the server treats as no summary)."""
    path = tmp_path / "1.signatures.json"
    path.write_text("[]")
    with pytest.raises(errors.SignatureSummaryError, match="AttributeError"):
        signatures.read_summary(path)


def test_check_options_refuses_port_0(tmp_path):
    """Mutant: the port range starts at 0 (`0 <= port`); `tfhub serve --port 0` then passed
    the checks (the check's bind takes any free port for 0), though `check_options` says
    1-65535, and the address `tfhub serve` prints ended in `:0`, which no client reaches."""
    from tfhub.hub import runner

    write_publisher(tmp_path, "acme", "Acme")
    settings = ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0)
    with pytest.raises(errors.ServeConfigError, match="between 1 and 65535") as caught:
        runner.check_options(settings, host="127.0.0.1", port=0, workers=1, server="granian")
    assert caught.value.option == "--port"


def test_a_doc_rewritten_with_as_many_bytes_changes_the_tree_stamp(tmp_path):
    """Mutant: `tree_stamp` without the mtimes; a doc edited in place to a text of the same
    length (`acme` -> `acne` in its description) then left the stamp as it was, and the
    server never re-scanned it until a restart."""
    from tfhub.hub import refresh

    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1", description="Fast model.")
    before = refresh.tree_stamp(str(tmp_path))
    doc.write_text(doc.read_text().replace("Fast model.", "Slow model."))
    stat = doc.stat()
    os.utime(doc, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert refresh.tree_stamp(str(tmp_path)) != before


def test_a_windows_path_as_mirror_source_is_shown_as_given():
    """Mutant: `public_source` takes a one-letter scheme for a URL's; a Windows path
    `C:\\models\\emb` (a drive letter, which `urlsplit` reads as the scheme `c`) was then
    rebuilt as a URL, `c:\\models\\emb`, not the source as the user gave it (the docstring:
    a path is kept)."""
    from tfhub.hub.mirror_source import public_source

    assert public_source("C:\\models\\emb") == "C:\\models\\emb"
    assert public_source("https://me:pw@hub.example:8443/acme/emb/1?t=x") == (
        "https://hub.example:8443/acme/emb/1"
    )


def test_api_search_lists_a_models_versions_in_numeric_order(tmp_path):
    """Mutant: `model_summary` lists the versions as the scan found them, not sorted; docs
    are read in path order (`10.md` before `2.md`), so `/api/models` then said versions
    `[10, 2]`."""
    write_publisher(tmp_path, "acme", "Acme")
    for version in (2, 10):
        write_model_doc(tmp_path, f"acme/emb/{version}")
    status, data = _json(_app(tmp_path), b"/api/models")
    assert status == 200 and data["models"][0]["versions"] == [2, 10]


def test_api_gives_no_size_for_an_archive_that_became_a_symlink_loop(tmp_path):
    """Mutant: `version_size` catches only FileNotFoundError, not every OSError; an archive
    replaced since the scan by something `stat` cannot follow (a symlink loop, ELOOP) then
    made `/api/models/<handle>` a 500, where the docstring says the size is None."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1", asset="1.tar.gz")
    archive = _tar(doc.with_name("1.tar.gz"), [("saved_model.pb", META_GRAPH)])
    app = _app(tmp_path)
    archive.unlink()
    archive.symlink_to(archive.name)  # Itself: stat() raises ELOOP.
    status, data = _json(app, b"/api/models/acme/emb")
    assert status == 200 and data["versions"][0]["size_bytes"] is None


def test_the_access_log_adds_no_handler_where_the_tfhub_logger_has_one(monkeypatch):
    """Mutant: `enable_access_log` without its check of the "tfhub" logger's handlers; under
    the `tfhub` command (whose "tfhub" logger writes to stderr) every access line was then
    written twice, once by each handler."""
    import logging

    from tfhub.hub.middleware import enable_access_log

    access = logging.getLogger("tfhub.hub.access")
    monkeypatch.setattr(logging.getLogger("tfhub"), "handlers", [logging.NullHandler()])
    monkeypatch.setattr(access, "handlers", [])
    monkeypatch.setattr(access, "level", access.level)  # Put back after the test.
    enable_access_log()
    assert access.handlers == [] and access.level == logging.INFO


def test_a_background_servers_url_of_a_path_with_a_leading_slash(tmp_path):
    """Mutant: `BackgroundServer.url` keeps the path's leading `/`; `url("/api/models")` then
    gave `http://host:port//api/models`, a path the protocol refuses (doubled slash)."""
    from tfhub.hub.runner import BackgroundServer

    write_publisher(tmp_path, "acme", "Acme")
    settings = ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as server:
        assert server.url("/api/models") == f"http://127.0.0.1:{server.port}/api/models"
        assert server.url("api/models") == server.url("/api/models")


def test_a_starter_doc_says_mirrored_from_only_for_a_mirror():
    """Mutant: `starter_module_doc` writes the "Mirrored from" line whatever `info.source`
    is; every starter doc of `tfhub publish` then said "Mirrored from `None`."."""
    from tests._helpers.hub_server import signature_summary_json

    from tfhub.hub import starter
    from tfhub.hub.doc_handles import parse_handle

    summary = signatures.summary_from_json(signature_summary_json())
    handle = parse_handle("acme/emb/1")
    published = starter.starter_module_doc(
        handle, summary, starter.StarterInfo(task="text-embedding"), asset_path="1.tar.gz"
    )
    assert "Mirrored from" not in published
    mirrored = starter.starter_module_doc(
        handle,
        summary,
        starter.StarterInfo(task="text-embedding", source="https://hub.example/acme/emb/1"),
        asset_path="1.tar.gz",
    )
    assert "Mirrored from `https://hub.example/acme/emb/1`." in mirrored


def test_a_waiting_publish_gives_up_once_its_timeout_is_over(tmp_path):
    """Mutant: `_wait` compares the time waited with a far longer bound (`timeout * 1000`); a
    publish given 0.2 s then waited 200 s for another one's lock (the default 600 s became
    a week), though it raised the same PublishBusyError in the end."""
    import fcntl
    import time

    folder = tmp_path / "acme" / "models" / "emb"
    folder.mkdir(parents=True)
    holder = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # Another publish at work.
        started = time.monotonic()
        with pytest.raises(errors.PublishBusyError, match="for 0 s"):
            with publish_locks.folder_lock(folder, what="publishing", timeout=0.2):
                pytest.fail("the lock was taken while another process held it")
        assert 0.2 <= time.monotonic() - started < 10
    finally:
        os.close(holder)
