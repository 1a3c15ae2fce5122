"""HTTP for downloads: a requests session, retries with backoff, and status checks.

`get(url)` sends a GET with the session's retries: connection errors, timeouts and 5xx/429
answers are retried with exponential backoff, or after the wait a server asks for in
Retry-After (at most 30 s each, logged); 401/403/404 fail at once (`check_status`, from
`_http_status_check`). The retries of one download (its requests, resumes and restarts) stop
when it has been failing for TFHUB_HTTP_RETRY_TIMEOUT seconds without data arriving again
(`_http_deadline.RetryBudget`). The body of a download, which resumes after a drop, is
`_http_body.HttpBody`; if the server cannot resume, `RestartDownload` (that is,
`tfhub.errors.DownloadRestartError`) tells the caller to start over. Proxies and CA bundles
come from the usual environment variables (requests reads HTTPS_PROXY, NO_PROXY,
REQUESTS_CA_BUNDLE, ...).
"""

from __future__ import annotations

import functools
import logging
import os
import time
from typing import Any

from . import _http_deadline as _deadline
from . import _http_redirect, _http_socket, _http_watch, _token, constants, errors, handles
from ._http_cause import brief as _brief
from ._http_cause import cause_text
from ._http_errors import raise_for_request_error
from ._http_status import RETRY_STATUSES, RetryRecord
from ._http_status import kaggle_hint as kaggle_hint
from ._http_status import moved_hint as moved_hint
from ._http_status import status_error as status_error
from ._http_status_check import SAID_CHARACTERS as SAID_CHARACTERS
from ._http_status_check import check_status as check_status
from ._http_status_check import server_says_text as server_says_text
from .utils.logging import redact_urllib3_logs
from .utils.numbers import is_number
from .utils.redact import redact

logger = logging.getLogger(__name__)

BACKOFF_BASE_SEC = 0.25
BACKOFF_MAX_SEC = 8.0
# A rate-limited or busy server's Retry-After is honoured up to this long per retry (no wait is
# unbounded: TFHUB_HTTP_RETRIES bounds how many).
RETRY_AFTER_MAX_SEC = 30.0
_RETRY_STATUSES = RETRY_STATUSES  # Their home: _http_status (whose advice follows them).
_AGAIN_HINT = (
    f"Try again later, or set {constants.TFHUB_HTTP_RETRIES} higher (how often a broken download "
    "is retried)."
)
# The body broke off and the server cannot resume it: download again from the start.
RestartDownload = errors.DownloadRestartError


def _session() -> Any:
    session = _session_class()()
    session.headers["Accept-Encoding"] = "identity"  # Archives are compressed already.
    session.headers["User-Agent"] = "tfhub (+https://github.com/tensorflow/hub compatible)"
    _http_watch.mount(session)  # Bounds slow headers, which requests' timeouts do not.
    redact_urllib3_logs()  # Its DEBUG lines quote each URL's query: signatures too.
    return session


@functools.cache
def _session_class() -> type:
    """`requests.Session`, except that a redirect to this machine's loopback never goes through a
    proxy, as the first request to one does (`_request_options`): at each redirect requests
    takes the environment's proxies again (`Session.rebuild_proxies`), so a hub on 127.0.0.1
    redirecting to its own archive, or to another local port, was sent to HTTP_PROXY."""
    import requests

    class Session(requests.Session):
        def rebuild_proxies(self, prepared_request: Any, proxies: Any) -> Any:
            if handles.is_loopback_url(str(prepared_request.url)):
                prepared_request.headers.pop("Proxy-Authorization", None)
                return {}
            return super().rebuild_proxies(prepared_request, proxies)

    return Session


def _verify_setting() -> bool | str | None:
    """Returns requests' `verify` for this call; None lets requests read REQUESTS_CA_BUNDLE.

    It is passed per request: requests lets REQUESTS_CA_BUNDLE override `Session.verify`.
    """
    if constants.cert_validation_disabled():
        logger.warning("Disabled certificate validation for resolving handles.")
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return False
    has_requests_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if os.environ.get("SSL_CERT_FILE") and not has_requests_bundle:
        return os.environ["SSL_CERT_FILE"]
    return None


def backoff_seconds(attempt: int, *, at_least: float = 0.0) -> float:
    """The wait before retry number `attempt` (1-based): 0.25 s, 0.5 s, 1 s, ... at most 8 s, or
    `at_least` (what the server asked for) if longer."""
    return max(at_least, min(BACKOFF_MAX_SEC, BACKOFF_BASE_SEC * (2 ** (attempt - 1))))


def retry_after(response: Any) -> float | None:
    """The wait in seconds a 429 or 503 answer asks for in Retry-After (seconds, or an HTTP
    date), at most RETRY_AFTER_MAX_SEC; None if it asks for none (or an unreadable one)."""
    return capped_wait(asked_wait(response))


def capped_wait(asked: float | None) -> float | None:
    """The wait tfhub makes for a server's ask (`asked_wait`): at most RETRY_AFTER_MAX_SEC."""
    return None if asked is None else min(RETRY_AFTER_MAX_SEC, asked)


def asked_wait(response: Any) -> float | None:
    """The wait in seconds an answer's Retry-After asks for (0 for a past date), not capped;
    None if it asks for none (or an unreadable one)."""
    value = str(response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if is_number(value):
        seconds = float(value)
    else:
        import email.utils
        from datetime import datetime, timezone

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(0.0, seconds)


def get(
    url: str,
    *,
    handle: str,
    headers: dict[str, str] | None = None,
    allow_redirects: bool = True,
    max_body: int | None = None,
    with_token: bool = True,
    budget: _deadline.RetryBudget | None = None,
) -> Any:
    """GETs a URL with streaming, retrying connection errors and 5xx with backoff.

    Args:
        url: the URL.
        handle: the handle being resolved, named in errors (credentials redacted).
        headers: extra request headers.
        allow_redirects: follow redirects (False for the uncompressed protocol's 303).
        max_body: read at most this many bytes (plus one, to tell "longer") of the body at once,
            into `response.content`; the rest is never read. For small answers such as a 303.
        with_token: send TFHUB_TOKEN if `url`'s host is its host (False: never, e.g. after a
            redirect that requests would have dropped it on, `_token.kept_on_redirect`).
        budget: the download's retry budget (TFHUB_HTTP_RETRY_TIMEOUT), shared with its
            resumes and restarts; None: one of its own, from now.

    Returns:
        The `requests.Response` (body not read yet, unless `max_body`).

    Raises:
        tfhub.errors.HTTPStatusError: for 4xx, and for 5xx after the retries.
        tfhub.errors.DownloadError: for connection errors and timeouts after the retries,
            redirect loops, and redirects to URLs that cannot be fetched.
        tfhub.errors.InsecureRedirectError: for a redirect from https to plain http.
        tfhub.errors.UnfollowableRedirectError: for a redirect (followed) to an address that
            is not http(s), such as a model archive's gs:// address.
        tfhub.errors.InvalidHandleError: for a URL that cannot be fetched at all.
        tfhub.errors.RetryTimeoutError: the retries would last longer than
            TFHUB_HTTP_RETRY_TIMEOUT.
    """
    budget = budget or _deadline.RetryBudget(handle=handle, url=url)
    budget.start()
    session = _session()
    options = _request_options(url, headers=headers, allow_redirects=allow_redirects)
    _add_get_hooks(options, handle=handle, max_body=max_body, with_token=with_token, budget=budget)
    retries = constants.http_retries()
    record = RetryRecord(wait_cap=RETRY_AFTER_MAX_SEC)
    for attempt in range(retries + 1):
        record.attempts = attempt + 1
        response, reason, wait = _attempt(
            session,
            url,
            options,
            handle=handle,
            budget=budget,
            record=record,
            last=attempt == retries,
        )
        if response is not None:
            return response
        _wait_to_retry(
            url,
            attempt=attempt,
            retries=retries,
            reason=reason,
            wait=wait,
            record=record,
            budget=budget,
        )
    raise AssertionError("unreachable")


def _add_get_hooks(
    options: dict[str, Any],
    *,
    handle: str,
    max_body: int | None,
    with_token: bool,
    budget: _deadline.RetryBudget,
) -> None:
    """Completes `get`'s request options: no token unless `with_token`, and the response hooks
    that refuse an https-to-http redirect and cap the body read at once (`max_body`, else a
    redirect's)."""
    if not with_token:
        options["auth"] = None
    capper = _body_capper(max_body) if max_body is not None else _http_redirect.redirect_body_capper
    refuser = _http_redirect.downgrade_refuser(handle, budget, follows=options["allow_redirects"])
    options["hooks"] = {"response": [refuser, capper]}


def _attempt(
    session: Any,
    url: str,
    options: dict[str, Any],
    *,
    handle: str,
    budget: _deadline.RetryBudget,
    record: RetryRecord,
    last: bool,
) -> tuple[Any, str, float | None]:
    """One request of `get`'s, within what is left of `budget` (a series of failures under way).

    Returns:
        (the response, "", None) for an answer to return (not a retried status, or the last
        attempt); else (None, the reason to retry, the wait the server asked for, capped).

    Raises:
        What `raise_for_request_error` raises: a request error not worth a retry, or the last.
    """
    timeout = budget.timeout()
    options["timeout"] = (timeout, timeout)
    try:
        with _deadline.bounded_by(budget):  # Its headers too.
            response = session.get(url, **options)
    except Exception as err:
        raise_for_request_error(err, handle=handle, url=url, last=last, attempts=record.attempts)
        reason = _brief(err)
        budget.failed(cause_text(err, url=url, timeout=timeout))
        return None, reason, None
    if response.status_code not in _RETRY_STATUSES or last:
        response._tfhub_retries = record  # For check_status's message.
        return response, "", None
    reason, wait = _retried_status(response, record=record, budget=budget)
    return None, reason, wait


def _retried_status(
    response: Any, *, record: RetryRecord, budget: _deadline.RetryBudget
) -> tuple[str, float | None]:
    """Closes a retried status's answer and counts it as a failure of `budget`.

    Returns:
        The reason to retry ("HTTP 503, which asks to wait 2 s (Retry-After)"), and the wait the
        answer asks for (at most RETRY_AFTER_MAX_SEC), None if none; `record.asked` is set.
    """
    # Read once: an HTTP date read twice gives two waits (rf56d-F4).
    record.asked = asked_wait(response)
    wait = capped_wait(record.asked)
    response.close()
    reason = f"HTTP {response.status_code}"
    if record.asked is not None:
        reason += f", which asks to wait {record.asked:g} s (Retry-After)"
    budget.failed(reason, status=response.status_code)
    return reason, wait


def _wait_to_retry(
    url: str,
    *,
    attempt: int,
    retries: int,
    reason: str,
    wait: float | None,
    record: RetryRecord,
    budget: _deadline.RetryBudget,
) -> None:
    """Sleeps the backoff before the retry after attempt `attempt` (0-based), at least `wait`
    (what the server asked for), and logs it.

    Raises:
        tfhub.errors.RetryTimeoutError: the wait would outlast TFHUB_HTTP_RETRY_TIMEOUT.
    """
    seconds = backoff_seconds(attempt + 1, at_least=wait or 0.0)
    budget.check(seconds)
    _log_retry(url, attempt=attempt + 2, of=retries + 1, reason=reason, wait=seconds)
    if wait is not None:
        _log_asked_wait(url, asked=record.asked or 0.0, wait=seconds, budget=budget)
    time.sleep(seconds)
    record.waited += seconds


def _log_retry(url: str, *, attempt: int, of: int, reason: str, wait: float) -> None:
    """Logs a retry at INFO: the final error says what happened; the CLI shows these with -v."""
    logger.info(  # The reason quotes the URL's path and query, signatures too: redacted.
        "Retrying %s in %g s (attempt %d of %d) after %s",
        redact(url),
        wait,
        attempt,
        of,
        redact(reason),
    )


def _log_asked_wait(url: str, *, asked: float, wait: float, budget: _deadline.RetryBudget) -> None:
    """Says that tfhub waits because the server asked (Retry-After): at INFO when it waits as
    long as asked, at WARNING (once per download, then INFO) when the server asked for more
    than tfhub waits at a time."""
    if asked <= wait or budget.warned_about_wait:
        logger.info(
            "Waiting %g s before retrying %s, as the server asked (%g s, Retry-After).",
            wait,
            redact(url),
            asked,
        )
        return
    budget.warned_about_wait = True
    logger.warning(
        "The server of %s asks to wait %g s before a retry (Retry-After); tfhub waits %g s (the "
        "most it waits at a time) and retries then, giving up after %s=%g s without progress.",
        redact(url),
        asked,
        wait,
        constants.TFHUB_HTTP_RETRY_TIMEOUT,
        budget.limit,
    )


def _request_options(
    url: str, *, headers: dict[str, str] | None, allow_redirects: bool
) -> dict[str, Any]:
    timeout = constants.http_timeout()
    options: dict[str, Any] = {
        "headers": headers,
        "stream": True,
        "timeout": (timeout, timeout),
        "allow_redirects": allow_redirects,
        "auth": _token.auth_for(url),  # TFHUB_TOKEN, for its own host only.
    }
    if handles.is_loopback_url(url):
        # Never through HTTP_PROXY, HTTPS_PROXY or ALL_PROXY (requests drops a None proxy after
        # merging the environment's): a proxy cannot reach this machine's loopback, e.g. the
        # `tfhub demo` server or a hub served on 127.0.0.1, behind a company proxy.
        options["proxies"] = {"http": None, "https": None, "all": None}
    verify = _verify_setting()
    if verify is not None:
        options["verify"] = verify
    return options


def _body_capper(max_body: int) -> Any:
    """Returns a requests response hook that reads at most `max_body + 1` bytes of the body.

    Hooks run before requests looks at redirects, which would otherwise read a 303's whole body
    into memory (`Session.resolve_redirects` consumes it). The capped bytes become
    `response.content`.
    """

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        data = _http_socket.read_within(
            response, max_body + 1, what=f"{response.status_code} answer's body"
        )
        response._content = data  # requests' documented-by-use cache of the body.
        response._content_consumed = True
        response.raw.close()
        return response

    return hook
