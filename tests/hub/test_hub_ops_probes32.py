"""A team's day with its hub, by CLI and over HTTP (session 32 probes): a model mirrored from
one running hub into another ROOT takes its publisher's doc along (the API gives it), and a
publish or mirror stopped by Ctrl-C says what it left."""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests._helpers import models
from tests._helpers.python_process import ctrl_c_as_in_a_terminal

from tfhub import errors
from tfhub.hub import docs_format as fmt
from tfhub.hub import mirror, publish, publish_doc, publish_locks, starter, validator
from tfhub.hub.doc_handles import parse_handle
from tfhub.hub.docs_format import DocKind
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

pytestmark = pytest.mark.tf

SRC = str(Path(__file__).resolve().parents[2] / "src")
PUBLISHER_DOC = """# Publisher acme
Acme's research models, trained on public data.

[![Icon URL]](https://example.com/acme.png)

## Acme
Contact: ml@acme.example.
"""
COLLECTION_DOC = """# Collection acme/picks/1
Our picks.

<!-- task: text-embedding -->

## Models
* [acme/emb](https://tfhub.dev/acme/emb/1)
"""


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("ops") / "model")))


@pytest.fixture(scope="module")
def central(
    text_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundServer]:
    """A running hub with acme/emb/1, acme's own publisher doc and a collection."""
    root = tmp_path_factory.mktemp("central")
    publish.publish(text_model, root, "acme/emb/1", info=starter.StarterInfo(task="text-embedding"))
    (root / "assets/docs/acme/acme.md").write_text(PUBLISHER_DOC, encoding="utf-8")
    collection = root / "assets/docs/acme/collections/picks/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text(COLLECTION_DOC, encoding="utf-8")
    assert validator.validate_tree(root) == []
    settings = ServeSettings(root=str(root), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as server:
        yield server


def test_the_api_gives_a_publishers_doc_as_published(central):
    """`/api/publishers` gave a publisher's description only, so nothing could copy its doc."""
    answer = requests.get(central.url("api/publishers/acme"), timeout=30)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["doc_markdown"] == PUBLISHER_DOC
    assert (data["name"], data["url"]) == ("acme", central.url("acme"))
    assert data["description"] == "Acme's research models, trained on public data."
    assert (data["models"], data["collections"]) == (["acme/emb"], ["acme/picks"])


def test_the_api_names_a_publisher_it_lacks(central):
    answer = requests.get(central.url("api/publishers/ghost"), timeout=30)
    assert answer.status_code == 404
    message = answer.json()["error"]
    assert "no publisher ghost" in message and central.url("api/publishers") in message, message


@pytest.mark.parametrize("name", ["..", "%3Cb%3E", ".hidden", "a%5Cb"])
def test_the_api_echoes_no_publisher_name_the_protocol_refuses(central, name):
    """As `/api/models/...` does: such a name is "no publisher at this path", not quoted."""
    connection = http.client.HTTPConnection(central.host, central.port, timeout=30)
    connection.request("GET", f"/api/publishers/{name}")  # As sent: no dot segment removed.
    answer = connection.getresponse()
    assert answer.status == 404
    message = json.loads(answer.read())["error"]
    connection.close()
    assert message.startswith("404 Not Found: no publisher at this path in this hub"), message


def test_mirror_copies_the_source_publishers_doc_into_a_hub_without_one(central, tmp_path):
    """The mirrored hub showed `Models published by acme.` (a starter doc) for the publisher
    whose doc, icon and contact the source hub had."""
    edge = tmp_path / "edge"
    published = mirror.mirror(central.url("acme/emb/1"), edge)
    assert published.wrote_publisher_doc
    assert (edge / "assets/docs/acme/acme.md").read_text(encoding="utf-8") == PUBLISHER_DOC
    assert validator.validate_tree(edge) == []
    # A collection is no part of a model: it is not copied (see docs/hub.md).
    assert not (edge / "assets/docs/acme/collections").exists()


def test_mirror_keeps_the_hubs_own_publisher_doc(central, tmp_path):
    edge = tmp_path / "edge"
    own = "# Publisher acme\nAcme, as our team describes it.\n"
    (edge / "assets/docs/acme").mkdir(parents=True)
    (edge / "assets/docs/acme/acme.md").write_text(own, encoding="utf-8")
    published = mirror.mirror(central.url("acme/emb/1"), edge)
    assert not published.wrote_publisher_doc
    assert (edge / "assets/docs/acme/acme.md").read_text(encoding="utf-8") == own


def test_mirror_as_another_publisher_writes_a_starter_publisher_doc(central, tmp_path):
    """The source's doc of acme describes acme, not the publisher the version is mirrored as."""
    edge = tmp_path / "edge"
    mirror.mirror(central.url("acme/emb/1"), edge, as_handle="team/emb/4")
    written = (edge / "assets/docs/team/team.md").read_text(encoding="utf-8")
    assert written == starter.starter_publisher_doc("team")
    assert not (edge / "assets/docs/acme").exists()


def test_a_source_publisher_doc_with_problems_gives_a_starter_doc(tmp_path, caplog):
    """What a source hub serves is untrusted: a publisher doc that `validate` would refuse is
    not written (publish never leaves a hub that fails validate), and the log says why."""
    handle = parse_handle("acme/emb/1")
    refused = {
        "metadata": PUBLISHER_DOC.replace("\n\n[!", "\n\n<!-- license: mit -->\n\n[!"),
        "another publisher": PUBLISHER_DOC.replace("# Publisher acme", "# Publisher other"),
        "a module": "# Module acme/emb/1\nNot a publisher doc.\n",
        "no first line": "Acme.\n",
    }
    for name, text in refused.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tfhub.hub.publish_doc"):
            written = publish_doc.publisher_doc_text(text, tmp_path, handle)
        assert written == starter.starter_publisher_doc("acme"), name
        assert "publisher acme is not written" in caplog.text, (name, caplog.text)
    assert publish_doc.publisher_doc_text(PUBLISHER_DOC, tmp_path, handle) == PUBLISHER_DOC
    publisher_path = fmt.doc_path(tmp_path, handle, DocKind.PUBLISHER)
    assert not publisher_path.exists()  # Only text: publish stages and renames it.


def _run_stopped_while_waiting(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Runs `tfhub ARGS` while this process holds the publish lock of the model `folder`, sends
    it Ctrl-C (SIGINT) once it waits for that lock (it has the folder open), and returns it."""
    env = {**os.environ, "PYTHONPATH": SRC, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with publish_locks.folder_lock(folder, what="holding the lock for a test"):
        process = subprocess.Popen(
            [sys.executable, "-m", "tfhub", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=ctrl_c_as_in_a_terminal,
        )
        deadline = time.monotonic() + 120
        while not _holds_open(process.pid, folder):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the command never reached the folder's lock"
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _holds_open(pid: int, folder: Path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == os.fspath(folder.resolve()):
                return True
        except OSError:
            continue
    return False


def _files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))


@pytest.mark.slow
def test_a_publish_stopped_by_ctrl_c_says_that_nothing_was_published(text_model, tmp_path):
    """Ctrl-C said only `tfhub: interrupted`: not whether the version, or part of it, was
    published."""
    root = tmp_path / "hub"
    folder = root / "assets/docs/acme/models/emb"
    folder.mkdir(parents=True)
    before = _files(root)
    done = _run_stopped_while_waiting(
        ["publish", str(text_model), str(root), "--handle", "acme/emb/1"], folder
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"tfhub: interrupted. acme/emb/1 was not published: {root} is as it was."
    )
    assert done.stdout == ""
    assert _files(root) == before


@pytest.mark.slow
def test_a_mirror_stopped_by_ctrl_c_names_the_source_not_mirrored(text_model, tmp_path):
    root = tmp_path / "hub"
    folder = root / "assets/docs/acme/models/emb"
    folder.mkdir(parents=True)
    before = _files(root)
    done = _run_stopped_while_waiting(
        ["mirror", str(text_model), str(root), "--as", "acme/emb/1"], folder
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"tfhub: interrupted. {text_model} was not mirrored; {root} holds what was before it."
    )
    assert _files(root) == before


@pytest.mark.parametrize(
    "content", [b"garbage\n", b""], ids=["not a SavedModel", "empty (a copy cut short)"]
)
def test_a_damaged_saved_model_pb_says_to_save_the_model_again(tmp_path, content):
    """It said to leave the file out of the model folder, or to save the model "with other
    file names": saved_model.pb cannot be left out, and its name was not the trouble."""
    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(content)
    with pytest.raises(errors.NotAModelError) as caught:
        publish.publish(model, tmp_path / "hub", "acme/emb/1")
    message = str(caught.value)
    assert "saved_model.pb" in message and "Save the model again" in message, message
    assert "Leave them out" not in message, message
    assert not (tmp_path / "hub/assets/docs/acme").exists()


@pytest.mark.parametrize("asset", ["9.tar.gz", "models/4.tar.gz", "../4.tar.gz"])
def test_a_doc_naming_another_local_archive_is_refused_before_the_model_loads(tmp_path, asset):
    """A --doc whose asset-path named another file was refused only after the model was loaded
    (20 s here), saying to "publish the model (`tfhub publish`)", which was being done."""
    doc = tmp_path / "4.md"
    doc.write_text(
        "# Module acme/emb/4\nEmbeddings.\n\n"
        f"<!-- asset-path: {asset} -->\n<!-- task: text-embedding -->\n"
        "<!-- fine-tunable: true -->\n<!-- format: saved_model_2 -->\n",
        encoding="utf-8",
    )
    no_model = tmp_path / "not_loaded"  # Loading it would fail: the doc is refused first.
    no_model.mkdir()
    with pytest.raises(errors.DocValidationError) as caught:
        publish.publish(no_model, tmp_path / "hub", "acme/emb/4", doc=doc)
    assert caught.value.problems == [
        f"{doc}:4: 'asset-path' must be '4.tar.gz', the archive `tfhub publish` writes beside "
        f"the doc (or a URL of the model). Received: {asset!r}"
    ]
    assert not (tmp_path / "hub").exists()
