"""Every benchmark answers `--help`, and every flag benchmarks/README.md gives it exists.

A benchmark is run by hand, so a renamed flag or a broken import shows only when someone follows
the README's command line; `--help` parses the arguments and imports the script's own modules
(not TensorFlow's work), so these probes stay fast.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
SCRIPTS = sorted(path.name for path in BENCHMARKS.glob("bench_*.py"))


def _help(script: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--help"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{script} --help failed:\n{done.stderr[-2000:]}"
    assert done.stdout.startswith("usage:"), f"{script} --help printed:\n{done.stdout[:500]}"
    return done.stdout


def _readme_flags(script: str) -> set[str]:
    """The flags the README's lines give `script` (on a line that names it, after its name)."""
    flags: set[str] = set()
    for line in (BENCHMARKS / "README.md").read_text(encoding="utf-8").splitlines():
        for match in re.finditer(rf"{re.escape(script)}(.*)", line):
            flags.update(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", match.group(1)))
    return flags


def test_every_benchmark_is_probed() -> None:
    assert len(SCRIPTS) >= 11, SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_works_and_lists_the_readme_flags(script: str) -> None:
    offered = set(re.findall(r"--[a-z][a-z0-9-]*", _help(script)))
    missing = sorted(_readme_flags(script) - offered)
    assert not missing, f"benchmarks/README.md gives {script} flags it lacks: {missing}"
