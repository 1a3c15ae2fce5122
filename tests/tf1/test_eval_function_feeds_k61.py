"""`eval_function_for_module`'s function fed numbers for a string input (probe k61, session 61).

Module.__call__ refuses them with SignatureInputError naming the signature; the eval function,
which promises the same arguments and SignatureInputError for a value of the wrong dtype, let
Session.run take them: the run then failed with TensorFlow's bare InternalError ("Unsupported
object type int"), naming neither the input nor the signature.
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
