"""`tfhub serve --workers N` refuses more workers than the machine can run (session 53).

It took any N: `--workers 1000` forked a thousand server processes. The maximum is 4 per CPU
this process may run on (docs/hub.md); more is refused before any worker starts, as an invalid
value (exit 2). Every case here also gives `--port 0`, which serve refuses before it starts a
worker, so that no run of these tests, before the fix or after, starts a server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

pytest.importorskip("granian")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@pytest.mark.parametrize("extra", [1, 1000])
def test_more_workers_than_the_maximum_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: int
) -> None:
    maximum = 4 * _cpus()
    workers = maximum + extra
    code, out, err = run_tfhub(
        capsys, "serve", str(tmp_path), "--port", "0", "--workers", str(workers)
    )
    assert (code, out) == (2, ""), err
    assert err == (
        f"tfhub: invalid value: --workers must be at most {maximum} (4 per CPU; this machine "
        f"runs this process on {_cpus()}). Received: {workers}\n"
    )


def test_the_maximum_itself_is_taken(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """What stops it is then the port, checked after the workers."""
    code, out, err = run_tfhub(
        capsys, "serve", str(tmp_path), "--port", "0", "--workers", str(4 * _cpus())
    )
    assert code == 2 and "--port" in err and "--workers" not in err, err
