"""Keep credentials out of everything tfhub shows or writes.

A handle such as ``https://user:secret@host/m.tar.gz`` carries credentials in its userinfo:
tfhub downloads with it, but every message, log line, descriptor and listing shows
``https://***@host/m.tar.gz`` instead.
"""

from __future__ import annotations

import re

# scheme://userinfo@ — userinfo cannot hold "/", "?", "#" or whitespace; it may hold "@" only
# percent-encoded, but a greedy match up to the last "@" of the authority is safer. Compiled
# by `re`'s cache at the first call, not at import (every tfhub process imports this module).
_USERINFO = r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s]*@"


def redact(text: str) -> str:
    """Returns `text` with the userinfo of every URL in it replaced by `***`."""
    if "@" not in text:
        return text  # No userinfo: the common case, without the regular expression.
    return re.sub(_USERINFO, r"\1***@", text)
