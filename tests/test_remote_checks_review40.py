"""Checks of TensorFlow's file systems (gs://, a gfile cache) bounded in time, and what their
errors quote (session 40's review of the gs:// probes):

- a check that timed out goes on in its thread (TensorFlow's call cannot be stopped); the same
  question asked again waits for it and then asks afresh, instead of starting one more thread
  beside it each time, and is never answered by a check begun before it asked;
- an access token that a server's answer echoes (after `Bearer`, URL-encoded or not, or a
  Google `ya29.` token) is hidden wherever tfhub quotes such an answer, and prose is not.

A gfile cache's install under such failures: tests/test_cache_remote_staging.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from tfhub import errors
from tfhub._http_deadline import within_http_timeouts
from tfhub.utils import threads
from tfhub.utils.printable import quoted_reason
from tfhub.utils.redact import hide_access_tokens

TOKEN = "ya29.a0AfB_review40-Secret-Token-Value"


def _live_threads(name: str) -> int:
    return sum(thread.name == name and thread.is_alive() for thread in threading.enumerate())


def test_a_check_that_timed_out_is_joined_not_started_again(short_timeouts, release) -> None:
    calls: list[int] = []

    def blocked() -> bool:
        calls.append(1)
        release.wait(60)
        return True

    before = _live_threads("tfhub-gfile-request")
    for _ in range(3):
        with pytest.raises(errors.RetryTimeoutError) as info:
            within_http_timeouts(blocked, path="gs://b/m", what="whether it exists")
        assert isinstance(info.value, TimeoutError)
        assert "gs://b/m" in str(info.value) and "TFHUB_HTTP_RETRY_TIMEOUT" in str(info.value)
    assert calls == [1]  # The later asks wait for it; none starts beside it.
    assert _live_threads("tfhub-gfile-request") == before + 2  # It, and one asking afresh after.
    release.set()
    for thread in threading.enumerate():
        if thread.name == "tfhub-gfile-request":
            thread.join(10)
    assert ("gfile", "whether it exists", "gs://b/m") not in threads.running_keys()
    # Once it has ended, the next check asks again.
    assert within_http_timeouts(lambda: "again", path="gs://b/m", what="whether it exists") == (
        "again"
    )


def test_a_check_asked_after_a_change_is_not_answered_from_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A check under way when the entry was completed, joined by a check asked after that,
    answered 'not complete' to it (and the whole model was downloaded again)."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "5")  # Neither check times out here.
    state = {"complete": False}
    began = threading.Event()

    def check() -> bool:
        seen = state["complete"]
        began.set()
        time.sleep(0.5)
        return seen

    first: list[bool] = []
    earlier = threading.Thread(
        target=lambda: first.append(
            within_http_timeouts(check, path="gs://b/e", what="whether it is complete")
        )
    )
    earlier.start()
    assert began.wait(10)
    state["complete"] = True  # Another process finished the entry meanwhile.
    assert within_http_timeouts(check, path="gs://b/e", what="whether it is complete") is True
    earlier.join(10)
    assert first == [False]


def test_a_checks_error_is_raised_in_the_callers_thread(short_timeouts) -> None:
    def refused() -> bool:
        raise PermissionError("denied")

    with pytest.raises(PermissionError, match="denied"):
        within_http_timeouts(refused, path="gs://b/m", what="whether it exists")


@pytest.mark.parametrize(
    "text, shown",
    [
        (f"Authorization: Bearer {TOKEN}", "Authorization: Bearer ***"),
        (f"Authorization=Bearer%20{TOKEN} denied", "Authorization=Bearer%20*** denied"),
        (f"auth=Bearer+{TOKEN}", "auth=Bearer+***"),
        (f"token=0{TOKEN}", "token=0***"),  # No word boundary before it: still a token.
        ("bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "bearer ***"),  # A JWT.
        ("The bearer token is invalid", "The bearer token is invalid"),
        ("Bearer authentication failed", "Bearer authentication failed"),
        ("Bearer error=invalid_token", "Bearer error=invalid_token"),  # A challenge's words.
        ("The Bearer authentication-scheme failed", "The Bearer authentication-scheme failed"),
        ("Bearer dGhpcyBpcyBhIHRva2VuIDEyMw==", "Bearer ***"),  # base64, padded.
        ("no credentials here", "no credentials here"),
    ],
)
def test_access_tokens_are_hidden_and_prose_is_kept(text: str, shown: str) -> None:
    assert hide_access_tokens(text) == shown


def test_a_quoted_reason_is_one_escaped_line_without_the_path_line_or_token() -> None:
    message = f"401 with body '\x1b[2Jdenied {TOKEN}'.\n\t when reading gs://b/m.tar.gz"
    shown = quoted_reason(message, "gs://b/m.tar.gz")
    assert shown == "401 with body '\\x1B[2Jdenied ***'"


def test_tensorflows_metadata_line_is_dropped_and_a_bare_period_kept() -> None:
    message = (
        "Error executing an HTTP request: HTTP response code 403.\n"
        "\t when reading metadata of gs://b/m"
    )
    assert quoted_reason(message, "gs://b/m") == (
        "Error executing an HTTP request: HTTP response code 403"
    )
    assert quoted_reason("...", "gs://b/m") == "..."


def test_a_google_token_is_hidden_in_any_case() -> None:
    assert hide_access_tokens("token YA29.A0AFB_SECRET_VALUE") == "token ***"
