"""docs/hub.md followed as a team setting up its own hub would, and odd but plausible inputs:
a doc with a huge description, a model path the collection pages own, a hub folder without
docs, a version-less mirror URL of a model the source hub does not have (session 30 probes)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import MODEL_FILES, make_tar_gz
from tests._helpers.hub_server import (
    HubProcess,
    free_port,
    serve_hub,
    write_model_doc,
    write_publisher,
)

from tfhub import errors
from tfhub.hub import docs_format as fmt
from tfhub.hub import mirror, publish, validator
from tfhub.hub.runner import BackgroundServer, check_options
from tfhub.hub.settings import ServeSettings

LONG_DESCRIPTION = "Verbose " + "padding " * 5_000 + "endword."  # 40,016 characters.


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub with lab/wordy/1, whose description is LONG_DESCRIPTION, and lab/short/1."""
    root = tmp_path_factory.mktemp("hub")
    write_publisher(root, "lab", "Lab")
    for name, description in (("wordy", LONG_DESCRIPTION), ("short", "A short one.")):
        doc = write_model_doc(root, f"lab/{name}/1", description=description, asset="1.tar.gz")
        make_tar_gz(doc.with_name("1.tar.gz"))
    with serve_hub(root, root.parent / "serve.log", "--rescan", "0") as server:
        yield server


def test_validate_reports_a_description_longer_than_the_pages_show(served):
    docs = {doc.handle.model: doc for doc in fmt.list_docs(served.root)}
    assert validator.validate_doc(docs["short"]) == []
    problems = validator.validate_doc(docs["wordy"])
    assert [(p.path, p.line) for p in problems] == [("assets/docs/lab/models/wordy/1.md", 2)]
    message = problems[0].message
    assert f"{len(LONG_DESCRIPTION):,} characters" in message, message
    assert f"{fmt.MAX_DESCRIPTION_CHARS:,}" in message and "## Overview" in message, message


@pytest.mark.parametrize("path", ["", "lab", "lab/wordy/1", "lab/wordy", "api/models"])
def test_a_huge_description_is_cut_on_pages_and_in_the_api(served, path):
    """A 40 KB description went whole into the index page, the publisher page, the model page
    and each JSON answer (`/api/models?limit=1000` of such docs: 40 MB), unlike a long body."""
    answer = requests.get(served.url(path), timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    assert "Verbose padding" in answer.text
    assert "endword" not in answer.text
    assert len(answer.content) < 2 * fmt.MAX_DESCRIPTION_CHARS + 10_000, len(answer.content)


def test_the_api_cuts_the_description_and_keeps_the_doc_as_published(served):
    """`doc_markdown` stays whole: `tfhub mirror` copies the doc from it."""
    answer = requests.get(served.url("api/models/lab/wordy"), timeout=30).json()
    assert answer["description"].startswith("Verbose padding")
    assert answer["description"].endswith("…")
    assert len(answer["description"]) == fmt.MAX_DESCRIPTION_CHARS + 1 - len(" ")
    assert LONG_DESCRIPTION in answer["versions"][0]["doc_markdown"]


def test_search_finds_a_long_description_by_the_part_the_pages_show(served):
    found = requests.get(served.url("api/models"), params={"q": "verbose"}, timeout=30).json()
    assert [model["handle"] for model in found["models"]] == ["lab/wordy"]
    hidden = requests.get(served.url("api/models"), params={"q": "endword"}, timeout=30).json()
    assert hidden["models"] == []


@pytest.mark.parametrize("handle", ["acme/collections/x/1", "acme/collections/2"])
def test_publish_refuses_a_model_path_the_collection_pages_own(tmp_path, handle):
    """`/<publisher>/collections/<name>/<version>` is a collection's URL: a Module published as
    acme/collections/x/1 had its page taken by the collection acme/x/1 (validate then failed)."""
    root = tmp_path / "hub"
    with pytest.raises(errors.InvalidHandleError) as caught:
        publish.publish(tmp_path / "not-loaded", root, handle)
    message = str(caught.value)
    assert "'collections/'" in message and "rename the model" in message, message
    assert not root.exists()


def test_a_version_less_url_of_a_model_the_source_hub_lacks_says_so(served, tmp_path):
    """It said only 'Cannot tell the hub handle ...: pass --as', though the source hub had
    answered that it has no such model."""
    with pytest.raises(errors.InvalidHandleError) as caught:
        mirror.mirror(served.url("lab/ghost"), tmp_path / "mirror")
    message = str(caught.value)
    assert served.url("api/models/lab/ghost") in message, message
    assert "names such a model" in message and "--as" in message, message
    assert not (tmp_path / "mirror").exists()


def _check(root: Path, *, cache_dir: Path | None = None) -> None:
    check_options(
        ServeSettings(root=str(root), cache_dir=str(cache_dir or root.parent / "cache")),
        host="127.0.0.1",
        port=free_port(),
        workers=1,
        server="uvicorn",
    )


def test_serve_warns_about_a_hub_folder_without_docs(tmp_path, caplog):
    """`tfhub serve hub/assets` (or a model folder) served an empty hub without a word."""
    inside = tmp_path / "hub" / "assets"
    inside.mkdir(parents=True)
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        _check(inside)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1, messages
    assert f"{inside} has no assets/docs folder" in messages[0], messages
    assert "tfhub publish" in messages[0], messages
    caplog.clear()
    (tmp_path / "hub" / "assets" / "docs").mkdir()
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        _check(tmp_path / "hub")
    assert caplog.records == []


def test_the_api_names_a_model_it_lacks(served):
    """It answered `{"error": "no such model"}`, naming neither the model nor where the models
    are listed."""
    listed = f"listed at {served.url('api/models')} (?q= searches them)."
    missing = requests.get(served.url("api/models/lab/ghost"), timeout=30)
    assert missing.status_code == 404
    assert (
        missing.json()["error"]
        == f"404 Not Found: no model lab/ghost in this hub; its models are {listed}"
    )
    for path in ("api/models/lab/%2e%2e/lab/wordy", "api/models/lab/.hidden"):
        refused = requests.get(served.url(path), timeout=30)
        assert refused.status_code == 404, (path, refused.text)
        assert refused.json()["error"] == (
            f"404 Not Found: no model at this path in this hub; its models are {listed}"
        )


def test_replicas_with_their_own_caches_give_a_folder_version_one_etag(tmp_path):
    """Each replica packs a folder version into its own cache (docs/hub.md allows it): the
    ETag, the packed file's size and mtime, differed, so a download resumed on another replica
    (If-Range) started again from 0 and a revalidation (If-None-Match) sent the whole archive."""
    root = tmp_path / "hub"
    folder = write_model_doc(root, "lab/folder/1", asset="1.tar.gz").parent / "1"
    for name, data in MODEL_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    url = "lab/folder/1?tf-hub-format=compressed"
    answers = []
    for replica in ("a", "b"):
        settings = ServeSettings(
            root=str(root), cache_dir=str(tmp_path / replica), access_log=False, rescan_seconds=0
        )
        with BackgroundServer(settings) as server:
            answers.append(requests.get(server.url(url), timeout=60))
            time.sleep(0.05)  # The second pack is written later (another mtime).
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert answers[0].headers["ETag"] == answers[1].headers["ETag"]
    etag = answers[0].headers["ETag"]
    settings = ServeSettings(root=str(root), cache_dir=str(tmp_path / "b"), access_log=False)
    with BackgroundServer(settings) as server:
        again = requests.get(server.url(url), headers={"If-None-Match": etag}, timeout=60)
        resumed = requests.get(
            server.url(url), headers={"Range": "bytes=10-", "If-Range": etag}, timeout=60
        )
    assert again.status_code == 304
    assert resumed.status_code == 206 and resumed.content == answers[0].content[10:]


def test_validate_reports_an_archive_and_a_model_folder_of_one_version(tmp_path):
    """Both `1.tar.gz` and a model folder `1/` beside a doc (made by hand: publish --force
    replaces a folder version whole) passed validate; the server sent the archive only."""
    root = tmp_path / "hub"
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/both/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), folders=True)

    def both() -> list[tuple[int, str]]:
        found = validator.validate_file(doc, root=root)
        return [(p.line, p.message) for p in found if "beside it too" in p.message]

    assert both() == []
    for name, data in MODEL_FILES.items():
        (doc.parent / "1" / name).parent.mkdir(parents=True, exist_ok=True)
        (doc.parent / "1" / name).write_bytes(data)
    assert both() == [
        (
            4,
            "1.tar.gz: the model folder 1/ is beside it too, and tfhub serve sends 1.tar.gz "
            "only; remove the one that is not this version",
        )
    ]


def test_serve_refuses_a_cache_dir_it_cannot_pack_into(tmp_path):
    """`--cache-dir` naming a file started the server; every download of a folder version was
    then a 500 and the log said only `[Errno 17] File exists`."""
    (tmp_path / "hub" / "assets" / "docs").mkdir(parents=True)
    file = tmp_path / "notes.txt"
    file.write_text("not a folder")
    settings = ServeSettings(root=str(tmp_path / "hub"), cache_dir=str(file))
    with pytest.raises(errors.ServeConfigError) as caught:
        check_options(settings, host="127.0.0.1", port=free_port(), workers=1, server="uvicorn")
    assert caught.value.option == "--cache-dir"
    assert str(caught.value) == (
        f"Cannot pack folder versions into {file}: it is a file, not a folder. Give --cache-dir "
        "a folder this user can write (it is made if missing)."
    )
    made = tmp_path / "new" / "cache"
    _check(tmp_path / "hub", cache_dir=made)
    assert made.is_dir()


def test_a_collection_version_it_lacks_is_a_404_naming_the_collections_versions(tmp_path):
    """`/lab/collections/picks/5` said only that the hub has nothing there, with a link
    searching for '5'; a model's missing version names the model and links its versions."""
    root = tmp_path / "hub"
    write_publisher(root, "lab", "Lab")
    for version in (1, 2):
        doc = root / f"assets/docs/lab/collections/picks/{version}.md"
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(
            f"# Collection lab/picks/{version}\nPicks.\n\n<!-- task: text-embedding -->\n"
        )
    with serve_hub(root, tmp_path / "serve.log", "--rescan", "0") as server:
        answer = requests.get(server.url("lab/collections/picks/5"), timeout=30)
        missing = requests.get(server.url("lab/collections/other/5"), timeout=30)
    assert answer.status_code == 404
    base = server.url("lab/collections/picks")
    assert (
        f'The collection <a href="{base}">lab/picks</a> has no version 5. Its versions:\n'
        f'<a href="{base}/1">1</a>, <a href="{base}/2">2</a>.'
    ) in answer.text, answer.text
    assert missing.status_code == 404 and "has no model, collection or publisher" in missing.text


def test_the_archive_url_of_a_collection_says_it_is_a_collection(tmp_path):
    """`hub.load` (or `tfhub mirror`) of a collection's URL was told 'no model ...: the
    publisher lab has ...', as if the collection were a mistyped model."""
    root = tmp_path / "hub"
    write_publisher(root, "lab", "Lab")
    doc = root / "assets/docs/lab/collections/picks/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text("# Collection lab/picks/1\nPicks.\n\n<!-- task: text-embedding -->\n")
    paths = ("lab/collections/picks/1", "lab/collections/picks")
    with serve_hub(root, tmp_path / "serve.log", "--rescan", "0") as server:
        answers = [
            requests.get(server.url(path), params={"tf-hub-format": "compressed"}, timeout=30)
            for path in paths
        ]
    for answer, shown in zip(answers, paths, strict=True):
        assert answer.status_code == 404
        assert answer.text == (
            f"404 Not Found: no model {shown}: it is the collection lab/picks, a page listing "
            "models, not a model; load one of the models it lists.\n"
        )
