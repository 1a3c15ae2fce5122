"""TLS failures other than an untrusted certificate name their real cause: a port that speaks
plain http, a certificate for another host name; real servers on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import enable_tls

import tfhub as hub
from tfhub import errors


def test_an_https_handle_on_a_plain_http_port_is_not_a_certificate_problem(server, served_dir):
    """OpenSSL's WRONG_VERSION_NUMBER (the server answered in plain http) was reported as
    "TLS certificate verification failed", with advice to set a CA bundle or to turn
    certificate validation off, neither of which helps."""
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz").replace("http://", "https://")
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(handle)
    message = str(info.value)
    assert f"the server at 127.0.0.1:{server.port} does not speak TLS" in message
    assert "use http://" in message
    assert "certificate verification failed" not in message
    assert "TFHUB_DISABLE_CERT_VALIDATION" not in message


def test_a_certificate_for_another_name_says_so(server, served_dir, certificate, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz")
    enable_tls(server, *certificate)  # For 127.0.0.1 only.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(f"https://localhost:{server.port}/m.tar.gz")
    message = str(info.value)
    assert f"certificate is not valid for localhost:{server.port}" in message
    assert "REQUESTS_CA_BUNDLE" not in message


def test_an_untrusted_certificate_still_names_the_ca_bundle(server, served_dir, certificate):
    make_tar_gz(served_dir / "m.tar.gz")
    base = enable_tls(server, *certificate)
    with pytest.raises(errors.DownloadError, match="verification failed.*REQUESTS_CA_BUNDLE"):
        hub.resolve(base + "m.tar.gz")
