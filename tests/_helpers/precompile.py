"""Compiles the checkout's Python once, before `./run test`, for the many processes of the suite.

CI and the sandboxes set PYTHONDONTWRITEBYTECODE=1: Python then writes no .pyc file, but it still
reads those it finds. So without this every process compiled tfhub's modules again (each of the
~700 fresh interpreters the suite starts: 0.04-0.06 CPU-s for a CLI command's ~50 modules), and
every pytest worker rewrote and compiled all the test modules again (~12.5 CPU-s each).

`python -m tests._helpers.precompile [CHECKOUT]` (run from the checkout) writes, where missing
or stale:
- the standard .pyc of src/ and of the tests' helper modules (py_compile), checked against a
  hash of the source on each import (PEP 552), as an mtime check can miss a change;
- pytest's own cached .pyc of the test modules and conftest.py files, the assertion-rewritten
  code pytest would write itself without PYTHONDONTWRITEBYTECODE (same functions, same file
  names, same staleness check: pytest reads them and rewrites nothing).

Before 9.2, pytest's staleness check compares only the source's size and mtime in whole
seconds (9.2 checks a hash of the source, as the .pyc of src/ here): a .pyc
written in the second its source was last changed would hide a later same-size change in that
second (and with PYTHONDONTWRITEBYTECODE set nothing ever replaces it: the OLD test code runs).
So a test module changed in the current second is first left to settle (at most ~1 s of wall
time), and one whose mtime is still not in a past second (changed again, or a future mtime) gets
no .pyc: pytest rewrites it itself.

Both are gitignored `__pycache__` folders. The second uses pytest's private functions
(`_pytest.assertion.rewrite`): if they are missing or changed, or pyproject.toml sets
`enable_assertion_pass_hook` (which changes the rewritten code), it skips that part and says so;
the tests then run as before, only slower. It never fails the run.
"""

from __future__ import annotations

import importlib.util
import os
import py_compile
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# pytest's default `python_files` (pyproject.toml does not change it) and conftest.py.
_TEST_MODULE = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
# Data folders of the tests hold no module that the suite imports.
_NOT_TESTS = ("data",)
# How far the filesystem's clock (mtimes) may lag time.time(), in seconds.
_CLOCK_SLACK = 0.05
# The longest wait for a just-changed module to settle, in seconds.
_SETTLE_AT_MOST = 1.1
_HASH = py_compile.PycInvalidationMode.CHECKED_HASH


def _test_files(tests: Path) -> tuple[list[Path], list[Path]]:
    """(the modules pytest rewrites, the other modules) under `tests`, sorted."""
    rewritten: list[Path] = []
    plain: list[Path] = []
    for path in sorted(tests.rglob("*.py")):
        relative = path.relative_to(tests).parts
        if relative[0] in _NOT_TESTS or "__pycache__" in relative:
            continue
        (rewritten if _TEST_MODULE.match(path.name) else plain).append(path)
    return rewritten, plain


def _compile(paths: list[str]) -> int:
    """Writes the standard .pyc of each path, checked against its source's hash on import,
    unless it holds one for the source as it is now (a file Python cannot compile is left to
    the import that reports it).

    Returns:
        How many were written.
    """
    written = 0
    for name in paths:
        pyc = Path(importlib.util.cache_from_source(name))
        try:
            source = Path(name).read_bytes()
            with pyc.open("rb") as file:
                header = file.read(16)
        except OSError:
            header = b""
        checked = (0b11).to_bytes(4, "little")  # PEP 552: hash-based, checked.
        if header == importlib.util.MAGIC_NUMBER + checked + importlib.util.source_hash(source):
            continue
        try:
            py_compile.compile(name, cfile=os.fspath(pyc), doraise=True, invalidation_mode=_HASH)
        except (py_compile.PyCompileError, OSError):
            continue
        written += 1
    return written


def _rewrite(paths: list[str]) -> int:
    """Writes pytest's rewritten .pyc of each path whose cached one is missing or stale.

    Returns:
        How many were written.
    """
    from _pytest.assertion import rewrite

    written = 0
    by_hash = _checks_by_hash(rewrite)
    for name in paths:
        path = Path(name)
        cache_dir = rewrite.get_cache_dir(path)
        pyc = cache_dir / (path.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(path, pyc) is not None:
            continue
        if not by_hash:
            _settle(path)
        try:
            # pytest >= 9.2: (the source's hash, code); before: (its os.stat_result, code).
            source_key, code = rewrite._rewrite_test(path, None)
        except SyntaxError:  # pytest reports it when it collects the file.
            continue
        if not by_hash and _changed_this_second(source_key.st_mtime):
            continue  # pytest's check could not see a change later in this second.
        if rewrite.try_makedirs(cache_dir) and rewrite._write_pyc(
            _NoTrace(), code, source_key, pyc
        ):
            written += 1
    return written


def _checks_by_hash(rewrite: Any) -> bool:
    """True if this pytest checks its cached .pyc against a hash of the source (9.2 and
    newer: `_write_pyc(state, co, source_hash, pyc)`), False if by size and mtime (before)."""
    import inspect

    return "source_hash" in inspect.signature(rewrite._write_pyc).parameters


def _changed_this_second(mtime: float) -> bool:
    """True unless `mtime` lies in a whole second that is over (a future mtime included)."""
    return int(mtime) + 1 > time.time() - _CLOCK_SLACK


def _settle(path: Path) -> None:
    """Waits (at most ~1 s) until `path`'s mtime lies in a second that is over."""
    wait = int(path.stat().st_mtime) + 1 + _CLOCK_SLACK - time.time()
    if 0 < wait <= _SETTLE_AT_MOST:
        time.sleep(wait)


class _NoTrace:
    """The `state` `_write_pyc` wants: only its `trace` is used (for its own errors)."""

    def trace(self, message: str) -> None:
        """Drops `message` (a failed write leaves pytest to rewrite that file itself)."""


def _in_processes(write: Callable[[list[str]], int], paths: list[Path], workers: int) -> int:
    """`write` (`_compile` or `_rewrite`) over `paths` in `workers` processes; returns how
    many .pyc were written."""
    if not paths:
        return 0
    chunks = [[os.fspath(path) for path in paths[i::workers]] for i in range(workers)]
    if workers == 1:
        return write(chunks[0])
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(write, chunks))


def _rewrite_blocker(root: Path) -> str | None:
    """Why pytest's rewritten code cannot be written here, or None if it can."""
    try:
        from _pytest.assertion import rewrite
    except ImportError as error:
        return f"pytest's assertion rewriting is not where it was ({error})"
    needed = ("get_cache_dir", "PYC_TAIL", "_read_pyc", "_rewrite_test", "try_makedirs")
    missing = [name for name in (*needed, "_write_pyc") if not hasattr(rewrite, name)]
    if missing:
        return f"pytest's assertion rewriting changed (no {', '.join(missing)})"
    if "enable_assertion_pass_hook" in (root / "pyproject.toml").read_text():
        return "pyproject.toml sets enable_assertion_pass_hook"
    return None


def precompile(root: Path = ROOT, say: Callable[[str], None] = print, workers: int = 1) -> None:
    """Writes the missing or stale .pyc files of `root`'s src/ and tests/ (module docstring).

    Args:
        root: the checkout.
        say: where a skipped part is reported.
        workers: processes compiling at once (more than 1 forks this process: only from a
            process that has started no threads).
    """
    tests = root / "tests"
    rewritten, plain = _test_files(tests)
    sources = sorted(path for path in (root / "src").rglob("*.py") if path.is_file())
    _in_processes(_compile, sources + plain, workers)
    blocker = _rewrite_blocker(root)
    if blocker:
        say(f"the test modules are not precompiled: {blocker}; pytest compiles them itself")
        return
    try:
        _in_processes(_rewrite, rewritten, workers)
    except Exception as error:  # Never fails the run: pytest rewrites what is missing.
        say(f"precompiling the test modules failed ({error!r}); pytest compiles them itself")


if __name__ == "__main__":  # `python -m tests._helpers.precompile [CHECKOUT]`
    precompile(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT,
        lambda message: print(f"run: {message}", file=sys.stderr),
        max(1, min(os.cpu_count() or 1, 4)),
    )
