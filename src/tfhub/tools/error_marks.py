"""Keras' and TensorFlow's wrapping around the reason of a module's error, taken out in time
linear in the text's length. The text is the module's own (a `tf.debugging.Assert` message), so
a stranger's module decides what it holds: the regular expressions that did this were tried from
every start (each line start of a run of blank lines, each space of a run, each `[Op:` never
closed) to the end of its run, and 40,000 newlines took 7.6 s."""

from __future__ import annotations

import re

# Keras' "Arguments received by KerasLayer.call():" (tf_keras: "Call arguments received by
# layer ...:"), which starts the list of the arguments that ends its message.
_KERAS_ARGUMENTS = re.compile(r"(?:Call a|A)rguments received by ")
# Where TensorFlow's marks of a node start: `[[{{node f}}]]` and `[Op:__inference_f_7]`.
_NODE_MARK = re.compile(r"\[\[\{\{node |\[Op:")


def without_keras_arguments(text: str) -> str:
    """`text` cut at the first line that starts (after blank space, which may span lines) with
    Keras' "Arguments received by" or tf_keras' "Call arguments received by": the text of
    `re.sub(r"^\\s*(Call a|A)rguments received by .*", "", text, flags=re.M | re.S)`."""
    for found in _KERAS_ARGUMENTS.finditer(text):
        blank = _blank_start(text, found.start(), floor=0)
        if blank == 0:
            return ""
        newline = text.find("\n", blank, found.start())
        if newline >= 0:
            return text[: newline + 1]
    return text


def without_node_marks(text: str) -> str:
    """`text` without TensorFlow's node marks and the blank space before each: the text of
    `re.sub(r"\\s*\\[\\[\\{\\{node [^}]*\\}\\}\\]\\]|\\s*\\[Op:[^\\]]*\\]", "", text)`."""
    closing = {"}": _Next(text, "}"), "]": _Next(text, "]")}
    kept, done = [], 0
    for found in _NODE_MARK.finditer(text):
        if found.start() < done:
            continue  # Inside a mark taken out.
        if found[0] == "[Op:":
            end = closing["]"].at_or_after(found.end())
            end = end + 1 if end >= 0 else -1
        else:
            end = closing["}"].at_or_after(found.end())
            end = end + 4 if end >= 0 and text.startswith("}}]]", end) else -1
        if end >= 0:
            kept.append(text[done : _blank_start(text, found.start(), floor=done)])
            done = end
    kept.append(text[done:])
    return "".join(kept)


def _blank_start(text: str, end: int, *, floor: int) -> int:
    """Where the run of blank characters (as `\\s` of `re`) that ends at `end` starts, not
    before `floor`."""
    start = end
    while start > floor and text[start - 1].isspace():
        start -= 1
    return start


class _Next:
    """The first position of a character in a text at or after positions that never go back:
    each part of the text is searched once."""

    def __init__(self, text: str, char: str) -> None:
        self._text, self._char = text, char
        self._found: int | None = None  # Where the last search found it (-1: nowhere).

    def at_or_after(self, position: int) -> int:
        """The first position of the character at or after `position`; -1 if none."""
        if self._found is None or 0 <= self._found < position:
            self._found = self._text.find(self._char, position)
        return self._found
