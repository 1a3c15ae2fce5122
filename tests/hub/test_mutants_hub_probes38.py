"""Rules of the private hub (the modules session 36's mutation pass left out: archives, catalog,
files, mirror, pack, publish, ...) that a hand-made mutant (a flipped comparison, a dropped
check) could change without any test failing: each test here fails under the mutant its
docstring names, and passes on the code as it is."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import tarfile
import threading
import time
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    signature_summary_json,
    write_model_doc,
    write_model_folder,
    write_publisher,
    write_signatures,
)

from tfhub import constants, errors
from tfhub.hub import (
    archives,
    commit,
    doc_handles,
    mirror,
    mirror_copy,
    mirror_source,
    model_files,
    pack,
    pack_archive,
    pack_folder,
    validator,
)
from tfhub.hub import staging as staging_lib
from tfhub.hub.catalog import Catalog
from tfhub.hub.files import FileResponse
from tfhub.hub.middleware import AccessLog
from tfhub.hub.search import SearchIndex
from tfhub.utils.filelock import weak_file_lock

UPSTREAM_TF1 = Path(__file__).parents[1] / "data" / "upstream" / "tf1_text_vocab"


def _model_folder(tmp_path: Path) -> Path:
    return write_model_folder(write_model_doc(tmp_path / "hub", "acme/emb/1", asset="1.tar.gz"))


def test_a_folder_packed_by_another_worker_meanwhile_is_not_packed_again(tmp_path):
    """Mutant: `if not target.is_file()` under the lock dropped; a worker that waited for the
    lock while another process packed the folder packed it again over that archive."""
    folder = _model_folder(tmp_path)
    cache = tmp_path / "cache"
    target = cache / f"{archives.fingerprint(folder)}.tar.gz"
    result: list[Path] = []
    with weak_file_lock(str(target) + ".lock", what="the test, packing as another worker"):
        waiter = threading.Thread(
            target=lambda: result.append(archives.packed_archive(folder, cache_dir=str(cache)))
        )
        waiter.start()
        time.sleep(0.5)  # The waiter found no archive and waits for the lock.
        target.write_bytes(b"packed by another worker")
    waiter.join(timeout=30)
    assert result == [target]
    assert target.read_bytes() == b"packed by another worker"


def test_a_folder_packed_into_two_caches_has_one_mtime_so_one_etag(tmp_path):
    """Mutant: `os.utime(part, ...)` dropped; each replica's archive kept the time it was
    packed, so two replicas sent two ETags for the same bytes."""
    folder = _model_folder(tmp_path)
    first = archives.packed_archive(folder, cache_dir=str(tmp_path / "one"))
    time.sleep(0.05)
    second = archives.packed_archive(folder, cache_dir=str(tmp_path / "two"))
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_mtime_ns == second.stat().st_mtime_ns
    assert first.stat().st_mtime_ns == archives.content_mtime_ns(first)


def test_a_file_rewritten_with_the_same_size_gives_a_new_archive(tmp_path):
    """Mutant: the mtime left out of `fingerprint`; a variables file rewritten in place with
    as many bytes kept the fingerprint, and the server kept sending the old archive."""
    folder = _model_folder(tmp_path)
    cache = str(tmp_path / "cache")
    old = archives.packed_archive(folder, cache_dir=cache)
    data = folder / "variables" / "variables.index"
    data.write_bytes(b"X" * data.stat().st_size)
    stamp = data.stat().st_mtime_ns + 5_000_000_000
    os.utime(data, ns=(stamp, stamp))
    new = archives.packed_archive(folder, cache_dir=cache)
    assert new != old
    assert new.read_bytes() != old.read_bytes()


def test_a_file_of_another_size_with_the_old_mtime_gives_a_new_archive(tmp_path):
    """Mutant: the size left out of `fingerprint`; a file replaced by one of another size that
    kept the old mtime (`cp -p`, `rsync -t`) kept the fingerprint, and the old archive."""
    folder = _model_folder(tmp_path)
    data = folder / "variables" / "variables.index"
    before = archives.fingerprint(folder)
    stamp = data.stat().st_mtime_ns
    data.write_bytes(b"a longer index than before")
    os.utime(data, ns=(stamp, stamp))
    assert archives.fingerprint(folder) != before


def test_a_failed_pack_leaves_no_part_file_in_the_cache(tmp_path):
    """Mutant: `part.unlink(missing_ok=True)` dropped; an archive packed but not renamed into
    place (here: a folder where the archive goes) stayed in the cache as `.<name>.<uuid>`."""
    folder = _model_folder(tmp_path)
    cache = tmp_path / "cache"
    (cache / f"{archives.fingerprint(folder)}.tar.gz").mkdir(parents=True)
    with pytest.raises(OSError):
        archives.packed_archive(folder, cache_dir=str(cache))
    assert sorted(path.name for path in cache.iterdir() if not path.name.endswith(".lock")) == [
        f"{archives.fingerprint(folder)}.tar.gz"
    ]


ONE_META_GRAPH = b"\x12\x00"  # A SavedModel message: field 2 (meta_graphs), empty.


def _valid_doc(root: Path, asset: str) -> Path:
    write_publisher(root, "acme", "Acme")
    return write_model_doc(root, "acme/emb/1", asset=asset)


def test_an_asset_url_is_judged_by_its_path_not_its_query(tmp_path):
    """Mutant: `asset.endswith(suffix)` for `parts.path.endswith(suffix)`; an archive URL with
    a query (`?alt=media`, as Google Cloud Storage's JSON API serves files) was refused, and
    `https://host/download?file=m.tar.gz` (a page, not an archive) was accepted."""
    good = _valid_doc(tmp_path / "good", "https://example.com/m.tar.gz?alt=media")
    assert validator.validate_file(good, root=tmp_path / "good") == []
    bad = _valid_doc(tmp_path / "bad", "https://example.com/download?file=m.tar.gz")
    problems = validator.validate_file(bad, root=tmp_path / "bad")
    assert [p.message for p in problems] == [
        "'asset-path' must end with .tar.gz. Received: 'https://example.com/download?file=m.tar.gz'"
    ]


def test_an_absolute_asset_path_is_refused_even_if_it_names_the_archive_beside_the_doc(tmp_path):
    """Mutant: `os.path.isabs(asset) or` dropped; the absolute path of the archive beside the
    doc (which names the publishing machine's folders on every page) was accepted."""
    doc = _valid_doc(tmp_path, "1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), {"saved_model.pb": ONE_META_GRAPH})
    assert validator.validate_file(doc, root=tmp_path) == []
    absolute = os.fspath(doc.with_name("1.tar.gz"))
    doc.write_text(doc.read_text().replace("asset-path: 1.tar.gz", f"asset-path: {absolute}"))
    problems = validator.validate_file(doc, root=tmp_path)
    assert [p.message for p in problems] == [
        "a local 'asset-path' must name a file beside the doc (a URL or a relative path inside "
        f"the doc's folder). Received: {absolute!r}"
    ]


def test_a_local_asset_path_other_than_the_versions_archive_is_refused(tmp_path):
    """Mutant: the `target != archive` check dropped; `model.tar.gz` beside the doc was
    accepted, though the server answers the version with `1.tar.gz` only (a 404 for it)."""
    doc = _valid_doc(tmp_path, "model.tar.gz")
    make_tar_gz(doc.with_name("model.tar.gz"))
    problems = validator.validate_file(doc, root=tmp_path)
    assert [p.message for p in problems] == [
        "a local 'asset-path' must be '1.tar.gz', the archive beside the doc that `tfhub serve` "
        "answers for this version (and `tfhub publish` writes): rename the file or fix the "
        "path. Received: 'model.tar.gz'"
    ]


def test_the_latest_version_is_not_a_placeholder_announcing_one(tmp_path):
    """Mutant: `max(real or self.versions)` -> `max(self.versions)`; a placeholder for
    version 2 became the latest, so the version-less handle answered "not published"."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    placeholder = tmp_path / "assets/docs/acme/models/emb/2.md"
    placeholder.write_text("# Placeholder acme/emb/2\nVersion 2, soon.\n")
    model, version = Catalog.scan(tmp_path).find(["acme", "emb"])
    assert sorted(model.versions) == [1, 2]
    assert version.version == 1


def test_a_filter_value_is_listed_once_and_matched_whatever_its_case(tmp_path):
    """Mutants: `if value not in values` dropped (a value under both `task` and tfhub.dev's old
    `module-type` was listed twice), and `v.lower()` -> `v` in `facet_keys` (a doc's
    `Apache-2.0` no longer matched the filter `apache-2.0`, which the query is lowered to)."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1", license="Apache-2.0")
    doc.write_text(
        doc.read_text().replace("-->\n", "-->\n<!-- module-type: text-embedding -->\n", 1)
    )
    catalog = Catalog.scan(tmp_path)
    model = catalog.models["acme/emb"]
    assert model.facet_values("task") == ["text-embedding"]
    found = SearchIndex.build(catalog).search("", {"license": "apache-2.0"})
    assert [m.handle for m in found] == ["acme/emb"]


def test_of_two_docs_for_one_version_the_first_by_path_is_kept(tmp_path):
    """Mutant: the "Two docs for ..." check dropped; a stray copy of a doc (here under
    `zz-copy/`) replaced the version's doc, and the files beside the copy were served."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1", description="The right doc.")
    stray = tmp_path / "assets/docs/acme/models/zz-copy/1.md"
    stray.parent.mkdir()
    stray.write_text(doc.read_text().replace("The right doc.", "A stray copy."))
    _, version = Catalog.scan(tmp_path).find(["acme", "emb", "1"])
    assert version.doc.path == doc
    assert version.doc.description == "The right doc."


def test_a_model_folder_that_is_a_symlink_out_of_root_is_not_served(tmp_path):
    """Mutant: `and is_inside(folder, self.root)` dropped; a `<version>/` folder linking out of
    ROOT (to any folder holding a saved_model.pb) was packed and served."""
    outside = write_model_folder(tmp_path / "elsewhere" / "1.md")
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    doc.with_suffix("").symlink_to(outside, target_is_directory=True)
    _, version = Catalog.scan(root).find(["acme", "emb", "1"])
    assert version.folder is None and not version.servable


def test_a_publisher_of_ten_models_lists_them_without_and_0_more(tmp_path):
    """Mutant: `len(names) > 10` -> `>= 10`; a 404 for a publisher of ten models ended with
    "and 0 more"."""
    write_publisher(tmp_path, "acme", "Acme")
    for number in range(10):
        write_model_doc(tmp_path, f"acme/m{number}/1")
    reason = Catalog.scan(tmp_path).not_found_reason(["acme", "nope"])
    assert reason == "acme/nope: the publisher acme has " + ", ".join(
        f"acme/m{number}" for number in range(10)
    )


def test_only_a_collections_url_names_a_collection_without_its_version(tmp_path):
    """Mutant: `or segments[1] != "collections"` dropped; `acme/models/favs/7` was taken for
    the collection acme/favs."""
    write_publisher(tmp_path, "acme", "Acme")
    collection = tmp_path / "assets/docs/acme/collections/favs/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text("# Collection acme/favs/1\nFavourites.\n")
    catalog = Catalog.scan(tmp_path)
    assert catalog.collection_without_version(["acme", "collections", "favs", "7"]) is not None
    assert catalog.collection_without_version(["acme", "models", "favs", "7"]) is None


def test_version_0_is_found_by_its_url(tmp_path):
    """Mutant: `text == "0" or` dropped from `is_version`; `acme/emb/0`, a version tfhub.dev's
    handles allow, was a 404 (its digit taken for a leading zero)."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/0")
    found = Catalog.scan(tmp_path).find(["acme", "emb", "0"])
    assert found is not None and found[1].version == 0


def test_a_signature_summary_that_is_a_symlink_out_of_root_is_not_read(tmp_path):
    """Mutant: `or not is_inside(path, root)` dropped; `1.signatures.json` linking out of ROOT
    was read and shown on the model's page."""
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(signature_summary_json()))
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1")
    write_signatures(doc, signature_summary_json())
    _, version = Catalog.scan(root).find(["acme", "emb", "1"])
    assert version.signatures is not None  # Read when it is a file inside ROOT.
    summary = doc.with_name("1.signatures.json")
    summary.unlink()
    summary.symlink_to(outside)
    _, version = Catalog.scan(root).find(["acme", "emb", "1"])
    assert version.signatures is None


def test_a_coral_doc_is_served_under_coral_model(tmp_path):
    """Mutant: Coral dropped from DERIVED_PREFIXES; `# Coral acme/emb/1` took version 1 of the
    module acme/emb (served at /acme/emb/1) instead of /acme/coral-model/emb/1."""
    write_publisher(tmp_path, "acme", "Acme")
    module = write_model_doc(tmp_path, "acme/emb/1")
    coral = module.parent / "emb" / "coral" / "1.md"
    coral.parent.mkdir(parents=True)
    coral.write_text(
        "# Coral acme/emb/1\nThe Edge TPU version.\n\n<!-- parent-model: acme/emb/1 -->\n"
    )
    catalog = Catalog.scan(tmp_path)
    assert catalog.find(["acme", "emb", "1"])[1].doc.path == module
    model, version = catalog.find(["acme", "coral-model", "emb", "1"])
    assert model.kind.value == "Coral" and version.doc.path == coral
    assert [m.handle for m, _ in catalog.derived["acme/emb/1"]] == ["acme/coral-model/emb"]


def test_an_old_doc_s_module_type_is_its_task_filter(tmp_path):
    """Mutant: "module-type" dropped from the task filter's keys; a doc of tfhub.dev's older
    docs, which give `module-type` and no `task`, was under no task filter."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    doc.write_text(doc.read_text().replace("<!-- task: ", "<!-- module-type: "))
    catalog = Catalog.scan(tmp_path)
    assert catalog.models["acme/emb"].facet_values("task") == ["text-embedding"]
    found = SearchIndex.build(catalog).search("", {"task": "text-embedding"})
    assert [m.handle for m in found] == ["acme/emb"]


def _send_file(path: Path, method: str = "GET", headers: dict[str, str] | None = None):
    """(scope, messages) of `FileResponse(path)` answering one request, for a client that
    stays connected; `scope["test.receives"]` counts the calls of `receive`."""
    scope = {
        "type": "http",
        "method": method,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "test.receives": 0,
    }
    messages: list[dict] = []

    async def receive() -> dict:
        scope["test.receives"] += 1
        await asyncio.Event().wait()  # The client stays until the answer is sent.
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        messages.append(message)

    asyncio.run(FileResponse(path, missing="gone\n")(scope, receive, send))
    return scope, messages


def test_an_archive_whose_folder_became_a_file_is_a_404(tmp_path):
    """Mutant: NotADirectoryError left out of the 404 case; an archive whose folder was
    replaced by a file since the scan (open: ENOTDIR) ended the request with an error."""
    (tmp_path / "emb").write_text("no longer a folder")
    _, messages = _send_file(tmp_path / "emb" / "1.tar.gz")
    assert messages[0]["status"] == 404
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"gone\n"


def test_head_of_an_archive_sends_its_headers_and_no_body(tmp_path):
    """Mutant: `scope["method"] == "HEAD" or` dropped; a HEAD sent the whole archive, which
    a client reads as the next answer."""
    archive = tmp_path / "1.tar.gz"
    archive.write_bytes(b"x" * 1000)
    _, messages = _send_file(archive, "HEAD")
    assert messages[0]["status"] == 200
    assert (b"content-length", b"1000") in messages[0]["headers"]
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b""
    _, messages = _send_file(archive, "GET", {"Range": "bytes=10-19"})
    assert messages[0]["status"] == 206
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"x" * 10


@pytest.mark.parametrize("body", [{"Transfer-Encoding": "chunked"}, {"Content-Length": "5"}])
def test_a_request_announcing_a_body_is_answered_without_receive(tmp_path, body):
    """Mutant: `"transfer-encoding" in headers or` dropped (and the Content-Length test
    flipped); listening for the client's disconnect made granian wait for a body that never
    came, holding the connection after the answer."""
    archive = tmp_path / "1.tar.gz"
    archive.write_bytes(b"y" * 100)
    scope, messages = _send_file(archive, "GET", body)
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"y" * 100
    assert scope["test.receives"] == 0
    scope, _ = _send_file(archive, "GET", {"Content-Length": "0"})
    assert scope["test.receives"] == 1  # No body: it listens for the client's disconnect.


def test_an_empty_file_is_answered_with_an_empty_last_body_message(tmp_path):
    """Mutant: `if position >= end` -> `>`; an empty file (start 0, end 0) was answered with
    no body message at all, so the response never ended."""
    empty = tmp_path / "1.tar.gz"
    empty.write_bytes(b"")
    _, messages = _send_file(empty)
    assert messages[0]["status"] == 200
    assert [(m["type"], m.get("body"), m.get("more_body", False)) for m in messages[1:]] == [
        ("http.response.body", b"", False)
    ]


def _serve_json(served_dir: Path, path: str, data: object) -> bytes:
    """Writes `data` as JSON at `path` below the folder the `server` fixture serves."""
    file = served_dir / path
    file.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(data).encode()
    file.write_bytes(body)
    return body


def test_a_hub_that_answered_for_the_model_is_not_asked_again_below(server, served_dir):
    """Mutant: the `break` after an answer without the version's doc dropped; the source's
    other prefixes were asked too (`/acme/api/models/emb/sub`), each a request to a hub that
    had already answered, and each named in the warning."""
    doc = "# Module acme/emb/sub/1\nOne.\n"
    _serve_json(
        served_dir, "api/models/acme/emb/sub", {"versions": [{"version": 1, "doc_markdown": doc}]}
    )
    found, asked = mirror_source.source_doc(server.url("acme/emb/sub/9"), max_bytes=1 << 20)
    assert found is None
    assert asked == [server.url("api/models/acme/emb/sub")]
    found, asked = mirror_source.source_doc(server.url("acme/emb/sub/1"), max_bytes=1 << 20)
    assert found is not None and found.text == doc and len(asked) == 1


def _found(server) -> mirror_source.SourceDoc:
    origin = doc_handles.parse_handle("acme/emb/1")
    return mirror_source.SourceDoc(
        "# Module acme/emb/1\n", origin, server.url("acme/emb/1"), server.url().rstrip("/")
    )


def test_a_source_s_publisher_doc_must_be_that_publisher_s(server, served_dir):
    """Mutant: the first-line check of `source_publisher_doc` dropped; whatever text the
    source's `/api/publishers/acme` gave (another publisher's doc, a page) was written as the
    hub's publisher doc."""
    api = "api/publishers/acme"
    _serve_json(served_dir, api, {"doc_markdown": "# Publisher other\nSomeone else.\n"})
    assert (
        mirror_source.source_publisher_doc(
            _found(server), server.url("acme/emb/1"), max_bytes=1 << 20
        )
        is None
    )
    _serve_json(served_dir, api, {"doc_markdown": "# Publisher acme\r\nAcme.\r\n"})
    text = mirror_source.source_publisher_doc(
        _found(server), server.url("acme/emb/1"), max_bytes=1 << 20
    )
    assert text == "# Publisher acme\r\nAcme.\r\n"


def test_an_api_answer_of_exactly_the_limit_is_read(server, served_dir):
    """Mutant: `len(body) > max_bytes` -> `>=`; an answer of exactly `max_bytes` bytes, which
    the limit allows, was refused as too large."""
    body = _serve_json(
        served_dir, "api/publishers/acme", {"doc_markdown": "# Publisher acme\nAcme.\n"}
    )
    found = _found(server)
    assert (
        mirror_source.source_publisher_doc(found, found.url, max_bytes=len(body))
        == "# Publisher acme\nAcme.\n"
    )
    with pytest.raises(errors.MirrorTooLargeError):
        mirror_source.source_publisher_doc(found, found.url, max_bytes=len(body) - 1)


def test_only_a_module_doc_of_a_whole_numbered_version_is_taken_from_a_source(server, served_dir):
    """Mutants: `latest if is_whole_number(latest) else None` -> `latest` (a `latest_version`
    of 1.0 matched version 1 and then crashed on the handle `acme/emb/1.0`), the Module check
    dropped (a Placeholder's doc was taken, to be rewritten as a Module doc), and the `\\r\\n`
    -> `\\n` dropped (a doc written on Windows kept its `\\r`s, one at the end of every line)."""
    api = "api/models/acme/emb"
    placeholder = {"version": 2, "doc_markdown": "# Placeholder acme/emb/2\nSoon.\n"}
    module = {"version": 1, "doc_markdown": "# Module acme/emb/1\r\nOne.\r\n"}
    _serve_json(served_dir, api, {"latest_version": 1.0, "versions": [module, placeholder]})
    assert mirror_source.source_doc(server.url("acme/emb"), max_bytes=1 << 20)[0] is None
    assert mirror_source.source_doc(server.url("acme/emb/2"), max_bytes=1 << 20)[0] is None
    found, _ = mirror_source.source_doc(server.url("acme/emb/1"), max_bytes=1 << 20)
    assert found is not None and found.text == "# Module acme/emb/1\nOne.\n"


@pytest.mark.tf
def test_a_gfile_folder_of_exactly_the_limit_is_copied(tmp_path, monkeypatch):
    """Mutant: `total > limit` -> `>=`; a gs:// model folder whose files add up to exactly
    TFHUB_MAX_EXTRACTED_BYTES, which the limit allows, was refused."""
    import tensorflow as tf

    source = "ram://tfhub-mutants-38/exact"
    files = {"saved_model.pb": b"\x12\x00" * 300, "variables/variables.index": b"i" * 424}
    for name, data in files.items():
        tf.io.gfile.makedirs(os.path.dirname(f"{source}/{name}"))
        with tf.io.gfile.GFile(f"{source}/{name}", "wb") as file:
            file.write(data)
    monkeypatch.setenv(constants.TFHUB_MAX_EXTRACTED_BYTES, "1024")
    with mirror_copy.local_copy(source) as local:
        copied = {
            path.relative_to(local).as_posix(): path.read_bytes()
            for path in Path(local).rglob("*")
            if path.is_file()
        }
    assert copied == files
    monkeypatch.setenv(constants.TFHUB_MAX_EXTRACTED_BYTES, "1023")
    with pytest.raises(errors.MirrorTooLargeError), mirror_copy.local_copy(source):
        pass


def test_mirroring_the_docs_of_a_folder_without_docs_is_refused(tmp_path):
    """Mutant: the `docs.is_dir()` check dropped; `tfhub mirror --from-docs` of a mistyped ROOT
    mirrored nothing without a word."""
    with pytest.raises(errors.ModelNotFoundError, match="holds no docs to mirror"):
        mirror.mirror_doc_assets(tmp_path / "typo")
    assert not (tmp_path / "typo").exists()


def test_mirroring_docs_skips_derived_docs_and_local_asset_paths(server, tmp_path):
    """Mutants: `doc.kind is not DocKind.MODULE or` dropped (a Lite doc's .tflite URL and a
    Tfjs doc's archive URL were downloaded as models, each a failure), and the remote-scheme
    check dropped (a Module doc whose local archive is missing was "mirrored" from its
    relative path, a failure)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    module = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    lite = module.parent / "emb" / "lite" / "1.md"
    lite.parent.mkdir(parents=True)
    lite.write_text(
        f"# Lite acme/emb/1\nThe Lite version.\n\n<!-- asset-path: {server.url('m.tflite')} -->\n"
        "<!-- parent-model: acme/emb/1 -->\n"
    )
    tfjs = module.parent / "emb" / "tfjs" / "1.md"
    tfjs.parent.mkdir(parents=True)
    tfjs.write_text(
        f"# Tfjs acme/emb/1\nThe TF.js version.\n\n<!-- asset-path: {server.url('m.tar.gz')} -->\n"
        "<!-- parent-model: acme/emb/1 -->\n"
    )
    report = mirror.mirror_doc_assets(root)
    assert report == mirror.MirrorReport([], [])


def test_mirroring_docs_with_force_downloads_versions_that_have_files(server, tmp_path):
    """Mutant: `not force and` dropped; `tfhub mirror --from-docs --force` skipped every version
    that had model files instead of downloading it again."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset=server.url("gone/1.tar.gz"))
    make_tar_gz(doc.with_name("1.tar.gz"))
    assert mirror.mirror_doc_assets(root) == mirror.MirrorReport([], [])
    report = mirror.mirror_doc_assets(root, force=True)
    assert [handle for handle, _ in report.failed] == ["acme/emb/1"]  # Asked: a 404 here.
    assert doc.with_name("1.tar.gz").is_file()


def test_mirroring_docs_refuses_a_handle_a_hub_cannot_hold_before_downloading(server, tmp_path):
    """Mutant: the `handle_problem` check dropped; a doc under the reserved publisher `api`
    (whose pages nobody reaches) was downloaded; its failure named the download, not why."""
    root = tmp_path / "hub"
    write_publisher(root, "api", "Api")
    write_model_doc(root, "api/emb/1", asset=server.url("gone/1.tar.gz"))
    report = mirror.mirror_doc_assets(root)
    assert report.mirrored == []
    [(handle, reason)] = report.failed
    assert handle == "api/emb/1"
    assert reason.startswith("assets/docs/api/models/emb/1.md: the handle has the publisher 'api'")


def test_mirroring_only_some_docs_leaves_other_unreadable_docs_out(tmp_path):
    """Mutant: `report if only is None else None` -> `report`; `tfhub mirror --from-docs
    --only acme/emb/1` failed for a doc it was not asked about (one whose first line does not
    parse)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    bad = root / "assets/docs/acme/models/bad/1.md"
    bad.parent.mkdir(parents=True)
    bad.write_text("# Model acme/bad/1\nNot a doc kind.\n")
    assert [path for path, _ in mirror.mirror_doc_assets(root).failed] == [
        "assets/docs/acme/models/bad/1.md"
    ]
    assert mirror.mirror_doc_assets(root, only=["acme/emb/1"]) == mirror.MirrorReport([], [])


@pytest.mark.tf
def test_mirror_keeps_the_doc_the_hub_already_has_for_the_version(tmp_path):
    """Mutant: `if not fmt.doc_path(root, target).is_file()` -> `if True`; the source hub's doc
    was taken though the hub had its own doc for the version (one waiting for its model)."""
    from tfhub.hub import publish, starter
    from tfhub.hub.runner import BackgroundServer
    from tfhub.hub.settings import ServeSettings

    central = tmp_path / "central"
    info = starter.StarterInfo(description="The central hub's doc.")
    publish.publish(UPSTREAM_TF1, central, "acme/emb/1", info=info)
    edge = tmp_path / "edge"
    write_publisher(edge, "acme", "Acme")
    ours = write_model_doc(edge, "acme/emb/1", description="Our own doc.")
    ours.write_text(ours.read_text().replace("saved_model_2", "hub"))
    settings = ServeSettings(root=str(central), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as server:
        published = mirror.mirror(server.url("acme/emb/1"), edge)
    assert published.handle == "acme/emb/1" and not published.wrote_doc
    assert "Our own doc." in ours.read_text()
    assert published.archive.is_file()


def test_publishing_a_model_path_that_does_not_exist_says_so(tmp_path):
    """Mutant: `if not os.path.isfile(path): return path` dropped in `_unpacked`; a mistyped
    model path was opened as an archive, and the error was Python's FileNotFoundError (a
    named pipe given as the model blocked the publish for ever)."""
    from tfhub.hub import publish

    with pytest.raises(errors.NotAModelError, match="does not exist") as raised:
        publish.publish(tmp_path / "mistyped", tmp_path / "hub", "acme/emb/1")
    assert raised.value.reason == "not a folder"
    assert not (tmp_path / "hub" / "assets" / "docs" / "acme" / "models").exists()


@pytest.mark.tf
def test_publishing_a_plain_tar_without_an_archive_name_extracts_it(tmp_path):
    """Mutant: "tar" dropped from the sniffed kinds in `_unpacked`; an uncompressed tar saved
    without a suffix (a browser's `download`) was taken for a model file and refused."""
    from tfhub.hub import publish

    download = tmp_path / "download"
    with tarfile.open(download, "w") as tar:
        for path in sorted(UPSTREAM_TF1.rglob("*")):
            tar.add(path, arcname=path.relative_to(UPSTREAM_TF1).as_posix(), recursive=False)
    published = publish.publish(download, tmp_path / "hub", "acme/emb/1")
    assert published.archive.is_file() and published.wrote_doc


@pytest.mark.tf
def test_publishing_with_force_over_a_model_folder_version_removes_the_folder(tmp_path):
    """Mutant: `stale=docs_layout.model_dir_beside(target)` -> `stale=[]`; the version's old
    model folder `1/` stayed beside the new archive (the old model, kept for nothing, and
    served again as soon as the archive is removed)."""
    from tfhub.hub import publish

    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    old = write_model_folder(write_model_doc(root, "acme/emb/1", asset="1.tar.gz"))
    published = publish.publish(UPSTREAM_TF1, root, "acme/emb/1", force=True)
    assert published.archive == old.with_name("1.tar.gz") and published.archive.is_file()
    assert not old.exists()
    assert sorted(path.name for path in old.parent.iterdir()) == [
        "1.md",
        "1.signatures.json",
        "1.tar.gz",
    ]


def _staged(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(docs, the model folder holding `1.md` "old", a staging folder holding `1.md` "new")."""
    docs = tmp_path / "assets" / "docs"
    folder = docs / "acme" / "models" / "emb"
    staging = folder / staging_lib.staging_name("1", "0" * 32)
    staging.mkdir(parents=True)
    (folder / "1.md").write_text("old")
    (staging / "1.md").write_text("new")
    return docs, folder, staging


def test_a_staging_folder_left_after_a_complete_commit_is_not_rolled_back(tmp_path):
    """Mutant: the journal's `unlink()` after the last rename dropped; a publish killed after
    its commit but before its staging folder was removed was undone by the next publish's
    clean-up (`roll_back`): the version went back to the old one."""
    docs, folder, staging = _staged(tmp_path)
    commit.commit([(staging / "1.md", folder / "1.md")], staging, stale=[])
    assert (folder / "1.md").read_text() == "new"
    assert commit.roll_back(staging, docs=docs) is False
    assert (folder / "1.md").read_text() == "new"


def _logged_bytes(caplog, path: Path, method: str, receive_message: dict) -> tuple[int, str]:
    """(body bytes sent, the access log line) of `AccessLog(FileResponse(path))` answering one
    request whose `receive` gives `receive_message`."""
    scope = {
        "type": "http",
        "method": method,
        "path": "/acme/emb/1",
        "query_string": b"tf-hub-format=compressed",
        "headers": [],
        "client": ("127.0.0.1", 40000),
    }
    sent: list[int] = []

    async def receive() -> dict:
        return receive_message

    async def send(message: dict) -> None:
        sent.append(len(message.get("body", b"")))

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tfhub.hub.access"):
        asyncio.run(AccessLog(FileResponse(path))(scope, receive, send))
    [line] = [record.getMessage() for record in caplog.records]
    return sum(sent), line


def test_a_client_gone_before_the_first_byte_is_logged_with_the_bytes_sent(tmp_path, caplog):
    """Defect (docs/hub.md: the access log "counts the bytes handed to the server before it
    noticed, not the whole archive"): a client that left before the first chunk was logged
    with the archive's whole length (FileResponse's `tfhub.bytes`), though no byte was sent."""
    archive = tmp_path / "1.tar.gz"
    archive.write_bytes(b"z" * (3 << 20))
    sent, line = _logged_bytes(caplog, archive, "GET", {"type": "http.disconnect"})
    assert sent < 3 << 20
    assert f'"GET /acme/emb/1?tf-hub-format=compressed" 200 {sent} ' in line
    request = {"type": "http.request", "body": b"", "more_body": False}
    sent, line = _logged_bytes(caplog, archive, "HEAD", request)
    assert sent == 0 and '"HEAD /acme/emb/1?tf-hub-format=compressed" 200 0 ' in line


def test_pack_takes_gzip_levels_0_to_9_and_refuses_10_and_minus_1(tmp_path):
    """Mutants: `0 <= compresslevel <= 9` -> `<= 10` (level 10 reached zlib, which refused it
    with "Invalid initialization option") and -> `1 <=` (level 0, stored, refused)."""
    folder = _model_folder(tmp_path)
    for level in (0, 9):
        assert pack.pack(folder, tmp_path / f"{level}.tar.gz", compresslevel=level).files == 3
    for level in (10, -1):
        with pytest.raises(errors.ArgumentError, match="from 0 \\(stored\\) to 9"):
            pack.pack(folder, tmp_path / f"{level}.tar.gz", compresslevel=level)
        assert not (tmp_path / f"{level}.tar.gz").exists()


def test_a_packed_archive_s_gzip_header_has_no_time(tmp_path):
    """Mutant: `mtime=0` -> `mtime=None` in the gzip header; the archive's bytes then depend on
    the second it was packed (two replicas, or two publishes, give two sha256s)."""
    packed = pack.pack(_model_folder(tmp_path), tmp_path / "1.tar.gz")
    header = packed.path.read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08" and header[4:8] == b"\0\0\0\0"


def _listed(tmp_path: Path) -> tuple[Path, list, Path]:
    """(model folder, its members as `pack` lists them, its variables.index)."""
    folder = _model_folder(tmp_path)
    return folder, pack_folder.sorted_members(folder), folder / "variables" / "variables.index"


def test_a_file_rewritten_after_listing_with_its_size_is_refused(tmp_path):
    """Mutant: "st_mtime_ns" left out of `_changed`; a file rewritten in place with as many
    bytes between the listing and its read was packed without a word."""
    folder, members, index = _listed(tmp_path)
    index.write_bytes(b"Z" * index.stat().st_size)
    stamp = index.stat().st_mtime_ns + 5_000_000_000
    os.utime(index, ns=(stamp, stamp))
    with pytest.raises(errors.NotAModelError) as raised:
        pack_archive.write_archive(io.BytesIO(), folder, members, 6)
    assert raised.value.reason == "changed while packed: variables/variables.index"


def test_a_file_replaced_by_a_link_after_listing_is_a_change_not_unreadable(tmp_path):
    """Mutant: ELOOP left out of the "changed" errnos; a file replaced by a symlink after the
    listing (O_NOFOLLOW: ELOOP) was reported as a file that cannot be read, "make it
    readable (chmod)", instead of a folder that changed while it was packed."""
    folder, members, index = _listed(tmp_path)
    index.unlink()
    index.symlink_to(folder / "saved_model.pb")
    with pytest.raises(errors.NotAModelError) as raised:
        pack_archive.write_archive(io.BytesIO(), folder, members, 6)
    assert raised.value.reason == "changed while packed: variables/variables.index"


def test_model_file_names_and_saved_model_pb_wire_format(tmp_path):
    """Mutants of `model_files`: a name starting with '.' allowed (`[\\w.-]`), fingerprint.pb
    (TensorFlow 2.12+) refused, field number 0 taken, wire type 5 (fixed32) refused, the
    fixed64 / fixed32 lengths swapped, and "... and 0 more" after exactly MAX_PROBLEMS."""
    assert model_files.path_problem("assets/.DS_Store") is not None
    assert model_files.path_problem("fingerprint.pb") is None
    meta_graph = b"\x12\x00"
    problem = model_files.saved_model_pb_problem
    assert problem(io.BytesIO(b"\x02\x00" + meta_graph)) is not None  # Field 0.
    assert problem(io.BytesIO(b"\x15" + b"\0" * 4 + meta_graph)) is None  # Field 2, fixed32.
    assert problem(io.BytesIO(b"\x09" + b"\0" * 8 + meta_graph)) is None  # Field 1, fixed64.
    folder = tmp_path / "model"
    (folder / "assets").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(meta_graph)
    for number in range(model_files.MAX_PROBLEMS):
        (folder / f"extra{number}.txt").write_text("not a model file")
    problems = model_files.folder_problems(folder)
    assert len(problems) == model_files.MAX_PROBLEMS
    assert not any(p.startswith("... and") for p in problems)


def test_a_symlink_in_a_model_folder_is_a_problem_even_with_an_allowed_name(tmp_path):
    """Mutant: the `file.is_symlink()` check dropped; `variables/variables.index` linking to a
    file elsewhere passed `tfhub validate` (its name is allowed, and it "is a file")."""
    folder = tmp_path / "model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"\x12\x00")
    elsewhere = tmp_path / "elsewhere.index"
    elsewhere.write_bytes(b"index")
    (folder / "variables" / "variables.index").symlink_to(elsewhere)
    assert model_files.folder_problems(folder) == [
        "'variables/variables.index' is a symlink: the server cannot pack it (copy what it "
        "leads to in its place)"
    ]


def test_a_folder_s_members_follow_it_in_the_archive(tmp_path):
    """Mutant: the members sorted by their name as a string, not by its parts; `assets.extra`
    ('.' sorts before '/') and its files came between `assets` and `assets/a.txt`, so a
    folder's contents no longer followed it, and the archive's bytes changed."""
    folder = _model_folder(tmp_path)
    for name in ("assets/a.txt", "assets.extra/b.txt"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(name)
    names = [name for name, _, _ in pack_folder.sorted_members(folder)]
    assert names == [
        "assets",
        "assets/a.txt",
        "assets.extra",
        "assets.extra/b.txt",
        "saved_model.pb",
        "variables",
        "variables/variables.data-00000-of-00001",
        "variables/variables.index",
    ]
    with tarfile.open(pack.pack(folder, tmp_path / "1.tar.gz").path) as tar:
        assert tar.getnames() == names
