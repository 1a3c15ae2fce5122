"""The byte-order marks of Unicode's encodings other than UTF-8, the one table of them: a file
that starts with one is UTF-16 or UTF-32 text, which a reader of UTF-8 (a hub doc, an input
file of the nearest-neighbour tool) tells apart from text to convert from latin1.
Pure Python: no TensorFlow.
"""

from __future__ import annotations

import codecs

# UTF-32's marks first: UTF-32 LE's starts with UTF-16 LE's. Windows PowerShell's `>` and
# Notepad's "Unicode" write UTF-16 with its mark.
OTHER_UNICODE_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def marked_encoding(start: bytes) -> str | None:
    """The encoding ("UTF-16", "UTF-32") whose byte-order mark `start` (a file's first bytes)
    begins with, or None if it begins with none of them (UTF-8's own mark included)."""
    return next((name for mark, name in OTHER_UNICODE_MARKS if start.startswith(mark)), None)
