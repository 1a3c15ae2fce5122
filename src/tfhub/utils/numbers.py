"""Reading whole numbers from text that people, servers and folders write."""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import TypeGuard


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


# Digits with at most one dot, and an optional exponent: "30", "2.5", ".5", "1e3", "1.5E-2".
_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def is_decimal(text: str) -> bool:
    """True for a plain ASCII number that `float(text)` reads: digits, at most one dot, an
    optional exponent (`1e3`); no sign, spaces, `inf` or `nan`.

    `float()` also reads `1_0` (as 10) and digits of other scripts (`٣` as 3): a setting
    holding one was taken for a number no one wrote.
    """
    return _DECIMAL.fullmatch(text) is not None


def is_whole_number(value: object) -> TypeGuard[int]:
    """True for an int, NumPy's included (`numbers.Integral`), that is not a bool: `True` is
    an int to Python, never meant as a count or a level."""
    from numbers import Integral  # Here: this module is on the download path's import budget.

    return isinstance(value, Integral) and not isinstance(value, bool)
