"""`eval_function_for_module`'s function fed values other than strings for a string input
(session 61: probe k61, then fx61a and fx61c after review).

Module.__call__ refuses them with SignatureInputError naming the signature; the eval function,
which promises the same arguments and SignatureInputError for a value of the wrong dtype, let
Session.run take them: the run then failed with TensorFlow's bare InternalError ("Unsupported
object type int"), naming neither the input nor the signature. Now the error is
`StringFeedError`, both a SignatureInputError (ValueError, TypeError) and that InternalError (what
an `except` written for upstream catches), naming the input and what it holds. The check runs only
after Session.run failed (good calls pay nothing); a value numpy cannot shape ends in the run's
SignatureInputError naming the signature; a sparse value fed to a dense string input is named as
such, not as "holding int, list".
"""

from __future__ import annotations

import pickle
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


@pytest.mark.parametrize(
    ("value", "kind"),
    [([1, 2], "int"), (np.array([1.5]), "float"), (np.array([True]), "bool"), ([b"a", 3], "int")],
)
def test_numbers_for_a_string_input_name_the_input_and_signature(embed, value, kind) -> None:
    with pytest.raises(errors.SignatureInputError) as info:
        embed(value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    message = str(info.value)
    assert "input 'sentences' of signature 'default'" in message
    assert f"holds {kind}" in message and "Received: sentences=" in message


def test_strings_still_embed_after_a_refused_feed(embed) -> None:
    with pytest.raises(errors.SignatureInputError):
        embed([7])
    expected = embed(np.array([b"hello world"]))
    for value in (["hello world"], np.array(["hello world"]), [b"hello world"]):
        np.testing.assert_allclose(embed(value), expected)
    assert embed(["hello world"], as_dict=True)["default"].shape == (1, 4)


def test_rows_of_other_lengths_for_a_string_input_are_refused_too(embed) -> None:
    with pytest.raises(errors.SignatureInputError, match=r"'default'.*holds list\. "):
        embed([["a"], ["b", "c"]])  # Session.run: InternalError "Unsupported object type list".


@pytest.fixture(scope="module")
def composite() -> Iterator[Callable[..., Any]]:
    """The eval function of a module whose signatures take a sparse and a ragged string input."""

    def module_fn() -> None:
        words = tf.compat.v1.sparse_placeholder(tf.string, [None, None], name="words")
        hub.add_signature(inputs=words, outputs=tf.strings.length(words.values))
        rows = tf.compat.v1.ragged.placeholder(tf.string, 1, [], name="rows")
        hub.add_signature("rows", inputs=rows, outputs=tf.strings.length(rows.flat_values))

    with hub.eval_function_for_module(hub.create_module_spec(module_fn)) as func:
        yield func


def test_numbers_for_sparse_and_ragged_string_inputs_are_refused(composite) -> None:
    sparse = tf.compat.v1.SparseTensorValue([[0, 0], [0, 1]], np.array([1, 2]), [1, 2])
    for value in (sparse, ([[0, 0]], [1], [1, 1])):
        with pytest.raises(errors.SignatureInputError, match=r"'default' of signature 'default'"):
            composite(value)
    with pytest.raises(errors.SignatureInputError, match=r"'default' of signature 'rows'.*int"):
        composite([[1], [2, 3]], signature="rows")
    good = tf.compat.v1.SparseTensorValue([[0, 0], [0, 1]], np.array([b"ab", b"c"]), [1, 2])
    assert composite(good).tolist() == [2, 1]
    assert composite([["a"], ["bb", "c"]], signature="rows").tolist() == [1, 2, 1]


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
