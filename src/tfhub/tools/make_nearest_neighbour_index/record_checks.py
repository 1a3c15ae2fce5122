"""The checks of a batch of embedding records before `build` indexes them: every item UTF-8
text, every embedding of the first record's size (not empty), no NaN or infinite value. Each
check gives the place of the first bad record in the batch and what is wrong with it."""

from __future__ import annotations

import numpy as np


def decoded(items: np.ndarray) -> tuple[list[str], int | None]:
    """The items as text, and the place of the first that is not UTF-8 (None if all are)."""
    texts: list[str] = []
    for place, item in enumerate(items):
        try:
            texts.append(item.decode("utf-8"))
        except UnicodeDecodeError:
            return texts, place
    return texts, None


# What to do about a record that cannot be indexed (ends the error's problem).
_NOT_UTF8 = (
    ": items must be UTF-8 text, as `generate` writes them; convert the input (e.g. iconv -f "
    "latin1 -t utf-8) and run `make_nearest_neighbour_index generate` again"
)


_EMPTY = (
    ": every record needs the floats of its `embedding`; run `make_nearest_neighbour_index "
    "generate` again, or remove the record"
)


_SIZES = (
    ": all embeddings must have one size; make the folder's files with one module and "
    "projection (run `make_nearest_neighbour_index generate` again)"
)


_NOT_FINITE = (
    ": an index cannot place NaN or infinite values; remove the record, or fix what made the "
    "embedding and run `make_nearest_neighbour_index generate` again"
)


def item_problem(items: np.ndarray, not_utf8: int | None) -> tuple[int, str] | None:
    """The place of the first item that is not UTF-8 text (`not_utf8`) and what is wrong."""
    if not_utf8 is None:
        return None
    item = items[not_utf8]
    shown = repr(item[:40]) + ("..." if len(item) > 40 else "")
    return not_utf8, f"has an item that is not UTF-8 text ({shown}){_NOT_UTF8}"


def size_problem(lengths: np.ndarray, dim: int) -> tuple[int, str] | None:
    """The place of the first embedding that is empty or not of `dim` floats (the first
    record's size), and what is wrong."""
    wrong = np.flatnonzero((lengths != dim) | (lengths == 0))
    if not wrong.size:
        return None
    place, length = int(wrong[0]), int(lengths[wrong[0]])
    if length == 0:
        return place, f"has an empty embedding (no floats){_EMPTY}"
    return place, f"has {length} floats in its embedding where the first record has {dim}{_SIZES}"


def value_problem(values: np.ndarray, row_splits: np.ndarray) -> tuple[int, str] | None:
    """The place of the first embedding with a NaN or infinite value, and what is wrong.

    Args:
        values: the batch's embeddings, one after the other.
        row_splits: where each record's embedding starts in `values` (and where the last ends).
    """
    bad = np.flatnonzero(~np.isfinite(values))
    if not bad.size:
        return None
    place = int(np.searchsorted(row_splits, bad[0], side="right")) - 1
    return place, f"has {values[bad[0]]} in its embedding{_NOT_FINITE}"
