"""The advice for a process at its limit of open files raises the limit, never lowers it.

The example was always `ulimit -n 4096`, also to a process whose limit was 20,000 (a container's
1,048,576): following it made things worse. Each case sets its limits in a fresh interpreter
(the test process keeps its own).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_CHILD = """
import errno, resource, sys
soft, hard = (int(x) for x in sys.argv[1:3])
real_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, real_hard if hard < 0 else hard))
from tfhub.utils import open_files
print(open_files.no_descriptor_remedy(errno.EMFILE))
"""


def _remedy(soft: int, hard: int) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(soft), str(hard)],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("soft", "hard", "expected"),
    [
        (100, 20000, "Raise that limit (e.g. `ulimit -n 4096`)"),  # At least 4096.
        (5000, 20000, "Raise that limit (e.g. `ulimit -n 10000`)"),  # Twice the limit.
        (5000, 6000, "Raise that limit (e.g. `ulimit -n 6000`)"),  # No more than the hard one.
        (100, 100, "raise the hard limit (as root: `ulimit -Hn`"),  # Only root raises it.
    ],
)
def test_the_example_limit_is_above_the_current_one(soft, hard, expected) -> None:
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < hard:
        pytest.skip(f"this machine's hard limit of open files is below {hard}")
    remedy = _remedy(soft, hard)
    assert expected in remedy, remedy
