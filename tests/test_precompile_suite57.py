"""tests/_helpers/precompile.py, which `./run test` runs before pytest: the .pyc files it writes
are the ones Python and pytest read under PYTHONDONTWRITEBYTECODE=1 (CI's setting), and a failing
assertion of a precompiled test module still shows pytest's introspection.

What is real: the helper, pytest run in a fresh interpreter on a small checkout-like folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers import precompile

TEST_MODULE = """
def test_length():
    items = [1, 2]
    assert len(items) == 3
"""


def _checkout(root: Path, pyproject: str = "[project]\nname = 'x'\n") -> Path:
    """A folder laid out as the checkout: src/, tests/ with helpers and data, pyproject.toml."""
    for name, text in {
        "src/pkg/__init__.py": "",
        "src/pkg/mod.py": "VALUE = 1\n",
        "tests/conftest.py": "",
        "tests/test_some.py": TEST_MODULE,
        "tests/_helpers/helper.py": "HELP = 2\n",
        "tests/data/made.py": "DATA = 3\n",
        "pyproject.toml": pyproject,
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _pycs(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.pyc"))


def test_it_writes_the_pycs_that_python_and_pytest_read(tmp_path: Path) -> None:
    """As `./run test` runs it (its own process, compiling in several)."""
    root = _checkout(tmp_path / "checkout")
    made = subprocess.run(
        [sys.executable, "-m", "tests._helpers.precompile", str(root)],
        cwd=precompile.ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0 and made.stdout + made.stderr == "", made.stderr
    tag = sys.implementation.cache_tag
    pytest_tail = f"{tag}-pytest-{pytest.__version__}.pyc"
    assert _pycs(root) == [
        f"src/pkg/__pycache__/__init__.{tag}.pyc",
        f"src/pkg/__pycache__/mod.{tag}.pyc",
        f"tests/__pycache__/conftest.{pytest_tail}",
        f"tests/__pycache__/test_some.{pytest_tail}",
        f"tests/_helpers/__pycache__/helper.{tag}.pyc",
    ]  # Nothing for tests/data, nor a plain .pyc of a module pytest rewrites.
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--debug={tmp_path / 'log'}"]
        + ["tests/test_some.py", "-c", os.devnull, "--rootdir", str(root)],
        cwd=root,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "where 2 = len([1, 2])" in done.stdout  # The rewritten assertion's introspection.
    trace = (tmp_path / "log").read_text()
    assert f"found cached rewritten pyc for {root / 'tests' / 'test_some.py'}" in trace
    assert f"rewriting {root / 'tests' / 'test_some.py'}" not in trace


def test_a_changed_test_module_is_written_again(tmp_path: Path) -> None:
    """pytest ignores a .pyc whose source changed since (mtime, size): so must a second run."""
    root = _checkout(tmp_path)
    precompile.precompile(root, print)
    module = root / "tests" / "test_some.py"
    module.write_text(TEST_MODULE + "\n\ndef test_more():\n    pass\n")
    precompile.precompile(root, print)
    (pyc,) = (root / "tests" / "__pycache__").glob("test_some.*pytest*.pyc")
    from _pytest.assertion import rewrite

    code = rewrite._read_pyc(module, pyc)
    assert code is not None and "test_more" in code.co_names


def test_the_assertion_pass_hook_leaves_the_tests_to_pytest(tmp_path: Path) -> None:
    """That option changes the rewritten code: only pytest itself knows it is set."""
    root = _checkout(tmp_path, "[tool.pytest.ini_options]\nenable_assertion_pass_hook = true\n")
    said: list[str] = []
    precompile.precompile(root, said.append)
    assert said == [
        "the test modules are not precompiled: pyproject.toml sets enable_assertion_pass_hook;"
        " pytest compiles them itself"
    ]
    assert not [name for name in _pycs(root) if "pytest" in name]
    assert (root / "src" / "pkg" / "__pycache__").is_dir()
