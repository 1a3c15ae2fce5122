"""The tests' layout: pytest (rootdir imports, no __init__.py) needs unique test file names."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_test_file_names_are_unique():
    names = Counter(path.name for path in Path(__file__).parent.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
