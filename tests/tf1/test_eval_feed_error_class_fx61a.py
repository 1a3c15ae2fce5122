"""The error of numbers fed to a string input of `eval_function_for_module`'s function (fx61a).

Upstream let TensorFlow raise `tf.errors.InternalError` ("Unsupported object type int") from the
run; tfhub refuses the value first (commit f1880c21) with SignatureInputError, which an
`except tf.errors.InternalError` written for upstream no longer caught. The error is now
`StringFeedError`: both a SignatureInputError (ValueError, TypeError) and that InternalError.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def embed() -> Iterator[Callable[..., Any]]:
    """The eval function of the upstream text module (string input 'sentences' [None])."""
    with hub.eval_function_for_module(str(UPSTREAM_DIR / "tf1_text_vocab")) as func:
        yield func


def test_except_internal_error_written_for_upstream_still_catches_it(embed) -> None:
    with pytest.raises(tf.errors.InternalError) as info:
        embed([1, 2])
    assert isinstance(info.value, errors.SignatureInputError)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    assert "input 'sentences' of signature 'default'" in str(info.value)
    assert info.value.message == str(info.value)  # OpError's `.message`, as TensorFlow's.


def test_except_value_error_catches_it_and_it_pickles(embed) -> None:
    try:
        embed([b"a", 3])
    except ValueError as caught:
        err = caught
    else:  # pragma: no cover - the failure this test is for.
        pytest.fail("no error for a number fed to a string input")
    assert type(err) is errors.StringFeedError
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is errors.StringFeedError and str(again) == str(err)
    assert again.args == err.args and isinstance(again, tf.errors.InternalError)
    assert again.error_code == tf.errors.INTERNAL
