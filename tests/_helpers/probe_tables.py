"""Shared steps of the probe tests' tables (tests/*probes4[0-3]*.py): one row, one call.

`ends_quickly` is the check of the regular-expression probes (test_redact_probes43.py,
test_regex_probes43.py): a call on long hostile text runs in a child process, so that a
pattern gone quadratic again fails the row in seconds instead of holding a pytest worker.
"""

from __future__ import annotations

import subprocess

import pytest
from tests._helpers.python_process import run_python

SECONDS = 20  # How long one call on hostile text may take (linear: well under a second).


def ends_quickly(script: str, *, what: str) -> None:
    """Runs `script` in a child process; the row fails if it raises (non-zero exit) or runs for
    more than SECONDS (`what` names the call in that failure)."""
    try:
        run_python(script, timeout=SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} took more than {SECONDS} s (quadratic in its length)")
