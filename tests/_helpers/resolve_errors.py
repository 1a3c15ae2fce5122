"""An error `hub.resolve` raises, caught and checked the way the download tests check it
(shared by tests/test_download_partial_content_fx62b.py and
tests/test_archive_hostile_counts.py).

API (stable):
    resolve_error(url, cls, *also) -> the error: hub.resolve(url) raises `cls`, an instance of
        each class of `also` too.
    assert_pickles(error, *attributes): the error comes back from pickle as it was.
"""

from __future__ import annotations

import pickle
from typing import TypeVar

import pytest

import tfhub as hub

E = TypeVar("E", bound=BaseException)


def resolve_error(url: str, cls: type[E], *also: type[BaseException]) -> E:
    """Resolves `url`, which must raise `cls`.

    Args:
        url: the handle to resolve.
        cls: the class of error expected.
        *also: classes the error must be an instance of too (upstream's builtin, a parent).

    Returns:
        The error raised.
    """
    with pytest.raises(cls) as info:
        hub.resolve(url)
    error = info.value
    assert all(isinstance(error, parent) for parent in also), type(error).__mro__
    return error


def assert_pickles(error: BaseException, *attributes: str) -> None:
    """Checks that `error` survives pickling: the same class, message and `attributes`."""
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy)) == (type(error), str(error)), (type(copy), str(copy))
    for name in attributes:
        assert getattr(copy, name) == getattr(error, name), name
