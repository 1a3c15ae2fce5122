"""Rules of the private hub's search, settings, serving, pages and publishing helpers (the
modules no mutation pass covered before session 39: search, signatures, tags, settings, api,
refresh, runner, starter, publish_doc, pack_output, doc_warnings, pages, render) that a
hand-made mutant (a flipped comparison, a dropped check) could change without any test
failing: each test here fails under the mutant its docstring names, and passes on the code as
it is."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import signature_summary_json, write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import (
    api,
    doc_handles,
    doc_warnings,
    docs_format,
    pages,
    publish_doc,
    refresh,
    render,
    runner,
    signatures,
    starter,
    tags,
)
from tfhub.hub.app import create_app
from tfhub.hub.catalog import Catalog
from tfhub.hub.search import SearchIndex
from tfhub.hub.settings import ServeSettings


def _handles(index: SearchIndex, query: str) -> list[str]:
    return [model.handle for model in index.search(query)]


def test_a_word_of_the_title_ranks_a_model_above_a_body_that_repeats_it(tmp_path):
    """Mutant: the handle's and description's words weigh 1 (not `_TITLE_WEIGHT`); a model
    whose body says `widget` three times then ranked above the one whose description names it."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/zeta/1", description="A widget model.")
    write_model_doc(tmp_path, "acme/alpha/1", body="Widget, widget and widget again.")
    index = SearchIndex.build(Catalog.scan(tmp_path))
    assert _handles(index, "widget") == ["acme/zeta", "acme/alpha"]


def test_a_metadata_value_found_nowhere_else_finds_its_model(tmp_path):
    """Mutant: the doc's metadata values left out of the index; a search for a dataset the
    doc names only in `<!-- dataset: ... -->` then found nothing."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", dataset="quokkaset")
    write_model_doc(tmp_path, "acme/other/1")
    index = SearchIndex.build(Catalog.scan(tmp_path))
    assert _handles(index, "quokkaset") == ["acme/emb"]


def test_the_middle_run_of_a_compound_word_of_the_body_matches_as_a_prefix(tmp_path):
    """Mutant: `index_words` without the runs that end a compound word; `v2_1` then found
    nothing of a body naming `mobilenet_v2_100_224` (its parts, `v2` and `1`, ask `1` whole)."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", body="Features of mobilenet_v2_100_224.")
    index = SearchIndex.build(Catalog.scan(tmp_path))
    assert _handles(index, "v2_1") == ["acme/emb"]


def _app(root: Path, **options: Any) -> Any:
    return create_app(ServeSettings(root=str(root), access_log=False, rescan_seconds=0, **options))


def _get(app: Any, path: str, query: str = "", **headers: str) -> tuple[int, str]:
    status, body = asgi_request(app, "GET", path.encode(), query.encode(), headers=headers)
    return status, body.decode()


def test_an_index_page_past_the_end_of_a_full_last_page_shows_that_page(tmp_path):
    """Mutant: `_first_shown` rounds `total` (not `total - 1`) down to a page; with 100 models
    (two full pages), `?start=150` then showed an empty page 101-100 instead of 51-100."""
    write_publisher(tmp_path, "acme", "Acme")
    for number in range(100):
        write_model_doc(tmp_path, f"acme/m{number:03d}/1")
    status, body = _get(_app(tmp_path), "/", "start=150")
    assert status == 200
    assert "100 of 100 models (51–100 shown)" in body
    assert "acme/m099" in body and "acme/m049" not in body


def _next_link(body: str) -> str:
    found = re.search(r'<a id="next" href="([^"]*)"', body)
    assert found is not None, body
    return html.unescape(found[1])


def test_the_next_page_link_keeps_only_the_filled_in_parameters_and_one_start(tmp_path):
    """Mutants: `kept` without `and value` (the link then carried every empty field of the
    form: `?q=&task=&start=50`), or without `key != "start"` (page 2's link then carried
    the old `start=50` beside the new `start=100`)."""
    write_publisher(tmp_path, "acme", "Acme")
    for number in range(120):
        write_model_doc(tmp_path, f"acme/m{number:03d}/1")
    app = _app(tmp_path)
    _, first = _get(app, "/", "q=&task=&publisher=acme")
    assert _next_link(first) == "http://hub.test/?publisher=acme&start=50"
    _, second = _get(app, "/", "publisher=acme&start=50")
    assert _next_link(second) == "http://hub.test/?publisher=acme&start=100"


def test_a_tfhub_dev_link_to_the_hub_gets_the_hub_url_escaped(tmp_path):
    """Mutant: `_with_hub_links` writes the hub's URL unescaped; a base URL taken from a
    request's Host header (`h"><script>...`) then put markup into the page."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    catalog = Catalog.scan(tmp_path)
    base = 'http://h"><script>x</script>'
    shown = asyncio.run(pages.doc_html("[emb](https://tfhub.dev/acme/emb/1)", base, catalog))
    assert "<script>" not in shown
    assert 'href="http://h&quot;&gt;&lt;script&gt;x&lt;/script&gt;/acme/emb/1"' in shown


def test_a_refused_path_asked_in_the_hub_protocol_is_answered_in_plain_text(tmp_path):
    """Mutant: `refused_path` without the `tf-hub-format` check; a client of the protocol that
    also accepts text/html (`?tf-hub-format=compressed`, `Accept: text/html,*/*`) then got the
    HTML error page instead of the protocol's plain-text 400."""
    write_publisher(tmp_path, "acme", "Acme")
    app = _app(tmp_path)
    status, body = _get(
        app, "/acme/emb(1", "tf-hub-format=compressed", Accept="text/html,*/*;q=0.8"
    )
    assert (status, body) == (400, "400 Bad Request: this path is not allowed.\n")
    status, body = _get(app, "/acme/emb(1", Accept="text/html,*/*;q=0.8")
    assert status == 400 and body.startswith("<!DOCTYPE html>")


def test_a_metadata_value_links_only_when_it_is_an_http_url(tmp_path):
    """Mutant: `_metadata_link` links any value with a `:`; a doc's `<!-- demo:
    javascript:alert(1) -->` then became a `javascript:` link on the model page."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    text = doc.read_text()
    doc.write_text(text.replace("<!-- format:", "<!-- demo: javascript:alert(1) -->\n<!-- format:"))
    status, body = _get(_app(tmp_path), "/acme/emb/1")
    assert status == 200
    assert "<td>javascript:alert(1)</td>" in body and 'href="javascript:' not in body


def test_the_404_page_searches_the_last_segment_that_is_not_a_version(tmp_path):
    """Mutant: `search_words` keeps version numbers; the 404 page of `acme/emb-typo/1` then
    offered a search for `1`, which finds nothing of it."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    status, body = _get(_app(tmp_path), "/acme/emb-typo/1", Accept="text/html")
    assert status == 404
    assert "?q=emb-typo" in body and "?q=1" not in body


def test_a_tfhub_dev_link_to_a_publisher_the_hub_lacks_stays_at_tfhub_dev(tmp_path):
    """Mutant: `_names_something` takes any one segment for a publisher of the hub; a link to
    `https://tfhub.dev/google` then led to this hub's 404 page."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    catalog = Catalog.scan(tmp_path)
    text = "[g](https://tfhub.dev/google) and [a](https://tfhub.dev/acme)"
    shown = asyncio.run(pages.doc_html(text, "http://hub.test", catalog))
    assert 'href="https://tfhub.dev/google"' in shown
    assert 'href="http://hub.test/acme"' in shown


def test_a_mailto_link_of_a_doc_is_kept():
    """Mutant: `mailto` dropped from the allowed URL schemes; a doc's contact link then lost
    its href (the module docstring allows http(s) and mailto)."""
    shown = render.markdown_to_html("[Write to us](mailto:team@example.com)")
    assert 'href="mailto:team@example.com"' in shown


def test_an_html_comment_of_a_doc_is_not_sent_to_the_browser():
    """Mutant: `strip_comments=False`; a doc's `<!-- ... -->` notes (drafts, internal hosts)
    then reached every reader's page source."""
    shown = render.markdown_to_html("Public text.\n\n<!-- internal: build-host-7 -->\n\nMore.")
    assert "build-host-7" not in shown and "<!--" not in shown
    assert "Public text." in shown and "More." in shown


def test_a_fragment_link_already_prefixed_is_not_prefixed_twice():
    """Mutant: `_prefixed` prefixes every fragment; a link written to the rendered id
    (`#user-content-usage`, as copied from the page) then led nowhere."""
    shown = render.markdown_to_html("## Usage\n\n[copied](#user-content-usage)")
    assert 'href="#user-content-usage"' in shown and 'id="user-content-usage"' in shown


def test_a_doc_of_exactly_the_largest_rendered_size_is_rendered():
    """Mutant: `too_large` is `>=`; a doc of exactly `MAX_RENDERED_CHARS` characters (the
    size the docstring says is rendered) was then shown as plain text."""
    text = "*x* " + "a" * (render.MAX_RENDERED_CHARS - 4)
    assert len(text) == render.MAX_RENDERED_CHARS
    shown = render.markdown_to_html(text)
    assert "<em>x</em>" in shown and "too-large" not in shown
    assert render.elements(text + " [](https://example.com/x)") == []  # One more: too large.


def test_a_top_level_heading_of_a_doc_is_shown_as_a_second_level_one():
    """Mutant: `_accessible_tag` leaves `<h1>` alone; a doc's `# Title` (or `<h1>`) then
    gave the page a second `<h1>` beside the page's own."""
    shown = render.markdown_to_html("# Title\n\n<h1>Raw</h1>\n\n## Part")
    assert "<h1" not in shown and "</h1>" not in shown
    assert '<h2 id="user-content-title">Title</h2>' in shown and "<h2>Raw</h2>" in shown


def test_an_empty_anchor_without_a_link_is_left_empty():
    """Mutant: `_accessible_tag` without `not attributes.get("href")`; an empty `<a
    name="x"></a>` (an anchor, no link) then raised KeyError: the page was a 500."""
    shown = render.markdown_to_html('Before <a name="top"></a> after.')
    assert '<a name="user-content-top" rel="noopener noreferrer nofollow"></a>' in shown


def test_three_headings_of_the_same_text_get_three_ids():
    """Mutant: `_heading_ids` looks for a free id once (`if`, not `while`); the third
    `## Notes` then got the second one's id, `notes-1`, and its in-page link led there."""
    shown = render.markdown_to_html("## Notes\n\n## Notes\n\n## Notes")
    ids = re.findall(r'<h2 id="([^"]*)">', shown)
    assert ids == ["user-content-notes", "user-content-notes-1", "user-content-notes-2"]


def test_elements_lists_each_image_and_link_once():
    """Mutant: `elements` without `match[1]`; every closing `</a>` was then listed as one
    more link, without an href."""
    found = render.elements("[docs](https://example.com/d) and ![a cat](cat.png)")
    assert [(element.tag, element.attributes.get("href")) for element in found] == [
        ("a", "https://example.com/d"),
        ("img", None),
    ]


def test_a_link_whose_only_content_is_an_image_takes_its_alt_as_text():
    """Mutant: `_link_text` leaves out the alt text of images inside a link; a badge link
    (`[![build status](badge.svg)](url)`) then counted as a link without text (a warning of
    `tfhub validate`)."""
    (link, image) = render.elements("[![build status](badge.svg)](https://ci.example.com)")
    assert (link.tag, link.text) == ("a", "build status")
    assert (image.tag, image.attributes["alt"]) == ("img", "build status")


def _api_models(app: Any, query: str) -> dict[str, Any]:
    status, body = _get(app, "/api/models", query)
    assert status == 200, body
    return json.loads(body)


def test_api_search_pages_by_offset_and_limit_and_counts_every_hit(tmp_path):
    """Mutants: the page of hits cut as `hits[offset:limit]` (offset 1, limit 2 then gave one
    model, not two), or `total` counting the page instead of every hit."""
    write_publisher(tmp_path, "acme", "Acme")
    for name in ("a", "b", "c", "d"):
        write_model_doc(tmp_path, f"acme/{name}/1")
    found = _api_models(_app(tmp_path), "offset=1&limit=2")
    assert found["total"] == 4 and found["offset"] == 1
    assert [model["handle"] for model in found["models"]] == ["acme/b", "acme/c"]


def test_api_search_gives_at_most_max_limit_models(tmp_path):
    """Mutant: `limit` not capped at `api.MAX_LIMIT`; `?limit=100000` then built one answer of
    every model of the hub."""
    write_publisher(tmp_path, "acme", "Acme")
    for number in range(api.MAX_LIMIT + 1):
        write_model_doc(tmp_path, f"acme/m{number:04d}/1")
    found = _api_models(_app(tmp_path), "limit=100000")
    assert found["total"] == api.MAX_LIMIT + 1
    assert len(found["models"]) == api.MAX_LIMIT


def _tag_definitions(root: Path, files: dict[str, str]) -> tags.TagDefinitions:
    (root / "tags").mkdir(parents=True)
    for name, text in files.items():
        (root / "tags" / name).write_text(text)
    found = tags.load_tag_definitions(root)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com/demo",  # Not https.
        "https:///demo",  # No host.
        "https://example.com/a demo",  # A space.
    ],
)
def test_a_url_tag_takes_only_an_https_url_with_a_host_and_no_space(tmp_path, value):
    """Mutants: `_check_url` without the https check, the host check or the space check; a
    demo at `http://...`, at `https:///demo` or with a space then passed (no required
    domain in demo.yaml, so the domain check does not catch them)."""
    definitions = _tag_definitions(tmp_path, {"demo.yaml": "format: url\n"})
    assert definitions.check("demo", value) == [f"demo must be an https URL. Received: {value!r}"]
    assert definitions.check("demo", "https://example.com/demo") == []


def test_an_enumerable_tag_file_of_entries_without_id_is_refused_as_such(tmp_path):
    """Mutant: `_ids` without the check that each entry has an `id`; a `dataset.yaml` of
    `display_name`s only was then refused with a bare KeyError, `'id'`, not tfhub.dev's
    format it must follow."""
    definitions = _tag_definitions(tmp_path, {"dataset.yaml": "values:\n- display_name: Books\n"})
    assert definitions.ids == {}
    [(path, message)] = definitions.errors
    assert path == "tags/dataset.yaml"
    assert message.startswith(
        "cannot read the tag definitions: it must hold 'values:', a list of entries each with "
        "an 'id'"
    )


HANDLE = doc_handles.parse_handle("acme/emb/1")


def _module_doc(root: Path, **fields: str) -> str:
    return write_model_doc(root, "acme/emb/1", asset="1.tar.gz", **fields).read_text()


def test_a_given_doc_of_another_kind_for_the_handle_is_refused_before_loading(tmp_path):
    """Mutant: `check_first_line` compares only the handle; a `# Lite acme/emb/1` doc given
    to publish the module acme/emb/1 then passed, and was refused only after the load."""
    text = _module_doc(tmp_path).replace("# Module acme/emb/1", "# Lite acme/emb/1")
    with pytest.raises(errors.DocValidationError) as caught:
        publish_doc.check_first_line(text, "lite.md", HANDLE)
    assert caught.value.problems == [
        "lite.md:1: the doc must start with '# Module acme/emb/1'. Received: '# Lite acme/emb/1'"
    ]


def test_a_given_doc_whose_asset_path_is_the_archive_written_as_dot_slash_passes(tmp_path):
    """Mutant: `check_asset_path` compares the value as written; `./1.tar.gz`, the archive
    publish writes beside the doc, was then refused."""
    text = _module_doc(tmp_path).replace("asset-path: 1.tar.gz", "asset-path: ./1.tar.gz")
    publish_doc.check_asset_path(text, "doc.md", HANDLE)  # No error.
    with pytest.raises(errors.DocValidationError):
        publish_doc.check_asset_path(text.replace("./1.tar.gz", "./2.tar.gz"), "doc.md", HANDLE)


def _check_doc(root: Path, text: str) -> list[str]:
    staged = root / "stage" / "1.md"  # As publish stages it: its archive beside it.
    staged.parent.mkdir(exist_ok=True)
    staged.write_text(text)
    make_tar_gz(staged.with_name("1.tar.gz"))
    target = root / "assets/docs/acme/models/emb/1.md"
    summary = signatures.summary_from_json(signature_summary_json())
    try:
        publish_doc.check_doc(staged, root, target, HANDLE, summary)
    except errors.DocValidationError as err:
        return list(err.problems)
    return []


def test_the_staged_doc_must_be_a_module_doc_of_the_handle(tmp_path):
    """Mutant: `check_doc` checks only the handle; a staged `# Lite acme/emb/1` doc (the
    handle right, the kind not) then passed and was published as the module's doc."""
    text = _module_doc(tmp_path / "given")
    assert _check_doc(tmp_path, text) == []
    problems = _check_doc(tmp_path, text.replace("# Module", "# Lite"))
    assert "assets/docs/acme/models/emb/1.md:1: the doc must start with '# Module acme/emb/1'" in (
        problems
    )


def test_the_staged_doc_is_checked_against_the_hubs_tag_definitions(tmp_path):
    """Mutant: `check_doc` validates without ROOT/tags; publish then wrote a doc that `tfhub
    validate` of the hub refuses (a dataset its tags/dataset.yaml does not define)."""
    (tmp_path / "tags").mkdir()
    (tmp_path / "tags/dataset.yaml").write_text("values:\n- id: books\n")
    problems = _check_doc(tmp_path, _module_doc(tmp_path / "given", dataset="films"))
    assert [problem for problem in problems if "tags/dataset.yaml" in problem] == [
        "assets/docs/acme/models/emb/1.md:7: dataset 'films' is not defined in "
        "tags/dataset.yaml; add it there or use one of its ids"
    ]


def test_a_source_publisher_doc_of_another_publisher_is_replaced_by_a_starter(tmp_path):
    """Mutant: `publisher_doc_text` checks only the kind; the source hub's `# Publisher lab`
    doc was then written as acme's publisher doc (a hub `tfhub validate` refuses)."""
    other = "# Publisher lab\nThe lab.\n"
    assert publish_doc.publisher_doc_text(other, tmp_path, HANDLE) == (
        starter.starter_publisher_doc("acme")
    )
    own = "# Publisher acme\r\nAcme's models.\r\n"
    assert publish_doc.publisher_doc_text(own, tmp_path, HANDLE) == (
        "# Publisher acme\nAcme's models.\n"
    )


def _check_options(root: Path, *, port: int) -> None:
    runner.check_options(
        ServeSettings(root=str(root), cache_dir=str(root / "cache")),
        host="127.0.0.1",
        port=port,
        workers=1,
        server="uvicorn",
    )


def test_check_options_refuses_port_65536(tmp_path):
    """Mutant: the port range is `<= 65536`; `--port 65536` then passed the checks and
    failed later in the bind, naming no option range."""
    write_publisher(tmp_path, "acme", "Acme")
    with pytest.raises(errors.ServeConfigError, match="between 1 and 65535") as caught:
        _check_options(tmp_path, port=65536)
    assert caught.value.option == "--port"


def test_check_options_warns_about_a_root_without_docs_only_then(tmp_path, caplog):
    """Mutant: `_warn_if_no_docs` never warns; `tfhub serve hub/assets` (a folder inside the
    hub) then served an empty index without a word."""
    write_publisher(tmp_path, "acme", "Acme")
    with socket.socket() as probe:  # A port free now.
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.runner"):
        _check_options(tmp_path, port=port)
        assert not [r for r in caplog.records if "has no assets/docs" in r.getMessage()]
        _check_options(tmp_path / "assets", port=port)
    [warning] = [r.getMessage() for r in caplog.records if "has no assets/docs" in r.getMessage()]
    assert warning.startswith(f"{tmp_path / 'assets'} has no assets/docs folder")


def test_a_rescan_of_0_seconds_never_looks_at_the_tree(tmp_path):
    """Mutant: `lifespan` starts the watcher unless `every < 0`; `--rescan 0` ("never look
    for new docs") then re-stat the whole tree in a loop without a pause, and reloaded."""
    write_publisher(tmp_path, "acme", "Acme")
    loads: list[int] = []

    def load() -> Any:
        loads.append(1)
        return SimpleNamespace(catalog=SimpleNamespace(models={}))

    async def serve_a_while() -> None:
        app = SimpleNamespace(state=SimpleNamespace(hub=None))
        async with refresh.lifespan(load, str(tmp_path), 0)(app):
            await asyncio.sleep(0.2)
            write_model_doc(tmp_path, "acme/new/1")
            await asyncio.sleep(0.5)

    asyncio.run(serve_a_while())
    assert loads == []


def _warnings(tmp_path: Path, body: str) -> list[str]:
    doc = write_model_doc(tmp_path, "acme/emb/1", body=body)
    parsed = docs_format.parse_text(
        doc.read_text(), path=doc, rel_path="acme/models/emb/1.md", display_path="1.md"
    )
    return [problem.message for problem in doc_warnings.content_warnings(parsed)]


def test_an_anchor_without_href_is_no_link_without_text(tmp_path):
    """Mutant: `_element_warnings` warns about every `<a>` without text, href or not; an
    in-page anchor (`<a name="top"></a>`) then got "the link to  has no text"."""
    assert _warnings(tmp_path, 'Intro <a name="top"></a> here.') == []
    assert _warnings(tmp_path, "[](https://example.com/x)") == [
        "the link to https://example.com/x has no text (screen readers read nothing useful; "
        "the page shows the URL as its text): write [where it leads](https://example.com/x)"
    ]


def test_an_image_whose_alt_is_only_spaces_has_no_alt_text(tmp_path):
    """Mutant: the alt text is not stripped; `<img src="cat.png" alt=" ">`, which screen
    readers read as nothing, then passed without a warning."""
    assert _warnings(tmp_path, '<img src="cat.png" alt=" ">') == [
        "the image cat.png has no alt text (screen readers read its file name or nothing): "
        "write ![what it shows](cat.png)"
    ]
    assert _warnings(tmp_path, '<img src="cat.png" alt="a cat">') == []


def _tensor(dtype: str, shape: tuple[int | None, ...] | None) -> signatures.TensorInfo:
    return signatures.TensorInfo("x", dtype, shape)


def _summary(
    *inputs: signatures.TensorInfo,
    name: str = "serving_default",
    call: signatures.CallInfo | None = None,
    variables: int = 2,
) -> signatures.SignatureSummary:
    signature = signatures.SignatureInfo(name, tuple(inputs), (_tensor("float32", (None, 1)),))
    meta = signatures.MetaGraphInfo(("serve",), (signature,))
    return signatures.SignatureSummary(
        "TF2 SavedModel", "saved_model_2", 10, variables, 8, (meta,), call=call
    )


@pytest.mark.parametrize(
    ("summary", "task"),
    [
        (_summary(_tensor("string", (None,)), _tensor("string", (None,))), None),  # Two inputs.
        (_summary(_tensor("uint8", (None, 224, 224, 3))), "image-feature-vector"),
        (_summary(_tensor("float32", (None, 224, 224, 1))), "image-feature-vector"),  # Grey.
        (_summary(_tensor("float32", (None, 8, 224, 224, 3))), None),  # Rank 5: video.
        (_summary(_tensor("string", (None,)), name="default"), "text-embedding"),  # TF1.
        (
            _summary(_tensor("string", (None,)), call=signatures.CallInfo((), False)),
            "text-embedding",  # A `__call__` without traced signatures: the signature's.
        ),
    ],
)
def test_infer_task_reads_the_one_input_of_the_model(summary, task):
    """Mutants of `infer_task`/`_inputs`: `len(inputs) < 1` (two string inputs then made a
    text embedding), uint8 or one channel not taken for images, rank >= 4 taken for images,
    TF1's `default` signature not read, a `__call__` without input signatures read as none."""
    assert starter.infer_task(summary) == task


def _starter_doc(summary: signatures.SignatureSummary, **info: str) -> str:
    return starter.starter_module_doc(
        HANDLE, summary, starter.StarterInfo(**info), asset_path="1.tar.gz"
    )


def test_a_starter_doc_of_a_model_without_variables_is_not_fine_tunable():
    """Mutant: `fine-tunable: true` always; a model without variables (nothing to train)
    was then said to be fine-tunable. (A TF2 model needs a `__call__` too: fx62a.)"""
    call = signatures.CallInfo((), False)
    assert "<!-- fine-tunable: false -->" in _starter_doc(
        _summary(_tensor("string", (None,)), variables=0, call=call)
    )
    assert "<!-- fine-tunable: true -->" in _starter_doc(
        _summary(_tensor("string", (None,)), call=call)
    )


@pytest.mark.parametrize("value", ["apache-2.0\rmit", "mit <!-- x"])
def test_a_starter_doc_refuses_a_license_with_a_carriage_return_or_a_comment_start(value):
    """Mutants: `_one_line_value` without the `\\r` or the `<!--` check; such a --license
    then broke the metadata line of the starter doc."""
    with pytest.raises(errors.DocValidationError, match="must be one line"):
        _starter_doc(_summary(_tensor("string", (None,))), license=value)


def test_a_module_name_of_op_libraries_is_ascii_and_no_keyword():
    """Mutants: `is_module_name` without the ASCII check or the keyword check; `módulo` or
    `a.class` (which `import` refuses or reads otherwise) then went into a snippet."""
    assert signatures.is_module_name("tensorflow_text.ops")
    assert not signatures.is_module_name("módulo")
    assert not signatures.is_module_name("a.class")


def test_op_libraries_must_be_a_list_and_refused_names_are_not_written_back():
    """Mutants: `_op_libraries` without the list check (the string `"os"` then read as the
    libraries `o` and `s`), or `to_json` writing the refused names back into the file."""
    data = signature_summary_json()
    with pytest.raises(ValueError, match="op_libraries must be a list"):
        signatures.summary_from_json({**data, "op_libraries": "os"})
    read = signatures.summary_from_json({**data, "op_libraries": ["tensorflow_text", "os; x"]})
    assert read.refused_op_libraries == ("os; x",)
    assert read.to_json()["op_libraries"] == ["tensorflow_text"]


def test_a_reusable_description_without_call_gives_no_call_info():
    """Mutant: `_call_info` without the `"call" in reusable` check; a reusable SavedModel
    described without a traced `__call__` then raised KeyError instead of giving None."""
    assert signatures._call_info({"takes_training": False}) is None
