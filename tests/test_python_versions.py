"""The sources keep to `requires-python` (3.10): no call or syntax of a later Python."""

from __future__ import annotations

from pathlib import Path

from tests._helpers.python_process import run_python

SRC = Path(__file__).resolve().parents[1] / "src" / "tfhub"
# One process: vermin's default pool (one worker per core) cost ~1.8 CPU-s more than the
# files' own checks (3.6 vs 5.4 CPU-s, session 61), for the same files and the same report.
_VERMIN = (
    "import sys\n"
    "from vermin.main import main\n"
    "sys.argv = ['vermin', '--no-tips', '-t=3.10-', '--violations', '--processes=1', sys.argv[1]]\n"
    "sys.exit(main())\n"
)


def test_the_sources_need_no_python_newer_than_3_10() -> None:
    """`glob.glob(include_hidden=True)` (3.11) came in once: tfhub then failed on Python 3.10,
    which pyproject.toml says it supports, and no test here runs 3.10 itself."""
    done = run_python(_VERMIN, str(SRC), timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr  # vermin names them on stdout.
