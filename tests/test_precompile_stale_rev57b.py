"""tests/_helpers/precompile.py never leaves a .pyc that runs a file's OLD code.

Python's .pyc and pytest's rewritten .pyc are taken as up to date when the source's size and
mtime (whole seconds) match what they recorded. A file precompiled in the second it was last
written, then changed again in that second to the same size, kept its old .pyc: under
PYTHONDONTWRITEBYTECODE=1 (CI's setting, where nothing rewrites it) pytest then passed a test
whose new code fails, and tfhub ran its old code.

What is real: the helper, Python and pytest in fresh interpreters on a small checkout-like folder.
The "same second" is made certain by giving the changed file its old mtime back (os.utime).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests._helpers import precompile

_ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def _checkout(root: Path) -> Path:
    for name, text in {
        "src/pkg/__init__.py": "",
        "src/pkg/mod.py": "VALUE = 1\n",
        "tests/conftest.py": "",
        "tests/test_edit.py": "def test_it():\n    assert 1 == 1\n",
        "pyproject.toml": "[project]\nname = 'x'\n",
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _same_second_edit(path: Path, old: str, new: str) -> None:
    """Changes `path` to the same size and gives it back its mtime: an edit in the same second."""
    stat = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _pytest_run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_edit.py"]
        + ["-c", os.devnull, "--rootdir", str(root)],
        cwd=root,
        env=_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_test_module_changed_right_after_precompiling_runs_its_new_code(
    tmp_path: Path,
) -> None:
    """The .pyc of a module written this second records an mtime a later change can keep."""
    root = _checkout(tmp_path)
    module = root / "tests" / "test_edit.py"
    os.utime(module)  # Just changed (the checkout was made a moment ago anyway).
    precompile.precompile(root, print)
    before = module.stat().st_mtime
    module.write_text(module.read_text().replace("1 == 1", "1 == 2"))  # Same size.
    # Before: both writes fell in the same second (bar a second ending in between): 1 passed.
    # (pytest 9.2 and newer check a hash of the source: nothing to wait for.)
    from _pytest.assertion import rewrite

    if not precompile._checks_by_hash(rewrite):
        assert int(module.stat().st_mtime) > int(before)
    done = _pytest_run(root)
    assert done.returncode == 1 and "assert 1 == 2" in done.stdout, done.stdout + done.stderr


def test_a_test_module_with_a_future_mtime_gets_no_pyc(tmp_path: Path) -> None:
    """A clock-skewed mtime (a network filesystem, `touch -d`): a same-size change that keeps
    it (tar, `cp -p`, rsync of a file written on that machine) would reuse the .pyc."""
    root = _checkout(tmp_path)
    module = root / "tests" / "test_edit.py"
    future = module.stat().st_mtime_ns + 60 * 10**9
    os.utime(module, ns=(future, future))
    precompile.precompile(root, print)
    _same_second_edit(module, "1 == 1", "1 == 2")
    done = _pytest_run(root)
    assert done.returncode == 1 and "assert 1 == 2" in done.stdout, done.stdout + done.stderr


def test_a_src_module_changed_in_the_second_it_was_precompiled_runs_its_new_code(
    tmp_path: Path,
) -> None:
    root = _checkout(tmp_path)
    precompile.precompile(root, print)
    _same_second_edit(root / "src" / "pkg" / "mod.py", "VALUE = 1", "VALUE = 2")
    done = subprocess.run(
        [sys.executable, "-c", "import pkg.mod; print(pkg.mod.VALUE)"],
        cwd=root,
        env={**_ENV, "PYTHONPATH": str(root / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout == "2\n", done.stderr  # Before: 1 (the old .pyc).


def test_an_old_test_module_is_still_precompiled(tmp_path: Path) -> None:
    """The fix must not stop precompiling: a file last written seconds ago gets its .pyc."""
    root = _checkout(tmp_path)
    module = root / "tests" / "test_edit.py"
    os.utime(module, (module.stat().st_atime - 10, module.stat().st_mtime - 10))
    precompile.precompile(root, print)
    from _pytest.assertion import rewrite

    (pyc,) = (root / "tests" / "__pycache__").glob("test_edit.*pytest*.pyc")
    assert rewrite._read_pyc(module, pyc) is not None
