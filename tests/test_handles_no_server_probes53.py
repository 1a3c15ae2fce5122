"""An http(s) handle that names no server to connect to (no host, port 0, a port above 65535)
is refused at once, as before, and is also the error tensorflow_hub 0.10.0 raised for it
(rf53b-F2): its `urlopen` raised urllib's URLError ("no host given", "Connection refused"), an
IOError, checked side by side in session 53. tfhub's refusal was a ValueError only, so `except
IOError` or `except urllib.error.URLError` written for upstream no longer caught it. No server
is needed: nothing is sent."""

from __future__ import annotations

import pickle
import urllib.error

import pytest

import tfhub as hub
from tfhub import errors

_NO_SERVER = [
    ("http://127.0.0.1:0/m/1", "names a port that is not a port number (1 to 65535)"),
    ("http://127.0.0.1:99999/m/1", "names a port that is not a port number (1 to 65535)"),
    ("http:///m/1", "names no host"),
    ("https://:443/m/1", "names no host"),
]


@pytest.mark.parametrize(("handle", "problem"), _NO_SERVER)
def test_a_url_naming_no_server_is_also_upstreams_url_error(isolated_cache, handle, problem):
    with pytest.raises(errors.InvalidHandleError) as info:  # As before: at once, a ValueError.
        hub.resolve(handle)
    err = info.value
    assert isinstance(err, urllib.error.URLError) and isinstance(err, OSError)  # As upstream's.
    assert isinstance(err, errors.NoServerURLError)
    assert str(err) == f"The URL {problem}. Received: handle={handle!r}"  # Not "<urlopen error".
    assert err.reason == f"The URL {problem}"
    assert not isinstance(err, errors.DownloadError)  # Nothing was sent.
    assert not isolated_cache.exists() or not [
        name for name in isolated_cache.iterdir() if name.name != ".locks"
    ]


def test_a_url_that_cannot_be_parsed_stays_upstreams_value_error():
    """urllib.parse raised ValueError ("Invalid IPv6 URL") for it in upstream too."""
    with pytest.raises(errors.InvalidHandleError) as info:
        hub.resolve("http://[::1/m/1")
    assert not isinstance(info.value, OSError)


def test_the_no_server_error_pickles_with_its_data():
    err = errors.NoServerURLError(
        "The URL names no host. Received: handle='https://u:pw@:443/m'", reason="names no host"
    )
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is errors.NoServerURLError and str(again) == str(err)
    assert again.reason == "names no host" and again.tried == []
    assert "pw" not in str(err)
