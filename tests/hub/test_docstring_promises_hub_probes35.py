"""Session 35: the promises in the docstrings of the hub's Python API, each triggered for real
(real folders, real servers on 127.0.0.1): `tfhub.server.serve_models`, `runner.check_options`,
the settings' checks, `pack`, `mirror`'s handle and docs helpers, search, the starter doc."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import MODEL_FILES
from tests._helpers.hub_server import (
    has_ipv6_loopback,
    signature_summary_json,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

from tfhub import errors
from tfhub.hub import (
    app,
    cache_dir,
    catalog,
    mirror,
    nginx,
    pack,
    publish,
    runner,
    search,
    settings,
    signatures,
    starter,
    validator,
)
from tfhub.hub.doc_handles import parse_handle
from tfhub.server import serve_models

# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    """A hub of three models (one a model folder, packed on its first download)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_folder(write_model_doc(root, "acme/emb/1", asset="1.tar.gz"))
    write_model_doc(root, "acme/Zeta/1", task="image-classification", description="A zeta net.")
    write_model_doc(root, "acme/alpha/1", task="image-classification", description="Zeta too.")
    return root


@pytest.fixture
def listening() -> Iterator[int]:
    """A port of 127.0.0.1 another socket listens on."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    for name, data in MODEL_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def _files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# --- serve_models / BackgroundServer -------------------------------------------------------------


def test_serve_models_on_a_port_in_use_says_which_and_what_to_do(hub, listening):
    with pytest.raises(errors.ServeConfigError) as caught, serve_models(str(hub), port=listening):
        pass
    assert f"127.0.0.1:{listening}" in str(caught.value)
    assert "another port" in str(caught.value)
    assert caught.value.option == "port"
    assert isinstance(caught.value.__cause__, OSError)


def test_serve_models_on_a_host_that_is_not_an_address_says_so(hub):
    with (
        pytest.raises(errors.ServeConfigError, match="no.such.host.invalid") as caught,
        serve_models(str(hub), host="no.such.host.invalid"),
    ):
        pass
    assert caught.value.option == "host"


@pytest.mark.skipif(not has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_serve_models_listens_on_the_ipv6_loopback(hub):
    with serve_models(str(hub), host="::1") as server:
        assert server.url("healthz").startswith(f"http://[::1]:{server.port}/")
        answer = requests.get(server.url("healthz"), timeout=10)
    assert answer.status_code == 200
    assert answer.text.startswith("ok 3 models")


def test_serve_models_serves_root_and_logs_one_line_per_request(hub, caplog):
    caplog.set_level(logging.INFO, logger="tfhub.hub.access")
    with serve_models(str(hub), access_log=True) as server:
        archive = requests.get(server.url("acme/emb/1?tf-hub-format=compressed"), timeout=30)
        requests.get(server.url("healthz"), timeout=10)
    assert archive.status_code == 200 and archive.content[:2] == b"\x1f\x8b"
    lines = [r.getMessage() for r in caplog.records if r.name == "tfhub.hub.access"]
    assert len(lines) == 2
    assert "/acme/emb/1" in lines[0] and "/healthz" in lines[1]


def test_serve_models_of_a_missing_root_names_it(tmp_path):
    with (
        pytest.raises(errors.ServeConfigError, match="no such folder") as caught,
        serve_models(str(tmp_path / "nope")),
    ):
        pass
    assert isinstance(caught.value.__cause__, FileNotFoundError)


# --- runner.check_options and the settings' checks -----------------------------------------------


def test_check_options_refuses_a_port_in_use(hub, listening):
    with pytest.raises(errors.ServeConfigError, match="choose another --port") as caught:
        runner.check_options(
            settings.ServeSettings(str(hub)),
            host="127.0.0.1",
            port=listening,
            workers=1,
            server="uvicorn",
        )
    assert caught.value.option == "--port"


def test_check_options_refuses_a_host_that_is_not_an_address(hub):
    with pytest.raises(errors.ServeConfigError, match="127.0.0.1, 0.0.0.0 or ::1") as caught:
        runner.check_options(
            settings.ServeSettings(str(hub)),
            host="no.such.host.invalid",
            port=8080,
            workers=1,
            server="uvicorn",
        )
    assert caught.value.option == "--host"


@pytest.mark.timeout(60)  # Were an option let through, the server would start and serve on.
@pytest.mark.parametrize(("option", "value"), [("server", "nginx"), ("port", 0), ("workers", 0)])
def test_serve_with_a_bad_option_starts_nothing_and_never_calls_on_ready(
    hub, monkeypatch, option, value
):
    monkeypatch.delenv(settings.SETTINGS_ENV, raising=False)
    called: list[bool] = []
    options = {"host": "127.0.0.1", "port": 8080, "workers": 1, "server": "uvicorn"}
    options[option] = value
    with pytest.raises(errors.ServeConfigError, match=str(value)) as caught:
        runner.serve(
            settings.ServeSettings(str(hub)), on_ready=lambda: called.append(True), **options
        )
    assert caught.value.option == f"--{option}"
    assert called == [] and settings.SETTINGS_ENV not in os.environ


def test_app_from_env_serves_the_settings_a_parent_left(hub, tmp_path, monkeypatch):
    import uvicorn

    chosen = settings.ServeSettings(
        str(hub), cache_dir=str(tmp_path / "cache"), access_log=False, rescan_seconds=0
    )
    monkeypatch.setenv(settings.SETTINGS_ENV, chosen.to_env())
    server = uvicorn.Server(uvicorn.Config(app.app_from_env(), log_config=None, ws="none"))
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        worker = threading.Thread(target=server.run, args=([bound],), daemon=True)
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.01)
            url = f"http://127.0.0.1:{bound.getsockname()[1]}/acme/emb/1"
            answer = requests.get(url, params={"tf-hub-format": "compressed"}, timeout=30)
        finally:
            server.should_exit = True
            worker.join(timeout=10)
    assert answer.status_code == 200 and answer.content[:2] == b"\x1f\x8b"
    assert list((tmp_path / "cache").iterdir())  # Packed into the settings' cache_dir.


def test_check_cache_dir_makes_a_missing_folder_and_refuses_a_file(tmp_path):
    cache_dir.check_cache_dir(str(tmp_path / "made" / "here"))
    assert (tmp_path / "made" / "here").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(errors.ServeConfigError, match="it is a file, not a folder") as caught:
        cache_dir.check_cache_dir(str(tmp_path / "file"))
    assert caught.value.option == "--cache-dir"


def test_check_uncompressed_base_takes_a_gs_folder_only(hub):
    settings.check_uncompressed_base("gs://team-bucket/hub")
    with pytest.raises(errors.ServeConfigError, match="e.g. gs://bucket/hub") as caught:
        settings.check_uncompressed_base("https://storage.example/hub")
    assert caught.value.option == "--uncompressed-base"
    assert str(caught.value).endswith("Received: 'https://storage.example/hub'")


def test_read_tokens_refuses_a_file_of_comments_only(tmp_path):
    (tmp_path / "tokens").write_text("# nothing yet\n\n")
    with pytest.raises(errors.ServeConfigError, match="holds no token") as caught:
        settings.read_tokens(str(tmp_path / "tokens"))
    assert caught.value.option == "--token-file"


def test_from_env_of_a_value_that_is_not_settings_says_to_use_tfhub_serve(monkeypatch):
    for value in ("{not json", '{"root": "/x", "no_such_option": 1}', "[1]"):
        monkeypatch.setenv(settings.SETTINGS_ENV, value)
        with pytest.raises(errors.TFHubError, match="start the server with tfhub serve"):
            settings.ServeSettings.from_env()


def test_check_root_of_a_missing_folder_is_caused_by_file_not_found(tmp_path):
    with pytest.raises(errors.ServeConfigError, match="no such folder") as caught:
        settings.check_root(settings.ServeSettings(str(tmp_path / "gone")))
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    (tmp_path / "file").write_text("x")
    with pytest.raises(errors.ServeConfigError, match="not a folder") as caught:
        settings.check_root(settings.ServeSettings(str(tmp_path / "file")))
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("host", ["127.0.0.1; return 200 x; #", "h{", "a b", "x\ny"])
def test_nginx_config_refuses_an_upstream_that_would_break_its_server_line(host):
    with pytest.raises(errors.ServeConfigError, match="--host") as caught:
        nginx.nginx_config("/srv/hub", upstream=settings.host_port(host, 8000), listen="80")
    assert caught.value.option == "--host"
    assert str(caught.value).endswith(f"Received: {settings.host_port(host, 8000)!r}")


def test_nginx_config_takes_ipv4_ipv6_and_named_upstreams():
    for host in ("127.0.0.1", "::1", "hub-1.internal"):
        upstream = settings.host_port(host, 8000)
        assert f"server {upstream};" in nginx.nginx_config(
            "/srv/hub", upstream=upstream, listen="80"
        )


# --- pack ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [10, -1, 99])
def test_pack_refuses_a_gzip_level_outside_0_to_9(model, tmp_path, level):
    with pytest.raises(errors.ArgumentError, match=f"Received: compresslevel={level}$"):
        pack.pack(model, tmp_path / "out.tar.gz", compresslevel=level)
    assert not list(tmp_path.glob("out*"))


@pytest.mark.parametrize("level", ["6", 1.5, True, None])
def test_pack_refuses_a_gzip_level_that_is_not_an_int(model, tmp_path, level):
    with pytest.raises(errors.ArgumentTypeError, match="compresslevel"):
        pack.pack(model, tmp_path / "out.tar.gz", compresslevel=level)
    assert not list(tmp_path.glob("out*"))


def test_pack_writes_the_same_bytes_each_time_at_each_level(model, tmp_path):
    for level in (0, 1, 9):
        first = pack.pack(model, tmp_path / "a.tar.gz", compresslevel=level)
        second = pack.pack(model, tmp_path / "b.tar.gz", compresslevel=level)
        assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
        assert first.sha256 == second.sha256 and first.files == len(MODEL_FILES)


def test_pack_into_a_missing_folder_is_an_oserror_leaving_nothing(model, tmp_path):
    before = _files(tmp_path)
    with pytest.raises(OSError, match="check that its folder exists"):
        pack.pack(model, tmp_path / "no" / "dir" / "out.tar.gz")
    assert _files(tmp_path) == before


# --- mirror's helpers ----------------------------------------------------------------------------


def test_derive_handle_gives_none_for_a_url_that_is_no_handle_and_refuses_dot_dot():
    assert mirror.derive_handle("https://hub.example/acme/emb/1") == parse_handle("acme/emb/1")
    assert mirror.derive_handle("https://hub.example/acmé/emb/1") is None  # Not ASCII: --as.
    assert mirror.derive_handle("https://hub.example/models/x.tar.gz") is None
    with pytest.raises(errors.InvalidHandleError, match="has the part '..'"):
        mirror.derive_handle("https://hub.example/acme/../1")


def test_mirror_refuses_an_existing_version_but_not_a_doc_waiting_for_its_model(hub, model):
    write_model_doc(hub, "acme/wait/1", asset="https://example.com/wait.tar.gz")
    before = {path: path.read_bytes() for path in hub.rglob("*") if path.is_file()}
    with pytest.raises(errors.VersionExistsError, match="pass --force to replace it"):
        mirror.mirror(str(model), hub, as_handle="acme/emb/1")
    # Past the version check to the model's own (MODEL_FILES has no MetaGraph): not refused
    # as existing, and nothing of the hub changed.
    with pytest.raises(errors.NotAModelError, match="mirror again; nothing was published"):
        mirror.mirror(str(model), hub, as_handle="acme/wait/1")
    assert {path: path.read_bytes() for path in hub.rglob("*") if path.is_file()} == before


def test_mirror_doc_assets_of_a_folder_without_docs_says_where_they_go(tmp_path):
    with pytest.raises(errors.ModelNotFoundError, match="assets/docs") as caught:
        mirror.mirror_doc_assets(tmp_path / "typo")
    assert "Received: root=" in str(caught.value)
    assert not (tmp_path / "typo").exists()


def test_mirror_doc_assets_reports_a_handle_of_only_that_names_no_module_doc(hub):
    report = mirror.mirror_doc_assets(hub, only=["acme/none/1", "acme/emb/1"])
    assert report.mirrored == []  # acme/emb/1 has its model files: nothing to do.
    assert len(report.failed) == 1
    handle, message = report.failed[0]
    assert handle == "acme/none/1"
    assert "assets/docs/acme/models/none/1.md" in message and "tfhub publish" in message


@pytest.mark.parametrize("handle", [None, 5, b"acme/emb/1", Path("acme/emb/1")])
def test_publish_of_a_handle_that_is_not_text_says_what_to_pass(model, tmp_path, handle):
    with pytest.raises(errors.InvalidHandleError, match="publisher/model/version") as caught:
        publish.publish(model, tmp_path / "hub", handle)
    assert isinstance(caught.value, TypeError)
    assert str(caught.value).endswith(f"Received: handle={handle!r}")
    assert not (tmp_path / "hub").exists()


def test_publish_of_a_doc_that_is_not_utf8_names_the_byte_and_says_nothing_was_published(
    model, tmp_path
):
    (tmp_path / "doc.md").write_bytes(b"# Module acme/emb/1\nCaf\xe9 model.\n")
    with pytest.raises(errors.DocFormatError, match="byte offset 23") as caught:
        publish.publish(model, tmp_path / "hub", "acme/emb/1", doc=tmp_path / "doc.md")
    assert caught.value.line == 2 and caught.value.offset == 23
    assert "save the file as UTF-8" in str(caught.value)
    assert str(caught.value).endswith("then publish again (nothing was published)")
    assert not (tmp_path / "hub").exists()


def test_tag_files_that_cannot_be_read_are_validation_problems_saying_what_to_write(hub):
    tags = hub / "tags"
    tags.mkdir()
    (tags / "task.yaml").write_text("values:\n  - id: text-embedding\n")
    (tags / "dataset.yaml").write_text("- just\n- a list\n")
    (tags / "colab.yaml").write_text("- url\n")
    (tags / "license.yaml").mkdir()
    (tags / "language.yaml").symlink_to(hub / "gone.yaml")
    problems = {p.path: p.message for p in validator.validate_tree(hub) if p.line == 0}
    assert "'values:', a list of entries each with an 'id'" in problems["tags/dataset.yaml"]
    assert problems["tags/dataset.yaml"].endswith("Received: ['just', 'a list']")
    assert "'format: url'" in problems["tags/colab.yaml"]
    assert "Is a directory" in problems["tags/license.yaml"]
    assert "No such file" in problems["tags/language.yaml"]
    assert "tags/task.yaml" not in problems


# --- search and the starter doc ------------------------------------------------------------------


def test_search_matches_every_model_for_no_words_and_none_for_punctuation_only(hub):
    index = search.SearchIndex.build(catalog.Catalog.scan(str(hub)))
    everyone = ["acme/alpha", "acme/emb", "acme/Zeta"]  # handle_order: whatever the case.
    assert [m.handle for m in index.search("")] == everyone
    assert [m.handle for m in index.search("   ")] == everyone
    assert index.search(".*[(") == [] and index.search("++") == []
    found = index.search("", {"task": "IMAGE-Classification"})
    assert [m.handle for m in found] == ["acme/alpha", "acme/Zeta"]


def test_facet_counts_leave_out_the_facets_own_value_and_count_an_unknown_one_as_0(hub):
    index = search.SearchIndex.build(catalog.Catalog.scan(str(hub)))
    counts = index.facet_counts("", {"task": "Video-Nothing"})
    assert counts["task"] == {"image-classification": 2, "text-embedding": 1, "video-nothing": 0}
    assert counts["publisher"] == {"acme": 0}  # The task filter finds no model.


def test_a_starter_doc_without_a_task_says_what_to_pass(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps(signature_summary_json()))
    summary = signatures.read_summary(tmp_path / "summary.json")
    with pytest.raises(errors.DocValidationError, match="pass --task") as caught:
        starter.starter_module_doc(
            parse_handle("acme/x/1"), summary, starter.StarterInfo(), asset_path="1.tar.gz"
        )
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("acme/x/1: 'task'")
    assert os.fspath("assets/docs/acme/models/x/1.md") in str(caught.value)
