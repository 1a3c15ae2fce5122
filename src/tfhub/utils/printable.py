"""Text from others (requests, files other tools wrote, argv, stdin): made safe to print on one
line, and checked for bytes that are not UTF-8."""

from __future__ import annotations


def escaped(text: str, also: str = "") -> str:
    """`text` with control and other non-printable characters (and those of `also`) written as
    `\\xHH` escapes (`\\uHHHH` past Latin-1), as nginx writes them in its log, so the text cannot
    break a line, forge one or send terminal escapes."""
    if text.isprintable() and not any(char in text for char in also):
        return text
    return "".join(
        char if char.isprintable() and char not in also else _escape(char) for char in text
    )


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"


def not_utf8(text: str) -> bytes | None:
    """The bytes of `text` if it is not UTF-8 text (its bad bytes arrive as lone surrogates,
    from argv or from a stdin read with surrogateescape), else None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")
    return None
