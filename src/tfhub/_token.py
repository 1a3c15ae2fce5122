"""The bearer token of a private hub (TFHUB_TOKEN), sent only to the host it was issued for.

`auth_for(url)` gives requests an auth object that adds `Authorization: Bearer <token>` when
the URL's host (or host:port) is listed in TFHUB_TOKEN_HOST. On a redirect, requests drops the
header whenever the host, port or scheme changes (`Session.rebuild_auth`), and this auth object
is not applied again, so the token never follows a redirect to another host. The redirects
tfhub follows itself (the UNCOMPRESSED format's, on the way to the 303) ask `kept_on_redirect`,
the same rule.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
import urllib.parse
from typing import Any

from . import constants, errors
from .handle_urls import is_loopback_url
from .utils.printable import bytes_escaped

logger = logging.getLogger(__name__)


def _host_and_entry(url: str) -> tuple[str, str]:
    """The URL's host and its `host:port` (the host alone without a port), lower-cased."""
    parsed = urllib.parse.urlsplit(url)
    host = (parsed.hostname or "").lower()
    try:
        port = parsed.port
    except ValueError:  # A port that is not a number: the host alone.
        port = None
    return host, (f"{host}:{port}" if port else host)


def host_entry(url: str) -> str:
    """The URL's `host` or `host:port`, as TFHUB_TOKEN_HOST lists it (never its user:password)."""
    return _host_and_entry(url)[1]


def _matches(url: str, hosts: tuple[str, ...]) -> bool:
    host, with_port = _host_and_entry(url)
    return any(entry == (with_port if ":" in entry else host) for entry in hosts)


def token_for(url: str) -> str | None:
    """The TFHUB_TOKEN to send to `url`, or None (no token, or not this host).

    Raises:
        tfhub.errors.SettingError: the token holds a control character (a line break, ...),
            which no HTTP header can carry.
    """
    found = constants.hub_token()
    if found is None or not _matches(url, found[1]):
        return None
    return _sendable(found[0])


def _sendable(token: str) -> str:
    """Returns `token`, or raises SettingError for a control character or a byte that is not
    UTF-8 in it (it is sent as UTF-8, as a hub reads it); the message says where, never the
    token (http.client's own error quoted the whole header)."""
    for index, char in enumerate(token):
        if "\udc80" <= char <= "\udcff":  # A byte that is not UTF-8, as os.environ has it.
            raise errors.SettingError(
                f"{constants.TFHUB_TOKEN} holds a byte that is not UTF-8 "
                f"({bytes_escaped(char)}, character {index + 1} of {len(token)}), and the "
                "token is sent as UTF-8, as a hub reads it: set it to the token as the hub wrote "
                "it (a token file saved in another encoding: convert it, e.g. with iconv -f latin1 "
                "-t utf-8). Received: "
                f"{constants.TFHUB_TOKEN}=<{len(token)} characters, not shown>",
                name=constants.TFHUB_TOKEN,
            )
        if unicodedata.category(char) == "Cc":
            raise errors.SettingError(
                f"{constants.TFHUB_TOKEN} holds a control character ({ascii(char)}, character "
                f"{index + 1} of {len(token)}), which an HTTP header cannot carry: set it to "
                "the token alone (one line of the token file, e.g. "
                f"{constants.TFHUB_TOKEN}=$(head -n 1 token.txt)). Received: "
                f"{constants.TFHUB_TOKEN}=<{len(token)} characters, not shown>",
                name=constants.TFHUB_TOKEN,
            )
    return token


def kept_on_redirect(source: str, target: str) -> bool:
    """True if a request's Authorization header may follow a redirect from `source` to
    `target`, as requests decides (`Session.should_strip_auth`): the same host and port, and
    not from https to http. For redirects tfhub follows itself."""
    import requests

    with requests.Session() as session:
        return not session.should_strip_auth(source, target)


def without_secrets(text: str, *urls: str, limit: int | None = None) -> str:
    """`text` (what a server said) with TFHUB_TOKEN and the credentials of `urls` (a user
    name or password, a secret query parameter's value) replaced by `***`: a server may
    quote what it was sent ("invalid token 'abc123'"), which `redact` does not recognise.
    Then cut to `limit` characters, if given: only then, since a secret running past the cut
    would not be found in what is left of it."""
    from .utils.redact import is_secret_parameter

    found = constants.hub_token()
    secrets = {found[0]} if found else set()
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        sent = [parts.username or "", parts.password or ""]
        for pair in parts.query.split("&"):
            name, _, value = pair.partition("=")
            sent += [value] if is_secret_parameter(name) else []
        secrets |= {form for raw in sent for form in (raw, urllib.parse.unquote_plus(raw))}
    for secret in sorted(secrets, key=len, reverse=True):  # The longest first.
        if len(secret) >= 4:  # Not a short word of the text ("bob").
            text = text.replace(secret, "***")
    return text if limit is None else text[:limit]


def auth_for(url: str) -> Any:
    """A `requests` auth adding the bearer token for `url`, or None."""
    token = token_for(url)
    if token is None:
        return None
    if urllib.parse.urlsplit(url).scheme.lower() == "http" and not is_loopback_url(url):
        _warn_plain_http(host_entry(url))
    header = b"Bearer " + token.encode("utf-8")  # As a hub reads it: see _Bearer.
    import requests.auth

    class _Bearer(requests.auth.AuthBase):
        def __call__(self, request: Any) -> Any:
            # UTF-8 bytes, as a hub reads them (http.client would send a str as latin-1, and
            # fail on characters beyond it, quoting the header).
            request.headers["Authorization"] = header
            return request

        def __repr__(self) -> str:
            return "<bearer token from TFHUB_TOKEN>"  # Never the token itself.

    return _Bearer()


@functools.cache  # Once per host and process: each download would say it again.
def _warn_plain_http(host: str) -> None:
    """Warns that TFHUB_TOKEN goes to `host` over plain http, where the network can read it."""
    logger.warning(
        "%s is sent to %s over plain http: anyone on the network path can read it (and use "
        "it). Use the hub's https:// address, or, for a hub on this machine, 127.0.0.1.",
        constants.TFHUB_TOKEN,
        host,
    )


def _has_userinfo(url: str) -> bool:
    """True if `url` carries a user name (and maybe a password) before its host."""
    parsed = urllib.parse.urlsplit(url)
    return bool(parsed.username or parsed.password)


def status_hint(url: str, status: int) -> str:
    """What a 401 (or, with a token set, a 403) means for the token settings, else ""."""
    found = constants.hub_token()
    host = host_entry(url)
    if status not in (401, 403) or (found is None and status == 403):
        return ""
    if found is None and _has_userinfo(url):
        return (
            " The server refused the user name and password in the handle's URL (sent as HTTP "
            "Basic auth): check them; if the server expects a bearer token instead, set "
            f"{constants.TFHUB_TOKEN} to it and {constants.TFHUB_TOKEN_HOST}={host}."
        )
    if found is None:
        return (
            f" The server needs a token: set {constants.TFHUB_TOKEN} to your token and "
            f"{constants.TFHUB_TOKEN_HOST}={host}."
        )
    if not _matches(url, found[1]):
        return (
            f" {constants.TFHUB_TOKEN} is set but was not sent: add {host} to "
            f"{constants.TFHUB_TOKEN_HOST} (now {','.join(found[1]) or 'unset'})."
        )
    return f" The server refused the token in {constants.TFHUB_TOKEN}: ask the hub's admin."
