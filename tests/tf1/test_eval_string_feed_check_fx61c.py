"""The string-feed check of `eval_function_for_module`'s function, after review (fx61c).

The check (`_check_string_feeds`, session 61) ran before every run, converting each value fed to
a string input into an object array and looking at every item in Python: good calls paid for it
(+387% on a million strings). It now runs only after Session.run failed ("Unsupported object
type ..."), to say which input holds what. A value numpy could not shape (arrays of other shapes)
made the check raise numpy's bare ValueError before the run; a SparseTensorValue fed to a dense
string input was said to "hold int, list" instead of being a sparse value for a dense input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402
from tfhub.tf1 import eval_function  # noqa: E402
from tfhub.utils import printable  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def embed() -> Iterator[Callable[..., Any]]:
    """The eval function of the upstream text module (string input 'sentences' [None])."""
    with hub.eval_function_for_module(str(UPSTREAM_DIR / "tf1_text_vocab")) as func:
        yield func


def test_a_good_call_does_not_look_at_the_items(embed, monkeypatch) -> None:
    calls = []
    real = eval_function._non_string_kinds
    monkeypatch.setattr(
        eval_function, "_non_string_kinds", lambda value: calls.append(1) or real(value)
    )
    for value in (["a b"] * 50, np.array([b"a b"] * 50, dtype=object), np.array(["a"])):
        assert embed(value).shape[0] == len(value)
    assert calls == []  # Good calls pay nothing for the check.
    with pytest.raises(errors.StringFeedError, match=r"'sentences' of signature 'default'.*int"):
        embed(["a", 1])
    assert calls  # A failed run is explained by the check.


def test_arrays_of_other_shapes_name_the_signature(embed) -> None:
    value = [np.array([[b"a"], [b"b"]]), np.array([b"c", b"d"])]
    with pytest.raises(errors.SignatureInputError) as info:
        embed({"sentences": value})  # numpy: "could not broadcast input array ...".
    assert "signature 'default'" in str(info.value)
    assert "'sentences': 'string (None,)'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_sparse_value_for_a_dense_string_input_says_what_the_input_takes(embed) -> None:
    sparse = tf.compat.v1.SparseTensorValue([[0, 0]], np.array([b"a"]), [1, 2])
    with pytest.raises(errors.SignatureInputError) as info:
        embed(sparse)
    message = str(info.value)
    assert "holds" not in message and "Pass str or bytes" not in message
    assert "signature 'default'" in message and "'sentences': 'string (None,)'" in message
    assert isinstance(info.value, tf.errors.InternalError)  # What upstream's run raised.


def test_short_repr_is_the_one_cut_of_a_received_value() -> None:
    assert printable.short_repr("abc") == "'abc'"
    long = printable.short_repr("x" * 500)
    assert len(long) == 200 and long.endswith("...") and long.startswith("'xxx")
    assert printable.short_repr(list(range(10)), limit=12) == "[0, 1, 2,..."
    assert printable.short_repr("x" * 198) == "'" + "x" * 198 + "'"  # 200: not cut.


def test_a_long_received_value_is_cut_to_200_characters(embed) -> None:
    with pytest.raises(errors.StringFeedError) as info:
        embed([1] * 1000)
    received = str(info.value).split("Received: sentences=", 1)[1]
    assert len(received) == 200 and received.endswith("...")
