"""Session 60 HTTP edges of `tfhub serve` and its nginx template (one hub, one nginx for all).

1. `If-Match` naming another ETag was answered 200 with the archive; RFC 9110 (and nginx, for
   the archives it sends) answer 412 Precondition Failed; `If-Match: *` matches a file there.
2. `/api/models/acme/emb/99` (a version the model lacks) was a 404 that did not list the
   model's versions, as the download's 404 does ("acme/emb has version(s) 1").
3. `?tf-hub-format=uncompressed&tf-hub-format=compressed`: tfhub serve took the first value,
   nginx's map any `compressed` (an archive): now tfhub serve refuses differing repeated values
   (400 naming the parameter) and nginx's map leaves any repeated one to tfhub serve.
4. `/healthz/` was the pages' HTML 404 and `OPTIONS *` a bare 404.
5. `tfhub validate` gave a doc linking the same bad URL on five lines five warnings all on the
   first of those lines.
"""

from __future__ import annotations

import http.client
import shutil
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    raw_request,
    run_nginx,
    write_model_doc,
    write_publisher,
)

from tfhub.cli.main import main
from tfhub.hub.nginx import nginx_config
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

VALID = Path(__file__).parent.parent / "data" / "hub_docs" / "valid"
needs_nginx = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)"
)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The running server, with acme/emb/1 (an archive) and a bucket-layout archive."""
    tmp = tmp_path_factory.mktemp("hub60b")
    root = tmp / "hub"
    write_publisher(root, "acme", "Acme")
    make_tar_gz(write_model_doc(root, "acme/emb/1", asset="1.tar.gz").with_name("1.tar.gz"))
    (root / "bucket" / "emb").mkdir(parents=True)
    make_tar_gz(root / "bucket" / "emb" / "3.tar.gz")  # No doc: tfhub.dev's bucket layout.
    settings = ServeSettings(root=str(root), cache_dir=str(tmp / "cache"))
    with BackgroundServer(settings) as running:
        yield running, str(root), tmp


@pytest.fixture(scope="module")
def server(hub):
    return hub[0]


@pytest.fixture(scope="module")
def nginx(hub):
    """nginx in front of the server, with the template `--print-nginx-config` prints."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    running, root, tmp = hub
    port = free_port()
    conf = nginx_config(root, upstream=f"127.0.0.1:{running.port}", listen=f"127.0.0.1:{port}")
    with run_nginx(conf, tmp / "nginx", port=port) as base:
        yield base


ARCHIVES = ["acme/emb/1?tf-hub-format=compressed", "bucket/emb/3?tf-hub-format=compressed"]


@pytest.mark.parametrize("path", ARCHIVES)
def test_if_match_of_another_etag_is_412_and_of_its_own_or_star_200(server, path):
    url = server.url(path)
    etag = requests.head(url, timeout=30).headers["ETag"]
    for header in (etag, "*", f'"other", {etag}'):
        answer = requests.get(url, headers={"If-Match": header}, timeout=30)
        assert answer.status_code == 200, (header, answer.status_code)
    for header in ('"other"', f"W/{etag}"):  # If-Match compares strongly (RFC 9110 13.1.1).
        for method in (requests.get, requests.head):
            answer = method(url, headers={"If-Match": header, "Range": "bytes=0-3"}, timeout=30)
            assert answer.status_code == 412, (header, method, answer.status_code)


def test_if_match_of_another_etag_is_412_for_the_pages_css_too(server):
    url = server.url("static/hub.css")
    etag = requests.get(url, timeout=30).headers["ETag"]
    assert requests.get(url, headers={"If-Match": etag}, timeout=30).status_code == 200
    assert requests.get(url, headers={"If-Match": '"other"'}, timeout=30).status_code == 412


@needs_nginx
def test_if_match_is_answered_alike_by_nginx_and_tfhub_serve(server, nginx):
    path = ARCHIVES[0]
    sent = requests.get(f"{nginx}/{path}", timeout=30)
    assert sent.headers["ETag"] != requests.head(server.url(path), timeout=30).headers["ETag"]
    for header in ('"other"', "*"):
        by_nginx = requests.get(f"{nginx}/{path}", headers={"If-Match": header}, timeout=30)
        by_app = requests.get(server.url(path), headers={"If-Match": header}, timeout=30)
        assert by_nginx.status_code == by_app.status_code, header


def test_the_api_404_of_a_missing_version_lists_the_models_versions(server):
    answer = requests.get(server.url("api/models/acme/emb/99"), timeout=30)
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error.startswith("404 Not Found: no model acme/emb/99 in this hub")
    assert "acme/emb has version(s) 1" in error, error


CONFLICTS = [
    "tf-hub-format=uncompressed&tf-hub-format=compressed",
    "tf-hub-format=compressed&tf-hub-format=uncompressed",
    "tf-hub-format=compressed&tf-hub-format=nonsense",
]


@pytest.mark.parametrize("query", CONFLICTS)
def test_a_repeated_conflicting_format_is_a_400_naming_it(server, query):
    answer = requests.get(server.url(f"acme/emb/1?{query}"), timeout=30)
    assert answer.status_code == 400, answer.status_code
    assert answer.text.startswith("400 Bad Request: tf-hub-format ")


def test_a_repeated_format_that_agrees_is_served(server):
    query = "tf-hub-format=compressed&tf-hub-format=compressed,uncompressed"
    answer = requests.get(server.url(f"acme/emb/1?{query}"), timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/x-tar"


@needs_nginx
@pytest.mark.parametrize(
    "query",
    [
        *CONFLICTS,
        "tf-hub-format=compressed&tf-hub-format=compressed",
        # hub60c: a bare key, or a key spelled with `%`, is a repeat nginx's map cannot see.
        "tf-hub-format&tf-hub-format=compressed",
        "tf%2Dhub-format=uncompressed&tf-hub-format=compressed",
        "tf-hub-format=compressed&tf-hub%2Dformat=uncompressed",
    ],
)
def test_nginx_leaves_a_repeated_format_to_tfhub_serve(server, nginx, query):
    # raw_request: requests would decode `%2D` to `-` before sending.
    nginx_port = int(nginx.rsplit(":", 1)[1])
    by_nginx = raw_request(nginx_port, f"/acme/emb/1?{query}")
    by_app = raw_request(server.port, f"/acme/emb/1?{query}")
    # Proxied: tfhub serve's answer, its ETag too (nginx's own ETag for a file differs).
    assert (by_nginx[0], by_nginx[2]) == (by_app[0], by_app[2])
    assert by_nginx[1].get("ETag") == by_app[1].get("ETag")


@needs_nginx
def test_nginx_still_sends_a_single_compressed_archive_itself(server, nginx):
    by_app = requests.head(server.url(ARCHIVES[0]), timeout=30)
    for query in ("tf-hub-format=compressed", "x=1&tf-hub-format=compressed&y=tf-hub-format"):
        answer = requests.get(f"{nginx}/acme/emb/1?{query}", timeout=30)
        assert answer.status_code == 200, query
        assert answer.headers["ETag"] != by_app.headers["ETag"], query  # nginx's own ETag.


def test_healthz_with_a_slash_is_healthz(server):
    plain = requests.get(server.url("healthz"), timeout=30)
    slashed = requests.get(server.url("healthz/"), timeout=30)
    assert (slashed.status_code, slashed.text) == (200, plain.text)


@pytest.mark.parametrize("target", ["*", "/", "/acme/emb/1"])
def test_options_answers_the_methods_allowed(server, target):
    status, headers, body = raw_request(server.port, target, method="OPTIONS")
    # 200 with Content-Length: 0 (RFC 9110 9.3.7); a 204 may not carry Content-Length (8.6).
    assert status == 200, (status, body)
    assert headers["Allow"] == "GET, HEAD, OPTIONS"
    assert headers["Content-Length"] == "0"
    assert body == b""


@pytest.mark.parametrize("target", ["/static/hub.css", "/acme/emb/1", "/api/models", "/healthz"])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_every_405_allows_the_same_methods_in_the_same_order(server, target, method):
    for _ in range(3):  # The routes' Allow came from a set: its order could change.
        status, headers, _body = raw_request(server.port, target, method=method)
        assert status == 405, (target, status)
        assert headers.get_all("Allow") == ["GET, HEAD, OPTIONS"], (target, headers)


def test_validate_gives_each_link_of_a_repeated_url_its_own_line(tmp_path, capsys):
    root = tmp_path / "hub"
    shutil.copytree(VALID, root)
    doc = next(d for d in sorted(root.rglob("*.md")) if d.read_text().startswith("# Module "))
    first_body_line = len(doc.read_text().splitlines()) + 2
    links = "".join(f"Line {n}: [](https://example.com/paper)\n\n" for n in range(5))
    doc.write_text(doc.read_text().rstrip("\n") + "\n\n" + links)
    assert main(["validate", str(root)]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "https://example.com/paper has no text" in line]
    shown = f"{root}/{doc.relative_to(root).as_posix()}"
    numbers = [int(line.split(f"{shown}:", 1)[1].split(":", 1)[0]) for line in lines]
    assert numbers == [first_body_line + 2 * n for n in range(5)], err


def _with_lines(
    port: int, path: str, name: str, values: list[str]
) -> tuple[int, http.client.HTTPMessage]:
    """(status, headers) of a GET of `path` sending the header `name` once per value."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for value in values:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/static/hub.css", f"/{ARCHIVES[0]}"])
def test_if_match_lines_are_one_list_for_the_css_as_for_archives(server, path):
    etag = requests.head(server.url(path.lstrip("/")), timeout=30).headers["ETag"]
    status, _headers = _with_lines(server.port, path, "If-Match", ['"other"', etag])
    assert status == 200, status  # RFC 9110 5.3: two lines are one list naming the ETag.


@pytest.mark.parametrize("path", ["/static/hub.css", *[f"/{path}" for path in ARCHIVES]])
def test_a_412_is_not_stored_and_has_no_route_headers(server, path):
    status, headers = _with_lines(server.port, path, "If-Match", ['"other"'])
    assert status == 412, status
    assert headers["Cache-Control"] == "no-store", headers
    assert "Content-Disposition" not in headers, headers


@pytest.mark.parametrize("path", ARCHIVES)
def test_a_416_is_not_stored_and_has_no_route_headers(server, path):
    status, headers = _with_lines(server.port, f"/{path}", "Range", ["bytes=999999-"])
    assert status == 416, status
    assert headers["Cache-Control"] == "no-store", headers
    assert "Content-Disposition" not in headers, headers


def test_validate_places_a_warning_at_the_link_not_at_its_url_in_other_text(tmp_path, capsys):
    """hub60c: the URL written as another link's text (or beside it) is no place of the link."""
    root = tmp_path / "hub"
    shutil.copytree(VALID, root)
    doc = next(d for d in sorted(root.rglob("*.md")) if d.read_text().startswith("# Module "))
    first_body_line = len(doc.read_text().splitlines()) + 2
    url = "https://example.com/paper"
    body = f"[{url}]({url}) and {url}\n\n[]({url})\n"
    doc.write_text(doc.read_text().rstrip("\n") + "\n\n" + body)
    assert main(["validate", str(root)]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if f"{url} has no text" in line]
    assert len(lines) == 1, err
    assert f"{root}/{doc.relative_to(root).as_posix()}:{first_body_line + 2}:" in lines[0], err
