"""`./run --help`, `-h` and `help` print the usage on stdout and exit 0 (review49b-F5: they were
"unknown command", exit 2, with the usage on stderr)."""

from __future__ import annotations

import pytest
from tests.test_front_door import door, run  # noqa: F401 (door is a fixture)


@pytest.mark.parametrize("asked", ["--help", "-h", "help"])
def test_help_prints_the_usage_on_stdout_and_exits_0(door, asked: str) -> None:  # noqa: F811
    done = run(door, asked)
    assert done.returncode == 0, done.stderr
    assert "./run demo" in done.stdout and "./run setup [demo|test]" in done.stdout
    assert done.stderr == ""
    assert not door["venv"].exists()
