"""`tfhub serve --stop-timeout` keeps its promise (session 62, review fx62e).

`--stop-timeout` takes fractions of a second, and refuses more than a day (granian's
Process.join raised OverflowError at the stop, not at the start, from ~2,147,484 s).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

pytest.importorskip("granian")  # The default server: `require` comes before the checks.
pytest.importorskip("uvicorn")


@pytest.mark.parametrize("given", ["86401", "1e9", "inf", "nan"])
def test_a_stop_timeout_above_a_day_is_refused_at_start(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: str
) -> None:
    """granian's supervisor raised OverflowError (exit 1) at the stop for ~2,147,484 s or more.
    Refused before a server starts; `--port 0` would stop it later if it were taken."""
    code, out, err = run_tfhub(
        capsys, "serve", str(tmp_path), "--port", "0", "--stop-timeout", given
    )
    assert (code, out) == (2, ""), err
    assert err == (
        "tfhub: invalid value: --stop-timeout must be a number of seconds from 0 to 86400 (a "
        f"day; 0: a stop cuts the downloads in flight at once). Received: {float(given):g}\n"
    )


def test_a_fractional_stop_timeout_is_taken(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """argparse said only "invalid int value: '1.5'"; the value now passes its check (the
    port's is the one that stops this command)."""
    code, out, err = run_tfhub(
        capsys, "serve", str(tmp_path), "--port", "0", "--stop-timeout", "1.5"
    )
    assert (code, out) == (2, ""), err
    assert "--port" in err and "stop-timeout" not in err, err
