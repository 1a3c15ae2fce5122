"""An https download through a proxy that drips its answer to CONNECT while the retry budget
(TFHUB_HTTP_RETRY_TIMEOUT) is nearly spent: the tunnel's answer is cut when the budget runs out
(rf57f-F4 bounds it by what the budget has left), and the give-up names that.

Before: the give-up's last failure said "the proxy P did not answer its request for a tunnel to
H (CONNECT) within 1 s (ReadTimeout): ... TFHUB_HTTP_TIMEOUT sets how long to wait", though the
proxy was answering (a header line each 0.05 s) and the retry budget, not TFHUB_HTTP_TIMEOUT,
cut it. A raw proxy on 127.0.0.1: its first connection is closed at once (the failure that
starts the series), the next one drips; the model's host never resolves.
"""

from __future__ import annotations

import pytest
from tests._helpers.proxies import clear_proxy_settings
from tests._helpers.raw_server import dripping_after_a_close

import tfhub as hub
from tfhub import errors

PASSWORD = "pr0xy-SECRET"


def test_a_tunnel_answer_cut_by_the_retry_budget_says_so(monkeypatch) -> None:
    clear_proxy_settings(monkeypatch)
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "5")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1.5")  # Less than the 2 s headers' deadline.
    tunnel_answer = b"HTTP/1.1 200 Connection established\r\n"
    with dripping_after_a_close(tunnel_answer, b"X-Slow: a\r\n") as port:
        monkeypatch.setenv("HTTPS_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{port}")
        with pytest.raises(errors.RetryTimeoutError) as caught:
            hub.resolve("https://models.example.invalid/m/1")
    message = str(caught.value)
    assert PASSWORD not in message
    assert (
        f"the proxy http://***@127.0.0.1:{port} had not finished its answer to the request for "
        "a tunnel to models.example.invalid (CONNECT) when TFHUB_HTTP_RETRY_TIMEOUT ran out"
    ) in message, message
    assert "within 1 s" not in message, message
