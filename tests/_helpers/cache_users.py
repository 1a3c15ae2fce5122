"""tfhub run by the users of a shared cache: one installing under a given umask, the user
`nobody` reading (tests that use it need root and setpriv: the `shared_dir` fixture)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests._helpers.python_process import child_env, python_command

NOBODY = 65534  # The user nobody and the group nogroup (Debian).


def import_with_umask(
    cache_dir: str | os.PathLike[str], archive: str, handle: str, umask: int
) -> None:
    """`tfhub import ARCHIVE --handle HANDLE` into `cache_dir` by a process with `umask`;
    fails the test unless it exits 0 saying nothing on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "import", archive, "--handle", handle],
        env=child_env(TFHUB_CACHE_DIR=os.fspath(cache_dir)),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(umask),
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def tfhub_as_nobody(
    *argv: str, cache_dir: str | os.PathLike[str], **env: str
) -> subprocess.CompletedProcess[str]:
    """`tfhub ARGV` run by the user nobody (group nogroup), with `cache_dir` as its cache, its
    parent as HOME, and `env` added."""
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    home = os.path.dirname(os.fspath(cache_dir))
    return subprocess.run(
        [*command, *python_command(code, *argv)],
        env=child_env(TFHUB_CACHE_DIR=os.fspath(cache_dir), HOME=home, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
