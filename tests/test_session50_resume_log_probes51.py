"""What a broken download from a server without a validator logs (rf51d-F3).

Since review50a-F3 such a download is not resumed but started over; the log still said
"...; resuming." before it started over, and why it could not resume (the server names no
version of the file) was in no line. A real server on 127.0.0.1.
"""

from __future__ import annotations

import logging

from tests.test_http_resume_probes50 import _replaced_meanwhile

import tfhub as hub


def test_a_download_that_cannot_resume_says_it_starts_over_and_why(server, monkeypatch, caplog):
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)
    server.state.behaviours.append(_replaced_meanwhile(etag=False))
    with caplog.at_level(logging.INFO, logger="tfhub"):
        hub.resolve(server.url("model.tar"))
    broke = [r.getMessage() for r in caplog.records if "broke at byte" in r.getMessage()]
    assert broke, caplog.text
    assert not any("resuming" in line for line in broke), broke
    assert any(
        "starting over" in line and "names no version of the file" in line for line in broke
    ), broke
