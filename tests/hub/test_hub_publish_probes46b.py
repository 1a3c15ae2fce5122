"""`tfhub publish` and `mirror` arguments as review46b left them (session 46): a doc pipe that
stalls or a terminal as the doc, a case twin that holds no model, mirror's case-twin advice,
and `mirror --from-docs` of a doc whose asset-path is too long to serve."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import write_model_doc, write_publisher
from tests._helpers.threads import outcome_in_thread

from tfhub import errors
from tfhub.hub import doc_handles, mirror, publish_doc, publish_locks, publish_refusals, staging
from tfhub.hub.doc_rules import MAX_VALUE_CHARS

# --- L1: read_doc is bounded as a whole -----------------------------------------------------


def _read_in_thread(path: Path, unblock: Callable[[], object]) -> BaseException | str:
    """read_doc(path) in a thread; if it is still reading after 20 s, `unblock()` releases it
    and the test fails (it hung)."""
    found = outcome_in_thread(
        lambda: publish_doc.read_doc(path), unblock, wait=20, what=f"read_doc({path})"
    )
    assert isinstance(found, (BaseException, str))
    return found


def _assert_refused_in_time(pipe: Path, write: Any, release: threading.Event) -> None:
    """Runs `write` (a writer into the named pipe `pipe` that `release` ends) beside read_doc,
    which must refuse the doc as not finished within the deadline the test set (0.3 s)."""
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        err = _read_in_thread(pipe, release.set)
    finally:
        release.set()
        writer.join(timeout=10)
    assert isinstance(err, errors.DocFormatError), err
    assert "did not finish the doc" in str(err) and "within 0.3 s" in str(err), err


def test_a_pipe_whose_writer_stalls_after_the_first_byte_is_refused_in_time(tmp_path, monkeypatch):
    """The 60 s bound covered the first byte only: a writer that sent `#` and stalled kept
    publish waiting until it closed."""
    monkeypatch.setattr(publish_doc, "FIFO_WRITER_WAIT", 0.3)
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    release = threading.Event()

    def write() -> None:
        with open(pipe, "wb", buffering=0) as sink:
            sink.write(b"#")
            release.wait(60)
            with contextlib.suppress(BrokenPipeError):  # The reader gave up: as it should.
                sink.write(b" Module acme/emb/1\n")

    _assert_refused_in_time(pipe, write, release)


def test_a_pipe_that_trickles_forever_is_refused_by_one_deadline_for_the_whole_doc(
    tmp_path, monkeypatch
):
    """A bound per wait would never fire for a writer that sends a byte every 0.05 s: the bound
    is one deadline for the whole doc."""
    monkeypatch.setattr(publish_doc, "FIFO_WRITER_WAIT", 0.3)
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    release = threading.Event()

    def write() -> None:
        with open(pipe, "wb", buffering=0) as sink, contextlib.suppress(BrokenPipeError):
            while not release.wait(0.05):  # The pace of a slow writer, not synchronisation.
                sink.write(b"#")

    _assert_refused_in_time(pipe, write, release)


def test_a_pipe_written_in_two_parts_within_the_bound_is_read_whole(tmp_path):
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    text = "# Module acme/emb/1\nTwo parts \u2713.\n"

    def write() -> None:
        with open(pipe, "wb", buffering=0) as sink:
            sink.write(text[:5].encode())
            sink.write(text[5:].encode())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert publish_doc.read_doc(pipe) == text
    writer.join(timeout=10)


def test_a_terminal_as_the_doc_is_refused_at_once_saying_to_pipe_it(tmp_path):
    """`--doc /dev/stdin` from a terminal (a pty here) waited without limit for an end of file
    the user does not know to type."""
    master, slave = os.openpty()
    try:
        tty = Path(os.ttyname(slave))
        err = _read_in_thread(tty, lambda: os.write(master, b"\n\x04"))
    finally:
        os.close(slave)
        os.close(master)
    assert isinstance(err, errors.DocFormatError), err
    assert "is a terminal" in str(err) and "--doc /dev/stdin < 1.md" in str(err), err


def test_a_missing_doc_with_a_non_utf8_name_says_no_such_file(tmp_path):
    """It said "Cannot read the doc ... as UTF-8 text: [Errno 2] ..."."""
    doc = tmp_path / os.fsdecode(b"missing\xfe.md")
    with pytest.raises(errors.DocFormatError) as caught:
        publish_doc.read_doc(doc)
    assert str(caught.value).startswith(f"Cannot read the doc {doc}: no such file;")
    assert "UTF-8" not in str(caught.value) and "Errno" not in str(caught.value)
    assert isinstance(caught.value.__cause__, FileNotFoundError)


# --- L2: a case twin holds a model ------------------------------------------------------------


def _models(root: Path) -> Path:
    write_publisher(root, "acme", "Acme")
    folder = root / "assets" / "docs" / "acme" / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize(
    "leftover", ["Emb", "Emb/tfjs", "Emb/notes.txt"], ids=["empty", "empty-below", "no-model"]
)
def test_a_twin_folder_without_a_model_is_no_twin(tmp_path, leftover):
    """An empty `models/Emb` (or one of other files) made publish of acme/emb/1 refuse "which
    the hub has", while validate passed and the server showed nothing."""
    models = _models(tmp_path)
    (models / "Emb").mkdir()
    if leftover.endswith(".txt"):
        (models / leftover).write_text("notes")
    else:
        (models / leftover).mkdir(exist_ok=True)
    publish_refusals.refuse_case_twin(tmp_path, doc_handles.parse_handle("acme/emb/1"))


def test_a_non_model_folder_beside_a_version_is_no_twin_of_a_deeper_model(tmp_path):
    """review46b's `emb/tfjs` beside emb's versions: acme/emb/TFJS/1 was refused."""
    write_model_doc(tmp_path, "acme/emb/1")
    (tmp_path / "assets" / "docs" / "acme" / "models" / "emb" / "tfjs").mkdir()
    publish_refusals.refuse_case_twin(tmp_path, doc_handles.parse_handle("acme/emb/TFJS/1"))


@pytest.mark.parametrize(
    "held", ["doc", "deeper-doc", "archive", "model-folder", "staging", "locked"]
)
def test_a_twin_that_holds_a_model_or_a_publish_is_refused(tmp_path, held):
    """A doc, a version's archive, a staging folder or the lock of a publish in progress (the
    re-check under the lock: of two twins published at once one at most is published)."""
    models = _models(tmp_path)
    twin = models / "Emb"
    twin.mkdir()
    with contextlib.ExitStack() as stack:
        if held == "doc":
            (twin / "1.md").write_text("# Module acme/Emb/1\n")
        elif held == "deeper-doc":
            (twin / "large").mkdir()
            (twin / "large" / "1.md").write_text("# Module acme/Emb/large/1\n")
        elif held == "archive":
            (twin / "1.tar.gz").write_bytes(b"")
        elif held == "model-folder":
            (twin / "1").mkdir()
            (twin / "1" / "saved_model.pb").write_bytes(b"")
        elif held == "staging":
            (twin / staging.staging_name("1", "0" * 32)).mkdir()
        else:
            stack.enter_context(publish_locks.folder_lock(twin, what="a test's publish"))
        with pytest.raises(errors.PublishTargetError, match="differs only by case"):
            publish_refusals.refuse_case_twin(tmp_path, doc_handles.parse_handle("acme/emb/1"))


def test_mirror_refuses_a_twin_with_its_own_option(tmp_path, capsys):
    """The advice said "Publish as acme/emb/1", not mirror's --as."""
    write_model_doc(tmp_path / "hub", "acme/emb/1")
    write_publisher(tmp_path / "hub", "acme", "Acme")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "saved_model.pb").write_bytes(b"\x08\x01\x12\x00")
    code, _, err = run_tfhub(
        capsys, "mirror", "--as", "acme/Emb/1", str(tmp_path / "src"), str(tmp_path / "hub")
    )
    assert code == 1, err
    assert "differs only by case" in err and "--as acme/emb/1" in err, err
    assert "Publish as" not in err, err


# --- L3: mirror --from-docs and a long asset-path ---------------------------------------------


def test_from_docs_reports_an_asset_path_too_long_to_serve(tmp_path, capsys):
    """It was left out silently (exit 0): list_docs drops values the server does not serve."""
    url = "https://127.0.0.1:9/emb.tar.gz?sig=" + "a" * MAX_VALUE_CHARS
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", asset=url)
    report = mirror.mirror_doc_assets(tmp_path)
    assert report.mirrored == []
    ((handle, why),) = report.failed
    assert handle == "acme/emb/1"
    assert "asset-path is 1,035 characters long, more than the 1,000" in why, why
    assert why.startswith("assets/docs/acme/models/emb/1.md:"), why
    code, _, _ = run_tfhub(capsys, "mirror", "--from-docs", str(tmp_path))
    assert code == 1


def test_an_empty_folder_of_the_handle_s_own_spelling_is_not_a_second_spelling(tmp_path):
    """An empty leftover `models/emb` beside `models/Emb` (which holds a model): the advice is
    the hub's spelling, not "the hub has both spellings already"."""
    models = _models(tmp_path)
    (models / "emb").mkdir()
    write_model_doc(tmp_path, "acme/Emb/1")
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_refusals.refuse_case_twin(tmp_path, doc_handles.parse_handle("acme/emb/2"))
    assert "Publish as acme/Emb/2" in str(caught.value), caught.value
    assert "both spellings" not in str(caught.value)


def test_from_docs_refuses_a_twin_before_downloading_with_mirror_s_advice(tmp_path):
    """Docs of acme/emb and acme/Emb (made by hand): neither is downloaded (the URL refuses
    connections), each failure says to rename one, then mirror again."""
    write_publisher(tmp_path, "acme", "Acme")
    for handle in ("acme/emb/1", "acme/Emb/2"):
        write_model_doc(tmp_path, handle, asset="https://127.0.0.1:9/model.tar.gz")
    report = mirror.mirror_doc_assets(tmp_path)
    assert report.mirrored == []
    assert [handle for handle, _ in report.failed] == ["acme/Emb/2", "acme/emb/1"]
    for _, why in report.failed:
        assert "differs only by case" in why and "then mirror again" in why, why
