"""The text of a hub documentation file: UTF-8 with any byte-order mark dropped, or a
DocFormatError naming the line and byte offset of the first byte that is not UTF-8."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from .. import errors
from ..utils.text_encodings import marked_encoding

# What a doc that is not UTF-8 leads to in a hub (the server, validate, mirror).
LEFT_OUT = "it is left out until then"


def read_doc_text(
    path: str | os.PathLike[str], *, shown: str | None = None, then: str = LEFT_OUT
) -> str:
    """The text of a documentation file, read as UTF-8 without its byte-order mark.

    Windows editors save UTF-8 with a BOM (U+FEFF before `# Module ...`); it is not part
    of the doc, so its first line still names its kind. Every doc is read through here.

    Args:
        path: the Markdown file.
        shown: the path to name in an error (default: `path` as given).
        then: what a file that is not UTF-8 leads to, said at the end of the error.

    Returns:
        Its text (a BOM, if any, removed).

    Raises:
        OSError: the file cannot be read.
        DocFormatError: the file is not UTF-8 (`.line` and `.offset`, a byte offset in the file,
            say where; a ValueError, as UnicodeDecodeError is).
    """
    data = Path(path).read_bytes()
    shown = os.fspath(path) if shown is None else shown
    return decode_doc(data, path=os.fspath(path), shown=shown, then=then)


def decode_doc(data: bytes, *, path: str, shown: str, then: str = LEFT_OUT) -> str:
    """The text of a doc's bytes (UTF-8, a leading BOM dropped), see `read_doc_text`.

    Args:
        data: the file's bytes.
        path: the file, for the error's `.path`.
        shown: the path to name in the error's message.
        then: what a file that is not UTF-8 leads to (a served doc is left out).

    Returns:
        The text.

    Raises:
        DocFormatError: naming the line and the byte offset (in the file, BOM included) of the
            first byte that is not UTF-8.
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = skip + err.start
        line = data.count(b"\n", 0, offset) + 1
        raise errors.DocFormatError(
            f"{shown}:{line}: not UTF-8 text: the byte 0x{data[offset]:02x} at byte offset "
            f"{offset} ({err.reason}); docs are UTF-8 Markdown: {_remedy(data)}, {then}",
            path=path,
            line=line,
            offset=offset,
        ) from err


def _remedy(data: bytes) -> str:
    """How to make UTF-8 of a doc's bytes that are not: from latin1, unless a byte-order mark
    says the file is UTF-16 or UTF-32 (from latin1, its mark and every NUL byte would become
    text, and the doc would still name no kind)."""
    other = marked_encoding(data)
    if other is None:
        return "save the file as UTF-8 (e.g. 'iconv -f latin1 -t utf-8')"
    writers = " (as Windows PowerShell's > and Notepad's \"Unicode\" save it)"
    return (
        f"the file is {other} text{writers if other == 'UTF-16' else ''} (it starts with "
        f"{other}'s byte-order mark): save it as UTF-8 (e.g. 'iconv -f {other} -t UTF-8')"
    )
