"""Corporate proxies: a proxy that refuses the tunnel (CONNECT answered 403), a SOCKS proxy
without PySocks, a malformed proxy URL; each error names the proxy (credentials redacted) and
the variable, never the server. A raw proxy on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests._helpers.proxies import clear_proxy_settings
from tests._helpers.raw_server import serve_raw

import tfhub as hub
from tfhub import errors

PASSWORD = "pr0xy-SECRET"


@pytest.fixture(autouse=True)
def _no_proxy_settings(monkeypatch):
    clear_proxy_settings(monkeypatch)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")


def test_a_proxy_that_refuses_the_tunnel_says_so(monkeypatch):
    """A CONNECT answered 403 (a blocked site) was reported as "the proxy ... cannot be
    reached", quoting a truncated urllib3 message."""
    listener, seen = serve_raw(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    port = listener.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{port}")
    try:
        with pytest.raises(errors.ConnectionFailedError) as info:
            hub.resolve("https://models.example.invalid/m.tar.gz")
    finally:
        listener.close()
    assert [line.split()[:2] for line in seen] == [["CONNECT", "models.example.invalid:443"]]
    message = str(info.value)
    assert f"the proxy http://***@127.0.0.1:{port} refused to connect to" in message
    assert "(403 Forbidden)" in message and "HTTPS_PROXY" in message
    assert "cannot be reached" not in message and PASSWORD not in message


def test_a_socks_proxy_without_pysocks_names_the_package(monkeypatch):
    """requests' "Missing dependencies for SOCKS support" was reported as a bad redirect."""
    pytest.importorskip("requests")
    try:
        import socks  # noqa: F401

        pytest.skip("PySocks is installed")
    except ImportError:
        pass
    monkeypatch.setenv("HTTPS_PROXY", f"socks5://user:{PASSWORD}@127.0.0.1:1080")
    with pytest.raises(errors.MissingDependencyError) as info:
        hub.resolve("https://models.example.invalid/m.tar.gz")
    message = str(info.value)
    assert "SOCKS proxy" in message and "requests[socks]" in message
    assert "redirected" not in message and PASSWORD not in message


def test_a_malformed_proxy_url_is_named(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:{PASSWORD}@[::1:3128")
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve("https://models.example.invalid/m.tar.gz")
    message = str(info.value)
    assert "in HTTPS_PROXY (or ALL_PROXY) is not a valid URL" in message
    assert "redirected" not in message and PASSWORD not in message
