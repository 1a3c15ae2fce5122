"""docs/cli.md, claim by claim, as users run `tfhub`: a real process (`python -m tfhub`)."""

from __future__ import annotations

import subprocess
import sys

from tests._helpers.python_process import child_env


def _tfhub(*argv: str | bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    """Runs `python -m tfhub ARGV` (argv given as the bytes a shell would pass)."""
    return subprocess.run(
        [sys.executable, "-m", "tfhub", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=child_env(**env),
        timeout=60,
        check=False,
    )


def test_an_unknown_argument_is_said_with_the_usage_of_its_command() -> None:
    """`tfhub cache rm --force X` printed `tfhub`'s usage (`tfhub [-h] [--version] [-v]
    COMMAND ...`), which shows none of rm's options; it is rm's usage now. One given before
    the command is still `tfhub`'s."""
    cases = {
        ("cache", "rm", "--force", "x"): ("tfhub cache rm [-h] [--all]", "--force"),
        ("resolve", "a", "b"): ("tfhub resolve [-h] [-v] handle", "b"),
        ("pull", "h", "--json"): ("tfhub pull [-h] [-v] HANDLE", "--json"),
        ("--json", "cache", "list"): ("tfhub [-h] [--version] [-v] COMMAND", "--json"),
    }
    for argv, (usage, unknown) in cases.items():
        done = _tfhub(*argv)
        lines = done.stderr.decode().splitlines()
        prog = usage.split(" [")[0]
        assert (done.returncode, done.stdout) == (2, b""), argv
        assert lines[0].startswith(f"usage: {usage}"), (argv, lines)
        assert lines[-1] == f"{prog}: error: unrecognized arguments: {unknown}", (argv, lines)
