"""Hostile and clumsy input against a real `tfhub serve` on 127.0.0.1 and against `publish`:
odd paths and versions, ranges, methods, tokens, hostile archives and docs (session 45).

One open server (granian, the default) and one with tokens (uvicorn) serve the module's hub.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import add_members, make_tar_gz, write_tree
from tests._helpers.hub_server import (
    HubProcess,
    raw_request,
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_model_folder,
    write_publisher,
    write_signatures,
)
from tests._helpers.killed_commit import (
    KILL_BEFORE_RENAME,
    publish_without_tensorflow,
    run_killed,
)
from tests._helpers.probe_tables import ends_quickly

from tfhub import errors
from tfhub.hub import publish, signatures
from tfhub.hub.starter import StarterInfo

TOKEN = "probe45-token-0123456789"
HOSTILE_BODY = """Hello <script>alert("body")</script>

[click](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)" onclick="alert(3)">two</a>
<img src="x.png" onerror="alert(4)"> <iframe src="https://example.com"></iframe>
<div style="x" onmouseover="alert(5)">raw</div>
"""
HOSTILE_TEXT = '<script>alert("text")</script> & "quoted" <img src=x onerror=alert(6)>'


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("probes45")
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"))
    zero = write_model_doc(root, "acme/zero/0", asset="0.tar.gz")
    make_tar_gz(zero.with_name("0.tar.gz"))
    hostile = write_model_doc(
        root,
        "acme/hostile/1",
        asset="1.tar.gz",
        description=HOSTILE_TEXT,
        dataset=HOSTILE_TEXT,
        body=HOSTILE_BODY,
    )
    make_tar_gz(hostile.with_name("1.tar.gz"))
    write_signatures(hostile, signature_summary_json(input_name=HOSTILE_TEXT, output_name='o"ut'))
    cafe = write_model_doc(root, "acme/caf\u00e9/1", asset="1.tar.gz")  # Hand-written: NFC.
    make_tar_gz(cafe.with_name("1.tar.gz"))
    (root / "tokens").write_text(f"# probes\n{TOKEN}\n")
    (root / "tokens").chmod(0o600)
    return root


@pytest.fixture(scope="module")
def server(hub_root, tmp_path_factory):
    log = tmp_path_factory.mktemp("open") / "serve.log"
    with serve_hub(hub_root, log, "--rescan", "0") as running:
        yield running


@pytest.fixture(scope="module")
def secured(hub_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("secured")
    options = ("--token-file", str(hub_root / "tokens"), "--server", "uvicorn", "--rescan", "0")
    with serve_hub(hub_root, folder / "serve.log", *options) as running:
        yield running


def _archive(root: Path, handle: str) -> bytes:
    publisher, rest = handle.split("/", 1)
    model, version = rest.rsplit("/", 1)
    return (root / "assets/docs" / publisher / "models" / model / f"{version}.tar.gz").read_bytes()


# --- Paths -----------------------------------------------------------------------------------

REFUSED_PATHS = [
    "/acme/../acme/emb/1",
    "/acme/%2e%2e/acme/emb/1",
    "/acme%2femb%2f1",
    "/acme/emb%2F1",
    "/acme/emb%00/1",
    "/acme\\emb\\1",
    "/acme%5cemb/1",
    "//acme/emb/1",
    "/acme//emb/1",
    "/acme/.emb/1",
    # Tab, CR and LF: Starlette's `request.url` drops them (urllib's urlsplit strips them), so
    # `/ac%09me/emb/1` was served as `/acme/emb/1`; and its routes' `.*` stops at LF, so a
    # path holding one got Starlette's bare `404 Not Found`, not the hub's 400.
    "/ac%09me/emb/1",
    "/acme/e%0Dmb/1",
    "/acme/emb/1%0A",
    "/acme/emb%0A",
    "/acme%0A/emb/1",
    "/acme/emb/%0A1",
    "/%0A",
]


@pytest.mark.parametrize("query", ["", "?tf-hub-format=compressed"])
@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_a_path_the_hub_refuses_is_a_400_never_a_file(server, hub_root, path, query):
    status, headers, body = raw_request(server.port, path + query)
    assert (status, body) == (400, b"400 Bad Request: this path is not allowed.\n")
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["/ac%09me/emb/1", "/acme%0A/emb/1", "/acme/emb/%0A1", "/api/models/acme/emb%0A"]
)
def test_a_control_character_in_a_path_is_the_hubs_400_page_for_a_browser(server, path):
    status, headers, body = raw_request(server.port, path, {"Accept": "text/html"})
    assert status == 400 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<p id="refused-path">' in body and b"Content-Security-Policy" not in body
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(
    "path", ["/api/models/acme/emb%0A", "/api/publishers/acme%0A", "/api/models%0A", "/healthz%0A"]
)
def test_a_path_ending_in_a_newline_is_no_alias_of_an_api_route(server, path):
    """Starlette's route patterns end in `$`, which matches before a final newline:
    `/api/models/acme/emb%0A` answered the model `acme/emb`."""
    assert raw_request(server.port, path)[0] == 400


@pytest.mark.parametrize("path", ["/ac%09me/emb/1", "/acme/emb/1%0A", "/api/models/acme/emb%0A"])
def test_uvicorn_with_tokens_refuses_a_control_character_too(secured, path):
    status, _, body = raw_request(secured.port, path + "?tf-hub-format=compressed")
    assert status == 401  # The token first: a stranger learns nothing.
    authorization = {"Authorization": f"Bearer {TOKEN}"}
    status, _, body = raw_request(secured.port, path + "?tf-hub-format=compressed", authorization)
    assert (status, body) == (400, b"400 Bad Request: this path is not allowed.\n")


def test_a_path_of_8_kb_is_answered_and_one_longer_is_a_414(server):
    segment = "a" * 200
    long_path = "/" + "/".join([segment] * 40)  # 8,040 bytes.
    assert raw_request(server.port, long_path + "?tf-hub-format=compressed")[0] == 404
    status, headers, _ = raw_request(server.port, long_path + "/" + segment)
    assert status == 414 and headers["X-Content-Type-Options"] == "nosniff"


# --- Versions --------------------------------------------------------------------------------


def test_version_0_is_served_as_any_other(server, hub_root):
    got = requests.get(server.url("acme/zero/0?tf-hub-format=compressed"), timeout=30)
    assert got.status_code == 200 and got.content == _archive(hub_root, "acme/zero/0")
    latest = requests.get(server.url("acme/zero?tf-hub-format=compressed"), timeout=30)
    assert latest.content == got.content


@pytest.mark.parametrize(
    ("version", "said"),
    [
        ("01", "acme/emb/01: a version is written without leading zeros; use acme/emb/1"),
        ("001", "acme/emb/001: a version is written without leading zeros; use acme/emb/1"),
        ("00", "acme/zero/00: a version is written without leading zeros; use acme/zero/0"),
        ("-1", "acme/emb/-1: the publisher acme has"),
        ("1e3", "acme/emb/1e3: the publisher acme has"),
        ("9" * 25, f"acme/emb/{'9' * 25}: acme/emb has version(s) 1"),
        ("9" * 4400, f"acme/emb/{'9' * 4400}: the publisher acme has"),  # Past int()'s 4,300.
        ("9" * 9000, "414"),  # Past MAX_TARGET_BYTES.
        ("%D9%A1", "acme/emb/\u0661: the publisher acme has"),  # ARABIC-INDIC DIGIT ONE.
        ("%EF%BC%91", "acme/emb/\uff11: the publisher acme has"),  # FULLWIDTH DIGIT ONE.
        ("%C2%B9", "acme/emb/\u00b9: the publisher acme has"),  # SUPERSCRIPT ONE.
        ("1%20", None),
        ("+1", "acme/emb/+1: the publisher acme has"),
    ],
    ids=lambda value: value if value is None or len(value) < 30 else f"{len(value)} chars",
)
def test_a_version_spelled_otherwise_is_no_alias(server, version, said):
    model = "zero" if version == "00" else "emb"
    status, _, body = raw_request(server.port, f"/acme/{model}/{version}?tf-hub-format=compressed")
    text = body.decode("utf-8")
    if said is None:
        assert status == 400
    elif said == "414":
        assert status == 414
    else:
        assert status == 404 and said in text, text[:200]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/acme/caf%C3%A9/1", 200),  # As the doc writes it (NFC).
        ("/acme/cafe%CC%81/1", 400),  # NFD: a combining accent is no word character.
        ("/acme/CAF%C3%89/1", 404),
        ("/ACME/emb/1", 404),
        ("/acme/EMB/1", 404),
        ("/%EF%BD%81cme/emb/1", 404),  # FULLWIDTH LATIN SMALL LETTER A.
        ("/acme/%EF%BD%85mb/1", 404),
        ("/acme/e%E2%80%8Bmb/1", 400),  # ZERO WIDTH SPACE: no word character.
        ("/acme/emb%C2%AD/1", 400),  # SOFT HYPHEN.
    ],
)
def test_case_and_unicode_spellings_are_no_alias(server, path, status):
    """Clients cache by the handle's text: a second spelling served would be a second copy."""
    assert raw_request(server.port, path + "?tf-hub-format=compressed")[0] == status


# --- Ranges, HEAD and methods ----------------------------------------------------------------

URL = "/acme/emb/1?tf-hub-format=compressed"


def test_head_and_ranges_on_an_archive(server, hub_root):
    whole = _archive(hub_root, "acme/emb/1")
    size = len(whole)
    status, headers, body = raw_request(server.port, URL, method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", str(size))
    assert headers["Accept-Ranges"] == "bytes" and headers["ETag"]
    status, headers, body = raw_request(server.port, URL, {"Range": "bytes=1-4"}, method="HEAD")
    assert (status, body, headers["Content-Range"]) == (206, b"", f"bytes 1-4/{size}")
    cases = [
        ("bytes=1-4", 206, whole[1:5]),
        (f"bytes={size - 2}-{size * 10}", 206, whole[-2:]),
        (f"bytes=-{size * 10}", 206, whole),
        (f"bytes={size}-", 416, b""),
        ("bytes=-0", 416, b""),
        ("bytes=0-1,3-4", 200, whole),  # Several ranges: ignored, the whole file.
        ("bytes=4-1", 200, whole),
        ("items=0-1", 200, whole),
    ]
    for header, expected, content in cases:
        status, headers, body = raw_request(server.port, URL, {"Range": header})
        assert (status, body) == (expected, content), header
        if expected == 416:
            assert headers["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
def test_methods_other_than_get_and_head_are_a_405(server, hub_root, method):
    # OPTIONS is answered (200 with Allow): tests/hub/test_http_edges_hub60b.py.
    before = _archive(hub_root, "acme/emb/1")
    status, headers, _ = raw_request(server.port, URL, {"Content-Length": "0"}, method=method)
    assert status == 405 and sorted(headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]
    assert _archive(hub_root, "acme/emb/1") == before


# --- Tokens ----------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (f"Bearer {TOKEN}", 200),
        (f"bearer   {TOKEN}  ", 200),
        (_basic("anyone", TOKEN), 200),
        (f"Bearer {TOKEN[:-1]}X", 403),  # Differs in the last byte.
        (f"Bearer {TOKEN[:-1]}", 403),
        (f"Bearer {TOKEN}X", 403),
        (f"Bearer {TOKEN} extra", 403),
        (_basic(TOKEN, ""), 401),  # The token as the user name: no password, no token.
        (f"Token {TOKEN}", 401),
        (f"Digest username={TOKEN}", 401),
        (TOKEN, 401),
        ("Bearer", 401),
        ("Basic !!!", 401),
    ],
)
def test_tokens_odd_schemes_and_near_misses(secured, authorization, status):
    got = requests.get(secured.url(URL), headers={"Authorization": authorization}, timeout=30)
    assert got.status_code == status
    if status != 200:
        assert TOKEN not in got.text and TOKEN[:-1] not in got.text


def test_a_token_in_the_query_is_no_token_and_never_logged(secured):
    for query in (f"&token={TOKEN}", f"&access_token={TOKEN}"):
        got = requests.get(secured.url(URL + query), timeout=30)
        assert got.status_code == 401 and TOKEN not in got.text
    requests.get(secured.url(URL), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    requests.get(secured.url("/x(1)"), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    log = secured.access_log()
    assert "token=***" in log and TOKEN not in log


# --- Pages -----------------------------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag of a page and its attributes, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _active_parts(page: str) -> list[str]:
    """What in a page could run script: script/iframe/object tags, `on*` and `style`
    attributes, `javascript:` URLs."""
    parser = _Tags()
    parser.feed(page)
    found = []
    for tag, attributes in parser.tags:
        if tag in ("script", "iframe", "object", "embed", "style"):
            found.append(tag)
        for name, value in attributes.items():
            url = (value or "").strip().lower()
            if name.startswith("on") or name == "style" or url.startswith("javascript:"):
                found.append(f"{tag} {name}={value}")
    return found


def test_every_user_provided_string_of_a_page_is_escaped(server):
    for path in ("acme/hostile/1", "acme", "", "?q=hostile", "acme/hostile/7"):
        assert _active_parts(requests.get(server.url(path), timeout=30).text) == [], path
    model = requests.get(server.url("acme/hostile/1"), timeout=30).text
    escaped = "&lt;script&gt;alert(&#34;text&#34;)&lt;/script&gt; &amp; &#34;quoted&#34;"
    assert model.count(escaped) == 3  # Description, dataset, signature input name.
    assert "<td>o&#34;ut</td>" in model


# --- Publish ---------------------------------------------------------------------------------


def _member(name: str, kind: bytes = tarfile.REGTYPE, *, size: int = 0, link: str = ""):
    member = tarfile.TarInfo(name)
    member.type, member.size, member.linkname = kind, size, link
    return member


@pytest.mark.parametrize(
    ("member", "error"),
    [
        (_member("variables/x", tarfile.SYMTYPE, link="../../../etc/passwd"), "a link pointing"),
        (_member("assets/x", tarfile.SYMTYPE, link="../saved_model.pb"), "holds the symlink"),
        (_member("assets/x", tarfile.LNKTYPE, link="saved_model.pb"), "is a hard link"),
        (_member("assets/x", tarfile.LNKTYPE, link="/etc/passwd"), "is a hard link"),
        (_member("../outside", size=3), "points outside the module"),
        (_member("assets/../../outside", size=3), "points outside the module"),
        (_member("/tmp/probes45-absolute", size=3), "has an absolute path"),
        (_member("assets/tty", tarfile.CHRTYPE), "is a special file"),
        (_member("assets/disk", tarfile.BLKTYPE), "is a special file"),
        (_member("assets/fifo", tarfile.FIFOTYPE), "is a special file"),
        (_member("tfhub_module.pb/../x", size=3), "files a hub refuses"),
        (_member("saved_model.pb", size=5), "files a hub refuses"),  # A duplicate member.
    ],
    ids=lambda value: value.name if isinstance(value, tarfile.TarInfo) else None,
)
def test_a_hostile_archive_publishes_nothing(tmp_path, member, error):
    """Refused before the model is loaded (no TensorFlow needed): nothing in ROOT, nothing
    outside it."""
    archive = add_members(tmp_path / "model.tar.gz", [member])
    root = tmp_path / "hub"
    with pytest.raises((errors.ArchiveError, errors.NotAModelError), match=error):
        publish.publish(archive, root, "acme/emb/1")
    assert not any(path.is_file() for path in root.rglob("*"))
    assert not (tmp_path / "outside").exists() and not Path("/tmp/probes45-absolute").exists()


def test_a_gzip_bomb_is_bounded_by_the_extraction_limit(tmp_path, monkeypatch):
    """64 MiB of zeros in 64 KiB of gzip: refused at TFHUB_MAX_EXTRACTED_BYTES, nothing left."""
    import gzip
    import io

    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        good = _member("saved_model.pb", size=3)
        tar.addfile(good, io.BytesIO(b"abc"))
        big = _member("variables/variables.data-00000-of-00001", size=64 << 20)
        tar.addfile(big, io.BytesIO(bytes(64 << 20)))
    bomb = tmp_path / "bomb.tar.gz"
    bomb.write_bytes(gzip.compress(data.getvalue(), compresslevel=9))
    assert bomb.stat().st_size < 200_000
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "1M")
    root = tmp_path / "hub"
    with pytest.raises(errors.ArchiveTooLargeError, match="TFHUB_MAX_EXTRACTED_BYTES"):
        publish.publish(bomb, root, "acme/emb/1")
    assert not any(path.is_file() for path in root.rglob("*"))


# --- A publish killed while it puts its files in place ---------------------------------------

# A SavedModel whose saved_model.pb parses (schema version 1, one empty MetaGraph); its loading
# and signature summary are stubbed (no TensorFlow), as in test_mirror_killed.
FAKE_MODEL = {"saved_model.pb": b"\x08\x01\x12\x00", "variables/variables.index": b"index"}
# `publish --force` of sys.argv[4], killed (SIGKILL) just before its Nth rename (sys.argv[5]).
KILLED_FORCE = (
    KILL_BEFORE_RENAME
    + publish_without_tensorflow(3)
    + """
from tfhub.hub import starter
kill_before_rename(int(sys.argv[5]))
info = starter.StarterInfo(description="The new one.", task="text-embedding")
publish.publish(sys.argv[1], sys.argv[2], sys.argv[4], force=True, info=info)
"""
)
# `publish --force` renames 6 times: the old archive aside, the new one in, the same for the
# signature summary, then the doc; killed before rename N, N - 1 are made.
KILLED_AT = range(1, 7)


@dataclass(frozen=True)
class KilledHub:
    root: Path
    old_archive: dict[str, bytes]  # handle -> the archive published first.
    server: HubProcess


def _publish_killed(model: Path, root: Path, summary: Path, handle: str, at: int) -> None:
    """Runs `KILLED_FORCE` in a child: a `publish --force` of `model` as `handle`, killed
    (SIGKILL) before its rename number `at`."""
    argv = [str(model), str(root), str(summary), handle, str(at)]
    run_killed(KILLED_FORCE, *argv)


@pytest.fixture(scope="module")
def killed_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KilledHub]:
    """A hub in which each `acme/killed-N/1` was published, then replaced by a publish --force
    killed before its Nth rename; then served (the scan sees what the kills left)."""
    tmp = tmp_path_factory.mktemp("killed")
    root, old, new = tmp / "hub", tmp / "old", tmp / "new"
    write_tree(old, FAKE_MODEL)
    write_tree(new, {**FAKE_MODEL, "assets/extra.txt": b"another model"})
    summaries = {}
    for name in ("old", "new"):
        summaries[name] = tmp / f"{name}.json"
        summaries[name].write_text(json.dumps(signature_summary_json(input_name=f"x_{name}")))
    old_archive = {}
    with pytest.MonkeyPatch.context() as patch:
        summary = signatures.read_summary(summaries["old"])
        patch.setattr(publish.pack_lib, "check_loadable", lambda folder: None)
        patch.setattr(publish.signatures, "compute_summary", lambda folder, loaded: summary)
        for at in KILLED_AT:
            handle = f"acme/killed-{at}/1"
            published = publish.publish(
                old, root, handle, info=StarterInfo(description="Old.", task="text-embedding")
            )
            old_archive[handle] = published.archive.read_bytes()
    for at in KILLED_AT:
        _publish_killed(new, root, summaries["new"], f"acme/killed-{at}/1", at)
    # The first publish of a new publisher, killed after its publisher doc was put in place
    # (renames: archive, summary, publisher doc, doc).
    _publish_killed(new, root, summaries["new"], "fresh/emb/1", 4)
    assert (root / "assets/docs/fresh/fresh.md").is_file()
    with serve_hub(root, tmp / "serve.log", "--rescan", "0") as running:
        yield KilledHub(root, old_archive, running)


@pytest.mark.parametrize("at", KILLED_AT)
def test_a_version_whose_force_publish_was_killed_is_served_as_it_was(killed_hub, at):
    """Until `tfhub validate` or the next publish rolled it back, the version was half old,
    half new: killed before rename 2, the old archive was aside (a 404); before 3 to 6, the new
    archive was sent for the old version (a client caches it as that version for good) and the
    page showed no summary (4), the new one (5) or no version at all (6: the doc aside). It is
    served as the roll-back will leave it: the old version."""
    handle = f"acme/killed-{at}/1"
    got = requests.get(killed_hub.server.url(f"{handle}?tf-hub-format=compressed"), timeout=30)
    assert got.status_code == 200, got.text
    assert got.content == killed_hub.old_archive[handle]
    api = requests.get(killed_hub.server.url(f"api/models/{handle[:-2]}"), timeout=30).json()
    assert api["description"] == "Old." and api["versions"][0]["size_bytes"] == len(got.content)
    meta_graph = api["versions"][0]["signatures"]["meta_graphs"][0]
    assert meta_graph["signatures"]["serving_default"]["inputs"][0]["name"] == "x_old"
    page = requests.get(killed_hub.server.url(handle), timeout=30)
    assert page.status_code == 200 and "x_old" in page.text and "The new one." not in page.text


# --- A doc of many metadata lines ------------------------------------------------------------

MANY_VALUES = """
import sys
from pathlib import Path
from tests._helpers.hub_server import write_model_doc
from tfhub.hub.app import HubState
from tfhub.hub.settings import ServeSettings

root = Path(sys.argv[1])
doc = write_model_doc(root, "acme/many/1")
lines = "\\n".join(f"<!-- dataset: d{n} -->" for n in range(60_000))
doc.write_text(doc.read_text().replace("<!-- dataset: synthetic -->", lines))
state = HubState.load(ServeSettings(root=str(root)))
assert len(state.catalog.models["acme/many"].facet_values("dataset")) == 60_000
"""


def test_a_doc_of_60000_metadata_lines_is_scanned_and_indexed_in_linear_time(tmp_path):
    """`publish --doc` and `validate` take any number of `dataset` lines (1.2 MB here); each
    value was looked for in the list of those before it: 24,000 took 6 s to index, 60,000
    about 40 s, at each start and rescan of every worker."""
    script = MANY_VALUES.replace("sys.argv[1]", repr(str(tmp_path / "hub")))
    ends_quickly(script, what="scanning and indexing a doc of 60,000 dataset lines")


def test_a_doc_with_a_metadata_value_of_2_mb_is_not_published(tmp_path, monkeypatch, capsys):
    """A `dataset` of 2,000,000 characters was published, and every index page of the hub,
    which offers each filter value whole, was then 6 MB (`/api/facets` 2 MB)."""
    summary_file = tmp_path / "summary.json"
    summary_file.write_text(json.dumps(signature_summary_json()))
    summary = signatures.read_summary(summary_file)
    monkeypatch.setattr(publish.pack_lib, "check_loadable", lambda folder: None)
    monkeypatch.setattr(publish.signatures, "compute_summary", lambda folder, loaded: summary)
    model = write_tree(tmp_path / "model", FAKE_MODEL)
    doc = write_model_doc(
        tmp_path / "draft", "acme/emb/1", asset="1.tar.gz", dataset="x" * 2_000_000
    )
    root = tmp_path / "hub"
    with pytest.raises(errors.DocValidationError) as caught:
        publish.publish(model, root, "acme/emb/1", doc=doc)
    assert caught.value.problems == [
        f"{doc}:7: metadata 'dataset' is 2,000,000 characters long, more than the 1,000 a value "
        "may have (pages show values whole, and every index page offers each filter value of "
        f"the hub): give an id or a URL. Received: {'x' * 40!r}..."
    ]
    assert not any(path.is_file() for path in root.rglob("*"))
    write_model_doc(tmp_path / "draft", "acme/emb/1", asset="1.tar.gz", dataset="x" * 1_000)
    publish.publish(model, root, "acme/emb/1", doc=doc)  # 1,000 characters are fine.


def test_a_first_publish_of_a_publisher_killed_mid_commit_shows_no_publisher(killed_hub):
    """Its publisher doc was in place, so the hub had a page for a publisher without models."""
    assert requests.get(killed_hub.server.url("fresh"), timeout=30).status_code == 404
    answer = requests.get(killed_hub.server.url("api/publishers/fresh"), timeout=30)
    assert answer.status_code == 404
    assert "fresh" not in requests.get(killed_hub.server.url("api/publishers"), timeout=30).text


def test_a_folder_version_whose_force_publish_was_killed_is_served_before_and_after_roll_back(
    tmp_path,
):
    """`publish --force` over a folder version moves the folder aside first: killed then, the
    version had no files (404) until the roll-back; served through the staging folder, it
    then had none again after the roll-back, until a rescan."""
    from tfhub.cli.main import main
    from tfhub.hub.pack import pack

    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/folder/1", asset="1.tar.gz")
    folder = write_model_folder(doc)
    expected = pack(folder, tmp_path / "expected.tar.gz").path.read_bytes()
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps(signature_summary_json()))
    new = write_tree(tmp_path / "new", FAKE_MODEL)
    argv = [str(new), str(root), str(summary), "acme/folder/1", "2"]  # After the folder aside.
    run_killed(KILLED_FORCE, *argv)
    assert not folder.exists()
    options = ("--rescan", "0", "--cache-dir", str(tmp_path / "cache"))
    with serve_hub(root, tmp_path / "serve.log", *options) as running:
        url = running.url("acme/folder/1?tf-hub-format=compressed")
        assert requests.get(url, timeout=30).content == expected
        main(["validate", str(root)])  # Rolls the killed publish back: the folder returns.
        assert folder.is_dir()
        again = requests.get(url, timeout=30)
        assert again.status_code == 200 and again.content == expected
