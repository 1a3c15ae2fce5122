"""A hub with `--token-file` as a team deploys it, and as a client on the network probes it."""

from __future__ import annotations

import base64
import logging
import os
import socket
import traceback

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    run_nginx,
    serve_hub,
    write_model_doc,
    write_publisher,
)

from tfhub import errors
from tfhub.hub.nginx import nginx_config
from tfhub.hub.settings import ServeSettings, read_tokens, warn_about_settings


def _one_model(tmp_path):
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/m/1", description="Version one.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    return root


def test_a_token_file_saved_with_a_bom_and_crlf_keeps_its_first_token(tmp_path):
    """An editor's UTF-8 byte order mark stuck to the first token, which every request then
    failed to match (403); CRLF line ends, spaces and comments are ignored too."""
    path = tmp_path / "tokens"
    path.write_bytes(b"\xef\xbb\xbffirst-token\r\n# a comment\r\n\r\n  second-token \r\n")
    assert read_tokens(str(path)) == {"first-token", "second-token"}


def test_a_token_file_that_is_not_utf8_is_refused_without_showing_its_bytes(tmp_path):
    """The error quoted the UnicodeDecodeError (`can't decode byte 0xe9`: a byte of a token)
    and chained it, its `object` holding the whole file, every token."""
    path = tmp_path / "tokens"
    path.write_bytes(b"first-token\nsecond-tok\xe9n\n")
    with pytest.raises(errors.ServeConfigError, match="not UTF-8 text") as caught:
        read_tokens(str(path))
    shown = "".join(traceback.format_exception(caught.value))
    assert "0xe9" not in shown and "first-token" not in shown and "second-tok" not in shown
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_token_file_every_user_may_read_is_warned_about(tmp_path, caplog):
    """A world-readable token file (mode 644, what `echo > file` makes) was served silently."""
    path = tmp_path / "tokens"
    path.write_text("a-token\n")
    settings = ServeSettings(root=str(tmp_path), token_file=str(path))
    os.chmod(path, 0o600)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub"):
        warn_about_settings(settings)
        assert "readable by every user" not in caplog.text
        os.chmod(path, 0o644)
        warn_about_settings(settings)
    assert f"{path} is readable by every user" in caplog.text and "chmod o-rwx" in caplog.text
    assert "a-token" not in caplog.text


def _status(port: int, authorization: bytes) -> int:
    """The status of a GET with these raw `Authorization` bytes (requests would re-encode)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"GET /lab/m/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Authorization: " + authorization + b"\r\n\r\n"
        )
        return int(sock.recv(64).split(b" ")[1])


def test_a_non_ascii_token_is_accepted_as_bearer_and_as_basic(tmp_path):
    """A token with a non-ASCII character (the file is UTF-8) was accepted as a Basic password
    but refused (403) as `Bearer`: the header's UTF-8 bytes were read as Latin-1."""
    root = _one_model(tmp_path)
    (tmp_path / "tokens").write_text("tök€n-42\n", encoding="utf-8")
    with serve_hub(root, tmp_path / "log", "--token-file", str(tmp_path / "tokens")) as app:
        token = "tök€n-42".encode()
        assert _status(app.port, b"Bearer " + token) == 200
        assert _status(app.port, b"Basic " + base64.b64encode(b"me:" + token)) == 200
        assert _status(app.port, b"Bearer " + "tök€n-43".encode()) == 403
        assert _status(app.port, b"Bearer t\xf6k\x80n-42") == 403  # Latin-1 bytes: not it.
        assert _status(app.port, b"Basic !!not-base64") == 401
    logged = app.access_log()  # (Not "42" alone: a PID or port may hold it.)
    assert "tök€n" not in logged and "t\\xf6k" not in logged and "n-42" not in logged
    assert base64.b64encode(b"me:" + token).decode() not in logged


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")
def test_the_printed_nginx_config_sends_archives_only_with_a_token(tmp_path):
    """`tfhub serve --token-file F --print-nginx-config` printed the auth_request lines
    commented out: nginx sent every archive to anyone, with `Cache-Control: public` (which
    lets shared caches keep an answer to a request with a token and give it to others). Its
    401 names Basic, as tfhub serve's does, so that a browser asks for the token: nginx passes
    on only the first `WWW-Authenticate`, which said Bearer (no browser prompt)."""
    root = _one_model(tmp_path)
    (tmp_path / "tokens").write_text("nginx-token\n")
    app_port, nginx_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{nginx_port}/hub"
    conf = nginx_config(
        str(root), upstream=f"127.0.0.1:{app_port}", listen=f"127.0.0.1:{nginx_port}",
        base_url=base_url,
    )  # fmt: skip
    options = ("--token-file", str(tmp_path / "tokens"), "--base-url", base_url)
    with (
        run_nginx(conf, tmp_path / "nginx", port=nginx_port),
        serve_hub(root, tmp_path / "serve.log", *options, port=app_port),
    ):
        url = f"{base_url}/lab/m/1?tf-hub-format=compressed"
        missing = requests.get(url, timeout=10)
        assert missing.status_code == 401 and "Basic" in missing.headers["WWW-Authenticate"]
        wrong = {"Authorization": "Bearer wrong"}
        assert requests.get(url, headers=wrong, timeout=10).status_code == 403
        archive = requests.get(url, headers={"Authorization": "Bearer nginx-token"}, timeout=10)
        assert archive.status_code == 200 and archive.headers["Server"].startswith("nginx")
        assert archive.headers["Cache-Control"] == "private, max-age=86400"
        by_basic = requests.get(url, auth=("me", "nginx-token"), timeout=10)
        assert by_basic.status_code == 200
    assert "nginx-token" not in (tmp_path / "serve.log").read_text()
    assert "nginx-token" not in (tmp_path / "nginx" / "access.log").read_text()


def test_healthz_tells_a_request_without_a_token_only_ok(tmp_path):
    """`/healthz` is open for load balancers; on a hub with tokens it told anyone how many
    models the hub holds and how long its scans take. A stranger now gets "ok" only."""
    root = _one_model(tmp_path)
    (tmp_path / "tokens").write_text("s3cret-token\n", encoding="utf-8")
    with serve_hub(root, tmp_path / "log", "--token-file", str(tmp_path / "tokens")) as app:
        stranger = requests.get(app.url("healthz"), timeout=10)
        wrong = requests.get(app.url("healthz"), auth=("me", "nope"), timeout=10)
        known = requests.get(
            app.url("healthz"), headers={"Authorization": "Bearer s3cret-token"}, timeout=10
        )
    assert (stranger.status_code, stranger.text) == (200, "ok\n")
    assert (wrong.status_code, wrong.text) == (200, "ok\n")
    assert known.status_code == 200 and known.text.startswith("ok 1 model; scan ")
    with serve_hub(root, tmp_path / "log2") as open_hub:  # No tokens: nothing to hide.
        assert requests.get(open_hub.url("healthz"), timeout=10).text.startswith("ok 1 model;")
