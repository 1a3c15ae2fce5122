"""Reading whole numbers from text that people, servers and folders write."""

from __future__ import annotations

import sys


def is_number(text: str) -> bool:
    """True for a run of ASCII digits `0-9` that `int(text)` reads: not empty, and no longer
    than the interpreter converts (4,300 digits by default; more raise ValueError).

    `str.isdigit()` is also True for `²` or `٣` (which `int` refuses, or reads as a digit of
    another script): a version folder, a query parameter or a header holding one would
    otherwise crash the `int(...)` after the check.
    """
    if not (text.isascii() and text.isdigit()):
        return False
    limit_of = getattr(sys, "get_int_max_str_digits", None)  # Python 3.11+; 3.10 has none.
    limit = limit_of() if limit_of is not None else 0
    return limit == 0 or len(text) <= limit
