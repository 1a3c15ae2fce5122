"""Rules of the private hub's settings, runner, JSON API, renderer, tag definitions, starter
docs, signature summaries, pack output, nginx config and docs format that a hand-made mutant
(a flipped comparison, a dropped check, a value left out) could change without any test
failing (the lines session 39's pass did not run): each test here fails under the mutant its
docstring names, and passes on the code as it is."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tests._helpers import mounts
from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import (
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_publisher,
)
from tests._helpers.threads import run_threads

from tfhub import errors
from tfhub.hub import (
    cache_dir,
    docs_format,
    docs_layout,
    pack_output,
    refresh,
    render,
    settings,
    signatures,
    starter,
    tags,
)
from tfhub.hub.app import create_app
from tfhub.hub.docs_format import MAX_DESCRIPTION_CHARS
from tfhub.hub.middleware import SECURITY_HEADERS
from tfhub.hub.nginx import nginx_config
from tfhub.hub.settings import ServeSettings


def _app(root: Path, **options: Any) -> Any:
    return create_app(ServeSettings(root=str(root), access_log=False, rescan_seconds=0, **options))


def _json(app: Any, path: str, query: bytes = b"") -> tuple[int, Any]:
    status, body = asgi_request(app, "GET", path.encode("ascii"), query)
    return status, json.loads(body)


def test_a_base_url_ending_in_a_slash_serves_the_hub_below_its_path(tmp_path):
    """Mutant: `base_path` keeps the trailing slash of `--base-url https://corp/hub/`; the
    prefix `/hub/` then matched no request (`/hub/api/models` is not `/hub//...`), so every
    URL the pages give (below /hub) was a 404."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    app = _app(tmp_path, base_url="https://corp.example/hub/")
    status, data = _json(app, "/hub/api/models")
    assert status == 200 and [m["handle"] for m in data["models"]] == ["acme/emb"]
    assert data["models"][0]["url"] == "https://corp.example/hub/acme/emb/1"


def test_a_cache_dir_on_a_read_only_file_system_is_refused(tmp_path):
    """Mutant: `check_cache_dir` skips the `os.access` check; a --cache-dir on a read-only
    file system (which root cannot write either) then passed, and every download of a folder
    version was a 500 whose cause only the server log named."""
    with mounts.tmpfs(tmp_path / "ro", "ro,size=64k") as read_only:
        with pytest.raises(errors.ServeConfigError, match="cannot write into it") as caught:
            cache_dir.check_cache_dir(str(read_only))
    assert caught.value.option == "--cache-dir"


def test_a_doc_no_longer_utf8_since_the_scan_gives_no_markdown_not_a_500(tmp_path):
    """Defect (found by the mutant `except (OSError, ValueError)` of `api._file_text`, which
    no test told from the code): a doc saved again as Latin-1 after the scan made
    `/api/models/<handle>` and `/api/publishers/<name>` a 500 until the next rescan, though
    `doc_markdown` is documented as None for a doc that cannot be read."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    app = _app(tmp_path)
    doc.write_bytes(doc.read_bytes().replace(b"A small model.", b"Caf\xe9 model."))
    (tmp_path / "assets/docs/acme/acme.md").write_bytes(b"# Publisher acme\nCaf\xe9.\n")
    status, model = _json(app, "/api/models/acme/emb")
    assert status == 200 and model["versions"][0]["doc_markdown"] is None
    status, publisher = _json(app, "/api/publishers/acme")
    assert status == 200 and publisher["doc_markdown"] is None


def test_a_token_file_rewritten_within_its_timestamps_grain_is_read_again(tmp_path, monkeypatch):
    """Mutants: `_RACY_NS = 0`, `TokenFile.tokens` reading again only when the stamp changed
    (without `or self._racy`), or the first read never taken as racy; on a file system that
    keeps whole-second times (FAT, some network mounts), a token replaced by another of the
    same length within that second kept working, and the new one was refused."""
    path = tmp_path / "tokens"
    real_stat = os.stat

    def whole_second_stat(file: Any, *args: Any, **kwargs: Any) -> Any:
        found = real_stat(file, *args, **kwargs)
        if os.fspath(file) != os.fspath(path):
            return found
        second = 1_000_000_000
        return SimpleNamespace(
            st_dev=found.st_dev,
            st_ino=found.st_ino,
            st_size=found.st_size,
            st_mode=found.st_mode,
            st_ctime_ns=found.st_ctime_ns // second * second,
            st_mtime_ns=found.st_mtime_ns // second * second,
        )

    monkeypatch.setattr(os, "stat", whole_second_stat)
    time.sleep(1 - time.time() % 1 + 0.01)  # Both writes within one second.
    path.write_text("old-token\n")
    tokens = settings.TokenFile(str(path))
    path.write_text("new-token\n")  # Same size, same whole-second times: the same stamp.
    assert settings._file_stamp(str(path)) == tokens._stamp
    assert tokens.tokens() == frozenset({"new-token"})


def test_a_token_file_changed_long_after_its_last_write_is_read_again(tmp_path):
    """Mutant: `TokenFile.tokens` reads the file again only while it is racy (`if
    self._racy:`); once its last write was seconds old, a token removed from the file (the
    stamp changed) kept working, until a restart."""
    path = tmp_path / "tokens"
    old = time.time_ns() - 3_600 * 1_000_000_000  # An hour ago: not racy.
    path.write_text("old-token\n")
    os.utime(path, ns=(old, old))
    tokens = settings.TokenFile(str(path))
    assert not tokens._racy
    path.write_text("new-token\n")
    os.utime(path, ns=(old + 1, old + 1))
    assert tokens.tokens() == frozenset({"new-token"})


def _archive_location(conf: str) -> re.Pattern[str]:
    """The regex of the config's `location ~ "..."` of versioned archives, as Python reads it."""
    [written] = re.findall(r'location ~ "(.*)" \{', conf)
    return re.compile(written.replace("(?<", "(?P<"))


def test_the_nginx_archive_location_takes_a_dot_of_the_base_url_path_as_a_dot(tmp_path):
    """Mutant: the --base-url path pasted into the archive location's regex unescaped; with
    `/hub.v1`, the `.` then matched any character, so nginx sent the archive of `/hubxv1/...`
    (a path of no hub) itself."""
    conf = nginx_config(
        str(tmp_path), upstream="127.0.0.1:8000", listen="80", base_url="https://h/hub.v1"
    )
    location = _archive_location(conf)
    assert location.fullmatch("/hub.v1/lab/m/1")
    assert not location.fullmatch("/hubxv1/lab/m/1")


def test_the_nginx_config_names_the_port_of_an_ipv6_upstream(tmp_path):
    """Mutant: the port taken after the first `:` of the upstream; for `[::1]:8000` the
    config's first lines then said to run `tfhub serve ... --port :1]:8000`."""
    conf = nginx_config(str(tmp_path), upstream="[::1]:8000", listen="80")
    assert f"tfhub serve {tmp_path} --port 8000 --print-nginx-config 80" in conf


def test_the_nginx_config_names_a_relative_hub_folder_by_its_absolute_path(tmp_path, monkeypatch):
    """Mutant: `nginx_config` without `os.path.abspath(root)`; `hub` given as ROOT then went
    into the config as written, which nginx reads relative to its own prefix
    (/usr/share/nginx/hub/assets/docs), not the folder tfhub serve serves."""
    monkeypatch.chdir(tmp_path)
    conf = nginx_config("hub", upstream="127.0.0.1:8000", listen="80")
    hub = tmp_path / "hub"
    assert f'root "{hub}/assets/docs";' in conf


def test_the_nginx_config_sends_the_security_headers_with_error_answers_too(tmp_path):
    """Mutant: the config's `add_header` lines of the security headers without `always`;
    nginx then sent them with 2xx and 3xx answers only, not with its own 401, 403 and 404 of
    the archive location (pages a browser shows, as tfhub serve's answers carry them)."""
    conf = nginx_config(str(tmp_path), upstream="127.0.0.1:8000", listen="80")
    for name, value in SECURITY_HEADERS.items():
        assert f'add_header {name} "{value}" always;' in conf


def test_the_api_gives_the_url_of_a_non_ascii_model_percent_encoded(tmp_path):
    """Mutant: `model_summary` writes the handle into `url` unquoted; the search results and
    the model's JSON then gave `.../acme/émb/1`, a URL tensorflow_hub cannot load (its
    versions' URLs, quoted, differed from it)."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/émb/1")
    app = _app(tmp_path)
    _, found = _json(app, "/api/models")
    _, model = _json(app, "/api/models/acme/%C3%A9mb")
    url = "http://hub.test/acme/%C3%A9mb/1"
    assert [m["url"] for m in found["models"]] == [url]
    assert model["url"] == url == model["versions"][0]["url"]


def test_the_api_cuts_a_publishers_long_description_as_the_pages_do(tmp_path):
    """Mutants: `/api/publishers` or `/api/publishers/<name>` giving the publisher's whole
    description, not `shown_description`; a 40 KB one then went whole into each answer."""
    write_publisher(tmp_path, "acme", "Wordy " + "w" * 3 * MAX_DESCRIPTION_CHARS)
    app = _app(tmp_path)
    _, listed = _json(app, "/api/publishers")
    _, one = _json(app, "/api/publishers/acme")
    for shown in (listed["publishers"][0]["description"], one["description"]):
        assert shown.startswith("Wordy w") and shown.endswith("…")
        assert len(shown) == MAX_DESCRIPTION_CHARS + 1


def test_headings_without_a_word_get_section_ids():
    """Mutant: `_heading_ids` without its `or "section"`; a heading of punctuation only
    (`## ???`) then got the id `user-content-` and the next one `user-content--1`, which no
    link can name."""
    shown = render.markdown_to_html("## ???\n\n## !!!")
    assert '<h2 id="user-content-section">' in shown
    assert '<h2 id="user-content-section-1">' in shown


def test_an_id_already_prefixed_is_not_prefixed_twice():
    """Mutant: `_prefixed` prefixes every id and name, also one that already starts with
    `user-content-`; a doc's `<h3 id="user-content-notes">` (copied from a rendered page)
    then became `user-content-user-content-notes`, and its link `#user-content-notes`, which
    is kept as written, led nowhere."""
    shown = render.markdown_to_html(
        '<h3 id="user-content-notes">Notes</h3>\n\n[to the notes](#user-content-notes)'
    )
    assert '<h3 id="user-content-notes">' in shown and 'href="#user-content-notes"' in shown


def test_the_text_of_a_link_is_read_unescaped():
    """Mutant: `_link_text` keeps the text between tags as the sanitiser escaped it; the link
    `[Q&A](url)` then had the text `Q&amp;A` in `tfhub validate`'s warnings."""
    [link] = render.elements("[Q&A](https://example.com/qa)")
    assert link.text == "Q&A"


def test_a_tag_file_that_is_not_yaml_is_reported_not_raised(tmp_path):
    """Mutant: `load_tag_definitions` catching only ValueError and OSError; a tag file that
    is not YAML (PyYAML's ScannerError or ParserError, neither of them) then stopped `tfhub
    validate` and every publish with a traceback instead of being reported."""
    (tmp_path / "tags").mkdir()
    (tmp_path / "tags/language.yaml").write_text("values: [{id: en\n")
    definitions = tags.load_tag_definitions(tmp_path)
    assert definitions is not None and definitions.ids == {}
    [(path, why)] = definitions.errors
    assert path == "tags/language.yaml" and why.startswith("cannot read the tag definitions: ")


def _summary_of(tensor: signatures.TensorInfo) -> signatures.SignatureSummary:
    signature = signatures.SignatureInfo("serving_default", (tensor,), ())
    meta = signatures.MetaGraphInfo(("serve",), (signature,))
    return signatures.SignatureSummary("TF2 SavedModel", "saved_model_2", 10, 1, 4, (meta,))


def test_an_image_input_of_unknown_channels_is_taken_for_images():
    """Mutant: `infer_task` takes images of 1 or 3 channels only, not of an unknown number
    (`[None, None, None, None]`, as a model traced for any image size and channels says);
    its starter doc then could not be written without --task."""
    tensor = signatures.TensorInfo("images", "float32", (None, None, None, None))
    assert starter.infer_task(_summary_of(tensor)) == "image-feature-vector"


@pytest.mark.parametrize("dimension", ["1e999", '"3; import os"'])
def test_a_summary_dimension_that_is_no_whole_number_is_refused(tmp_path, dimension):
    """Mutant: `_tensor` keeps each dimension as the file wrote it (no `int(d)`); an infinite
    one (`1e999`) or text then went into the summary and onto the model's page,
    where `read_summary` documents a SignatureSummaryError."""
    written = json.dumps(signature_summary_json()).replace("[null, 3]", f"[null, {dimension}]")
    assert written.count(dimension) == 1
    path = tmp_path / "1.signatures.json"
    path.write_text(written)
    with pytest.raises(errors.SignatureSummaryError, match="Cannot read the signature summary"):
        signatures.read_summary(path)


def test_a_description_of_exactly_the_shown_length_is_shown_whole(tmp_path):
    """Mutant: `shown_description` cuts at `len(description) >= MAX_DESCRIPTION_CHARS`; a
    description of exactly that many characters, which `tfhub validate` lets pass, was then
    shown cut, with `…`, on the pages and in the API."""
    text = f"# Module acme/emb/1\n{'d' * MAX_DESCRIPTION_CHARS}\n"
    doc = docs_format.parse_text(text, path=tmp_path / "1.md", rel_path="acme/models/emb/1.md")
    assert doc.shown_description == "d" * MAX_DESCRIPTION_CHARS


def test_a_folder_of_docs_beside_a_doc_is_no_model_folder(tmp_path):
    """Mutant: `model_dir_beside` takes any folder `<version>/` beside the doc; tfhub.dev's
    `1/default/tfjs/1.md` (the TF.js docs of version 1) was then the version's "model
    folder": refused as existing by publish, and removed as stale when an archive was
    published for the version."""
    doc = write_model_doc(tmp_path, "acme/emb/1")
    tfjs = doc.with_suffix("") / "default" / "tfjs" / "1.md"
    tfjs.parent.mkdir(parents=True)
    tfjs.write_text("# Tfjs acme/emb/tfjs/1\nThe TF.js model.\n")
    assert docs_layout.model_dir_beside(doc) == []
    (doc.with_suffix("") / "saved_model.pb").write_bytes(b"")
    assert docs_layout.model_dir_beside(doc) == [doc.with_suffix("")]


def test_the_api_gives_the_body_of_the_latest_versions_doc(tmp_path):
    """Mutant: `one_model` without `body_markdown`; `/api/models/<handle>` then lacked the
    Markdown body of the model's latest doc (the body alone, without the metadata lines)."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", body="Body of version one.")
    write_model_doc(tmp_path, "acme/emb/2", body="Body of version two.")
    _, model = _json(_app(tmp_path), "/api/models/acme/emb")
    assert model["body_markdown"] == "## Overview\nBody of version two."


def test_the_api_says_which_versions_the_hub_can_serve(tmp_path):
    """Mutant: `version_json` says `servable: true` of every version; a version whose doc
    names only a URL elsewhere (no archive, no folder here) was then offered to scripts as
    downloadable from the hub."""
    write_publisher(tmp_path, "acme", "Acme")
    make_tar_gz(write_model_doc(tmp_path, "acme/emb/1").with_name("1.tar.gz"))
    write_model_doc(tmp_path, "acme/emb/2")  # Its asset-path: https://example.com/...
    _, model = _json(_app(tmp_path), "/api/models/acme/emb")
    assert [(v["version"], v["servable"]) for v in model["versions"]] == [(1, True), (2, False)]


def test_api_search_applies_the_filters_of_the_index_page(tmp_path):
    """Mutant: `search_models` passes no filters to the index; `/api/models?task=...` (the
    module docstring: "same filters as the index page") then listed every model."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", task="text-embedding", language="en")
    write_model_doc(tmp_path, "acme/cls/1", task="image-classification", language="fr")
    app = _app(tmp_path)
    for query, handles in (
        (b"task=image-classification", ["acme/cls"]),
        (b"language=en", ["acme/emb"]),
    ):
        _, found = _json(app, "/api/models", query)
        assert [m["handle"] for m in found["models"]] == handles and found["total"] == 1


def test_tfhub_serve_with_uvicorn_closes_a_connection_that_sends_no_request(tmp_path):
    """Mutant: `_serve_uvicorn` without `http=_UVICORN_HTTP_PROTOCOL` (uvicorn's own h11
    protocol); `tfhub serve --server uvicorn` then kept a connection that sends nothing open
    for as long as the client liked (only the in-process server had the header deadline)."""
    write_publisher(tmp_path, "acme", "Acme")
    prelude = "from tfhub.hub import uvicorn_h11; uvicorn_h11.HEADER_TIMEOUT_SECONDS = 0.5"
    options = ("--server", "uvicorn", "--rescan", "0")
    with serve_hub(tmp_path, tmp_path / "serve.log", *options, prelude=prelude) as running:
        with socket.create_connection(("127.0.0.1", running.port), timeout=15) as silent:
            started = time.monotonic()
            assert silent.recv(1) == b""  # Closed by the server, not by the timeout.
            assert time.monotonic() - started < 10


def test_a_named_pipe_is_written_blocking_once_its_reader_came(tmp_path):
    """Mutant: `open_stream` leaves the pipe non-blocking (no `os.set_blocking(fd, True)`);
    an archive larger than the pipe's buffer, written faster than its reader (`| ssh ...`)
    takes it, then failed half-way with BlockingIOError."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    size = 4 * 1024 * 1024  # Far more than a pipe buffers (64 KiB on Linux).

    def slow_reader() -> int:
        with open(fifo, "rb") as pipe:
            time.sleep(0.3)  # The writer fills the pipe meanwhile.
            return len(pipe.read())

    def writer() -> None:
        with pack_output.open_stream(fifo, "FIFO") as stream:
            stream.write(b"x" * size)

    results, failures = run_threads(slow_reader, writer)
    assert failures == [] and size in results


def test_a_rescan_that_failed_is_tried_again_at_the_next_look(tmp_path):
    """Mutant: the watcher takes the new stamp before loading (not once the load worked); a
    rescan that failed (ROOT being replaced, a doc being written) was then never tried again
    until the tree changed once more, and the hub kept serving the old scan."""
    write_publisher(tmp_path, "acme", "Acme")
    loads: list[int] = []

    def load() -> Any:
        loads.append(1)
        if len(loads) == 1:
            raise errors.TFHubError("ROOT is being replaced")
        return SimpleNamespace(catalog=SimpleNamespace(models={}))

    async def serve_a_while() -> Any:
        app = SimpleNamespace(state=SimpleNamespace(hub=None))
        # The tree as served before the doc came (the watcher's own first stamp, taken in a
        # thread, could come after the doc on a busy machine and never see a change).
        baseline = refresh.tree_stamp(str(tmp_path))
        async with refresh.lifespan(load, str(tmp_path), 0.05, baseline)(app):
            write_model_doc(tmp_path, "acme/new/1")
            deadline = time.monotonic() + 60  # Generous: the loads run in threads.
            while app.state.hub is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return app.state.hub

    assert asyncio.run(serve_a_while()) is not None
    assert len(loads) == 2


def test_a_pack_removes_only_its_own_leftovers_beside_the_archive(tmp_path):
    """Mutant: the leftover pattern takes any run of hex digits, not the 32 of `part_path`;
    a user's `.1.tar.gz.cafe.part` beside the archive was then deleted by the next pack."""
    target = tmp_path / "1.tar.gz"
    leftover = pack_output.part_path(target)
    users = tmp_path / ".1.tar.gz.cafe.part"
    for path in (leftover, users):
        path.write_bytes(b"partial")
    pack_output.remove_abandoned_parts(target)
    assert not leftover.exists() and users.exists()


def test_an_output_whose_file_was_removed_is_written_into_not_renamed_over(tmp_path):
    """Mutant: `checked_target` without its DELETED_FILE case; the output /dev/stdout of
    `> out.tar.gz` once out.tar.gz was removed then led to a rename that made a new file
    named `out.tar.gz (deleted)`."""
    (tmp_path / "model").mkdir()
    with open(tmp_path / "out.tar.gz", "wb") as out:
        os.unlink(tmp_path / "out.tar.gz")
        given = f"/proc/self/fd/{out.fileno()}"
        assert pack_output.checked_target(given, tmp_path / "model") == (
            Path(given),
            pack_output.DELETED_FILE,
        )
