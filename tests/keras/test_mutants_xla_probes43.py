"""Tests that kill mutants the other tests let live (session 43's hand mutation pass over the
XLA check of a hub.KerasLayer's model, `keras._xla`, and `_tf_private.op_outputs_strings`):
each test names the string tensor the check must see, made where no other check sees it."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.tf


def _compiles(fn: Any) -> bool:
    """`compiles_with_xla` of the tf.function `fn` of one float32 [None, 2] input."""
    import tensorflow as tf

    from tfhub.keras._xla import compiles_with_xla

    spec = tf.TensorSpec([None, 2], tf.float32)
    return compiles_with_xla(fn.get_concrete_function(spec), [spec])


@pytest.mark.parametrize(
    ("op", "strings"),
    [
        ("AsString", True),
        ("StringSplitV2", True),  # Its second output of three (values) is the string one.
        ("StringToNumber", False),  # Takes strings, outputs numbers.
        ("AddV2", False),
        ("NoSuchOpOfTfhubs", False),  # Not registered (a custom op's model).
    ],
)
def test_an_op_outputs_strings_if_any_of_its_outputs_is_of_the_string_type(
    op: str, strings: bool
) -> None:
    from tfhub._tf_private import op_outputs_strings

    assert op_outputs_strings(op) is strings


def test_a_python_callable_taking_strings_does_not_compile() -> None:
    """No traced function to look into: the input specs alone say it."""
    import tensorflow as tf

    from tfhub.keras._xla import compiles_with_xla

    def identity(x: Any) -> Any:
        return x

    assert compiles_with_xla(identity, [tf.TensorSpec([None], tf.string)]) is False
    assert compiles_with_xla(identity, [tf.TensorSpec([None], tf.float32)]) is True


def test_a_string_constant_does_not_compile() -> None:
    """Const names its string type in an attribute only (its definition's output is typed by
    that attribute); StringLength outputs numbers."""
    import tensorflow as tf

    @tf.function
    def lengths(x: Any) -> Any:
        words = tf.constant(["ab", "c"])
        return x + tf.cast(tf.strings.length(words), tf.float32)

    assert _compiles(lengths) is False


def test_strings_from_a_list_of_output_types_do_not_compile() -> None:
    """tf.py_function (EagerPyFunc) names its outputs' types in a list attribute (Tout) only."""
    import tensorflow as tf

    @tf.function
    def lengths(x: Any) -> Any:
        text = tf.py_function(lambda v: tf.strings.as_string(v), [x], Tout=tf.string)
        return x + tf.cast(tf.strings.length(text), tf.float32)

    assert _compiles(lengths) is False


def _nested(*, strings_first: bool) -> Any:
    """A tf.function calling a numeric nested function and one with strings, the one traced
    first first (the library's order follows the tracing order)."""
    import tensorflow as tf

    @tf.function
    def double(x: Any) -> Any:
        return x * 2.0

    @tf.function
    def round_trip(x: Any) -> Any:
        return tf.strings.to_number(tf.strings.as_string(x))

    @tf.function
    def both(x: Any) -> Any:
        return double(round_trip(x)) if strings_first else round_trip(double(x))

    return both


@pytest.mark.parametrize("strings_first", [True, False])
def test_strings_in_either_of_two_nested_functions_do_not_compile(strings_first: bool) -> None:
    assert _compiles(_nested(strings_first=strings_first)) is False


def test_a_function_calling_two_numeric_nested_functions_compiles() -> None:
    import tensorflow as tf

    @tf.function
    def double(x: Any) -> Any:
        return x * 2.0

    @tf.function
    def halve(x: Any) -> Any:
        return x / 2.0

    @tf.function
    def both(x: Any) -> Any:
        return halve(double(x))

    assert _compiles(both) is True


def test_a_lookup_table_made_but_not_looked_into_does_not_compile() -> None:
    """HashTableV2 (integer keys: no string type anywhere) with no LookupTable* op after it."""
    import tensorflow as tf

    @tf.function
    def with_table(x: Any) -> Any:
        tf.raw_ops.HashTableV2(key_dtype=tf.int64, value_dtype=tf.int64)
        return x * 2.0

    assert _compiles(with_table) is False
