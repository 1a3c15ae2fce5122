"""`tfhub publish` handled as a clumsy user would (session 46): model names that differ only by
case, metadata values too long to serve in a hand-written hub, and odd arguments (a folder, a
named pipe or a device as the doc, a socket in the model folder, two publishes at once)."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import requests
from tests._helpers import models
from tests._helpers.archives import write_tree
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher
from tests._helpers.python_process import run_python, start_python
from tests._helpers.warm_python import run_warm_python

from tfhub import errors
from tfhub.hub import docs_format, publish, publish_doc, validator
from tfhub.hub.doc_rules import MAX_VALUE_CHARS


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 text embedding, built once (only the tests marked `tf` use it)."""
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("probes46") / "model")))


def _files(root: Path) -> list[str]:
    """Every file below root, hidden ones too."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _hub(root: Path, *handles: str) -> Path:
    """A hand-written hub folder with a publisher doc and a Module doc of each handle (its
    model files at a URL)."""
    for handle in handles:
        write_publisher(root, handle.split("/")[0], "Acme")
        write_model_doc(root, handle)
    return root


# --- Names that differ only by case ------------------------------------------------------------


@pytest.mark.parametrize(
    ("handle", "have", "meant"),
    [
        ("acme/Emb/2", "acme/emb", "acme/emb/2"),
        ("acme/EMB/1", "acme/emb", "acme/emb/1"),
        ("acme/Text/x/3", "acme/text", "acme/text/x/3"),
    ],
)
def test_a_model_name_differing_only_by_case_is_refused(tmp_path, capsys, handle, have, meant):
    """On a case-insensitive file system `acme/Emb` and `acme/emb` are one folder, and the
    catalog would list them side by side: publish refuses the new spelling before it reads
    the model (MODEL_DIR does not even exist here), naming the hub's and what to publish."""
    root = _hub(tmp_path / "hub", "acme/emb/1", "acme/text/x/1")
    before = _files(root)
    code, out, err = run_tfhub(
        capsys, "publish", str(tmp_path / "nowhere"), str(root), "--handle", handle
    )
    assert (code, out) == (1, "")
    assert f"{handle!r} differs only by case from {have}, which the hub has" in err
    assert f"Publish as {meant}" in err and "--force does not change this" in err
    assert _files(root) == before


def test_an_upper_case_publisher_is_refused_as_a_handle(tmp_path, capsys):
    """`ACME/emb` beside `acme/emb`: publishers are lower-case (as tfhub.dev's were), so the
    handle itself is refused (exit 2) before anything is read or written."""
    root = _hub(tmp_path / "hub", "acme/emb/1")
    before = _files(root)
    code, _, err = run_tfhub(capsys, "publish", str(tmp_path), str(root), "--handle", "ACME/emb/2")
    assert code == 2 and "publisher: a-z" in err
    assert _files(root) == before


@pytest.mark.tf
def test_force_replaces_the_same_handle_but_not_its_case_twin(text_model, tmp_path):
    root = tmp_path / "hub"
    publish.publish(text_model, root, "acme/emb/1")
    replaced = publish.publish(text_model, root, "acme/emb/1", force=True)
    assert replaced.doc.is_file()
    with pytest.raises(errors.PublishTargetError, match="differs only by case") as caught:
        publish.publish(text_model, root, "acme/Emb/1", force=True)
    assert caught.value.path == os.fspath(root / "assets/docs/acme/models/emb")
    assert not (root / "assets/docs/acme/models/Emb").exists()
    assert validator.validate_tree(root) == []


# A `tfhub publish` child that says once, on stdout, when it first finds its model folder
# locked by another publish (the test holds that lock).
SAYS_WHEN_WAITING = """
import sys
from tfhub.hub import publish_locks
real_try_lock, said = publish_locks.try_lock, []
def try_lock(fd):
    locked = real_try_lock(fd)
    if not locked and not said:
        said.append(print("waiting for the lock", flush=True))
    return locked
publish_locks.try_lock = try_lock
from tfhub.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_twin_published_while_waiting_for_the_lock_is_refused(tmp_path):
    """Publishes of `acme/emb` and `acme/Emb` lock different folders, so both could pass the
    check made before the lock: `publish` checks again once it holds its folder's lock, and
    refuses if the twin appeared meanwhile (here while the test held `emb/`'s lock, as a
    publish of acme/emb/2 would); it never reads the model (MODEL_DIR is missing)."""
    root = _hub(tmp_path / "hub", "acme/other/1")
    folder = root / "assets/docs/acme/models/emb"
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        argv = ["publish", str(tmp_path / "nowhere"), str(root), "--handle", "acme/emb/1"]
        child = start_python(SAYS_WHEN_WAITING, *argv)
        assert child.stdout.readline() == "waiting for the lock\n"
        write_model_doc(root, "acme/Emb/1")  # Published meanwhile.
    finally:
        os.close(fd)  # Lets the lock go.
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1, err
    assert "differs only by case from acme/Emb, which the hub has" in err
    assert "The hub has both spellings already: rename one" in err
    assert list(folder.iterdir()) == []


def test_validate_reports_folders_that_differ_only_by_case(tmp_path):
    root = _hub(tmp_path / "hub", "acme/emb/1", "acme/Emb/2", "acme/other/1")
    problems = validator.validate_tree(root)
    assert [(p.path, p.line) for p in problems] == [("assets/docs/acme/models/emb/1.md", 1)]
    assert "acme/models/emb/ differs only by case from acme/models/Emb/" in problems[0].message
    assert "Module acme/Emb/2, assets/docs/acme/models/Emb/2.md" in problems[0].message


# --- Metadata values too long to serve -------------------------------------------------------


def test_a_value_too_long_is_left_out_of_pages_and_api_with_one_warning(tmp_path):
    """A hand-written doc never validated: its 1,500-character `dataset` would be shown whole
    on every index page (each filter lists every value) and in the API; the server leaves
    that value out, keeps the others, and says so once, naming the doc, its line and key."""
    long_value = "wiki" + "x" * (MAX_VALUE_CHARS + 496)
    root = _hub(tmp_path / "hub", "acme/emb/1")
    doc = root / "assets/docs/acme/models/emb/1.md"
    text = doc.read_text().replace(
        "<!-- dataset: synthetic -->",
        f"<!-- dataset: synthetic -->\n<!-- dataset: {long_value} -->",
    )
    doc.write_text(text)
    line = text.split("\n").index(f"<!-- dataset: {long_value} -->") + 1
    assert [p.line for p in validator.validate_tree(root)] == [line]  # Reported there.
    log = tmp_path / "serve.log"
    with serve_hub(root, log, "--rescan", "0") as server:
        answers = {
            path: requests.get(server.url(path), timeout=30)
            for path in ("", "acme/emb", "acme", "api/models/acme/emb", "api/models", "api/facets")
        }
    model = answers["api/models/acme/emb"].json()
    assert long_value in model["versions"][0].pop("doc_markdown")  # The doc as published.
    assert model["versions"][0]["metadata"]["dataset"] == ["synthetic"]
    assert "xxxxxxxxxx" not in json.dumps(model)
    for path, answer in answers.items():
        assert answer.status_code == 200, path
        assert "xxxxxxxxxx" not in answer.text or path == "api/models/acme/emb", path
    assert "synthetic" in answers["acme/emb"].text
    warnings = [row for row in log.read_text().splitlines() if "leaving out the metadata" in row]
    assert len(warnings) == 1, warnings
    assert (
        f"assets/docs/acme/models/emb/1.md:{line}: leaving out the metadata 'dataset'"
        in (warnings[0])
    )


def test_the_scan_keeps_a_value_of_the_longest_length_and_leaves_out_one_more(tmp_path, caplog):
    root = _hub(tmp_path / "hub", "acme/emb/1")
    doc = root / "assets/docs/acme/models/emb/1.md"
    longest, longer = "a" * MAX_VALUE_CHARS, "b" * (MAX_VALUE_CHARS + 1)
    doc.write_text(
        doc.read_text().replace(
            "<!-- dataset: synthetic -->",
            f"<!-- dataset: {longest} -->\n<!-- dataset: {longer} -->",
        )
    )
    caplog.set_level(logging.WARNING, logger="tfhub.hub.docs_format")
    (listed,) = [d for d in docs_format.list_docs(root) if d.kind is docs_format.DocKind.MODULE]
    assert listed.values("dataset") == [longest]
    assert [r.getMessage()[:60] for r in caplog.records] == [
        "assets/docs/acme/models/emb/1.md:8: leaving out the metadata"
    ]
    assert docs_format.parse_doc(doc, root=root).values("dataset") == [longest, longer]


# --- Odd arguments -----------------------------------------------------------------------------


def test_a_folder_as_the_doc_says_to_give_its_file(tmp_path, capsys):
    root = tmp_path / "hub"
    (tmp_path / "docs").mkdir()
    code, _, err = run_tfhub(
        capsys,
        "publish",
        str(tmp_path),
        str(root),
        "--handle",
        "acme/emb/1",
        "--doc",
        str(tmp_path / "docs"),
    )
    assert code == 1
    assert "The doc" in err and "is a folder: give the doc's Markdown file" in err
    assert not root.exists()


def test_a_named_pipe_nobody_writes_into_is_an_error_not_a_hang(tmp_path, monkeypatch):
    """`--doc PIPE` with no process writing: publish waited forever in open(); now it waits
    FIFO_WRITER_WAIT s for a writer (as pack waits for a reader), then says so."""
    monkeypatch.setattr(publish_doc, "FIFO_WRITER_WAIT", 0.2)
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    result: list[BaseException] = []

    def run() -> None:
        try:
            publish.publish(tmp_path / "nowhere", tmp_path / "hub", "acme/emb/1", doc=pipe)
        except BaseException as err:  # The test reads it below.
            result.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    if thread.is_alive():  # Blocked in open(): release it, then fail.
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(timeout=20)
        pytest.fail("publish --doc PIPE hung waiting for a writer")
    (err,) = result
    assert isinstance(err, errors.DocFormatError), err
    assert "is a named pipe no process wrote into within 0.2 s" in str(err)
    assert not (tmp_path / "hub").exists()


def test_a_pipe_written_into_is_read_as_the_doc(tmp_path):
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    text = "# Module acme/emb/1\nA doc from a pipe \u2713.\n"

    def write() -> None:
        with open(pipe, "wb") as sink:
            sink.write(text.encode())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert publish_doc.read_doc(pipe) == text
    writer.join(timeout=10)


def test_a_device_that_never_ends_is_refused_not_read_into_memory():
    """`--doc /dev/zero` was read until memory ran out; run in a child with 1 GiB of address
    space, so that without the bound it fails fast instead of filling the machine."""
    code = """
        from tfhub import errors
        from tfhub.hub import publish_doc
        try:
            publish_doc.read_doc("/dev/zero")
        except errors.DocFormatError as err:
            print(err)
    """
    child = run_python(code, check=False, max_memory=1 << 30, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    assert "The doc /dev/zero is larger than 64 MiB" in child.stdout


def test_a_socket_in_the_model_folder_is_refused_before_loading(tmp_path, capsys):
    """docs/hub.md: a special file inside the model folder is refused before the model is
    loaded (the folder's saved_model.pb is no model at all: loading would say so instead)."""
    model = Path(write_tree(tmp_path / "model", {"saved_model.pb": b"not loaded"}))
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(os.fspath(model / "control.sock"))
        root = tmp_path / "hub"
        code, _, err = run_tfhub(capsys, "publish", str(model), str(root), "--handle", "acme/emb/1")
    finally:
        listener.close()
    assert code == 1 and "control.sock is a socket" in err
    assert not root.exists()


@pytest.mark.parametrize("linked", ["acme/models/out", "zed"])
def test_a_symlinked_folder_in_the_hub_is_refused_not_written_through(tmp_path, capsys, linked):
    """A model or publisher folder of the hub that is a symlink (here to a folder outside
    ROOT): serve and validate never look below it (docs/hub.md: a file whose real path leaves
    ROOT is not served), so publish wrote the version there, said it was published, and no
    one could download it. It is refused before the model is read (MODEL_DIR is missing)."""
    root = _hub(tmp_path / "hub", "acme/emb/1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "assets/docs" / linked).symlink_to(elsewhere, target_is_directory=True)
    handle = "acme/out/1" if linked.startswith("acme") else "zed/m/1"
    argv = ["publish", str(tmp_path / "nowhere"), str(root), "--handle", handle]
    code, out, err = run_tfhub(capsys, *argv)
    assert (code, out) == (1, "")
    assert f"Cannot publish {handle} into {root / 'assets/docs' / linked}: it is a symlink" in err
    assert list(elsewhere.iterdir()) == []


@pytest.mark.tf
def test_two_processes_publishing_one_version_at_once(text_model, tmp_path):
    """Two real `tfhub publish` processes of one version: they take turns, one publishes, the
    other says the version exists, and the hub holds one version, whole, with no leftovers.
    Both run at once, each forked from the worker's warm server (TensorFlow imported once)."""
    root = tmp_path / "hub"
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    argv = ["publish", str(text_model), str(root), "--handle", "acme/emb/1"]
    done: dict[int, subprocess.CompletedProcess[str]] = {}

    def publish(n: int) -> None:
        done[n] = run_warm_python(code, *argv, "--description", f"Publish {n}.", check=False)

    children = [threading.Thread(target=publish, args=(n,)) for n in (1, 2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=300)
    results = [(done[n].returncode, done[n].stdout, done[n].stderr) for n in (1, 2)]
    assert sorted(code for code, _, _ in results) == [0, 1], results
    loser = next(err for code, _, err in results if code == 1)
    assert "acme/emb/1 is already published" in loser
    assert _files(root) == [
        "assets/docs/acme/acme.md",
        "assets/docs/acme/models/emb/1.md",
        "assets/docs/acme/models/emb/1.signatures.json",
        "assets/docs/acme/models/emb/1.tar.gz",
    ]
    winner = next(n for n, (code, _, _) in enumerate(results, 1) if code == 0)
    assert f"Publish {winner}." in (root / "assets/docs/acme/models/emb/1.md").read_text()
    assert validator.validate_tree(root) == []
