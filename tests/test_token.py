"""TFHUB_TOKEN: sent as a bearer token only to TFHUB_TOKEN_HOST, never across a redirect."""

from __future__ import annotations

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import archive_gets, redirect_to, serve_folder

import tfhub as hub
from tfhub import _token, errors

TOKEN = "tok-123"


def test_token_goes_only_to_its_host_and_not_across_redirects(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    make_tar_gz(tmp_path / "a" / "m.tar.gz")
    make_tar_gz(tmp_path / "b" / "moved.tar.gz")
    with serve_folder(str(tmp_path / "a")) as first, serve_folder(str(tmp_path / "b")) as other:
        # Another host name for the same machine: a different host to the client.
        target = f"http://localhost:{other.port}/moved.tar.gz"
        first.state.behaviours.append(redirect_to("/r.tar.gz", target))
        monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
        monkeypatch.setenv("TFHUB_TOKEN_HOST", f"127.0.0.1:{first.port}")
        assert read_tree(hub.resolve(first.url("m.tar.gz"))) == MODEL_FILES
        assert read_tree(hub.resolve(first.url("r.tar.gz"))) == MODEL_FILES
        assert read_tree(hub.resolve(other.url("moved.tar.gz") + "?v=2")) == MODEL_FILES
        sent = {path: headers for _, path, headers in archive_gets(first, ".tar.gz")}
        assert all(headers.get("Authorization") == f"Bearer {TOKEN}" for headers in sent.values())
        assert len(sent) == 2
        received = archive_gets(other, "moved.tar.gz")
        assert len(received) == 2  # The redirect and the direct request to the other port.
        assert all("Authorization" not in headers for _, _, headers in received)


@pytest.mark.parametrize(
    ("hosts", "url", "sent"),
    [
        ("hub.corp", "https://hub.corp/a/b/1", True),
        ("hub.corp", "https://hub.corp:8443/a/b/1", True),
        ("HUB.corp:8443", "https://hub.corp:8443/a/b/1", True),
        ("hub.corp:8443", "https://hub.corp/a/b/1", False),
        ("hub.corp", "https://evil.com/hub.corp", False),
        ("hub.corp", "https://hub.corp.evil.com/a", False),
        ("", "https://hub.corp/a", False),
        ("other, hub.corp", "http://hub.corp/a", True),
    ],
)
def test_token_for_matches_the_host(monkeypatch, hosts, url, sent):
    monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", hosts)
    assert (_token.token_for(url) == TOKEN) is sent
    assert TOKEN not in repr(_token.auth_for(url))


def test_401_says_what_to_set(tmp_path):
    from tests._helpers.http_server import answer_status

    with serve_folder(str(tmp_path)) as server:
        server.state.behaviours.append(answer_status("/m.tar.gz", 401))
        with pytest.raises(errors.HTTPStatusError, match="set TFHUB_TOKEN") as raised:
            hub.resolve(server.url("m.tar.gz"))
    assert raised.value.status == 401


def test_token_hints_never_show_a_urls_password(tmp_path, monkeypatch):
    """The hint named the URL's netloc, user:password included ("TFHUB_TOKEN_HOST=alice:S3CRET@
    127.0.0.1:8000"): a secret printed, and an entry that never matches (hosts are compared
    without it)."""
    from tests._helpers.http_server import answer_status

    with serve_folder(str(tmp_path)) as server:
        server.state.behaviours.append(answer_status("/m.tar.gz", 401))
        server.state.behaviours.append(answer_status("/f.tar.gz", 403))
        secret_url = server.url("m.tar.gz").replace("http://", "http://alice:S3CRET@")
        with pytest.raises(errors.HTTPStatusError) as raised:
            hub.resolve(secret_url)
        assert f"TFHUB_TOKEN_HOST=127.0.0.1:{server.port}." in str(raised.value)
        monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
        monkeypatch.setenv("TFHUB_TOKEN_HOST", "hub.corp")
        with pytest.raises(errors.HTTPStatusError) as forbidden:
            hub.resolve(secret_url.replace("m.tar.gz", "f.tar.gz"))
        assert f"add 127.0.0.1:{server.port} to TFHUB_TOKEN_HOST" in str(forbidden.value)
    for error in (raised.value, forbidden.value):
        assert "S3CRET" not in str(error) and "alice" not in str(error)


def test_a_refusal_after_a_redirect_to_another_host_names_that_host(tmp_path, monkeypatch):
    """The hub redirects (to storage, say) and that host answers 401: the hint blamed the hub's
    token settings, which cannot help (the token is never sent across hosts)."""
    from tests._helpers.http_server import answer_status

    with serve_folder(str(tmp_path)) as hub_server, serve_folder(str(tmp_path)) as storage:
        storage.state.behaviours.append(answer_status("/signed.tar.gz", 401))
        target = f"http://localhost:{storage.port}/signed.tar.gz"
        hub_server.state.behaviours.append(redirect_to("/m.tar.gz", target))
        monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
        monkeypatch.setenv("TFHUB_TOKEN_HOST", f"127.0.0.1:{hub_server.port}")
        with pytest.raises(errors.HTTPStatusError) as raised:
            hub.resolve(hub_server.url("m.tar.gz"))
    message = str(raised.value)
    assert f"(redirected to {target})" in message
    assert (
        f"It was localhost:{storage.port}, where 127.0.0.1:{hub_server.port} redirected" in message
    )
    assert "refused the token" not in message and "TFHUB_TOKEN_HOST=" not in message
    assert raised.value.status == 401


def test_403_hint_only_with_a_token(monkeypatch):
    url = "https://hub.corp/a/b/1"
    assert _token.status_hint(url, 403) == ""
    monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "hub.corp")
    assert "refused the token" in _token.status_hint(url, 403)
    assert TOKEN not in _token.status_hint(url, 403)


def test_uncompressed_redirects_carry_the_token_as_requests_would(
    tmp_path, monkeypatch, certificate
):
    """TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED follows plain redirects itself: it sent the token
    on every hop to the token's host, also to another port. (A hop from https to plain http is
    refused: tests/test_http_redirects.py.)"""
    from tests._helpers.http_server import LocalServer, enable_tls, see_other

    from tfhub.resolvers import gcs

    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")  # Any port: only the port changes.
    secure, other = LocalServer(str(tmp_path)), LocalServer(str(tmp_path))
    base = enable_tls(secure, *certificate)
    other_base = enable_tls(other, *certificate)
    secure.start()
    other.start()
    query = "?tf-hub-format=uncompressed"
    try:
        secure.state.behaviours += [
            redirect_to("/old/m/1", f"/new/m/1{query}"),  # Same host and port: kept.
            redirect_to("/new/m/1", f"{other_base}m/1{query}"),  # To another port: dropped.
        ]
        other.state.behaviours += [
            redirect_to("/m/1", f"/m/2{query}"),  # Dropped, it stays dropped.
            see_other("/m/2", "gs://bucket/m"),
        ]
        assert hub.resolve(base + "old/m/1") == "gs://bucket/m"
        secure_sent = [headers.get("Authorization") for _, _, headers in archive_gets(secure, "/1")]
        other_sent = [headers.get("Authorization") for _, _, headers in other.state.requests]
    finally:
        secure.stop()
        other.stop()
    assert secure_sent == [f"Bearer {TOKEN}"] * 2
    assert other_sent == [None, None]


def test_a_401_for_a_url_with_a_password_blames_the_password(server, monkeypatch):
    """The hint said "The server needs a token: set TFHUB_TOKEN", though the handle carried a
    user name and password that the server had refused."""
    from tests._helpers.http_server import answer_status

    server.state.behaviours.append(answer_status("m.tar.gz", 401))
    handle = server.url("m.tar.gz").replace("://", "://alice:wrong-password@")
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(handle)
    message = str(info.value)
    assert "refused the user name and password in the handle's URL" in message
    assert "wrong-password" not in message
