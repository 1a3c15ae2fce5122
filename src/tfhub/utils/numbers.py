"""Reading whole numbers from text that people, servers and folders write."""

from __future__ import annotations


def is_number(text: str) -> bool:
    """True for a non-empty run of ASCII digits `0-9`: what `int(text)` reads as a plain whole
    number. `str.isdigit()` is also True for `²` or `٣` (which `int` refuses, or reads as a
    digit of another script): a version folder, a query parameter or a header holding one
    would otherwise crash the `int(...)` after the check."""
    return text.isascii() and text.isdigit()
