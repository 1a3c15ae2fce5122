"""Compiles the checkout's Python once, before `./run test`, for the many processes of the suite.

CI and the sandboxes set PYTHONDONTWRITEBYTECODE=1: Python then writes no .pyc file, but it still
reads those it finds. So without this every process compiled tfhub's modules again (each of the
~700 fresh interpreters the suite starts: 0.04-0.06 CPU-s for a CLI command's ~50 modules), and
every pytest worker rewrote and compiled all the test modules again (~12.5 CPU-s each).

`python -m tests._helpers.precompile [CHECKOUT]` (run from the checkout) writes, where missing
or stale:
- the standard .pyc of src/ and of the tests' helper modules (compileall);
- pytest's own cached .pyc of the test modules and conftest.py files, the assertion-rewritten
  code pytest would write itself without PYTHONDONTWRITEBYTECODE (same functions, same file
  names, same staleness check: pytest reads them and rewrites nothing).

Both are gitignored `__pycache__` folders. The second uses pytest's private functions
(`_pytest.assertion.rewrite`): if they are missing or changed, or pyproject.toml sets
`enable_assertion_pass_hook` (which changes the rewritten code), it skips that part and says so;
the tests then run as before, only slower. It never fails the run.
"""

from __future__ import annotations

import compileall
import os
import re
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# pytest's default `python_files` (pyproject.toml does not change it) and conftest.py.
_TEST_MODULE = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
# Data folders of the tests hold no module that the suite imports.
_NOT_TESTS = ("data",)


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


def _rewrite(paths: list[str]) -> int:
    """Writes pytest's rewritten .pyc of each path whose cached one is missing or stale.

    Returns:
        How many were written.
    """
    from _pytest.assertion import rewrite

    written = 0
    for name in paths:
        path = Path(name)
        cache_dir = rewrite.get_cache_dir(path)
        pyc = cache_dir / (path.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(path, pyc) is not None:
            continue
        try:
            source_stat, code = rewrite._rewrite_test(path, None)
        except SyntaxError:  # pytest reports it when it collects the file.
            continue
        if rewrite.try_makedirs(cache_dir) and rewrite._write_pyc(
            _NoTrace(), code, source_stat, pyc
        ):
            written += 1
    return written


class _NoTrace:
    """The `state` `_write_pyc` wants: only its `trace` is used (for its own errors)."""

    def trace(self, message: str) -> None:
        """Drops `message` (a failed write leaves pytest to rewrite that file itself)."""


def _rewrite_all(paths: list[Path], workers: int) -> int:
    """`_rewrite` over `paths` in `workers` processes; returns how many .pyc were written."""
    if not paths:
        return 0
    chunks = [[os.fspath(path) for path in paths[i::workers]] for i in range(workers)]
    if workers == 1:
        return _rewrite(chunks[0])
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(_rewrite, chunks))


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
    compileall.compile_dir(root / "src", quiet=1, workers=workers)
    for path in plain:
        compileall.compile_file(path, quiet=1)
    blocker = _rewrite_blocker(root)
    if blocker:
        say(f"the test modules are not precompiled: {blocker}; pytest compiles them itself")
        return
    try:
        _rewrite_all(rewritten, workers)
    except Exception as error:  # Never fails the run: pytest rewrites what is missing.
        say(f"precompiling the test modules failed ({error!r}); pytest compiles them itself")


if __name__ == "__main__":  # `python -m tests._helpers.precompile [CHECKOUT]`
    precompile(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT,
        lambda message: print(f"run: {message}", file=sys.stderr),
        max(1, min(os.cpu_count() or 1, 4)),
    )
