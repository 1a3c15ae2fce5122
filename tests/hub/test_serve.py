"""`tfhub serve` as a real process: the hosting protocol, pages, API, auth and odd paths."""

from __future__ import annotations

import http.client
import os
import pickle
import re
import shutil
import time
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.hub_server import (
    CuttingProxy,
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_model_folder,
    write_publisher,
    write_signatures,
)
from tests._helpers.page_tags import start_tags

import tfhub as hub
from tfhub import errors
from tfhub.cli.main import main

TOKEN = "s3cret-token-for-tests"
XSS_BODY = """Hello <script>alert("owned")</script> world.

[click me](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)" onclick="alert(3)">two</a>
<img src="x.png" onerror="alert(4)"> <iframe src="https://example.com"></iframe>

    model = hub.load("https://HUB_HOST/evil/xss/1")
"""

COLLECTION_DOC = """# Collection test/favourites/1
Our favourite models.

<!-- task: text-embedding -->

## Overview
| Model |
|-------|
| [half-plus-two](/test/half-plus-two/1) |
"""


def _build_root(root: Path, outside: Path) -> None:
    write_publisher(root, "test", "Test Lab")
    doc1 = write_model_doc(root, "test/half-plus-two/1", description="Halves and adds two.")
    make_tar_gz(doc1.with_name("1.tar.gz"))
    write_signatures(doc1, signature_summary_json(input_name="x_in", output_name="y_out"))
    doc2 = write_model_doc(root, "test/half-plus-two/2", description="Halves and adds two, v2.")
    write_model_folder(doc2)  # A folder version: packed on the first download.
    fresh = write_model_doc(root, "test/fresh/1", description="A folder packed on demand.")
    for name, data in {**MODEL_FILES, "variables/big.bin": os.urandom(2 << 20)}.items():
        (fresh.parent / "1" / name).parent.mkdir(parents=True, exist_ok=True)
        (fresh.parent / "1" / name).write_bytes(data)
    write_model_doc(
        root,
        "test/imagenet/mobilenet_v2/feature_vector/3",
        description="Image features.",
        task="image-feature-vector",
        architecture="mobilenet-v2",
        dataset="imagenet-ilsvrc-2012-cls",
        asset="https://storage.example.com/mobilenet.tar.gz",
    )
    big = write_model_doc(root, "test/big/1", description="A bigger archive for resume.")
    make_tar_gz(big.with_name("1.tar.gz"), {"saved_model.pb": os.urandom(3 << 20)}, compression="")
    write_model_doc(root, "evil/xss/1", description="A hostile doc.", body=XSS_BODY)
    linked = write_model_doc(root, "evil/linked/1", description="Archive is a symlink out.")
    make_tar_gz(outside / "secret.tar.gz")
    linked.with_name("1.tar.gz").symlink_to(outside / "secret.tar.gz")
    collection = root / "assets/docs/test/collections/favourites/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text(COLLECTION_DOC)
    outside_doc = outside / "leak.md"
    outside_doc.write_text("# Module evil/leak/1\nOutside secrets.\n\n## Overview\nsecret\n")
    (root / "assets/docs/evil/models/leak").mkdir(parents=True)
    (root / "assets/docs/evil/models/leak/1.md").symlink_to(outside_doc)
    (root / "plain" / "m").mkdir(parents=True)
    (root / "plain" / "m" / "1.tar.gz").symlink_to(outside / "secret.tar.gz")
    make_tar_gz(root / "plain" / "m" / "2.tar.gz")


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("hubroot")
    _build_root(root, tmp_path_factory.mktemp("outside"))
    return root


@pytest.fixture(scope="module")
def packed_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("packed")


@pytest.fixture(scope="module")
def server(hub_root, tmp_path_factory, packed_dir):
    log = tmp_path_factory.mktemp("log") / "serve.log"
    cache = packed_dir
    options = ["--cache-dir", str(cache), "--rescan", "0.3", "--workers", "2"]
    with serve_hub(hub_root, log, *options) as running:
        yield running


@pytest.fixture(scope="module")
def secured(hub_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("secured")
    (folder / "tokens").write_text(f"# tokens of the tests\n{TOKEN}\n")
    options = ["--token-file", str(folder / "tokens"), "--uncompressed-base", "gs://bucket/hub/"]
    with serve_hub(hub_root, folder / "serve.log", "--server", "uvicorn", *options) as running:
        yield running


def _archive(root: Path, handle: str) -> bytes:
    publisher, rest = handle.split("/", 1)
    model, version = rest.rsplit("/", 1)
    return (root / "assets/docs" / publisher / "models" / model / f"{version}.tar.gz").read_bytes()


def test_compressed_by_version_and_latest(server, hub_root):
    one = requests.get(server.url("test/half-plus-two/1?tf-hub-format=compressed"), timeout=30)
    assert one.status_code == 200 and one.content == _archive(hub_root, "test/half-plus-two/1")
    assert one.headers["Content-Length"] == str(len(one.content))
    assert one.headers["Content-Type"] == "application/x-tar" and one.headers["ETag"]
    latest = requests.get(server.url("test/half-plus-two?tf-hub-format=compressed"), timeout=30)
    again = requests.get(server.url("test/half-plus-two/2?tf-hub-format=compressed"), timeout=30)
    assert latest.status_code == 200 and latest.content == again.content  # Packed once.
    assert latest.headers["ETag"] == again.headers["ETag"]
    assert latest.headers["Cache-Control"] == "public, no-cache"  # Latest: revalidate.
    assert one.headers["Cache-Control"] == "public, max-age=86400"  # Versions never change.
    assert hub.resolve(server.url("test/half-plus-two")) != hub.resolve(
        server.url("test/half-plus-two/1")
    )
    assert read_tree(hub.resolve(server.url("test/half-plus-two/2"))) == MODEL_FILES
    assert read_tree(hub.resolve(server.url("test/half-plus-two/1"))) == MODEL_FILES
    assert 'GET /test/half-plus-two/1?tf-hub-format=compressed" 200' in server.access_log()


def test_concurrent_first_downloads_of_a_folder_pack_it_once(server, packed_dir):
    from concurrent.futures import ThreadPoolExecutor

    url = server.url("test/fresh/1?tf-hub-format=compressed")
    before = set(packed_dir.glob("*.tar.gz"))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.get(url, timeout=60), range(8)))
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert len({answer.headers["ETag"] for answer in answers}) == 1
    assert len(set(packed_dir.glob("*.tar.gz")) - before) == 1
    assert not list(packed_dir.glob("*.incomplete")) and not list(packed_dir.glob(".*"))


def test_head_etag_304_and_ranges(server, hub_root):
    url = server.url("test/half-plus-two/1?tf-hub-format=compressed")
    data = _archive(hub_root, "test/half-plus-two/1")
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(data))
    etag = head.headers["ETag"]
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=10).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"x"'}, timeout=10).status_code == 200
    part = requests.get(url, headers={"Range": "bytes=10-", "If-Range": etag}, timeout=10)
    assert part.status_code == 206 and part.content == data[10:]
    assert part.headers["Content-Range"] == f"bytes 10-{len(data) - 1}/{len(data)}"
    suffix = requests.get(url, headers={"Range": "bytes=-5"}, timeout=10)
    assert suffix.status_code == 206 and suffix.content == data[-5:]
    stale = requests.get(url, headers={"Range": "bytes=10-", "If-Range": '"old"'}, timeout=10)
    assert stale.status_code == 200 and stale.content == data
    beyond = requests.get(url, headers={"Range": f"bytes={len(data)}-"}, timeout=10)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    huge = "9" * 5000  # More digits than int() reads: answered 500 (ValueError).
    beyond = requests.get(url, headers={"Range": f"bytes={huge}-"}, timeout=10)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    rest = requests.get(url, headers={"Range": f"bytes=10-{huge}"}, timeout=10)
    assert rest.status_code == 206 and rest.content == data[10:]
    whole = requests.get(url, headers={"Range": f"bytes=-{huge}"}, timeout=10)
    assert whole.status_code == 206 and whole.content == data


def test_range_resume_after_a_cut(server, hub_root):
    proxy = CuttingProxy(server.port, cut_after=500_000)
    try:
        path = hub.resolve(proxy.url("test/big/1"))
    finally:
        proxy.close()
    assert proxy.connections >= 2  # Cut once, then resumed.
    assert (Path(path) / "saved_model.pb").stat().st_size == 3 << 20
    assert re.search(r'"GET /test/big/1\?tf-hub-format=compressed" 206', server.access_log())


def test_not_mirrored_uncompressed_and_unknown(server):
    nested = server.url("test/imagenet/mobilenet_v2/feature_vector/3")
    answer = requests.get(nested + "?tf-hub-format=compressed", timeout=10)
    assert answer.status_code == 404 and "not mirrored" in answer.text
    assert "storage.example.com/mobilenet.tar.gz" in answer.text
    page = requests.get(nested, timeout=10)
    assert page.status_code == 200 and "have not been mirrored" in page.text
    uncompressed = requests.get(
        server.url("test/half-plus-two/1?tf-hub-format=uncompressed"), timeout=10
    )
    assert uncompressed.status_code == 406 and "--uncompressed-base" in uncompressed.text
    for path in ("test/nope/1", "nope/x"):
        answer = requests.get(server.url(path + "?tf-hub-format=compressed"), timeout=10)
        assert answer.status_code == 404
    with pytest.raises(errors.HTTPStatusError) as raised:
        hub.resolve(server.url("test/nope/1"))
    assert raised.value.status == 404
    assert requests.post(server.url("test/half-plus-two/1"), timeout=10).status_code == 405


def test_a_missing_version_or_model_names_what_the_hub_has(server):
    """hub.resolve(".../test/half-plus-two/3") said only "404 Not Found ... Check the handle":
    the hub names the versions (or the publisher's models) and the client quotes it."""
    with pytest.raises(errors.HTTPStatusError) as raised:
        hub.resolve(server.url("test/half-plus-two/3"))
    assert (
        'The server says: "404 Not Found: no model test/half-plus-two/3: test/half-plus-two '
        'has version(s) 1, 2." Check the handle.'
    ) in str(raised.value)
    answer = requests.get(server.url("test/nope/1?tf-hub-format=compressed"), timeout=10)
    assert answer.text.startswith("404 Not Found: no model test/nope/1: the publisher test has ")
    assert "test/half-plus-two" in answer.text and "test/fresh" in answer.text
    answer = requests.get(server.url("nobody/x/1?tf-hub-format=compressed"), timeout=10)
    assert answer.text == "404 Not Found: no model nobody/x/1.\n"


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd?tf-hub-format=compressed",
        "/test/..%2f..%2f..%2fetc/passwd",
        "/%252e%252e/etc/passwd",
        "//etc/passwd",
        "/test//half-plus-two/1?tf-hub-format=compressed",
        "/test/%5c..%5c/x",
        "/.git/config",
        "/assets/docs/test/models/half-plus-two/1.tar.gz",
        "/assets/docs/test/models/half-plus-two/1.md",
        "/plain/m/1?tf-hub-format=compressed",
        "/evil/linked/1?tf-hub-format=compressed",
        "/evil/leak/1",
    ],
)
def test_odd_paths_are_refused(server, path):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path)  # Sent as is (requests would normalize it).
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status in (400, 404), (path, response.status)
    assert b"root:" not in body and b"saved_model" not in body and b"Outside" not in body


def test_plain_bucket_layout_archive(server, hub_root):
    answer = requests.get(server.url("plain/m/2?tf-hub-format=compressed"), timeout=10)
    assert answer.status_code == 200
    assert answer.content == (hub_root / "plain" / "m" / "2.tar.gz").read_bytes()


def test_hostile_doc_renders_harmless(server):
    page = requests.get(server.url("evil/xss/1"), timeout=10)
    assert page.status_code == 200
    html = page.text.lower()
    assert "hello" in html and "world." in html and "click me" in html
    tags = start_tags(page.text)
    assert not [tag for tag, _ in tags if tag in ("script", "iframe", "object", "embed")]
    for tag, attributes in tags:
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name)
            assert "javascript" not in (value or "").lower().replace(" ", ""), (tag, name, value)
    assert "owned" not in html  # The script's content is dropped too.


def test_a_hostile_host_header_is_not_written_into_pages(server):
    """Pages write this hub's URL (from the Host header) into the doc's HUB_HOST snippet
    (Starlette drops a Host it cannot parse; `pages` escapes the URL as well)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("GET", "/evil/xss/1", skip_host=True)
    connection.putheader("Host", 'h"><script>alert(5)</script>')
    connection.endheaders()
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    assert response.status in (200, 400), response.status
    assert "<script>" not in page and "HUB_HOST" not in page


def test_pages_search_filters_and_api(server):
    index = requests.get(server.url(""), timeout=10).text
    assert "test/half-plus-two" in index and "evil/xss" in index
    found = requests.get(server.url("?q=halves"), timeout=10).text
    assert "test/half-plus-two" in found and "evil/xss" not in found
    filtered = requests.get(server.url("?task=image-feature-vector"), timeout=10).text
    assert "test/imagenet/mobilenet_v2/feature_vector" in filtered
    assert "half-plus-two" not in filtered
    publisher = requests.get(server.url("test"), timeout=10).text
    assert "Test Lab" in publisher and "test/big" in publisher and "favourites" in publisher
    collection = requests.get(server.url("test/collections/favourites"), timeout=10).text
    assert "Our favourite models." in collection and 'href="/test/half-plus-two/1"' in collection
    model = requests.get(server.url("test/half-plus-two/1"), timeout=10).text
    assert "x_in" in model and "y_out" in model and "serving_default" in model
    assert f'hub.load("{server.url("test/half-plus-two/1")}")' in model
    assert f'hub.KerasLayer("{server.url("test/half-plus-two/1")}"' in model
    search = requests.get(server.url("api/models?q=mobile&language=en"), timeout=10).json()
    assert [m["handle"] for m in search["models"]] == ["test/imagenet/mobilenet_v2/feature_vector"]
    one = requests.get(server.url("api/models/test/half-plus-two"), timeout=10).json()
    assert [v["version"] for v in one["versions"]] == [1, 2] and one["latest_version"] == 2
    signature = one["versions"][0]["signatures"]["meta_graphs"][0]["signatures"]
    assert signature["serving_default"]["inputs"][0]["name"] == "x_in"
    assert one["versions"][0]["size_bytes"] == len(_archive_bytes(server))
    assert one["versions"][0]["doc_markdown"].startswith("# Module test/half-plus-two/1\n")
    assert requests.get(server.url("api/models/test/nope"), timeout=10).status_code == 404


def _archive_bytes(server) -> bytes:
    url = server.url("test/half-plus-two/1?tf-hub-format=compressed")
    return requests.get(url, timeout=10).content


def test_auth_401_403_and_tfhub_token(secured, monkeypatch, capsys):
    url = secured.url("test/half-plus-two/1")
    missing = requests.get(url + "?tf-hub-format=compressed", timeout=10)
    assert missing.status_code == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 403
    assert "Basic" in missing.headers["WWW-Authenticate"]  # Browsers ask for user/password.
    assert requests.get(url, auth=("anyone", TOKEN), timeout=10).status_code == 200
    assert requests.get(url, auth=("anyone", "nope"), timeout=10).status_code == 403
    assert requests.get(secured.url("healthz"), timeout=10).status_code == 200
    assert main(["resolve", url]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "401" in err and "TFHUB_TOKEN" in err
    monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "example.org")  # Not this host: not sent.
    with pytest.raises(errors.HTTPStatusError, match="TFHUB_TOKEN_HOST"):
        hub.resolve(url)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", f"127.0.0.1:{secured.port}")
    assert read_tree(hub.resolve(url)) == MODEL_FILES
    answer = requests.head(url + "?tf-hub-format=compressed", headers=_bearer(), timeout=10)
    assert answer.headers["Cache-Control"].startswith("private")  # Not for shared caches.
    assert TOKEN not in secured.access_log()


def _bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_uncompressed_answers_303_with_the_location(secured):
    headers = _bearer()
    answer = requests.get(
        secured.url("test/half-plus-two?tf-hub-format=uncompressed"),
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    assert answer.text == "gs://bucket/hub/test/half-plus-two/2" == answer.headers["Location"]


def test_a_new_version_is_served_without_a_restart(server, hub_root):
    url = server.url("test/late?tf-hub-format=compressed")
    assert requests.get(url, timeout=10).status_code == 404
    doc = write_model_doc(hub_root, "test/late/1", description="Published while serving.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    deadline, in_a_row = time.monotonic() + 20, 0
    while in_a_row < 6:  # Every worker re-scans on its own: ask until all have.
        served = requests.get(url, timeout=10).status_code == 200
        found = "test/late" in requests.get(server.url("?q=published"), timeout=10).text
        in_a_row = in_a_row + 1 if served and found else 0
        assert time.monotonic() < deadline, "the new version was not picked up"
        time.sleep(0.05)


def test_sighup_stops_a_uvicorn_server_gracefully(hub_root, tmp_path):
    """The terminal that started `tfhub serve --server uvicorn` closed: SIGHUP met the command's
    own handler inside uvicorn's event loop, which printed a traceback. It now stops the server
    as SIGTERM does. (granian, and uvicorn's supervisor with --workers, restart their workers
    on SIGHUP, their own choice.)"""
    import signal

    log = tmp_path / "serve.log"
    prelude = "import signal; signal.signal(signal.SIGHUP, signal.SIG_DFL)"  # Not nohup's.
    with serve_hub(hub_root, log, "--server", "uvicorn", prelude=prelude) as running:
        running.proc.send_signal(signal.SIGHUP)
        assert running.proc.wait(timeout=15) == 0
    assert "Traceback" not in log.read_text() and "Error" not in log.read_text()


@pytest.mark.parametrize(("server_name", "workers"), [("granian", "1"), ("uvicorn", "2")])
def test_a_start_warning_is_printed_once_and_sigterm_exits_0(
    hub_root, tmp_path, server_name, workers
):
    """A warning at start was printed 4 times per start, with one worker too: by the command's
    option check, again by `serve`'s, by each worker's app and its first scan of ROOT (it was
    about an --uncompressed-base other than gs://, now refused at start; here a token file
    every user may read). SIGTERM stops the server gracefully: exit 0 (docs/cli.md,
    docs/hub.md), not 143 as other commands."""
    log = tmp_path / "serve.log"
    tokens = tmp_path / "tokens"
    tokens.write_text("tok\n")
    tokens.chmod(0o644)
    options = ("--uncompressed-base", "gs://bkt/hub", "--token-file", str(tokens))
    with serve_hub(
        hub_root, log, *options, "--server", server_name, "--workers", workers
    ) as running:
        answer = requests.get(
            running.url("test/half-plus-two/1?tf-hub-format=uncompressed"),
            headers={"Authorization": "Bearer tok"},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303  # The base is used as given.
        assert answer.headers["Location"] == "gs://bkt/hub/test/half-plus-two/1"
    assert running.proc.returncode == 0
    text = log.read_text()
    assert text.count(f"The token file {tokens} is readable by every user") == 1, text
    assert "Traceback" not in text


def test_bad_options_fail_in_one_line(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "missing")]) == 7  # Not found, as in other commands.
    assert main(["serve", str(tmp_path), "--token-file", str(tmp_path / "none")]) == 7
    (tmp_path / "empty").write_text("# no token here\n")
    assert main(["serve", str(tmp_path), "--token-file", str(tmp_path / "empty")]) != 0
    assert main(["serve", str(tmp_path), "--base-url", "hub.example.com"]) != 0
    assert main(["serve", str(tmp_path), "--port", "99999"]) != 0
    assert main(["serve", str(tmp_path), "--workers", "0"]) != 0
    assert main(["serve", str(tmp_path), "--host", "no-such-host.invalid"]) != 0
    assert main(["serve", str(tmp_path), "--rescan", "nan"]) != 0  # Its watcher would fail.
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 8 and "holds no token" in lines[2]
    assert lines[0].startswith(f"tfhub: not found: Cannot serve {tmp_path / 'missing'}: no such ")
    assert "--base-url must be" in lines[3] and "between 1 and 65535" in lines[4]
    assert "--workers must be 1 or more" in lines[5] and "Cannot listen on" in lines[6]
    assert "--rescan must be a number of seconds" in lines[7]
    assert all(line.startswith("tfhub: ") for line in lines)
    (tmp_path / "file").write_text("not a hub")
    assert main(["serve", str(tmp_path / "file")]) == 1
    assert ": not a folder. Give the hub folder" in capsys.readouterr().err
    error = errors.ServeConfigError("bad", option="--token-file")
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, ValueError) and again.option == "--token-file"


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        ("https://hub.example.com/?x=1", "no query or fragment"),
        ("https://hub.example.com/hub?", "no query or fragment"),
        ("https://hub.example.com/#top", "no query or fragment"),
        ("https://user:pass@hub.example.com/hub", "no credentials"),
        ("https://[::1/hub", "e.g. https://hub.example.com."),
        ("https://", "with a host"),
        ("https:///hub", "with a host"),
        ("https://hub.example.com:99999/hub", "a port from 1 to 65535"),
        ("https://hub.example.com:0", "a port from 1 to 65535"),
        ("https://hub.example.com/a/../hub", "no '.' or '..' path segment"),
    ],
)
@pytest.mark.timeout(60)  # A check that broke would start serving: a failure, not a hang.
def test_a_base_url_the_pages_cannot_extend_is_refused(tmp_path, capsys, base_url, reason):
    """--base-url 'https://hub.example.com/?x=1' was accepted and the pages' links became
    https://hub.example.com/?x=1/acme/emb/1; credentials would be shown to every visitor;
    'https://' (no host) made links such as https:/acme/emb/1."""
    assert main(["serve", str(tmp_path), "--base-url", base_url]) != 0
    err = capsys.readouterr().err
    assert err.startswith("tfhub: ") and len(err.strip().splitlines()) == 1, err
    assert "--base-url must be the hub's public http(s) URL" in err and reason in err
    assert "Received: 'https://" in err and "user:pass@" not in err  # The CLI hides them.


def test_a_port_in_use_is_refused_in_one_line(server, hub_root, capsys):
    """granian shares a port between processes (SO_REUSEPORT): a second server must not start."""
    assert main(["serve", str(hub_root), "--port", str(server.port)]) != 0
    lines = capsys.readouterr()
    assert lines.out == ""
    assert lines.err.startswith(f"tfhub: error: Cannot listen on 127.0.0.1:{server.port}: ")
    assert len(lines.err.splitlines()) == 1


def test_tfhub_uncompressed_resolver_reads_the_location(secured, monkeypatch):
    from tfhub.resolvers.http_uncompressed import HttpUncompressedResolver

    monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", f"127.0.0.1:{secured.port}")
    url = secured.url("test/half-plus-two/1?tf-hub-format=uncompressed")
    location = HttpUncompressedResolver()._request_gcs_location(url, handle=url)
    assert location == "gs://bucket/hub/test/half-plus-two/1"


@pytest.mark.parametrize("server_name", ["granian", "uvicorn"])
def test_an_archive_removed_by_hand_is_a_404_and_pages_still_render(tmp_path, server_name):
    """`rm .../1.tar.gz` with no rescan: the download answered 500 (FileNotFoundError) and the
    model's pages and API did too, for every version."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    for version in ("1", "2"):
        doc = write_model_doc(root, f"acme/emb/{version}", asset=f"{version}.tar.gz")
        make_tar_gz(doc.with_name(f"{version}.tar.gz"))
    folder = write_model_folder(write_model_doc(root, "acme/folder/1"))  # A folder version.
    log = tmp_path / "serve.log"
    with serve_hub(root, log, "--rescan", "0", "--server", server_name) as running:
        (root / "assets/docs/acme/models/emb/1.tar.gz").unlink()
        shutil.rmtree(folder)  # Before its first download (it answered 500: cannot be packed).
        gone = requests.get(running.url("acme/folder/1?tf-hub-format=compressed"), timeout=30)
        assert gone.status_code == 404
        assert gone.text == "404 Not Found: acme/folder/1 has no model files in this hub.\n"
        for method in ("GET", "HEAD"):
            gone = requests.request(
                method, running.url("acme/emb/1?tf-hub-format=compressed"), timeout=30
            )
            assert gone.status_code == 404
        assert gone.headers["Content-Type"].startswith("text/plain")
        gone = requests.get(running.url("acme/emb/1?tf-hub-format=compressed"), timeout=30)
        assert gone.text == "404 Not Found: acme/emb/1 has no model files in this hub.\n"
        for path in ("acme/emb", "acme/emb/1", "acme/emb/2"):
            assert requests.get(running.url(path), timeout=30).status_code == 200, path
        api = requests.get(running.url("api/models/acme/emb"), timeout=30)
        assert api.status_code == 200
        sizes = {v["version"]: v["size_bytes"] for v in api.json()["versions"]}
        assert sizes[1] is None and sizes[2] > 0
        again = requests.get(running.url("acme/emb/2?tf-hub-format=compressed"), timeout=30)
        assert again.status_code == 200
    assert "Traceback" not in log.read_text(errors="replace")


def test_a_removed_archive_of_a_local_asset_path_is_missing_not_unmirrored(tmp_path):
    """`asset-path: 2.tar.gz` with 2.tar.gz removed (then scanned): the 404 and the page said
    "not mirrored" and pointed at `tfhub mirror ROOT --from-docs`, which copies only URLs."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    for version in ("1", "2"):
        doc = write_model_doc(root, f"acme/text-emb/{version}", asset=f"{version}.tar.gz")
        make_tar_gz(doc.with_name(f"{version}.tar.gz"))
    (root / "assets/docs/acme/models/text-emb/2.tar.gz").unlink()  # Before the scan.
    with serve_hub(root, tmp_path / "serve.log") as running:
        gone = requests.get(running.url("acme/text-emb/2?tf-hub-format=compressed"), timeout=30)
        page = requests.get(running.url("acme/text-emb/2"), timeout=30)
    archive = "assets/docs/acme/models/text-emb/2.tar.gz"
    assert gone.status_code == 404
    assert "not mirrored" not in gone.text and "--from-docs" not in gone.text
    assert f"its archive {archive} (the doc's local asset-path) is missing" in gone.text
    assert (
        "'tfhub publish MODEL_DIR ROOT --handle acme/text-emb/2 --doc "
        "ROOT/assets/docs/acme/models/text-emb/2.md --force'"
    ) in gone.text
    assert page.status_code == 200
    assert 'id="not-mirrored"' not in page.text and "not mirrored" not in page.text
    warning = re.search(r'<p class="warning" id="missing-archive">(.*?)</p>', page.text, re.S)
    assert warning is not None, page.text
    assert f"<code>{archive}</code>" in warning[1] and "--force</code>" in warning[1]
    assert "archive missing" in page.text  # Its row in the versions table.


def test_a_doc_saved_with_a_utf8_bom_is_served(tmp_path):
    """A doc saved by a Windows editor (UTF-8 with a BOM) was skipped: `\\ufeff# Module ...`
    names no kind, so its model was missing from the hub."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/bom/1", asset="1.tar.gz", description="Saved with a BOM.")
    doc.write_bytes(b"\xef\xbb\xbf" + doc.read_bytes())
    make_tar_gz(doc.with_name("1.tar.gz"))
    with serve_hub(root, tmp_path / "serve.log") as running:
        archive = requests.get(running.url("acme/bom/1?tf-hub-format=compressed"), timeout=30)
        page = requests.get(running.url("acme/bom/1"), timeout=30)
        api = requests.get(running.url("api/models/acme/bom"), timeout=30)
        index = requests.get(running.url(""), timeout=30)
    assert archive.status_code == 200 and archive.content == _archive(root, "acme/bom/1")
    assert page.status_code == 200 and "Saved with a BOM." in page.text
    assert api.status_code == 200
    assert api.json()["versions"][0]["doc_markdown"].startswith("# Module acme/bom/1\n")
    assert "acme/bom" in index.text


@pytest.mark.parametrize("server_name", ["granian", "uvicorn"])
def test_non_ascii_model_names_give_ascii_urls(tmp_path, server_name):
    """A hub whose docs name `acme/émb/1` (publish refuses such handles now, a hand-written or
    older hub may have them): the 303's Location was a 500 (UnicodeEncodeError) or a raw 0xE9
    byte, and the page's snippet a URL tensorflow_hub cannot load."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    for handle in ("acme/émb/1", "acme/日本語/1"):
        doc = write_model_doc(root, handle, asset="1.tar.gz")
        make_tar_gz(doc.with_name("1.tar.gz"))
    options = ("--uncompressed-base", "gs://bkt/hub", "--server", server_name)
    with serve_hub(root, tmp_path / "serve.log", *options) as running:
        for name, quoted in (("émb", "%C3%A9mb"), ("日本語", "%E6%97%A5%E6%9C%AC%E8%AA%9E")):
            answer = requests.get(
                running.url(f"acme/{quoted}/1?tf-hub-format=uncompressed"),
                allow_redirects=False,
                timeout=30,
            )
            assert answer.status_code == 303, name
            assert answer.raw.headers["Location"] == f"gs://bkt/hub/acme/{quoted}/1"
            page = requests.get(running.url(f"acme/{quoted}/1"), timeout=30).text
            url = running.url(f"acme/{quoted}/1")
            assert f'hub.load("{url}")' in page
            api = requests.get(running.url(f"api/models/acme/{quoted}"), timeout=30).json()
            assert api["versions"][0]["url"] == url
            assert read_tree(hub.resolve(url)) == MODEL_FILES


@pytest.mark.parametrize("server_name", ["granian", "uvicorn"])
def test_control_characters_in_a_request_cannot_forge_access_log_lines(tmp_path, server_name):
    """`%0D%0A` in a path was written decoded: a client could add a line of its own (and `%1B`
    sent terminal escapes to whoever tails the log). They are written as \\xHH, as nginx does."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    forged = '10.9.9.9 [02/Dec/2026:18:00:00 +0000] "GET /acme/secret-model/1" 200 123456789 0.010'
    log = tmp_path / "serve.log"
    with serve_hub(root, log, "--server", server_name) as running:
        for path in (
            "/x%0D%0A" + forged.replace(" ", "%20").replace('"', "%22"),
            "/acme/x%1B%5B2J%1B%5B31mRED%22%5C",
        ):
            connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
            connection.request("GET", path)
            assert connection.getresponse().status in (400, 404)
            connection.close()
        deadline = time.monotonic() + 10
        while "RED" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.05)
    text = log.read_text(errors="replace")
    assert "\x1b" not in text and "\r" not in text
    assert not any(line.startswith("10.9.9.9") for line in text.splitlines())
    assert '"GET /x\\x0D\\x0A10.9.9.9 [02/Dec/2026:18:00:00 +0000] \\x22GET' in text
    assert '"GET /acme/x\\x1B[2J\\x1B[31mRED\\x22\\x5C" ' in text


@pytest.mark.parametrize("server_name", ["granian", "uvicorn"])
def test_an_archive_replaced_while_it_is_served_is_sent_whole_from_one_inode(tmp_path, server_name):
    """`tfhub publish --force` renames the new archive over the old one. granian's pathsend
    reopened the path: 17-37 of 300 answers carried the old file's Content-Length and ETag
    with the new file's bytes, or were cut short."""
    import hashlib
    import shutil
    import threading

    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    archive = doc.with_name("1.tar.gz")
    versions = [tmp_path / "A", tmp_path / "B"]
    make_tar_gz(versions[0])
    versions[1].write_bytes(os.urandom(3_000_000))  # Another size, so a mix-up shows.
    shutil.copy(versions[0], archive)
    bodies = {hashlib.sha256(v.read_bytes()).hexdigest(): v.stat().st_size for v in versions}
    stop = threading.Event()

    def replace_again_and_again() -> None:
        turn = 0
        while not stop.is_set():
            shutil.copy(versions[turn % 2], archive.with_name(".next"))
            os.replace(archive.with_name(".next"), archive)
            turn += 1
            time.sleep(0.002)

    broken: list[str] = []
    with serve_hub(root, tmp_path / "serve.log", "--server", server_name) as running:
        swapper = threading.Thread(target=replace_again_and_again)
        swapper.start()
        try:
            for _ in range(200):
                connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
                try:
                    connection.request("GET", "/acme/emb/1?tf-hub-format=compressed")
                    answer = connection.getresponse()
                    body = answer.read()
                    length, etag = int(answer.getheader("Content-Length")), answer.getheader("ETag")
                    size = bodies.get(hashlib.sha256(body).hexdigest())
                    if size is None or size != length or not etag.startswith(f'"{size:x}-'):
                        broken.append(f"{length} {etag}: {len(body)} bytes")
                except (http.client.HTTPException, OSError) as err:
                    broken.append(repr(err))
                finally:
                    connection.close()
        finally:
            stop.set()
            swapper.join()
    assert broken == []


def test_a_changed_token_file_is_read_again_and_a_removed_token_is_refused(tmp_path):
    """Tokens were read once at start: one removed from --token-file kept working until a
    restart, and a rescan after the file was emptied failed with a traceback each time (so
    new versions were not served either). Now each request sees the file as it is; an empty
    file refuses every token, with a warning, and the rescans go on."""
    root = tmp_path / "root"
    write_publisher(root, "test", "Test")
    make_tar_gz(write_model_doc(root, "test/one/1").with_name("1.tar.gz"))
    tokens = tmp_path / "tokens"
    tokens.write_text("old-token\nkept-token\n")
    options = ["--token-file", str(tokens), "--rescan", "0.2", "--workers", "2", "-v"]
    with serve_hub(root, tmp_path / "serve.log", *options) as server:
        url = server.url("test/one/1?tf-hub-format=compressed")

        def status(token: str) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            return requests.get(url, headers=headers, timeout=10).status_code

        assert status("old-token") == 200 == status("kept-token")
        tokens.write_text("kept-token\nnew-token\n")  # As many bytes: the time tells.
        assert (status("old-token"), status("new-token"), status("kept-token")) == (403, 200, 200)
        tokens.write_text("# every token revoked\n")
        assert (status("kept-token"), status("new-token")) == (403, 403)
        make_tar_gz(write_model_doc(root, "test/two/1").with_name("1.tar.gz"))
        deadline = time.monotonic() + 20
        # Every token is refused, so /healthz says only "ok": the log (-v) says what was scanned.
        while ": 2 models" not in server.access_log():
            assert time.monotonic() < deadline, server.access_log()[-3000:]
            time.sleep(0.05)
        tokens.unlink()
        assert status("kept-token") == 403
        tokens.write_text("kept-token\n")
        assert status("kept-token") == 200 and status("new-token") == 403
    log = server.access_log()
    assert f"The token file {tokens} holds no token" in log
    assert "Every token is refused until it holds tokens again" in log
    assert "Traceback" not in log and "Re-scanning" not in log
