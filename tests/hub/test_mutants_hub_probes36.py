"""Rules of the private hub that a hand-made mutant (a flipped comparison, a dropped check)
could change without any test failing: each test here fails under the mutant its docstring
names, and passes on the code as it is."""

from __future__ import annotations

import errno
import json
import logging
import os
import tarfile
import uuid
from pathlib import Path

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import (
    signature_summary_json,
    write_model_doc,
    write_model_folder,
    write_publisher,
    write_signatures,
)

from tfhub import errors
from tfhub.hub import (
    doc_handles,
    leftovers,
    protocol,
    publish,
    publish_locks,
    publish_refusals,
    staging,
    validator,
)
from tfhub.hub.app import TRUSTED_PROXIES, create_app
from tfhub.hub.docs_format import MAX_DESCRIPTION_CHARS
from tfhub.hub.middleware import ForwardedHeaders
from tfhub.hub.request_target import MAX_TARGET_BYTES
from tfhub.hub.settings import ServeSettings

UPSTREAM_TF1 = Path(__file__).parents[1] / "data" / "upstream" / "tf1_text_vocab"

TFJS_DOC = """# Tfjs acme/emb/tfjs/1
The TF.js version of acme/emb.

<!-- asset-path: 1.tar.gz -->
<!-- parent-model: acme/emb/1 -->
"""


def test_split_path_refuses_a_doubled_leading_slash():
    """Mutant: `or raw_path.startswith("//")` dropped; `//` then split as `/` (the index)."""
    assert protocol.split_path("//") is None
    assert protocol.split_path("/") == []


def test_validate_file_refuses_a_doc_that_is_not_a_markdown_file(tmp_path):
    """Mutant: the `.md` check dropped; a Tfjs (Lite, Coral) doc is only required to be under
    `<publisher>/models/`, so `1.txt` passed `validate_file`."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = tmp_path / "assets/docs/acme/models/emb/tfjs/1.txt"
    doc.parent.mkdir(parents=True)
    doc.write_text(TFJS_DOC.replace("1.tar.gz", "https://example.com/emb.tar.gz"))
    problems = validator.validate_file(doc, root=tmp_path)
    assert [(p.line, p.message) for p in problems] == [
        (1, "a documentation file must end with '.md'. Received: 'acme/models/emb/tfjs/1.txt'")
    ]


def test_validate_leaves_the_archive_beside_a_tfjs_doc_to_the_tfjs_format(tmp_path):
    """Mutant: `_model_file_problems` for every kind; the TF.js archive (`model.json`, no
    saved_model.pb) beside a Tfjs doc was then refused as a SavedModel."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    doc = tmp_path / "assets/docs/acme/models/emb/tfjs/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(TFJS_DOC)
    model_json = tmp_path / "model.json"
    model_json.write_text('{"format": "graph-model"}')
    with tarfile.open(doc.with_name("1.tar.gz"), "w:gz") as tar:
        tar.add(model_json, arcname="model.json")
    assert validator.validate_tree(tmp_path) == []


def test_parse_handle_reads_a_handle_with_spaces_and_slashes_around(tmp_path):
    """Mutant: `parse_handle` without `.strip().strip("/")`; `is_handle_shaped` (which
    `tfhub mirror` asks first) accepts `/acme/emb/1/`, which `parse_handle` then refused."""
    for text in (" acme/emb/1\n", "/acme/emb/1/"):
        assert doc_handles.is_handle_shaped(text)
        assert doc_handles.parse_handle(text) == doc_handles.DocHandle("acme", "emb", 1)


def test_validate_names_a_misplaced_publisher_doc_once(tmp_path):
    """Mutant: `_publisher_problems` also for a Publisher doc; a misplaced one was reported
    twice, once as missing (at its own expected path)."""
    doc = tmp_path / "assets/docs/acme/about.md"
    doc.parent.mkdir(parents=True)
    doc.write_text("# Publisher acme\nAcme.\n")
    messages = [p.message for p in validator.validate_tree(tmp_path)]
    assert len(messages) == 1, messages
    assert messages[0].startswith("the Publisher doc of acme must be at assets/docs/acme/acme.md")


def _killed_publish(docs: Path, handle: str, made: list[Path]) -> Path:
    """The staging folder a publish of `handle` killed before its commit leaves, having made
    the folders `made` (outermost first), as `record_made` records them."""
    publisher, model, version = handle.split("/")
    folder = docs / publisher / "models" / model
    folder.mkdir(parents=True, exist_ok=True)
    left = folder / staging.staging_name(version, uuid.uuid4().hex)
    left.mkdir()
    leftovers.record_made(left, made)
    return left


def test_cleaning_a_first_publishs_leftovers_keeps_the_docs_folder(tmp_path):
    """Mutant: `_made_by` without its `docs in path.parents` bound; a first publish into a new
    hub made ROOT/assets/docs too, and its leftovers' cleaning removed that (and ROOT)."""
    root = tmp_path / "hub"
    docs = root / "assets" / "docs"
    model = docs / "acme" / "models" / "emb"
    made = [root, root / "assets", docs, docs / "acme", docs / "acme" / "models", model]
    left = _killed_publish(docs, "acme/emb/1", made)
    assert leftovers.clean_tree(docs) == [left]
    assert docs.is_dir() and not (docs / "acme").exists()


def test_cleaning_leftovers_keeps_a_model_folder_the_dead_publish_did_not_make(tmp_path):
    """Mutant: `record_made` counts `made` even when it does not end with the model folder
    (another publish made that one meanwhile); its cleaning then removed that folder."""
    docs = tmp_path / "hub" / "assets" / "docs"
    models = docs / "acme" / "models"
    left = _killed_publish(docs, "acme/emb/1", [docs / "acme", models])
    assert leftovers.clean_tree(docs) == [left]
    assert (models / "emb").is_dir()


def test_cleaning_leaves_a_hidden_folder_that_only_looks_like_a_staging_folder(tmp_path):
    """Mutant: the leftover pattern takes any hex id, not publish's 32 digits; a hidden
    folder of the user's (`.1.publish-cafe`) was then deleted by `tfhub validate`."""
    docs = tmp_path / "hub" / "assets" / "docs"
    left = _killed_publish(docs, "acme/emb/1", [])
    own = left.with_name(".1.publish-cafe")
    own.mkdir()
    assert leftovers.clean_tree(docs) == [left]
    assert own.is_dir()


def test_validate_refuses_a_tfjs_doc_outside_the_models_folder(tmp_path):
    """Mutant: the `<publisher>/models/` check of Tfjs, Lite and Coral docs dropped."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    doc = tmp_path / "assets/docs/acme/tfjs/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(TFJS_DOC.replace("1.tar.gz", "https://example.com/emb.tar.gz"))
    problems = validator.validate_tree(tmp_path)
    assert [(p.path, p.line, p.message) for p in problems] == [
        (
            "assets/docs/acme/tfjs/1.md",
            1,
            "a Tfjs doc of publisher 'acme' must be under assets/docs/acme/models/. Received: "
            "assets/docs/acme/tfjs/1.md",
        )
    ]


def _get(app, path: str, headers: dict[str, str], client: str = "127.0.0.1") -> int:
    """Sends `GET path` from the address `client` to the ASGI app, as a server would; returns
    the status."""
    return asgi_request(app, "GET", path.encode(), headers=headers, client=client)[0]


def test_every_token_of_the_token_file_is_accepted(tmp_path):
    """Mutant: `_known` with all() for any(); only a file of one token worked."""
    write_publisher(tmp_path / "root", "acme", "Acme")
    tokens = tmp_path / "tokens"
    tokens.write_text("first-token\nsecond-token\n")
    os.chmod(tokens, 0o600)
    settings = ServeSettings(
        root=str(tmp_path / "root"), token_file=str(tokens), access_log=False, rescan_seconds=0
    )
    app = create_app(settings)
    for token in ("first-token", "second-token"):
        assert _get(app, "/acme", {"Authorization": f"Bearer {token}"}, "127.0.0.1") == 200
    assert _get(app, "/acme", {"Authorization": "Bearer third-token"}, "127.0.0.1") == 403


def test_forwarded_headers_are_believed_only_from_a_trusted_proxy(tmp_path, caplog):
    """Mutants: ForwardedHeaders without its trusted-address check (any client could then name
    itself in the access log, and set the scheme of the pages' URLs); the client taken as the
    first address of X-Forwarded-For (which the client writes), or as a trusted proxy."""
    write_publisher(tmp_path, "acme", "Acme")
    app = ForwardedHeaders(
        create_app(ServeSettings(root=str(tmp_path), rescan_seconds=0)), TRUSTED_PROXIES
    )
    requests = [  # X-Forwarded-For, the address it came from.
        ("203.0.113.9", "198.51.100.7"),
        ("203.0.113.9", "127.0.0.1"),
        ("198.51.100.1, 203.0.113.9", "127.0.0.1"),  # The last hop is the proxy's client.
        ("203.0.113.9, 127.0.0.1", "127.0.0.1"),  # A trusted proxy in the chain is skipped.
    ]
    with caplog.at_level(logging.INFO, logger="tfhub.hub.access"):
        for chain, client in requests:
            assert _get(app, "/healthz", {"X-Forwarded-For": chain}, client) == 200
    clients = [record.getMessage().split(" ")[0] for record in caplog.records]
    assert clients == ["198.51.100.7", "203.0.113.9", "203.0.113.9", "203.0.113.9"]


def test_cleaning_a_leftover_with_a_damaged_record_of_made_folders(tmp_path):
    """Mutant: `_made_by` without its whole-number check; a `made.json` whose levels is text
    made `tfhub validate` stop with a TypeError."""
    docs = tmp_path / "hub" / "assets" / "docs"
    left = _killed_publish(docs, "acme/emb/1", [])
    for levels in ("2", 1.5, None):
        left.mkdir(exist_ok=True)
        (left / leftovers.MADE).write_text(json.dumps({"levels": levels}))
        assert leftovers.clean_tree(docs) == [left]
        assert not left.exists() and left.parent.is_dir()


def test_validate_reports_a_missing_format_beside_a_signature_summary(tmp_path):
    """Mutant: the summary check without `doc.first(FORMAT) is None`; a Module doc without
    `format` but with its signature summary made validate raise KeyError."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    doc.write_text(doc.read_text().replace("<!-- format: saved_model_2 -->\n", ""))
    write_signatures(doc, signature_summary_json())
    problems = validator.validate_tree(tmp_path)
    assert [p.message for p in problems] == [
        "Module docs require the metadata ['format'] (as '<!-- key: value -->' lines after the "
        "description)"
    ]


def test_cleaning_unlinks_a_leftover_name_that_is_a_symlink(tmp_path):
    """Mutant: a symlink to a folder taken as a staging folder; it was then kept (rmtree
    refuses links) and its target's journal read."""
    docs = tmp_path / "hub" / "assets" / "docs"
    model = docs / "acme" / "models" / "emb"
    model.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("kept")
    link = model / staging.staging_name("1", uuid.uuid4().hex)
    link.symlink_to(outside, target_is_directory=True)
    assert leftovers.clean_tree(docs) == [link]
    assert not os.path.lexists(link)
    assert (outside / "keep.txt").read_text() == "kept"


def test_unsafe_part_names_an_empty_part():
    """Mutant: `unsafe_part` without `not part`; its docstring promises empty parts too."""
    assert doc_handles.unsafe_part(doc_handles.DocHandle("acme", "a//b", 1)) == ""
    assert doc_handles.unsafe_part(doc_handles.DocHandle("acme", "a/.b", 1)) == ".b"
    assert doc_handles.unsafe_part(doc_handles.DocHandle("acme", "a/b", 1)) is None


LITE_DOC = """# Lite acme/emb/1
The TF Lite version of acme/emb.

<!-- asset-path: https://example.com/emb.tflite -->
<!-- parent-model: acme/emb/1 -->
<!-- module-type: image-classification -->
"""


def test_validate_refuses_module_type_in_a_doc_without_task(tmp_path):
    """Mutant: `module-type` skipped in every doc, not only as the old name of `task` in the
    kinds that take a task; a Lite doc's `module-type` then passed."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    doc = tmp_path / "assets/docs/acme/models/emb/lite/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(LITE_DOC)
    problems = validator.validate_tree(tmp_path)
    assert [(p.line, p.message) for p in problems] == [
        (
            6,
            "unsupported metadata 'module-type' for a Lite doc (allowed: ['asset-path', "
            "'colab', 'interactive-visualizer', 'parent-model'])",
        )
    ]


def test_cleaning_keeps_a_leftover_whose_roll_back_failed(tmp_path):
    """Mutant: the `continue` after a failed roll-back dropped; the staging folder, holding the
    files the publish had moved out of place, was then deleted."""
    docs = tmp_path / "hub" / "assets" / "docs"
    left = _killed_publish(docs, "acme/emb/1", [])
    (left / "1.md").write_text("# Module acme/emb/1\nThe version before.\n")
    journal = {"renames": [["gone/1.md", f"{left.name}/1.md"]]}  # Its folder is missing.
    (left / "journal.json").write_text(json.dumps(journal))
    leftovers.clean_tree(docs)
    assert (left / "1.md").read_text().startswith("# Module acme/emb/1")


def test_a_publishs_own_cleaning_keeps_the_folders_a_dead_publish_made(tmp_path):
    """Mutant: `remove_leftovers` removes the folders a dead publish made even when not asked
    (`remove_made`); a publish about to write into the model folder then lost it."""
    docs = tmp_path / "hub" / "assets" / "docs"
    model = docs / "acme" / "models" / "emb"
    left = _killed_publish(docs, "acme/emb/1", [docs / "acme", docs / "acme" / "models", model])
    with publish_locks.folder_lock(model, what="publishing"):
        assert leftovers.remove_leftovers(model, docs=docs) == [left]
        assert model.is_dir() and not left.exists()


def test_publish_refuses_a_version_that_has_only_its_model_folder(tmp_path):
    """Mutant: `refuse_existing` without the model folder beside the doc; a version whose
    doc was removed by hand was then published over its folder."""
    root = tmp_path / "hub"
    folder = write_model_folder(root / "assets/docs/lab/models/emb/1.md")
    with pytest.raises(errors.VersionExistsError, match="already published"):
        publish.publish(UPSTREAM_TF1, root, "lab/emb/1")
    assert sorted(os.listdir(folder.parent)) == ["1"]


def test_a_base_url_path_is_a_whole_segment_and_leaves_the_path_as_sent(tmp_path):
    """Mutants: PathPrefix taking `/hubble` as `/hub` + `ble` (the publisher `hubble` was then
    unreachable under --base-url .../hub); PathPrefix not removing the prefix from `raw_path`
    too (the 400 page of `/hub/a(b` then named `/hub/a(b`, a path under the prefix twice)."""
    write_publisher(tmp_path, "hubble", "Hubble")
    app = create_app(
        ServeSettings(
            root=str(tmp_path),
            base_url="https://corp.example/hub",
            access_log=False,
            rescan_seconds=0,
        )
    )
    assert _get(app, "/hubble", {}) == 200
    assert _get(app, "/hub/hubble", {}) == 200
    status, body = asgi_request(app, "GET", b"/hub/a(b", headers={"Accept": "text/html"})
    assert status == 400
    assert b"<code>/a(b</code>" in body


def test_a_failed_publish_leaves_its_folders_to_a_publish_holding_their_lock(tmp_path):
    """Mutant: `remove_made_folders` removes the empty model folder without taking its lock;
    a publish holding that lock (about to write into it) then lost its folder."""
    docs = tmp_path / "hub" / "assets" / "docs"
    model = docs / "acme" / "models" / "emb"
    model.mkdir(parents=True)
    made = [docs / "acme", docs / "acme" / "models", model]
    with publish_locks.folder_lock(model, what="publishing"):
        staging.remove_made_folders(made, locked=False)
        assert model.is_dir()
    staging.remove_made_folders(made, locked=False)
    assert not (docs / "acme").exists() and docs.is_dir()


def test_validate_names_a_format_line_of_a_placeholder_once(tmp_path):
    """Mutant: the `format` value checked in every kind; a Placeholder's `format`, already
    refused as a key it may not have, was reported a second time for its value."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = tmp_path / "assets/docs/acme/models/emb/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(
        "# Placeholder acme/emb/1\nComing soon.\n\n<!-- task: text-embedding -->\n"
        "<!-- format: tfjs -->\n"
    )
    problems = validator.validate_tree(tmp_path)
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (5, "unsupported metadata 'format' for a Placeholder doc")
    ]


def test_a_target_of_the_longest_length_is_answered_and_one_byte_more_is_414(tmp_path):
    """Mutant: `length >= MAX_TARGET_BYTES`; a URL of exactly the bound was refused."""
    app = create_app(ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0))
    at_bound = "/" + "a" * (MAX_TARGET_BYTES - 1)
    assert _get(app, at_bound, {}) == 404
    assert _get(app, at_bound + "a", {}) == 414


def test_validate_refuses_a_fine_tunable_written_true(tmp_path):
    """Mutant: `fine-tunable` also taking `True` (tfhub.dev's validator took `true`/`false`)."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", fine_tunable="True")
    problems = validator.validate_tree(tmp_path)
    assert [(p.line, p.message) for p in problems] == [
        (9, "'fine-tunable' must be true or false. Received: 'True'")
    ]


def test_validate_refuses_a_parent_model_with_text_after_the_handle(tmp_path):
    """Mutant: `parent-model` matched as a prefix only; `acme/emb/1 (float)` then passed."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    doc = tmp_path / "assets/docs/acme/models/emb/lite/1.md"
    doc.parent.mkdir(parents=True)
    text = LITE_DOC.replace("<!-- module-type: image-classification -->\n", "")
    doc.write_text(text.replace("acme/emb/1 -->", "acme/emb/1 (float) -->"))
    problems = validator.validate_tree(tmp_path)
    assert [(p.line, p.message) for p in problems] == [
        (
            5,
            "'parent-model' must be a handle publisher/model/version. "
            "Received: 'acme/emb/1 (float)'",
        )
    ]


def test_a_description_of_the_longest_length_passes(tmp_path):
    """Mutant: `len(description) >= MAX_DESCRIPTION_CHARS`; one of exactly the length pages
    show was refused."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", description="d" * MAX_DESCRIPTION_CHARS)
    assert validator.validate_tree(tmp_path) == []
    write_model_doc(tmp_path, "acme/emb/1", description="d" * (MAX_DESCRIPTION_CHARS + 1))
    assert [p.line for p in validator.validate_tree(tmp_path)] == [2]


def test_a_read_only_hub_folder_is_said_so_even_without_a_path_in_the_error(tmp_path):
    """Mutant: EROFS counted only with a path in the hub folder; a read-only file system's
    error without a file name was then raised as it came, without the hub folder's remedy."""
    err = OSError(errno.EROFS, os.strerror(errno.EROFS))
    handle = doc_handles.DocHandle("acme", "emb", 1)
    failure = publish_refusals.write_failure(err, handle, tmp_path, tmp_path / "x", "publish")
    assert isinstance(failure, errors.PublishWriteError)
    assert "cannot be written (Read-only file system)" in str(failure)
