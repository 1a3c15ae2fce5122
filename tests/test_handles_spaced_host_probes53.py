"""An http(s) handle whose host holds a space (`https://tfhub .dev/...`, a typo in a config)
is refused at once (rf53b-F4): no host name holds one. tfhub asked DNS for it
TFHUB_HTTP_RETRIES + 1 times (4.7 s with the defaults, measured in session 53) and then blamed
the host or "your network"; tensorflow_hub 0.10.0's urllib refused it at once
(http.client.InvalidURL "URL can't contain control characters")."""

from __future__ import annotations

import time

import pytest

import tfhub as hub
from tfhub import errors


@pytest.mark.parametrize(
    "handle",
    ["http://exa mple.com/m", "https://tfhub .dev/google/m/1", "https://u:p@h\u00a0x:8080/m"],
    ids=["space", "before the path", "no-break space"],
)
def test_a_host_with_a_space_is_refused_at_once(handle, monkeypatch):
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "4")
    started = time.monotonic()
    with pytest.raises(errors.InvalidHandleError) as info:  # A ValueError, as upstream's.
        hub.resolve(handle)
    assert time.monotonic() - started < 1.0  # No DNS query, no retries.
    message = str(info.value)
    assert "host" in message and "space" in message  # What.
    assert "Received: handle=" in message  # Where.
    assert "p@" not in message  # The password is not shown.
