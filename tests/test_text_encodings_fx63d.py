"""One table of the byte-order marks of UTF-16 and UTF-32 (`utils/text_encodings.py`), used by
the hub's docs and the nearest-neighbour tool's input files (it was written out in both)."""

from __future__ import annotations

import codecs
import inspect
from pathlib import Path

import pytest

from tfhub.hub import docs_text
from tfhub.tools.make_nearest_neighbour_index import input_files
from tfhub.utils.text_encodings import OTHER_UNICODE_MARKS, marked_encoding


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (codecs.BOM_UTF32_LE + b"#\0\0\0", "UTF-32"),  # Starts with UTF-16 LE's mark too.
        (codecs.BOM_UTF32_BE + b"\0\0\0#", "UTF-32"),
        (codecs.BOM_UTF16_LE + b"#\0", "UTF-16"),
        (codecs.BOM_UTF16_BE + b"\0#", "UTF-16"),
        (codecs.BOM_UTF8 + b"# Module", None),
        (b"", None),
    ],
)
def test_the_mark_names_the_encoding(start: bytes, expected: str | None) -> None:
    assert marked_encoding(start) == expected


def test_both_readers_use_the_one_table(tmp_path: Path) -> None:
    """Neither module keeps a table of its own; both name the file as before."""
    for module in (docs_text, input_files):
        assert "BOM_UTF16_LE" not in inspect.getsource(module), module.__name__
    data = codecs.BOM_UTF16_LE + "# Module acme/emb/1\n".encode("utf-16-le")
    with pytest.raises(ValueError, match=r"the file is UTF-16 text .*iconv -f UTF-16 -t UTF-8"):
        docs_text.decode_doc(data, path="1.md", shown="1.md")
    items = tmp_path / "items.txt"
    items.write_bytes(codecs.BOM_UTF32_BE + "a\n".encode("utf-32-be"))
    assert input_files.other_unicode_encoding(str(items)) == "UTF-32"
    assert len(OTHER_UNICODE_MARKS) == 4
