"""tfhub's regular expressions on long hostile text: each public caller ends in linear time.

`module_reason` (the reason module_search and make_image_classifier give for a module that fails
on images, and for the TFLite converter's refusal) cleaned the error's text with patterns that
were tried from every start: `^\\s*(Call a|A)rguments received by` (MULTILINE) from every line
start of a run of blank lines, and `\\s*\\[\\[\\{\\{node [^}]*\\}\\}\\]\\]|\\s*\\[Op:[^\\]]*\\]`
from every space of a run, every `[[{{node ` and every `[Op:` that is never closed, each to the
end of its run. A module's own error (a `tf.debugging.Assert` message) is the stranger's text:
40,000 newlines took 7.6 s, 200,000 would take minutes. Each case runs in a child process with
a timeout (the old patterns would hold a pytest worker for minutes).
"""

from __future__ import annotations

import pytest
from tests._helpers.probe_tables import ends_quickly

_REASON_CASES = {
    "blank lines before no argument list": "'\\n' * 200_000 + 'x'",
    "spaces before no node mark": "'x' + ' ' * 200_000 + 'y'",
    # 9 MB and 8 MB: large enough that a search for the closing `}` or `]` from each start
    # (each one fast, as str.find is) still takes minutes.
    "node marks never closed": "'[[{{node ' * 1_000_000",
    "op marks never closed": "'[Op:' * 2_000_000",
}


@pytest.mark.parametrize("text", list(_REASON_CASES.values()), ids=list(_REASON_CASES))
def test_module_reason_of_long_hostile_text_ends_quickly(text: str) -> None:
    script = (
        f"from tfhub.tools.image_modules import module_reason\nmodule_reason(ValueError({text}))\n"
    )
    ends_quickly(script, what=f"module_reason of {text}")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("size too small\n\t [[{{node f}}]] [Op:__inference_f_7]", "size too small"),
        ("a   [[{{node f}}]]b  [Op:X] c", "ab c"),
        ("a [[{{node f}x}}]] [Op:Y]", "a [[{{node f}x}}]]"),
        ("a [[{{node f [Op:Y] z", "a [[{{node f z"),
        ("a [[{{node f [Op:Y]}}]] z", "a z"),
        ("a [Op:X", "a [Op:X"),
        ("a [Op:X [[{{node f}}]]] z", "a]] z"),
        ("[Op:X] a", "a"),
        ("a \u00a0\u2003[Op:X]", "a"),
        ("reason\n\n  \nArguments received by KerasLayer.call():\n  • x", "reason"),
        ("reason\n \t Call arguments received by layer 'k':\n  • x", "reason"),
        ("reason: Arguments received by x\nmore", "reason: Arguments received by x more"),
        ("Arguments received by x\nmore", "ValueError"),
        ("r\n  \n  Arguments received\nArguments received by y", "r"),
        ("r\n  x Arguments received by y\nz", "r z"),
    ],
)
def test_module_reason_is_unchanged_on_usual_text(message: str, reason: str) -> None:
    from tfhub.tools.image_modules import module_reason

    assert module_reason(ValueError(message)) == reason


def test_a_variable_names_port_is_matched_as_written() -> None:
    """`_is_uniquified` put the saved name's port into its pattern as is (regex43): a port
    TensorFlow's loader lets through as a number (`+0`) was read as a pattern (`:+0`)."""
    from tfhub.loaded_model import _is_uniquified

    assert _is_uniquified("a/b_1:+0", "a/b:+0")
    assert not _is_uniquified("a/b_1::0", "a/b:+0")
    assert _is_uniquified("a/b_12:0", "a/b:0") and not _is_uniquified("a/c_1:0", "a/b:0")
