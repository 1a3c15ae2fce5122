"""A TLS failure (an untrusted certificate, one for another name, a port that does not speak
TLS) is also the error tensorflow_hub 0.10.0 raised for it (rf53b-F3): its `urlopen` wrapped
every TLS error of the connection in urllib's URLError (`<urlopen error [SSL:
CERTIFICATE_VERIFY_FAILED] ...>`), checked side by side in session 53; tfhub's was a bare
DownloadError, which `except urllib.error.URLError` written for upstream missed. Real servers
on 127.0.0.1, in both load formats."""

from __future__ import annotations

import pickle
import urllib.error

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import enable_tls

import tfhub as hub
from tfhub import errors

_FORMATS = ["COMPRESSED", "UNCOMPRESSED"]


def _tls_error(handle: str) -> BaseException:
    with pytest.raises(errors.DownloadError) as info:  # As before.
        hub.resolve(handle)
    err = info.value
    assert isinstance(err, urllib.error.URLError)  # As upstream's urlopen raised.
    assert isinstance(err, errors.ConnectionFailedError)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err) and again.reason == err.reason
    return err


@pytest.mark.parametrize("load_format", _FORMATS)
def test_an_untrusted_certificate_is_upstreams_url_error(
    server, served_dir, certificate, monkeypatch, load_format
):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    make_tar_gz(served_dir / "m.tar.gz")
    base = enable_tls(server, *certificate)
    err = _tls_error(base + "m.tar.gz")
    assert "TLS certificate verification failed" in str(err)
    assert "REQUESTS_CA_BUNDLE" in str(err)  # What to do, as before.
    assert err.reason == "TLS certificate verification failed"
    assert err.url.startswith(base + "m.tar.gz")


def test_a_certificate_for_another_name_is_upstreams_url_error(
    server, served_dir, certificate, monkeypatch
):
    make_tar_gz(served_dir / "m.tar.gz")
    enable_tls(server, *certificate)  # For 127.0.0.1 only.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    err = _tls_error(f"https://localhost:{server.port}/m.tar.gz")
    assert f"certificate is not valid for localhost:{server.port}" in str(err)


def test_a_port_that_does_not_speak_tls_is_upstreams_url_error(server, served_dir):
    make_tar_gz(served_dir / "m.tar.gz")
    err = _tls_error(server.url("m.tar.gz").replace("http://", "https://"))
    assert "does not speak TLS" in str(err)
