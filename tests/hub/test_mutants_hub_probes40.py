"""Rules of the private hub's settings, runner, JSON API, renderer, tag definitions, starter
docs, signature summaries, pack output, nginx config and docs format that a hand-made mutant
(a flipped comparison, a dropped check, a value left out) could change without any test
failing (the lines session 39's pass did not run): each test here fails under the mutant its
docstring names, and passes on the code as it is."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tests._helpers import mounts
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import settings
from tfhub.hub.app import create_app
from tfhub.hub.nginx import nginx_config
from tfhub.hub.settings import ServeSettings


def _app(root: Path, **options: Any) -> Any:
    return create_app(ServeSettings(root=str(root), access_log=False, rescan_seconds=0, **options))


def _json(app: Any, path: str, query: bytes = b"") -> tuple[int, Any]:
    status, body = asgi_request(app, "GET", path.encode("ascii"), query)
    return status, json.loads(body)


def test_a_base_url_ending_in_a_slash_serves_the_hub_below_its_path(tmp_path):
    """Mutant: `base_path` keeps the trailing slash of `--base-url https://corp/hub/`; the
    prefix `/hub/` then matched no request (`/hub/api/models` is not `/hub//...`), so every
    URL the pages give (below /hub) was a 404."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    app = _app(tmp_path, base_url="https://corp.example/hub/")
    status, data = _json(app, "/hub/api/models")
    assert status == 200 and [m["handle"] for m in data["models"]] == ["acme/emb"]
    assert data["models"][0]["url"] == "https://corp.example/hub/acme/emb/1"


def test_a_cache_dir_on_a_read_only_file_system_is_refused(tmp_path):
    """Mutant: `check_cache_dir` skips the `os.access` check; a --cache-dir on a read-only
    file system (which root cannot write either) then passed, and every download of a folder
    version was a 500 whose cause only the server log named."""
    with mounts.tmpfs(tmp_path / "ro", "ro,size=64k") as read_only:
        with pytest.raises(errors.ServeConfigError, match="cannot write into it") as caught:
            settings.check_cache_dir(str(read_only))
    assert caught.value.option == "--cache-dir"


def test_a_doc_no_longer_utf8_since_the_scan_gives_no_markdown_not_a_500(tmp_path):
    """Defect (found by the mutant `except (OSError, ValueError)` of `api._file_text`, which
    no test told from the code): a doc saved again as Latin-1 after the scan made
    `/api/models/<handle>` and `/api/publishers/<name>` a 500 until the next rescan, though
    `doc_markdown` is documented as None for a doc that cannot be read."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    app = _app(tmp_path)
    doc.write_bytes(doc.read_bytes().replace(b"A small model.", b"Caf\xe9 model."))
    (tmp_path / "assets/docs/acme/acme.md").write_bytes(b"# Publisher acme\nCaf\xe9.\n")
    status, model = _json(app, "/api/models/acme/emb")
    assert status == 200 and model["versions"][0]["doc_markdown"] is None
    status, publisher = _json(app, "/api/publishers/acme")
    assert status == 200 and publisher["doc_markdown"] is None


def test_a_token_file_rewritten_within_its_timestamps_grain_is_read_again(tmp_path, monkeypatch):
    """Mutants: `_RACY_NS = 0`, `TokenFile.tokens` reading again only when the stamp changed
    (without `or self._racy`), or the first read never taken as racy; on a file system that
    keeps whole-second times (FAT, some network mounts), a token replaced by another of the
    same length within that second kept working, and the new one was refused."""
    path = tmp_path / "tokens"
    real_stat = os.stat

    def whole_second_stat(file: Any, *args: Any, **kwargs: Any) -> Any:
        found = real_stat(file, *args, **kwargs)
        if os.fspath(file) != os.fspath(path):
            return found
        second = 1_000_000_000
        return SimpleNamespace(
            st_dev=found.st_dev,
            st_ino=found.st_ino,
            st_size=found.st_size,
            st_mode=found.st_mode,
            st_ctime_ns=found.st_ctime_ns // second * second,
            st_mtime_ns=found.st_mtime_ns // second * second,
        )

    monkeypatch.setattr(os, "stat", whole_second_stat)
    time.sleep(1 - time.time() % 1 + 0.01)  # Both writes within one second.
    path.write_text("old-token\n")
    tokens = settings.TokenFile(str(path))
    path.write_text("new-token\n")  # Same size, same whole-second times: the same stamp.
    assert settings._file_stamp(str(path)) == tokens._stamp
    assert tokens.tokens() == frozenset({"new-token"})


def test_a_token_file_changed_long_after_its_last_write_is_read_again(tmp_path):
    """Mutant: `TokenFile.tokens` reads the file again only while it is racy (`if
    self._racy:`); once its last write was seconds old, a token removed from the file (the
    stamp changed) kept working, until a restart."""
    path = tmp_path / "tokens"
    old = time.time_ns() - 3_600 * 1_000_000_000  # An hour ago: not racy.
    path.write_text("old-token\n")
    os.utime(path, ns=(old, old))
    tokens = settings.TokenFile(str(path))
    assert not tokens._racy
    path.write_text("new-token\n")
    os.utime(path, ns=(old + 1, old + 1))
    assert tokens.tokens() == frozenset({"new-token"})


def _archive_location(conf: str) -> re.Pattern[str]:
    """The regex of the config's `location ~ "..."` of versioned archives, as Python reads it."""
    [written] = re.findall(r'location ~ "(.*)" \{', conf)
    return re.compile(written.replace("(?<", "(?P<"))


def test_the_nginx_archive_location_takes_a_dot_of_the_base_url_path_as_a_dot(tmp_path):
    """Mutant: the --base-url path pasted into the archive location's regex unescaped; with
    `/hub.v1`, the `.` then matched any character, so nginx sent the archive of `/hubxv1/...`
    (a path of no hub) itself."""
    conf = nginx_config(
        str(tmp_path), upstream="127.0.0.1:8000", listen="80", base_url="https://h/hub.v1"
    )
    location = _archive_location(conf)
    assert location.fullmatch("/hub.v1/lab/m/1")
    assert not location.fullmatch("/hubxv1/lab/m/1")


def test_the_nginx_config_names_the_port_of_an_ipv6_upstream(tmp_path):
    """Mutant: the port taken after the first `:` of the upstream; for `[::1]:8000` the
    config's first lines then said to run `tfhub serve ... --port :1]:8000`."""
    conf = nginx_config(str(tmp_path), upstream="[::1]:8000", listen="80")
    assert f"tfhub serve {tmp_path} --port 8000 --print-nginx-config 80" in conf
