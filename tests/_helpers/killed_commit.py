"""Source for child processes that kill themselves (SIGKILL) in a publish's commit or a cache
import's install."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests._helpers.python_process import child_env

# Defines `kill_before_rename(n)`: from then on the process kills itself just before the Nth
# rename of a commit (`hub.commit`), after its journal was written. Prepended to a child's code.
KILL_BEFORE_RENAME = """
import os, signal
from tfhub.hub import commit

def kill_before_rename(kill_before):
    renames = []
    real_replace, real_journal = os.replace, commit._write_journal
    def journal(staging, planned):
        real_journal(staging, planned)
        renames.append("journal written")
    def replace(source, dest):
        if renames:
            renames.append(dest)
            if len(renames) - 1 == kill_before:
                os.kill(os.getpid(), signal.SIGKILL)
        real_replace(source, dest)
    commit._write_journal = journal
    os.replace = replace
"""


# From then on the process kills itself just after a rename puts an entry's manifest in place
# (`tfhub import --force`: the new manifest written, the new folder not yet renamed into
# place). Prepended to a child's code.
KILL_AFTER_MANIFEST = """
import os, signal

_real_replace = os.replace

def _replace_then_die(source, target, *args, **kwargs):
    _real_replace(source, target, *args, **kwargs)
    if str(target).endswith(".manifest.json"):
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = _replace_then_die
"""


def publish_without_tensorflow(summary_arg: int) -> str:
    """Child-process lines that let `publish` (and `mirror`) run without TensorFlow: the model
    passes as loadable and its signature summary is read from the file `sys.argv[summary_arg]`
    names (written by an earlier, in-process publish). Prepended to a child's code."""
    return f"""
import sys
from tfhub.hub import publish, signatures
summary = signatures.read_summary(sys.argv[{summary_arg}])
publish.pack_lib.check_loadable = lambda folder: None
publish.signatures.compute_summary = lambda folder, loaded: summary
"""


def run_killed(code: str, *argv: str, **env: str) -> None:
    """Runs `python -c code ARGV` (this checkout's tfhub; `env` added to the environment) and
    fails the test unless it killed itself (SIGKILL) within 120 s."""
    child = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
