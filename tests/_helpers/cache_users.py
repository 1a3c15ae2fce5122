"""Code run by another user than the test's (root): tfhub run by the users of a shared cache
(one installing under a given umask, the user `nobody` reading: tests that use these need root
and setpriv, the `shared_dir` fixture), and a function run as another user in a forked child.

One home for "as the user nobody": a new interpreter (`python_as_nobody`, `tfhub_as_nobody`)
or this one, forked (`run_as_user`)."""

from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

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


def python_as_nobody(
    code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -c code *args` run by the user nobody (group nogroup, no other groups) through
    setpriv, in `env` (default: `child_env()`), killed after `timeout` seconds; never checked."""
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run(
        [*command, *python_command(code, *args)],
        env=child_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tfhub_as_nobody(
    *argv: str, cache_dir: str | os.PathLike[str], **env: str
) -> subprocess.CompletedProcess[str]:
    """`tfhub ARGV` run by the user nobody (group nogroup), with `cache_dir` as its cache, its
    parent as HOME, and `env` added."""
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    home = os.path.dirname(os.fspath(cache_dir))
    environ = child_env(TFHUB_CACHE_DIR=os.fspath(cache_dir), HOME=home, **env)
    return python_as_nobody(code, *argv, env=environ)


class Outcome(NamedTuple):
    """What a function run in a forked child came to: `(kind, value)`.

    `kind` is "ok" (`value`: what it returned), "raised" (`value`: "TypeName: text" of its
    exception), "hung" (killed at the deadline) or "died" (ended without a word; `value` says
    how)."""

    kind: str
    value: Any

    def result(self) -> Any:
        """What the function returned; fails the test, saying what happened, if it did not."""
        assert self.kind == "ok", f"the forked child {self.kind}: {self.value}"
        return self.value


def run_as_user(
    fn: Callable[..., Any],
    *args: Any,
    uid: int = NOBODY,
    gid: int = NOBODY,
    timeout: float = 30,
) -> Outcome:
    """`fn(*args)` run in a forked child as `uid`/`gid` with no other groups (permissions apply
    as to a user who is not root; needs root), its result sent back pickled. A child still
    running after `timeout` seconds is killed: `Outcome("hung", ...)`."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # The child: never returns into pytest.
        os.close(read)
        _run_in_child(write, fn, args, uid=uid, gid=gid)
    os.close(write)
    try:
        said = _read_all(read, timeout)
    finally:
        os.close(read)
    if said is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return Outcome("hung", f"still running after {timeout} s: killed")
    status = os.waitpid(pid, 0)[1]  # Its pipe closed: it is ending.
    if not said:
        return Outcome("died", f"exit status {os.waitstatus_to_exitcode(status)}, nothing said")
    kind, value = pickle.loads(said)
    return Outcome(kind, value)


def _run_in_child(
    write: int, fn: Callable[..., Any], args: tuple[Any, ...], *, uid: int, gid: int
) -> NoReturn:
    """In the forked child: becomes `uid`/`gid`, runs `fn`, writes the pickled outcome to
    `write` and exits (whatever happens: pytest's code after the fork never runs here)."""
    try:
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            outcome: tuple[str, Any] = ("ok", fn(*args))
        except BaseException as err:  # Any: said to the parent.
            outcome = ("raised", f"{type(err).__name__}: {err}")
        try:
            data = pickle.dumps(outcome)
        except Exception as err:  # Its result cannot cross the fork: said so.
            data = pickle.dumps(("raised", f"unpicklable result: {type(err).__name__}: {err}"))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def _read_all(fd: int, timeout: float) -> bytes | None:
    """All `fd` gives until its end, or None if it has not ended after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def cache_with_roots_leftover(shared_dir: str | os.PathLike[str], entry: str) -> tuple[str, str]:
    """A cache folder every user may write (mode 777) in `shared_dir`, holding root's leftover
    download of `entry` (`<entry>.<hex>.tmp/`, folders 755 as under umask 022: only root may
    change them). Returns (the cache folder, the leftover)."""
    root = os.path.join(shared_dir, "cache")
    os.mkdir(root)
    os.chmod(root, 0o777)
    leftover = os.path.join(root, f"{entry}.{'a' * 32}.tmp")
    os.makedirs(os.path.join(leftover, "variables"))
    for name in ("saved_model.pb", "variables/variables.index"):
        with open(os.path.join(leftover, name), "wb") as file:
            file.write(b"x")
    return root, leftover
