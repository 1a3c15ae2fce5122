"""`tfhub mirror`: models from a real 127.0.0.1 server, a Kaggle URL and the tfhub cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers import http_server, models

import tfhub as hub
from tfhub import constants, errors
from tfhub.cli.main import main
from tfhub.hub import doc_handles, docs_layout, mirror, pack, signatures, validator
from tfhub.hub import docs_format as fmt

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("mirror") / "model")))


@pytest.fixture
def served_model(text_model, served_dir) -> pack.PackedArchive:
    """The text model as `acme/emb/1.tar.gz` on the server (protocol URL /acme/emb/1)."""
    (served_dir / "acme/emb").mkdir(parents=True)
    return pack.pack(text_model, served_dir / "acme/emb/1.tar.gz")


def test_mirror_from_a_hub_url_writes_archive_summary_and_starter_doc(
    served_model, server, tmp_path
):
    source = server.url("acme/emb/1")
    published = mirror.mirror(source, tmp_path)
    assert published.handle == "acme/emb/1" and published.wrote_doc
    # The archive is re-packed from the resolved folder: the same bytes as packing the original.
    assert published.archive.read_bytes() == served_model.path.read_bytes()
    doc = fmt.parse_doc(published.doc, root=tmp_path)
    assert doc.description == f"emb (mirrored from {source})."
    assert f"Mirrored from `{source}`." in doc.body
    assert doc.values("task") == ["text-embedding"]
    assert signatures.read_summary(published.signatures).format == "TF2 SavedModel"
    assert validator.validate_tree(tmp_path) == []
    with pytest.raises(errors.VersionExistsError):
        mirror.mirror(source, tmp_path)
    assert mirror.mirror(source, tmp_path, force=True).archive_sha256 == served_model.sha256


def test_credentials_in_the_source_are_not_written(served_model, server, tmp_path):
    url = server.url("acme/emb/1").replace("http://", "http://user:s3cret@") + "?token=abc123"
    published = mirror.mirror(url, tmp_path, as_handle="acme/private/1")
    text = published.doc.read_text()
    assert "s3cret" not in text and "abc123" not in text
    assert f"Mirrored from `{server.url('acme/emb/1')}`." in text


def test_mirror_from_the_tfhub_cache_needs_a_handle(served_model, server, tmp_path):
    cached = hub.resolve(server.url("acme/emb/1"))
    with pytest.raises(errors.InvalidHandleError, match="pass --as publisher/model/version"):
        mirror.mirror(cached, tmp_path)
    published = mirror.mirror(cached, tmp_path, as_handle="acme/cached/2")
    assert published.archive == tmp_path / "assets/docs/acme/models/cached/2.tar.gz"
    assert published.archive_sha256 == served_model.sha256


def test_mirror_from_a_kaggle_url(text_model, server, served_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(constants.TFHUB_KAGGLE_ENDPOINT, server.url())
    folder = served_dir / "models/Owner/mod/frameworks/tensorFlow2/variations/v/versions"
    folder.mkdir(parents=True)
    pack.pack(text_model, folder / "2.tar.gz")
    source = "https://www.kaggle.com/models/Owner/mod/tensorFlow2/v/2"
    assert mirror.derive_handle(source) == doc_handles.DocHandle("owner", "mod/v", 2)
    published = mirror.mirror(source, tmp_path)
    assert published.doc == tmp_path / "assets/docs/owner/models/mod/v/2.md"
    assert validator.validate_tree(tmp_path) == []


def _doc_with_asset(root: Path, model: str, url: str) -> Path:
    path = fmt.doc_path(root, doc_handles.parse_handle(f"acme/{model}/1"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# Module acme/{model}/1\nA model hosted elsewhere.\n\n<!-- asset-path: {url} -->\n"
        "<!-- task: text-embedding -->\n<!-- fine-tunable: true -->\n"
        "<!-- format: saved_model_2 -->\n\n## Overview\nWritten by its publisher.\n"
    )
    return path


def test_asset_paths_of_existing_docs_are_mirrored_and_the_docs_kept(
    text_model, server, served_dir, tmp_path
):
    pack.pack(text_model, served_dir / "emb.tar.gz")
    root = tmp_path / "hub"
    good = _doc_with_asset(root, "good", server.url("emb.tar.gz"))
    _doc_with_asset(root, "gone", server.url("gone.tar.gz"))
    (root / "assets/docs/acme/acme.md").write_text("# Publisher acme\nAcme.\n")
    text = good.read_text()
    report = mirror.mirror_doc_assets(root)
    assert [p.handle for p in report.mirrored] == ["acme/good/1"]
    assert [handle for handle, _ in report.failed] == ["acme/gone/1"]
    assert "404" in report.failed[0][1]
    assert good.read_text() == text and not report.mirrored[0].wrote_doc
    assert docs_layout.archive_path(good).is_file() and docs_layout.signatures_path(good).is_file()
    assert validator.validate_tree(root) == []
    again = mirror.mirror_doc_assets(root, only=["acme/good/1"])
    assert (again.mirrored, again.failed) == ([], [])


def test_a_doc_saved_with_a_utf8_bom_is_mirrored_and_kept(text_model, server, served_dir, tmp_path):
    """A doc saved with a BOM (Windows editors) was skipped by `--from-docs`: its first line,
    `\\ufeff# Module ...`, named no kind; publishing beside it re-read it the same way."""
    pack.pack(text_model, served_dir / "bom.tar.gz")
    root = tmp_path / "hub"
    doc = _doc_with_asset(root, "bom", server.url("bom.tar.gz"))
    doc.write_bytes(b"\xef\xbb\xbf" + doc.read_bytes())
    (root / "assets/docs/acme/acme.md").write_text("# Publisher acme\nAcme.\n")
    saved = doc.read_bytes()
    report = mirror.mirror_doc_assets(root)
    assert [p.handle for p in report.mirrored] == ["acme/bom/1"] and report.failed == []
    assert doc.read_bytes() == saved and docs_layout.archive_path(doc).is_file()
    assert validator.validate_tree(root) == []


def test_a_deeply_nested_api_answer_is_no_doc_not_a_recursion_error(server, tmp_path):
    """The source hub's API answered `[[[...]]]` nested 100,000 deep: RecursionError escaped
    from response.json() as a traceback; it is an answer without a doc, like bad JSON."""
    nested = b"[" * 100_000 + b"]" * 100_000
    server.state.behaviours.append(
        http_server.answer_body("/api/models/acme/emb", 200, "application/json", nested)
    )
    found, asked = mirror._source_doc(server.url("acme/emb/1"))
    assert found is None and asked == [server.url("api/models/acme/emb")]
    with pytest.raises(errors.HTTPStatusError) as raised:  # The normal reason: no archive.
        mirror.mirror(server.url("acme/emb/1"), tmp_path / "hub")
    assert raised.value.status == 404


def test_mirror_command_from_docs_reports_each_failure(server, tmp_path, capsys):
    root = tmp_path / "hub"
    _doc_with_asset(root, "gone", server.url("gone.tar.gz"))
    assert main(["mirror", str(root), "--from-docs"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("tfhub: cannot mirror acme/gone/1: ")
    assert "404" in err and len(err.splitlines()) == 1


def test_mirror_command(served_model, server, tmp_path, capsys):
    root = tmp_path / "hub"
    source = server.url("acme/emb/1")
    assert main(["mirror", source, str(root), "--as", "acme/copy/5"]) == 0
    out, _ = capsys.readouterr()
    archive = root / "assets/docs/acme/models/copy/5.tar.gz"
    assert out == f"acme/copy/5\t{archive}\tsha256={served_model.sha256}\tdoc written\n"
    assert main(["mirror", source, source, str(root), "--as", "acme/copy/6"]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("tfhub: invalid handle: --as names one version")
    assert main(["mirror", str(root)]) == 2
    assert "--from-docs" in capsys.readouterr().err


def test_mirror_from_a_local_archive_file(text_model, tmp_path, capsys):
    """A downloaded `model.tar.gz` (tfhub resolves a local path to itself) is extracted safely
    and mirrored as its folder would be."""
    archive = models.make_tarball(str(text_model), str(tmp_path / "model.tar.gz"))
    want = pack.pack(text_model, tmp_path / "x.tar.gz").sha256
    assert main(["mirror", archive, str(tmp_path / "hub"), "--as", "acme/local/1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("acme/local/1\t") and f"sha256={want}\t" in out
    assert validator.validate_tree(tmp_path / "hub") == []


def _copy_to_gfile(folder: Path, url: str) -> None:
    """Copies a local model folder to a tf.io.gfile URL (ram:// stands in for gs://)."""
    import tensorflow as tf

    for below, _, files in tf.io.gfile.walk(str(folder)):
        rel = Path(below).relative_to(folder).as_posix()
        tf.io.gfile.makedirs(f"{url}/{rel}")
        for name in files:
            tf.io.gfile.copy(f"{below}/{name}", f"{url}/{rel}/{name}", overwrite=True)


def test_mirror_from_a_gfile_folder_read_in_place(text_model, tmp_path):
    """gs:// folders resolve in place (no download); ram:// is the tf.io.gfile stand-in here."""

    source = "ram://tfhub-mirror-test/model"
    _copy_to_gfile(text_model, source)
    published = mirror.mirror(source, tmp_path, as_handle="acme/from-gfile/1")
    assert published.archive_sha256 == pack.pack(text_model, tmp_path / "x.tar.gz").sha256


def test_mirror_from_another_tfhub_serve_copies_its_doc(text_model, tmp_path):
    from tfhub.hub import publish
    from tfhub.hub.runner import BackgroundServer
    from tfhub.hub.settings import ServeSettings

    source_root = tmp_path / "central"
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Module acme/emb/3\nWord embeddings of the central hub.\n\n"
        "<!-- asset-path: 3.tar.gz -->\n<!-- task: text-embedding -->\n"
        "<!-- fine-tunable: true -->\n<!-- format: saved_model_2 -->\n"
        "<!-- license: apache-2.0 -->\n\n## Overview\nWritten by the central team.\n"
        'model = hub.load("https://HUB_HOST/acme/emb/3")\n'
        "Older: https://HUB_HOST/acme/emb/3.1 and https://HUB_HOST/acme/emb/31.\n"
    )
    publish.publish(text_model, source_root, "acme/emb/3", doc=doc)
    settings = ServeSettings(root=str(source_root), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as central:
        source = central.url("acme/emb/3")
        published = mirror.mirror(source, tmp_path / "edge", as_handle="team/emb/7")
    mirrored = tmp_path / "edge/assets/docs/team/models/emb/7.md"
    expected = (
        doc.read_text()
        .replace("# Module acme/emb/3", "# Module team/emb/7")
        .replace("3.tar.gz", "7.tar.gz")
        # The edge hub's page tells users to load its own handle (it named acme/emb/3).
        .replace('HUB_HOST/acme/emb/3")', 'HUB_HOST/team/emb/7")')
    )
    assert mirrored.read_text() == expected  # No --task needed: the source hub knew it.
    assert published.wrote_doc and published.doc == mirrored
    assert validator.validate_tree(tmp_path / "edge") == []


def test_mirror_refuses_handles_a_hub_cannot_hold(served_model, server, tmp_path, capsys):
    """A fork's doc (untrusted) whose first line names `acme/../../../../../pwned/1` is not
    mirrored outside the hub: the run names it and fails (it exited 0 after a warning), after
    mirroring the other docs; `--as` is checked as publish checks a handle."""
    root = tmp_path / "a/b/c/fork"
    doc = _doc_with_asset(root, "nice", server.url("acme/emb/1"))
    doc.write_text(doc.read_text().replace("acme/nice/1", "acme/../../../../../pwned/1"))
    good = _doc_with_asset(root, "good", server.url("acme/emb/1.tar.gz"))
    assert main(["mirror", str(root), "--from-docs"]) == 1
    err = capsys.readouterr().err
    assert (
        "tfhub: cannot mirror assets/docs/acme/models/nice/1.md: line 1: the handle "
        "'acme/../../../../../pwned/1' on the first line has the part '..'"
    ) in err
    assert docs_layout.archive_path(good).exists(), err  # The other doc was mirrored.
    assert not (tmp_path / "a/pwned").exists()
    assert sorted(p.name for p in doc.parent.iterdir()) == ["1.md"]
    for handle in ("acme/../../pwned/1", "acme/.hidden/1", "acme/émb/1"):
        source = server.url("acme/emb/1")
        assert main(["mirror", source, str(root), "--as", handle]) == 2
        assert f"The hub handle {handle!r} has the " in capsys.readouterr().err
    assert not (tmp_path / "a/b/pwned").exists()
    assert not (root / "assets/docs/acme/models/.hidden").exists()


def test_mirror_from_a_tfhub_serve_below_a_path_copies_its_doc(text_model, tmp_path, capsys):
    """`tfhub serve --base-url https://host/hub` (behind a reverse proxy) answers its API at
    /hub/api/...: mirror asked /api/models/hub/acme/emb (404) and silently wrote a starter doc."""
    from tests._helpers.hub_server import free_port

    from tfhub.hub import publish
    from tfhub.hub.runner import BackgroundServer
    from tfhub.hub.settings import ServeSettings

    source_root = tmp_path / "central"
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Module acme/emb/1\nWord embeddings of the central hub.\n\n"
        "<!-- asset-path: 1.tar.gz -->\n<!-- task: text-embedding -->\n"
        "<!-- fine-tunable: true -->\n<!-- format: saved_model_2 -->\n\n## Overview\nTheirs.\n"
    )
    publish.publish(text_model, source_root, "acme/emb/1", doc=doc)
    port = free_port()
    base = f"http://127.0.0.1:{port}/hub"
    settings = ServeSettings(
        root=str(source_root), access_log=False, rescan_seconds=0, base_url=base
    )
    with BackgroundServer(settings, port=port):
        assert (
            main(["mirror", f"{base}/acme/emb/1", str(tmp_path / "edge"), "--as", "acme/emb/1"])
            == 0
        )
        assert capsys.readouterr().err == ""
        assert (tmp_path / "edge/assets/docs/acme/models/emb/1.md").read_text() == doc.read_text()
        # A model the source's API does not know: a starter doc, and stderr says why.
        (source_root / "assets/docs/acme/models/emb/1.md").unlink()
        assert (
            main(["mirror", f"{base}/acme/emb/1", str(tmp_path / "edge"), "--as", "acme/emb/2"])
            == 0
        )
    err = capsys.readouterr().err  # The server, in this process, warns of the doc gone too.
    assert f"tfhub: Found no doc of {base}/acme/emb/1 at its hub's JSON API " in err
    assert (
        f"(asked http://127.0.0.1:{port}/api/models/hub/acme/emb, {base}/api/models/acme/emb)"
        in err
    )
    assert "writing a starter doc for acme/emb/2" in err


def test_mirror_without_as_from_a_hub_below_a_path_keeps_its_handle(text_model, tmp_path):
    """Without --as, a version of a hub served below a path (`https://host/hub/acme/emb/1`)
    is the hub's acme/emb/1, as its API says: mirror installed it as hub/acme/emb/1, under a
    made-up publisher 'hub', with the doc's first line rewritten to that."""
    from tests._helpers.hub_server import free_port

    from tfhub.hub import publish
    from tfhub.hub.runner import BackgroundServer
    from tfhub.hub.settings import ServeSettings

    source_root = tmp_path / "central"
    publish.publish(text_model, source_root, "acme/emb/1")
    port = free_port()
    base = f"http://127.0.0.1:{port}/hub"
    settings = ServeSettings(
        root=str(source_root), access_log=False, rescan_seconds=0, base_url=base
    )
    with BackgroundServer(settings, port=port):
        published = mirror.mirror(f"{base}/acme/emb/1", tmp_path / "edge")
    edge_docs = tmp_path / "edge/assets/docs"
    assert published.doc == edge_docs / "acme/models/emb/1.md"
    assert not (edge_docs / "hub").exists()
    source_doc = (source_root / "assets/docs/acme/models/emb/1.md").read_text()
    assert published.doc.read_text() == source_doc
    assert validator.validate_tree(tmp_path / "edge") == []


def test_a_gfile_folder_larger_than_the_limit_is_refused_naming_the_file(
    text_model, tmp_path, monkeypatch
):
    """A gs:// folder was copied whole, without bound (a hostile source could fill the disk):
    it is bounded by TFHUB_MAX_EXTRACTED_BYTES, as archives are."""
    import tensorflow as tf

    source = "ram://tfhub-mirror-test/too-big"
    _copy_to_gfile(text_model, source)
    with tf.io.gfile.GFile(f"{source}/assets/zz-huge.bin", "wb") as file:
        file.write(b"\0" * (2 << 20))
    monkeypatch.setenv(constants.TFHUB_MAX_EXTRACTED_BYTES, "1M")
    with pytest.raises(errors.MirrorTooLargeError) as raised:
        mirror.mirror(source, tmp_path / "hub", as_handle="acme/too-big/1")
    assert isinstance(raised.value, OSError) and raised.value.limit == 1 << 20
    assert raised.value.path == f"{source}/assets/zz-huge.bin"
    message = str(raised.value)
    assert "zz-huge.bin" in message and "1,048,576 bytes" in message
    assert "TFHUB_MAX_EXTRACTED_BYTES" in message
    assert not (tmp_path / "hub").exists()


def test_an_archive_larger_than_the_limit_is_refused_naming_it(served_model, server, tmp_path):
    """An http(s) archive is bounded as it is extracted (TFHUB_MAX_EXTRACTED_BYTES)."""
    url = server.url("acme/emb/1.tar.gz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(constants.TFHUB_MAX_EXTRACTED_BYTES, "1K")
        with pytest.raises(errors.ArchiveTooLargeError) as raised:
            mirror.mirror(url, tmp_path / "hub", as_handle="acme/emb/1")
    assert url in str(raised.value) and "1024 bytes" in str(raised.value)
    assert not list((tmp_path / "hub").rglob("*.tar.gz"))


def test_an_api_answer_longer_than_the_limit_is_refused_not_read(server, tmp_path, monkeypatch):
    """The source hub's JSON API answer was read whole into memory, however long."""
    monkeypatch.setattr(mirror, "MAX_API_BYTES", 1000)
    body = b'{"versions": [' + b'{"version": 1, "doc_markdown": "x"},' * 100 + b"{}]}"
    server.state.behaviours.append(
        http_server.answer_body("/api/models/acme/emb", 200, "application/json", body)
    )
    with pytest.raises(errors.MirrorTooLargeError) as raised:
        mirror.mirror(server.url("acme/emb/1"), tmp_path / "hub")
    assert raised.value.path == server.url("api/models/acme/emb")
    assert "longer than 1,000 bytes" in str(raised.value)
    assert not (tmp_path / "hub").exists()


def test_a_full_stdout_stops_no_mirror_after_it_lead63(
    served_model, server, served_dir, tmp_path, capsys, monkeypatch
):
    """Review rv63b: `tfhub mirror A B ROOT > /dev/full` ended at A's line (unbuffered, as CI
    runs): B was never mirrored. The lines report the work; every source is mirrored."""
    import shutil
    import sys

    (served_dir / "acme/two").mkdir(parents=True)
    shutil.copy(served_model.path, served_dir / "acme/two/1.tar.gz")
    root = tmp_path / "hub"
    with open("/dev/full", "w", buffering=1) as full:
        monkeypatch.setattr(sys, "stdout", full)
        code = main(["mirror", server.url("acme/emb/1"), server.url("acme/two/1"), str(root)])
        monkeypatch.undo()
    assert code == 1
    assert "cannot write the output" in capsys.readouterr().err
    for model in ("emb", "two"):
        assert (root / f"assets/docs/acme/models/{model}/1.tar.gz").is_file(), model
