"""Refuse what cannot name a model (not text, empty, control characters, spaces around a URL,
bytes that are not UTF-8) before it reaches a request or the cache's bookkeeping; name a
handle's cache folder: ``cache_key(handle)`` = sha1 hex, as tensorflow_hub does."""

from __future__ import annotations

import hashlib
import unicodedata

from . import errors
from .handle_urls import scheme
from .utils.printable import not_utf8
from .utils.redact import redact


def cache_key(handle: str) -> str:
    """Returns the cache folder name of a handle: sha1 of its UTF-8 bytes, hex (as upstream).

    Raises:
        tfhub.errors.InvalidHandleError: the handle holds bytes that are not UTF-8 text.
    """
    _check_utf8(handle)
    return hashlib.sha1(handle.encode("utf8")).hexdigest()


def _check_utf8(handle: str) -> None:
    """Refuses a handle holding bytes that are not UTF-8 (lone surrogates, as Python decodes
    them from argv, a file name or the environment): a URL is UTF-8 text (RFC 3987), and
    neither a request nor a cache key can hold them."""
    raw = not_utf8(handle)
    if raw is None:
        return
    raise errors.InvalidHandleError(
        f"The handle {not_utf8_problem(raw)}. Received: handle='{redact(repr(raw)[2:-1])}'"
    )


def not_utf8_problem(raw: bytes) -> str:
    """What is wrong with a handle of bytes `raw` that are not UTF-8 text, and what to do, for
    a message that names the handle first ("holds bytes that are not UTF-8 text (\\xff), ...");
    also the CLI's, which reads argv's bytes (`cli._parsers.cache_text`)."""
    byte = _first_bad_byte(raw)
    return (
        f"holds bytes that are not UTF-8 text (\\x{byte:02x}), as a handle must: percent-encode "
        f"them in a URL (%{byte:02X})"
    )


def _first_bad_byte(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return raw[err.start]
    return raw[0]  # pragma: no cover - `raw` came from a text that was not UTF-8.


def check(handle: object, *, local_controls: bool = False) -> str:
    """Returns `handle` if it can name a model; refuses what would corrupt the cache's bookkeeping.

    Args:
        handle: the handle.
        local_controls: take a local path holding control characters (not a NUL), as a file
            name may: for `hub.resolve`, which reads it in place and writes it nowhere. Other
            callers (which may write the handle into a file: a hub doc) refuse it.

    Raises:
        tfhub.errors.HandleTypeError: (an InvalidHandleError and a TypeError) for a non-string.
        tfhub.errors.EmptyHandleError: (an InvalidHandleError and an IOError, as upstream's
            " does not exist.") for an empty string.
        tfhub.errors.SpacedHandleError: (an InvalidHandleError and an IOError) for a URL with
            spaces around it, or any handle with a line break around it.
        tfhub.errors.InvalidHandleError: for control characters inside the handle (a newline
            would add lines to the descriptor; see `local_controls`), or a URL holding bytes
            that are not UTF-8 text (lone surrogates; a local path may hold them: it names a
            file by its bytes).
    """
    if not isinstance(handle, str):
        raise errors.HandleTypeError(_not_text(handle))
    if not handle:
        raise errors.EmptyHandleError(
            "A handle cannot be empty: pass a model's URL or folder (an empty handle often "
            "comes from an unset environment variable or setting). Received: handle=''"
        )
    found = scheme(handle)
    if found not in (None, "file"):  # A local path names a file by its bytes.
        _check_utf8(handle)
    # isprintable() (C speed) is False for every Cc, Zl and Zp character: the common case skips
    # the loop, which names the bad ones.
    bad = [] if handle.isprintable() else _control_characters(handle)
    stripped = handle.strip()
    if bad:
        listed = ", ".join(map(repr, list(dict.fromkeys(bad))[:3]))
        received = f"Received: handle={redact(repr(handle))}"
        if not stripped or _control_characters(stripped):
            if local_controls and found is None and stripped and "\x00" not in handle:
                # A file name may hold them (not a NUL), and a local path is read in place,
                # never written into the cache's bookkeeping: as upstream, it resolves if it
                # exists (else ModelNotFoundError, its IOError, shows it escaped). A file:// URL
                # is a URL: urlsplit would drop its tabs and newlines, naming another path.
                return handle
            raise errors.InvalidHandleError(
                f"A handle cannot hold control characters ({listed}). {received}"
            )
        raise errors.SpacedHandleError(
            f"A handle cannot hold control characters ({listed}); here they are around it (a "
            "line read from a file or a command's output keeps its newline): strip it "
            f"(handle.strip()). Did you mean {redact(repr(stripped))}? {received}"
        )
    if handle != stripped and scheme(stripped) is not None:
        raise errors.SpacedHandleError(
            "The handle is a URL with spaces around it; remove them (handle.strip()). Did you "
            f"mean {redact(repr(stripped))}? Received: handle={redact(repr(handle))}"
        )
    return handle


_SHOWN = 200  # Characters of a handle that is not a str shown in its error (it may be a file).


def _not_text(handle: object) -> str:
    """The message for a handle that is not a str, offering the text of a bytes handle."""
    offer = _decode_offer(bytes(handle)) if isinstance(handle, (bytes, bytearray)) else ""
    shown = redact(repr(handle))[:_SHOWN]  # Redacted, then cut: a cut password has no "@" after.
    return f"A handle must be a non-empty string.{offer} Received: handle={shown}"


def _decode_offer(raw: bytes) -> str:
    """What a bytes handle's error offers instead: its text, if `check` would take it and it
    is short enough to show (redacted), else how to get it, or why it cannot be a handle."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # handle.decode() would raise.
        return " Its bytes are not UTF-8 text either: percent-encode them in a URL."
    if not text or not text.isprintable():  # Empty, or control characters: refused too.
        return ""
    shown = redact(repr(text))
    if len(shown) > _SHOWN:
        return f" Did you mean handle.decode()? (Its {len(raw):,} bytes are too many to show.)"
    return f" Did you mean {shown} (handle.decode())?"


def _control_characters(handle: str) -> list[str]:
    """The characters of `handle` that would break a line of the bookkeeping (Cc, Zl, Zp)."""
    return [char for char in handle if unicodedata.category(char) in ("Cc", "Zl", "Zp")]


def has_control_characters(handle: str) -> bool:
    """Whether `handle` holds a character that would break a line (Cc, Zl, Zp): a local path
    may (a file name), and messages then show it escaped."""
    return not handle.isprintable() and bool(_control_characters(handle))
