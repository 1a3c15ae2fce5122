"""The hub's pages in a real headless browser (Debian's chromium driven by playwright).

No browser is downloaded: the test uses /usr/bin/chromium (`apt-get install chromium`) and is
skipped, saying so, when it is absent or playwright is not installed. The browser fixture is
tests/hub/conftest.py's, the skip mark tests/_helpers/chromium.py's.
"""

from __future__ import annotations

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.chromium import needs_chromium
from tests._helpers.hub_server import (
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_publisher,
    write_signatures,
)

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-root")
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/half-plus-two/1", description="Halves and adds two.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    write_signatures(doc, signature_summary_json(input_name="x_in", output_name="y_out"))
    write_model_doc(
        root,
        "lab/vision/mobilenet/3",
        description="Image features.",
        task="image-feature-vector",
        body="Hi <img src=x onerror=\"alert('xss')\"> [x](javascript:alert(1))",
    )
    collection = root / "assets/docs/lab/collections/favourites/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text(
        "# Collection lab/favourites/1\nOur favourites.\n\n<!-- task: text-embedding -->\n\n"
        "## Overview\n| Model |\n|:-----:|\n| [half-plus-two](/lab/half-plus-two/1) |\n"
    )
    with serve_hub(root, tmp_path_factory.mktemp("log") / "serve.log") as running:
        yield running


def _results(page) -> list[str]:
    return page.locator("#results a.handle").all_inner_texts()


def test_search_by_text_and_filter_then_model_page(server, browser, tmp_path):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url(""))
    assert sorted(_results(page)) == ["lab/half-plus-two", "lab/vision/mobilenet"]
    page.fill("#q", "halves")
    page.click("#search-button")
    page.wait_for_url("**q=halves**")
    assert _results(page) == ["lab/half-plus-two"]
    page.fill("#q", "")
    page.select_option("#filter-task", "image-feature-vector")
    page.click("#search-button")
    page.wait_for_url("**task=image-feature-vector**")
    assert _results(page) == ["lab/vision/mobilenet"]
    page.click("text=lab/vision/mobilenet")
    page.wait_for_selector("#doc")
    assert "Hi" in page.inner_text("#doc") and not dialogs  # The hostile doc ran nothing.
    page.goto(server.url("?q=half"))
    page.click("text=lab/half-plus-two")
    page.wait_for_selector("#signatures")
    table = page.inner_text("#signatures")
    assert "x_in" in table and "y_out" in table and "serving_default" in table
    snippet = page.inner_text("#snippet-load")
    assert f'hub.load("{server.url("lab/half-plus-two/1")}")' in snippet
    assert "hub.KerasLayer(" in page.inner_text("#snippet-keras")
    shot = tmp_path / "model_page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()


def test_a_hub_with_tokens_asks_the_browser_for_one(server, browser, tmp_path):
    """Browsers cannot send bearer tokens: the token is the password of HTTP Basic auth."""
    (tmp_path / "tokens").write_text("browser-token\n")
    options = ["--token-file", str(tmp_path / "tokens")]
    with serve_hub(server.root, tmp_path / "serve.log", *options) as secured:
        from playwright.sync_api import Error

        refused = browser.new_page()  # Headless: the browser cannot ask anyone for a password.
        with pytest.raises(Error, match="ERR_INVALID_AUTH_CREDENTIALS"):
            refused.goto(secured.url(""))
        refused.close()
        context = browser.new_context(
            http_credentials={"username": "me", "password": "browser-token"}
        )
        page = context.new_page()
        assert page.goto(secured.url("")).status == 200
        assert sorted(_results(page)) == ["lab/half-plus-two", "lab/vision/mobilenet"]
        page.click("text=lab/half-plus-two")
        page.wait_for_selector("#signatures")  # The model page, its CSS too, with the token.
        context.close()


# One page of each type: index, search, publisher, collection, model, hostile doc, 404.
PAGES = [
    "",
    "?q=half&task=text-embedding",
    "lab",
    "lab/collections/favourites/1",
    "lab/half-plus-two/1",
    "lab/vision/mobilenet/3",
    "lab/nope/1",
]
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _is_problem(message) -> bool:
    """A console error other than a 404 (the 404 page itself, /favicon.ico, a doc's image)."""
    return message.type == "error" and "status of 404" not in message.text


def test_pages_send_security_headers_and_break_none_of_their_rules(server, browser):
    """A Content-Security-Policy and friends under the sanitiser; the pages (CSS, the search
    forms) work under it: no page logs a violation or an error."""
    for path in PAGES:
        answer = requests.get(server.url(path), timeout=10)
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (path, name, answer.headers)
    assert _problems_of_pages(browser, server, PAGES) == []


def _problems_of_pages(browser, server, paths: list[str]) -> list[str]:
    """Visits the pages, checks the hub's CSS applied to each and the header's search form
    works (from the second page), and returns the CSP violations and console errors met."""
    page = browser.new_page()
    page.add_init_script(  # Injected by the browser's debugger: the CSP does not apply to it.
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if _is_problem(m) else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    for path in paths:
        page.goto(server.url(path))
        styled = page.evaluate("getComputedStyle(document.querySelector('header')).display")
        problems += [f"{path}: {v}" for v in page.evaluate("window.violations")]
        assert styled == "flex", (path, problems)  # The hub's CSS was applied.
    page.goto(server.url(paths[1]))
    page.fill("header input[name=q]", "halves")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**q=halves**")
    assert _results(page) == ["lab/half-plus-two"]
    page.close()
    return problems


def test_behind_a_base_url_of_another_origin_the_pages_break_no_rule(server, browser, tmp_path):
    """The CSS and search forms were linked at --base-url's origin: a browser that reached the
    hub at another one (here the server's own address) met style-src/form-action 'self'."""
    options = ["--base-url", "http://hub.example.test/hub"]
    with serve_hub(server.root, tmp_path / "serve.log", *options) as behind:
        paths = ["hub/", "lab", "hub/lab/half-plus-two/1", "hub/lab/nope/1"]
        assert _problems_of_pages(browser, behind, paths) == []


def _wide_doc_body() -> str:
    """A doc body of what widens a page: a long URL, a long word, long inline code, a table of
    60 columns and a long code line."""
    url = "https://example.com/" + "a" * 400
    columns = 60
    return (
        f"[{url}]({url})\n\n{'w' * 2000}\n\n`{'c' * 500}`\n\n"
        f"| {' | '.join(f'column{i}' for i in range(columns))} |\n|{'---|' * columns}\n"
        f"| {' | '.join('v' * 20 for _ in range(columns))} |\n\n    {'code' * 300}\n"
    )


def test_no_content_makes_a_page_wider_than_the_window(browser, tmp_path):
    """A doc's long URL made its page 500,000 px wide (the whole page scrolled sideways, the
    text of the page one very long line); a long filter value widened the index, a long handle
    its page; on a phone (360 px) a plain model page was wider than the screen."""
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    write_model_doc(
        root, "lab/wide/1", description="D" * 500, dataset="d" * 300, body=_wide_doc_body()
    )
    deep = "/".join(["segmentname"] * 30)
    doc = write_model_doc(root, f"lab/{deep}/1", description="A deep handle.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    write_signatures(doc, signature_summary_json(input_name="i" * 400, output_name="o" * 400))
    paths = ["", "?q=wide", "lab", "lab/wide/1", f"lab/{deep}/1"]
    with serve_hub(root, tmp_path / "serve.log") as running:
        widths = {}
        for width in (1024, 360):
            page = browser.new_page(viewport={"width": width, "height": 800})
            for path in paths:
                page.goto(running.url(path))
                widths[width, path] = page.evaluate("document.documentElement.scrollWidth")
            page.close()
    assert {key: value for key, value in widths.items() if value > key[0]} == {}


def test_a_page_logs_no_error_for_the_hubs_icon(server, browser):
    """The pages named no icon, so the browser asked /favicon.ico, a 404: each visit to the hub
    logged 'Failed to load resource ... 404' in the console."""
    context = browser.new_context()  # No icon cached from another test.
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(server.url(""))
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)  # The icon is asked for after the load.
    context.close()
    assert errors == []


def test_a_search_page_is_titled_by_its_query_and_page(server, browser):
    """Every index page, whatever it searched or however far it paged, was titled 'Models':
    tabs, history and screen readers could not tell one search from another."""
    page = browser.new_page()
    page.goto(server.url(""))
    assert page.title() == "Models · tfhub"
    page.fill("#q", "halves")
    page.click("#search-button")
    page.wait_for_url("**q=halves**")
    assert page.title() == "halves – search · tfhub"
    page.goto(server.url("?q=" + "x" * 300))
    assert page.title() == "x" * 80 + " – search · tfhub"
    page.close()


# Hostile doc bodies: each would set window.pwned (or log PWNED) if any of it ran.
RUN = "window.pwned=1;console.log('PWNED')"
HOSTILE_BODIES = {
    "script": f"<script>{RUN}</script>\n\n<SCRIPT>{RUN}</SCRIPT>",
    "js-links": (
        '[a](javascript:window.pwned=1) <a href="javascript:window.pwned=1">b</a> '
        '[c](java&#x09;script:window.pwned=1) <a href="JaVaScRiPt:window.pwned=1">d</a>'
    ),
    "handlers": (
        '<img src=x onerror="window.pwned=1"> <div onmouseover="window.pwned=1">hover</div> '
        "<details open ontoggle=window.pwned=1><summary>s</summary></details>"
    ),
    "data-urls": (
        '<a href="data:text/html,<script>parent.pwned=1</script>">x</a> '
        "<img src=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' "
        "onload='window.pwned=1'/>\">"
    ),
    "svg-math": (
        '<svg><script>window.pwned=1</script><a xlink:href="javascript:window.pwned=1">'
        '<text>t</text></a></svg><math><mi xlink:href="javascript:window.pwned=1">m</mi></math>'
    ),
    "frames": (
        '<iframe src="javascript:window.pwned=1"></iframe>'
        '<iframe srcdoc="<script>parent.pwned=1</script>"></iframe><object data=x></object>'
        "<embed src=x>"
    ),
    "style": (
        '<p style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</p>'
        "<style>body{display:none}</style><link rel=stylesheet href=//evil.example/x.css>"
    ),
    "meta-base-form": (
        '<meta http-equiv="refresh" content="0;url=javascript:window.pwned=1">'
        '<base href="https://evil.example/"><form action="https://evil.example/">'
        "<input name=p><button>Go</button></form>"
    ),
    "mutation": (
        '<noscript><p title="</noscript><img src=x onerror=window.pwned=1>">'
        "<!-- --><img src=x onerror=window.pwned=1> -->"
    ),
    "table": "| a | b |\n|---|---|\n| <img src=x onerror=window.pwned=1> | `<script>` |",
}


def test_no_hostile_doc_runs_script_or_breaks_its_page(browser, tmp_path):
    """Each payload in a doc: nothing runs (no flag, no console line, no dialog), the page
    keeps the hub's CSS and layout, and the CSP is never what stopped it (the sanitiser did)."""
    root = tmp_path / "root"
    write_publisher(root, "evil", "Evil")
    for name, body in HOSTILE_BODIES.items():
        write_model_doc(root, f"evil/{name}/1", description=f"<b>{name}</b>", body=body)
    page = browser.new_page()
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.violations.push(e.violatedDirective));"
    )
    seen: list[str] = []
    page.on(
        "console", lambda message: seen.append(message.text) if "PWNED" in message.text else None
    )
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    with serve_hub(root, tmp_path / "serve.log") as running:
        for name in HOSTILE_BODIES:
            page.goto(running.url(f"evil/{name}/1"))
            page.hover("#model-handle")
            state = page.evaluate(
                "[window.pwned, window.violations, document.querySelector('#model-handle')"
                ".innerText, getComputedStyle(document.querySelector('header')).display]"
            )
            assert state == [None, [], f"evil/{name} version 1", "flex"], (name, state)
    page.close()
    assert seen == []


def test_a_docs_in_page_link_scrolls_to_its_heading(browser, tmp_path):
    """The sanitiser stripped heading ids: a doc's `[Usage](#usage)` went nowhere."""
    write_publisher(tmp_path, "lab", "Lab")
    filler = "\n\n".join(f"Paragraph {n} of a long overview." for n in range(80))
    body = f"Jump to [the usage](#usage).\n\n{filler}\n\n## Usage\nCall it.\n\n{filler}"
    write_model_doc(tmp_path, "lab/long/1", body=body)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        page = browser.new_page(viewport={"width": 1000, "height": 600})
        page.goto(server.url("lab/long/1"))
        heading = page.locator("h2", has_text="Usage")
        assert heading.get_attribute("id") == "user-content-usage"
        assert heading.evaluate("h => h.getBoundingClientRect().top") > 600  # Below the fold.
        page.get_by_role("link", name="the usage").click()
        page.wait_for_function("location.hash === '#user-content-usage'")
        top = heading.evaluate("h => h.getBoundingClientRect().top")
        page.close()
    assert 0 <= top < 100, top
