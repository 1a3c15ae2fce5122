"""Keep credentials out of everything tfhub shows or writes.

A handle may carry credentials: in its userinfo (``https://user:secret@host/m.tar.gz``) or in
its query, as signed URLs do (S3 presigned URLs' ``X-Amz-Signature`` and
``X-Amz-Security-Token``, GCS signed URLs' ``X-Goog-Signature``, Azure SAS ``sig``, an
``access_token``). tfhub downloads with it, but every message, log line, descriptor and
listing shows ``https://***@host/m.tar.gz?X-Amz-Signature=***`` instead.
"""

from __future__ import annotations

import re

# scheme://userinfo@ — userinfo cannot hold "/", "?", "#" or whitespace; it may hold "@" only
# percent-encoded, but a greedy match up to the last "@" of the authority is safer. The scheme
# may follow any character, a letter or digit too ("0https://u:p@h" in a joined string). Compiled
# by `re`'s cache at the first call, not at import (every tfhub process imports this module).
_USERINFO = r"(?i)([a-z][a-z0-9+.\-]*://)[^/?#\s]*@"

# Query parameters that hold a secret (matched whole, any case): signatures and session tokens
# of signed URLs (AWS SigV4 and V2, GCS V4 and V2, CloudFront, Azure SAS) and the usual names
# of API keys and tokens. The value ends at the next parameter, fragment, space or quote (a
# message quotes handles: `Received: handle='...'`, or as code: `tfhub pull URL`).
_SECRET_PARAMETER_NAMES = (
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "awsaccesskeyid",
    "googleaccessid",
    "signature",
    "policy",
    "sig",
    "token",
    "access_token",
    "id_token",
    "refresh_token",
    "private_token",
    "auth",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "password",
)
_SECRET_PARAMETER = (
    r"(?i)([?&](?:" + "|".join(map(re.escape, _SECRET_PARAMETER_NAMES)) + r")=)[^&#\s'\"`]+"
)


def redact(text: str) -> str:
    """Returns `text` with the userinfo of every URL in it, and the value of every query
    parameter that holds a secret (`?X-Amz-Signature=...`, `&token=...`), replaced by `***`."""
    if "@" in text:
        text = re.sub(_USERINFO, r"\1***@", text)
    if "=" in text:  # The common case, a handle without a query, skips the expression.
        text = re.sub(_SECRET_PARAMETER, r"\1***", text)
    return text
