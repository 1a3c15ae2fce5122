"""Keep credentials out of everything tfhub shows or writes.

A handle may carry credentials: in its userinfo (``https://user:secret@host/m.tar.gz``) or in
its query, as signed URLs do (S3 presigned URLs' ``X-Amz-Signature`` and
``X-Amz-Security-Token``, GCS signed URLs' ``X-Goog-Signature``, Azure SAS ``sig``, an
``access_token``). tfhub downloads with it, but every message, log line, descriptor and
listing shows ``https://***@host/m.tar.gz?X-Amz-Signature=***`` instead.

A server's answer that another library quotes (TensorFlow's gs:// errors quote the body) may
echo the access token sent to it: `hide_access_tokens` hides it.
"""

from __future__ import annotations

import re
import urllib.parse

# scheme://userinfo@ — userinfo cannot hold "/", "?", "#" or whitespace; it may hold "@" only
# percent-encoded, but a greedy match up to the last "@" of the authority is safer. The scheme
# may follow any character, a letter or digit too ("0https://u:p@h" in a joined string). Compiled
# by `re`'s cache at the first call, not at import (every tfhub process imports this module).
# A URL given where a path was expected is shown as a path made of it (`Path(url)` keeps one
# slash: `https:/user:secret@host/m`): a scheme of two or more characters followed by one
# slash counts too (not one letter: `C:/a@b` is a Windows path). A scheme is matched by its
# last 32 characters at most (a longer one keeps its start as it is), of any of a scheme's
# characters (not a letter first: the last 32 of a longer one may hold none; a mangled one of
# two, `+C:/a@b`, is hidden too, rather than a secret shown). Unbounded, the pattern tried from
# each letter of a long run ran to the run's end, quadratic in it ('a' * 40,000 then '@' took
# 15 s; a hostile handle of 1 MB, hours).
_USERINFO = r"(?i)([a-z0-9+.\-]{0,32}://|[a-z0-9+.\-]{2,32}:/)[^/?#\s]*@"

# Query parameters that hold a secret (any case, percent-encoded or not): signatures and
# session tokens of signed URLs (AWS SigV4 and V2, GCS V4 and V2, CloudFront, Azure SAS,
# OpenStack Swift TempURL, Tencent COS, Alibaba OSS, Akamai, Backblaze B2) and the usual names
# of API keys, tokens and passwords. A name is secret if it is listed, or if it holds one of
# `_SECRET_NAME_PARTS` (`X-Oss-Signature`, `auth_token`, `X-Amz-Security-Token`, `passwd`).
_SECRET_PARAMETER_NAMES = frozenset(
    {"x-amz-credential", "x-goog-credential", "x-oss-credential", "awsaccesskeyid"}
    | {"googleaccessid", "ossaccesskeyid", "accesskeyid", "q-ak", "policy", "sig"}
    | {"temp_url_sig", "hdnts", "hmac", "jwt", "auth", "authorization", "pwd", "key"}
    | {"api_key", "apikey", "api-key", "x-api-key"}
)
_SECRET_NAME_PARTS = ("signature", "token", "secret", "passw", "credential")
# A query parameter's name: after "?", "&", ";" (a separator some servers accept) or "#" (a
# fragment holds an OAuth access_token), up to its "=". Its value ends at the next parameter,
# fragment, space or quote (a message quotes handles: `Received: handle='...'`, or as code:
# `tfhub pull URL`).
_PARAMETER_NAME = r"[?&;#]([^=?&;#\s'\"`]{1,100})="
_PARAMETER_VALUE = r"[^&#\s'\"`]+"


def redact(text: str) -> str:
    """Returns `text` with the userinfo of every URL in it, and the value of every query
    parameter that holds a secret (`?X-Amz-Signature=...`, `&token=...`), replaced by `***`."""
    if "@" in text:
        text = re.sub(_USERINFO, r"\1***@", text)
    if "=" in text:  # The common case, a handle without a query, skips the expressions.
        text = _redact_parameters(text)
    return text


def is_secret_parameter(name: str) -> bool:
    """Whether a query parameter named `name` (as written: any case, maybe percent-encoded,
    e.g. `X%2DAmz%2DSignature`) holds a secret."""
    name = urllib.parse.unquote(name).lower()
    return name in _SECRET_PARAMETER_NAMES or any(part in name for part in _SECRET_NAME_PARTS)


def _redact_parameters(text: str) -> str:
    """`text` with the value of each secret query parameter replaced by `***`.

    Each name is looked at in turn, also inside another parameter's value (`?a=1;sig=...`),
    and a secret's value is replaced up to its end.
    """
    parts: list[str] = []
    done = 0
    # "(" less ")" in the text shown so far (`parts`), and where the URL being read starts
    # (after the last white space or quote): each shown character is counted once, linear.
    shown_open = url_open = 0
    for found in re.finditer(_PARAMETER_NAME, text):
        if found.start() < done or not is_secret_parameter(found.group(1)):
            continue
        value = re.compile(_PARAMETER_VALUE).match(text, found.end())
        if value is None:  # An empty value (`token=`) shows nothing.
            continue
        gap = max(text.rfind(end, done, found.start()) for end in _URL_ENDS)
        if gap >= 0:  # A new URL (else the one of the secret before, its start as it was).
            url_open = shown_open + text.count("(", done, gap) - text.count(")", done, gap)
        shown = text[done : found.end()]
        shown_open += shown.count("(") - shown.count(")")
        parts += [shown, "***"]
        done = found.end() + _hidden_length(
            found.group(1), value.group(), in_parentheses=url_open > 0
        )
    return "".join(parts) + text[done:]


# What may close a URL given in parentheses, in prose: ")" and at most one mark after it.
_CLOSING_PROSE = re.compile(r"\)[.,;:!]?")
# Names of values that a person chose (a password may end in ")" or "!"): always hidden whole.
_CHOSEN_SECRET_PARTS = ("passw", "pwd", "secret", "key", "auth", "credential")
# What ends a URL in prose: white space and the quotes a message puts around a value.
_URL_ENDS = (" ", "\t", "\n", "\r", "'", '"', "`")


def _hidden_length(name: str, value: str, *, in_parentheses: bool) -> int:
    """How much of the secret `value` (of the parameter `name`) to hide: all of it, but a ")"
    that closes a "(" opened before the URL (`in_parentheses`), and one mark after it, ending
    the value (`(redirected to https://h/login?token=abc).`), for values no person chose
    (tokens, signatures: base64, hex, URL-safe characters)."""
    if not in_parentheses or any(
        part in urllib.parse.unquote(name).lower() for part in _CHOSEN_SECRET_PARTS
    ):
        return len(value)
    closing = _CLOSING_PROSE.search(value)
    if closing is None or closing.end() != len(value) or closing.start() == 0:
        return len(value)
    if "(" in value[: closing.start()]:  # The ")" may close the value's own "(".
        return len(value)
    return closing.start()


# An OAuth access token sent as "Authorization: Bearer <token>", should a server's answer echo
# it: after "Bearer" and a space (or its URL encodings, %20 and +), 16 characters or more of a
# token holding a digit, base64's "=" padding only at its end (not a word of prose: "the bearer
# token is invalid", "Bearer error=invalid_token" and "the Bearer authentication-scheme" stay),
# or Google's own access tokens ("ya29." and their characters) wherever they appear. Whether a
# token holds a digit is asked of the match, not by a look-ahead: one tried after each "bearer"
# of 'bearer+bearer+...' ran to the end of the run, quadratic in it.
_ACCESS_TOKEN = (
    r"(?i)(bearer(?:\s+|%20|\+))([A-Za-z0-9._~+/%\-]{16,}=*)|ya29\.[A-Za-z0-9._~+/=%\-]+"
)
_BEARER = "bearer"


def hide_access_tokens(text: str) -> str:
    """Returns `text` with each access token it quotes (after `Bearer`, or Google's `ya29.`
    tokens) replaced by `***`."""
    lowered = text.lower()
    if "ya29." not in lowered and "earer" not in lowered:
        return text
    pattern = re.compile(_ACCESS_TOKEN)  # From `re`'s cache: not compiled at import.
    parts: list[str] = []
    done = at = 0
    while (found := pattern.search(text, at)) is not None:
        if found.group(1) is not None and not any(char.isdigit() for char in found.group(2)):
            # Prose, not a token. Only a "bearer" ending the run can start one (whitespace
            # after it, which the run does not take): any other in the run has no digit after
            # it either. Searching on from there keeps the whole linear.
            run = found.group(2)
            at = found.end() - len(_BEARER) if run.lower().endswith(_BEARER) else found.end()
            continue
        parts += [text[done : found.start()], found.group(1) or "", "***"]
        done = at = found.end()
    return "".join(parts) + text[done:]
