"""tfhub.dev's publishing format: parsing docs of every kind, handles, the ROOT layout (no TF)."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.hub import doc_handles, docs_layout, signatures
from tfhub.hub import docs_format as fmt
from tfhub.hub.docs_format import DocKind

DATA = Path(__file__).parent.parent / "data" / "hub_docs"
VALID = DATA / "valid"


def test_every_kind_of_example_doc_parses_with_its_handle():
    docs = {doc.rel_path: doc for doc in fmt.list_docs(VALID)}
    expected = {
        "example/example.md": (DocKind.PUBLISHER, "example"),
        "example/models/text-embedding/1.md": (DocKind.MODULE, "example/text-embedding/1"),
        "example/models/imagenet/mobilenet/feature_vector/2.md": (
            DocKind.MODULE,
            "example/imagenet/mobilenet/feature_vector/2",
        ),
        "example/models/future-model/1.md": (DocKind.PLACEHOLDER, "example/future-model/1"),
        "example/models/text-embedding/lite/1.md": (DocKind.LITE, "example/text-embedding/1"),
        "example/models/text-embedding/1/default/tfjs/1.md": (
            DocKind.TFJS,
            "example/text-embedding/1/default/1",
        ),
        "example/models/mobilenet-quantized/coral/1.md": (
            DocKind.CORAL,
            "example/mobilenet-quantized/1",
        ),
        "example/collections/text-embeddings/1.md": (
            DocKind.COLLECTION,
            "example/text-embeddings/1",
        ),
    }
    assert {rel: (doc.kind, str(doc.handle)) for rel, doc in docs.items()} == expected
    assert all(doc.problems == () for doc in docs.values())


def test_module_doc_metadata_keeps_values_in_order_with_lines():
    doc = fmt.parse_doc(
        VALID / docs_layout.DOCS_DIR / "example/models/text-embedding/1.md", root=VALID
    )
    assert doc.handle == doc_handles.DocHandle("example", "text-embedding", 1)
    assert doc.description == "Token based text embedding trained on English Wikipedia."
    assert doc.metadata["network-architecture"] == [
        fmt.MetadataValue("skip-gram", 6),
        fmt.MetadataValue("word2vec", 7),
    ]
    assert doc.values("task") == ["text-embedding"]
    assert doc.first("format") == "saved_model_2"
    assert doc.first("missing") is None
    assert doc.body.startswith("## Overview\n\nMaps from text")
    assert doc.body_line == 15
    assert doc.display_path == "assets/docs/example/models/text-embedding/1.md"


def test_description_may_follow_an_empty_line_and_span_lines(tmp_path):
    doc = fmt.parse_text(
        "# Module a/b/3\n\nFirst line\nsecond line.\n<!-- task: text-x -->\n",
        path=tmp_path / "3.md",
        rel_path="a/models/b/3.md",
    )
    assert doc.description == "First line second line."
    assert doc.entries == (("task", fmt.MetadataValue("text-x", 5)),)
    assert doc.body == "" and doc.body_line == 0


def test_publisher_icon_line_and_zwnj_and_crlf_are_accepted(tmp_path):
    text = "# Publisher&zwnj; acme\r\nAcme.\r\n\r\n[![Icon URL]](https://x/i.png)\r\n# About\r\n"
    doc = fmt.parse_text(text, path=tmp_path / "acme.md", rel_path="acme/acme.md")
    assert (doc.kind, doc.handle, doc.problems) == (
        DocKind.PUBLISHER,
        doc_handles.DocHandle("acme"),
        (),
    )
    assert doc.body == "# About"


def test_unexpected_line_is_a_problem_and_the_body_starts_there(tmp_path):
    text = "# Placeholder a/b/1\nDesc.\n\n<!-- task: text-x -->\nstray text\n## H\n"
    doc = fmt.parse_text(text, path=tmp_path / "1.md", rel_path="a/models/b/1.md")
    (problem,) = doc.problems
    assert (problem.path, problem.line) == ("a/models/b/1.md", 5)
    assert "unexpected line" in problem.message and "'stray text'" in problem.message
    assert doc.body_line == 5 and doc.body.startswith("stray text")


def test_first_line_without_a_kind_raises_with_file_and_line(tmp_path):
    bad = tmp_path / "1.md"
    bad.write_text("# Model a/b/1\nx\n")
    with pytest.raises(errors.DocFormatError) as caught:
        fmt.parse_doc(bad)
    assert caught.value.line == 1 and caught.value.path == str(bad)
    assert "Received: '# Model a/b/1'" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    again = pickle.loads(pickle.dumps(caught.value))
    assert (type(again), again.path, again.line, str(again)) == (
        errors.DocFormatError,
        str(bad),
        1,
        str(caught.value),
    )


def test_a_version_too_long_for_int_is_a_doc_format_error_naming_file_and_line(tmp_path):
    """More than 4,300 digits made int() raise a bare ValueError that stopped serve and validate."""
    digits = "1" * 5000
    bad = tmp_path / "1.md"
    bad.write_text(f"# Module acme/model/{digits}\nToo long.\n")
    with pytest.raises(errors.DocFormatError) as caught:
        fmt.parse_doc(bad)
    assert caught.value.line == 1 and caught.value.path == str(bad)
    assert str(caught.value).startswith(f"{bad}:1: the handle on the first line is refused")
    assert "at most 18 digits" in str(caught.value) and digits not in str(caught.value)
    for handle in (
        f"acme/model/{digits}",
        f"acme/model/{'9' * (doc_handles.MAX_VERSION_DIGITS + 1)}",
    ):
        with pytest.raises(errors.InvalidHandleError, match="at most 18 digits"):
            doc_handles.parse_handle(handle)
    assert (
        doc_handles.parse_handle(f"acme/model/{'9' * doc_handles.MAX_VERSION_DIGITS}").version
        == 10**18 - 1
    )


def test_handles_parse_with_slashes_and_reject_bad_forms():
    handle = doc_handles.parse_handle("google/imagenet/mobilenet_v2_100_224/feature_vector/5")
    assert handle == doc_handles.DocHandle(
        "google", "imagenet/mobilenet_v2_100_224/feature_vector", 5
    )
    assert str(handle) == "google/imagenet/mobilenet_v2_100_224/feature_vector/5"
    assert handle.model_handle == "google/imagenet/mobilenet_v2_100_224/feature_vector"
    for bad in ("Google/x/1", "google/x", "google/x/v1", "google//1", "google/x y/1"):
        with pytest.raises(errors.InvalidHandleError, match="publisher/model/version"):
            doc_handles.parse_handle(bad)


def test_layout_contract_paths(tmp_path):
    handle = doc_handles.parse_handle("google/imagenet/mobilenet_v2_100_224/feature_vector/5")
    doc = fmt.doc_path(tmp_path, handle)
    base = tmp_path / "assets/docs/google/models/imagenet/mobilenet_v2_100_224/feature_vector"
    assert doc == base / "5.md"
    assert docs_layout.archive_path(doc) == base / "5.tar.gz"
    assert docs_layout.model_dir_path(doc) == base / "5"
    assert docs_layout.signatures_path(doc) == base / "5.signatures.json"
    assert fmt.doc_path(tmp_path, handle, DocKind.PUBLISHER) == (
        tmp_path / "assets/docs/google/google.md"
    )
    assert fmt.doc_path(tmp_path, doc_handles.parse_handle("google/c/2"), DocKind.COLLECTION) == (
        tmp_path / "assets/docs/google/collections/c/2.md"
    )
    with pytest.raises(ValueError, match="no fixed path"):
        fmt.doc_path(tmp_path, handle, DocKind.LITE)


def test_listing_skips_model_folders_hidden_files_and_unparseable_docs(tmp_path, caplog):
    shutil.copytree(VALID, tmp_path / "root")
    models = tmp_path / "root/assets/docs/example/models/text-embedding"
    (models / "2/assets").mkdir(parents=True)
    (models / "2/saved_model.pb").write_bytes(b"")
    (models / "2/assets/README.md").write_text("# Module example/text-embedding/9\nx\n")
    (models / ".draft.md").write_text("# Module example/text-embedding/8\nx\n")
    (models / "notes.md").write_text("just notes\n")
    rel = [doc.rel_path for doc in fmt.list_docs(tmp_path / "root")]
    assert len(rel) == 8 and not any("/2/" in r or "draft" in r or "notes" in r for r in rel)
    assert "notes.md:1: the first line must be" in caplog.text
    files = docs_layout.find_doc_files(tmp_path / "root")
    assert models / "notes.md" in files and models / "2/assets/README.md" not in files
    assert docs_layout.find_doc_files(tmp_path / "absent") == []


def test_signature_summary_round_trips_without_tensorflow(tmp_path):
    summary = signatures.SignatureSummary(
        format="TF2 SavedModel",
        doc_format="saved_model_2",
        files_bytes=10,
        variable_count=2,
        variable_bytes=24,
        meta_graphs=(
            signatures.MetaGraphInfo(
                ("serve",),
                (
                    signatures.SignatureInfo(
                        "serving_default",
                        (signatures.TensorInfo("x", "float32", (None, 3)),),
                        (signatures.TensorInfo("y", "float32", None),),
                    ),
                ),
            ),
        ),
        call=signatures.CallInfo(((signatures.TensorInfo("", "string", (None,)),),), True),
    )
    path = tmp_path / "1.signatures.json"
    signatures.write_summary(summary, path)
    assert signatures.read_summary(path) == summary
    assert '"shape": null' in path.read_text() and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('"files_bytes": Infinity', "OverflowError"),
        ('"files_bytes": 1e999', "OverflowError"),
        ('"files_bytes": ' + "9" * 5000, "ValueError"),
        ('"files_bytes": ' + "[" * 100_000, "RecursionError"),
    ],
    ids=["infinity", "1e999", "5000-digits", "nested"],
)
def test_a_signature_summary_with_odd_numbers_is_unreadable_not_a_crash(tmp_path, text, error):
    """`int(Infinity)` raised OverflowError, and deep nesting RecursionError, past the except
    of read_summary: `tfhub serve` did not start and `tfhub validate` stopped."""
    from tests._helpers.hub_server import signature_summary_json

    path = tmp_path / "1.signatures.json"
    valid = json.dumps(signature_summary_json())
    assert '"files_bytes": 1234' in valid
    path.write_text(valid.replace('"files_bytes": 1234', text))
    with pytest.raises(errors.SignatureSummaryError, match=error):
        signatures.read_summary(path)


def test_unreadable_signature_summary_says_what_to_do(tmp_path):
    path = tmp_path / "1.signatures.json"
    path.write_text('{"schema": 99}')
    with pytest.raises(errors.SignatureSummaryError, match="unknown schema 99") as caught:
        signatures.read_summary(path)
    again = pickle.loads(pickle.dumps(caught.value))
    assert again.path == str(path) and isinstance(again, ValueError)
    with pytest.raises(errors.SignatureSummaryError, match="tfhub publish --force"):
        signatures.read_summary(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("handle", "part"),
    [
        ("acme/../../../../../outside/1", "part '..'"),
        ("acme/./1", "part '.'"),
        ("acme/x/../y/1", "part '..'"),
        ("acme/.hidden/1", "part '.hidden'"),
        ("acme/emb/.git/1", "part '.git'"),
        ("acme/日本語/1", "non-ASCII part '日本語'"),
        ("acme/émb/1", "non-ASCII part 'émb'"),
    ],
)
def test_handles_a_hub_cannot_hold_are_refused_naming_the_part(handle, part):
    """Model parts name folders of the hub: '..' leaves it, '.x' is never served; a non-ASCII
    URL is one tensorflow_hub cannot load."""
    with pytest.raises(errors.InvalidHandleError, match=re.escape(f"has the {part}")) as caught:
        doc_handles.parse_handle(handle)
    assert str(caught.value).endswith(f"Received: handle={handle!r}")


def test_doc_paths_never_leave_the_docs_folder(tmp_path):
    """Defence in depth: a DocHandle built without parse_handle still cannot name a path
    outside ROOT/assets/docs or in a hidden folder."""
    for handle in (
        doc_handles.DocHandle("acme", "../../../../outside", 1),
        doc_handles.DocHandle("..", "x", 1),
        doc_handles.DocHandle("acme", "a/.hidden", 1),
    ):
        for kind in (DocKind.MODULE, DocKind.COLLECTION):
            with pytest.raises(errors.InvalidHandleError, match="outside the hub's docs folder"):
                fmt.doc_path(tmp_path, handle, kind)
    assert fmt.doc_path(tmp_path, doc_handles.DocHandle("acme", "a.b/c", 1)) == (
        tmp_path / "assets/docs/acme/models/a.b/c/1.md"
    )


def test_a_doc_naming_a_dot_part_is_refused_and_a_non_ascii_one_is_a_problem(tmp_path):
    bad = "# Module acme/../../../../../pwned/1\nA fork's doc.\n"
    with pytest.raises(errors.DocFormatError, match=r"doc.md:1: the handle .* has the part '\.\.'"):
        fmt.parse_text(bad, path=tmp_path / "doc.md", rel_path="doc.md")
    doc = fmt.parse_text("# Module acme/émb/1\nDesc.\n", path=tmp_path / "d.md", rel_path="d.md")
    assert [(p.line, p.message.split(":")[0]) for p in doc.problems] == [
        (1, "the handle 'acme/émb/1' has the non-ASCII part 'émb'")
    ]
