"""The text and syntax tree of each module of the package, read and parsed once per process.

Several checks of the architecture walk every module under src/tfhub with `ast`; a parse of the
whole package costs ~1 CPU-s, and each check used to make its own (ten per test run). They share
one per pytest worker here. The sources are not edited while the tests run, so a file read once
is the file; the trees are shared, so a caller walks them and never changes them.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = (Path(__file__).parents[2] / "src" / "tfhub").resolve()


def package_modules() -> list[Path]:
    """Every `.py` file under src/tfhub, sorted."""
    return sorted(PACKAGE.rglob("*.py"))


def source(path: Path) -> str:
    """The text of the module at `path` (UTF-8), read once per process.

    Raises:
        ValueError: `path` is not a file of src/tfhub (a test's own files change: not cached).
    """
    return _read(_in_package(path))


def tree(path: Path) -> ast.Module:
    """The syntax tree of the module at `path`, parsed once per process: walk it, never change
    it (every caller gets the same tree).

    Raises:
        ValueError: `path` is not a file of src/tfhub.
    """
    return _parse(_in_package(path))


def _in_package(path: Path) -> str:
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(PACKAGE):
        raise ValueError(f"not a module of {PACKAGE}. Received: path={path}")
    return str(resolved)


@functools.cache
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


@functools.cache
def _parse(path: str) -> ast.Module:
    return ast.parse(_read(path))
