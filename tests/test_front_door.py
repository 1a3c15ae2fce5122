"""`./run` and `.ci/run`, the front door: argument handling, stamps, set-up recovery, messages.

What is real: the `run` and `.ci/run` scripts themselves, run by bash in a copy of the checkout
whose path has spaces, with a TFHUB_VENV that has spaces, from another directory; README.md.
What is stubbed: `python3` and the virtual environment's `python`/`tfhub` are one small bash
script that records its arguments, makes a fake venv for `-m venv`, answers `-m pip` and
`-m pytest` at once (or fails or hangs on request), and runs the real interpreter for `-c`
(the version check, the pyproject.toml digest). So these tests cover only the script's own
logic; a real first install and the demo were checked by hand (see the commit messages).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests._helpers.python_process import ctrl_c_as_in_a_terminal

ROOT = Path(__file__).resolve().parents[1]
BASH = shutil.which("bash") or "/bin/bash"
TOOLS = "bash dirname basename sed ls touch id grep env mkdir cp rm cat sleep".split()

STUB = f"""#!{BASH}
echo "$(basename "$0") $*" >> "$STUB_LOG"
case "$1" in -c|--version) exec {sys.executable} "$@" ;; esac
if [[ "$1 $2" == "-m venv" ]]; then
  shift 2; [[ "$1" == --clear ]] && shift
  rm -rf "$1"; mkdir -p "$1/bin"; cp "$0" "$1/bin/python"; cp "$0" "$1/bin/tfhub"
  echo "home = stub" > "$1/pyvenv.cfg"
  if [[ -n "${{STUB_VENV_FAIL:-}}" ]]; then touch "$1/no-pip"; echo "no ensurepip" >&2; exit 1; fi
  exit 0
fi
if [[ "$1 $2" == "-m pip" ]]; then
  [[ -f "$(dirname "$0")/../no-pip" ]] && {{ echo "No module named pip" >&2; exit 1; }}
  [[ "$3" != install ]] && exit 0
  if [[ -n "${{STUB_PIP_HANG:-}}" ]]; then
    touch "$STUB_PIP_HANG"; while :; do sleep 1; done  # (no exec: a SIGINT just before it is lost)
  fi
  exit "${{STUB_PIP_RC:-0}}"
fi
exit 0
"""


@pytest.fixture
def door(tmp_path: Path) -> dict[str, Path]:
    """A checkout copy with spaces in its path, a stub python3 on a minimal PATH, a log."""
    repo = tmp_path / "a repo"
    (repo / ".ci").mkdir(parents=True)
    for name in ("run", "pyproject.toml", "README.md", ".ci/run"):
        shutil.copy2(ROOT / name, repo / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/bin/{tool}")
    stub = bin_dir / "python3"
    stub.write_text(STUB)
    stub.chmod(0o755)
    elsewhere = tmp_path / "else" / "where"  # Not a sibling: `../a repo` means another folder.
    elsewhere.mkdir(parents=True)
    return {"repo": repo, "bin": bin_dir, "log": tmp_path / "log", "cwd": elsewhere,
            "venv": tmp_path / "my venv"}  # fmt: skip


def _env(door: dict[str, Path], **extra: str) -> dict[str, str]:
    env = {"PATH": str(door["bin"]), "STUB_LOG": str(door["log"]), "HOME": str(door["cwd"])}
    return {**env, "TFHUB_VENV": str(door["venv"]), **extra}


def run(door: dict[str, Path], *args: str, script: str = "run", **extra: str):
    """Runs the script by a path relative to another directory, as `../../a repo/run ARGS`."""
    path = os.path.relpath(door["repo"] / script, door["cwd"])
    return subprocess.run(
        [BASH, path, *args], cwd=door["cwd"], env=_env(door, **extra),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def calls(door: dict[str, Path]) -> list[str]:
    return door["log"].read_text().splitlines() if door["log"].exists() else []


def stamps(door: dict[str, Path]) -> list[str]:
    return sorted(p.name for p in door["venv"].glob(".tfhub-installed-*"))


def test_no_command_prints_the_usage_and_exits_0(door) -> None:
    """Run by a relative path from another directory, `run` printed no usage (sed looked for
    the script relative to the checkout it had moved into) and exited 2."""
    done = run(door)
    assert done.returncode == 0, done.stderr
    assert "./run demo" in done.stdout and "./run test" in done.stdout


def test_an_unknown_command_says_so_with_the_usage_on_stderr_and_exits_2(door) -> None:
    done = run(door, "bogus")
    assert done.returncode == 2
    assert "run: unknown command 'bogus'" in done.stderr
    assert "./run setup [demo|test]" in done.stderr
    assert not door["venv"].exists()


def test_an_unknown_setup_exits_2_before_making_a_venv(door) -> None:
    """`run setup bogus` made the virtual environment before refusing the name."""
    done = run(door, "setup", "bogus")
    assert done.returncode == 2
    assert "unknown set-up 'bogus' (demo or test)" in done.stderr
    assert not door["venv"].exists()


def test_no_python3_says_so_plainly(door) -> None:
    """Without python3 it read "(found: run: line N: python3: command not found\\nnone)"."""
    (door["bin"] / "python3").unlink()
    done = run(door, "demo")
    assert done.returncode == 2
    assert done.stderr == "run: tfhub needs Python 3.10 or newer as python3 (found: none).\n"


def test_an_old_python3_is_named(door) -> None:
    (door["bin"] / "python3").write_text(
        f"#!{BASH}\n[[ $1 == --version ]] && echo 'Python 3.9.2' && exit 0\nexit 1\n"
    )
    done = run(door, "demo")
    assert done.returncode == 2
    assert "needs Python 3.10 or newer as python3 (found: Python 3.9.2)" in done.stderr


def test_demo_installs_once_and_again_when_pyproject_changes(door) -> None:
    first = run(door, "demo", "-v")
    assert first.returncode == 0, first.stderr
    assert "creating the virtual environment" in first.stderr
    assert "python -m pip install --quiet -e .[tf,hub]" in calls(door)
    assert "tfhub demo -v" in calls(door)
    door["log"].unlink()
    assert run(door, "demo").returncode == 0
    assert not [c for c in calls(door) if "pip install" in c]  # Set-up done: no pip at all.
    with open(door["repo"] / "pyproject.toml", "a") as pyproject:
        pyproject.write("# changed\n")
    again = run(door, "demo")
    assert "pyproject.toml changed" in again.stderr
    assert [c for c in calls(door) if "pip install" in c]
    assert len(stamps(door)) == 2


def test_a_failed_pip_install_leaves_no_stamp_and_says_so(door) -> None:
    """pip's failure ended `run` with pip's exit code and no word of what to do."""
    done = run(door, "setup", "demo", STUB_PIP_RC="1")
    assert done.returncode == 1
    assert "installing tfhub[tf,hub] failed" in done.stderr
    assert stamps(door) == []
    assert run(door, "setup", "demo").returncode == 0
    assert len(stamps(door)) == 1


def test_an_install_interrupted_by_ctrl_c_is_redone(door) -> None:
    """Ctrl-C (SIGINT to the process group) while pip runs: no stamp; the next run installs."""
    started = door["cwd"] / "pip-started"
    path = os.path.relpath(door["repo"] / "run", door["cwd"])
    proc = subprocess.Popen(
        [BASH, path, "setup", "demo"], cwd=door["cwd"], start_new_session=True,
        env=_env(door, STUB_PIP_HANG=str(started)), stderr=subprocess.PIPE, text=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # Waiting for pip to start, not asserting on time.
    assert started.exists(), proc.stderr.read() if proc.stderr else ""
    code = None
    for _ in range(60):  # Ctrl-C again until it stops (one may land between the stub's
        os.killpg(proc.pid, signal.SIGINT)  # commands, where bash can miss it), at most 30 s.
        try:
            code = proc.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            continue
    assert code is not None and code != 0
    assert stamps(door) == []
    door["log"].unlink()
    assert run(door, "setup", "demo").returncode == 0
    assert [c for c in calls(door) if "pip install" in c]
    assert len(stamps(door)) == 1


def test_a_half_made_venv_is_made_again(door) -> None:
    """`python3 -m venv` that failed after writing bin/python (no ensurepip, or Ctrl-C) left a
    venv that every later run used as it was: each failed with "No module named pip"."""
    first = run(door, "setup", "demo", STUB_VENV_FAIL="1")
    assert first.returncode == 1
    assert "apt-get install python3-venv" in first.stderr
    second = run(door, "setup", "demo")
    assert second.returncode == 0, second.stderr
    assert "re-creating the half-made virtual environment" in second.stderr
    assert len(stamps(door)) == 1


def test_a_venv_made_elsewhere_is_used_as_it_is(door) -> None:
    """A working venv that `run` did not make (TFHUB_VENV pointing at one) is not re-created."""
    subprocess.run([BASH, str(door["bin"] / "python3"), "-m", "venv", str(door["venv"])],
                   env=_env(door), check=True)  # fmt: skip
    (door["venv"] / "mine").touch()
    done = run(door, "setup", "demo")
    assert done.returncode == 0, done.stderr
    assert "creating" not in done.stderr
    assert (door["venv"] / "mine").exists()


def test_a_folder_that_is_not_a_venv_is_left_alone(door) -> None:
    door["venv"].mkdir()
    (door["venv"] / "notes.txt").write_text("mine")
    done = run(door, "setup", "demo")
    assert done.returncode == 2
    assert "is not empty and not a virtual environment" in done.stderr
    assert (door["venv"] / "notes.txt").read_text() == "mine"


def test_test_passes_its_arguments_to_pytest_and_defaults_to_three_workers(door) -> None:
    assert run(door, "test", "-k", "some thing", "-rs").returncode == 0
    assert "python -m pytest -k some thing -rs" in calls(door)
    assert run(door, "test").returncode == 0
    assert calls(door)[-1] == "python -m pytest -n 3 --durations=30"


def test_test_precompiles_the_checkout_just_before_pytest(door) -> None:
    """The .pyc files every process of the run reads (tests/_helpers/precompile.py), written
    after the set-up (its venv's Python) and before pytest starts."""
    assert run(door, "test", "-x").returncode == 0
    assert calls(door)[-2:] == ["python -m tests._helpers.precompile", "python -m pytest -x"]


def test_ci_runs_the_readme_test_command_from_its_checkout(door) -> None:
    """.ci/run's command is the README's, word for word, and runs `run test` with no arguments."""
    readme = (ROOT / "README.md").read_text()
    quick_start = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.DOTALL)
    assert quick_start
    readme_test = [line.split("#")[0].strip() for line in quick_start.group(1).splitlines()]
    assert readme_test == ["./run demo", "./run test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec \./run test$", ci, re.MULTILINE)
    done = run(door, script=".ci/run")
    assert done.returncode == 0, done.stderr
    assert calls(door)[-1] == "python -m pytest -n 3 --durations=30"


def test_the_demo_first_says_what_it_shows() -> None:
    """The demo's output began with "[1] serve the bundled model over HTTP": a newcomer was not
    told what the model is, what it should compute, or that no network is used. (Real
    `run_demo` with a step that does nothing, so no TensorFlow.)"""
    import io

    from tfhub.cli import demo

    out = io.StringIO()
    demo.run_demo(steps=[("nothing", lambda ctx: None)], out=out)
    text = out.getvalue()
    assert text.startswith("tfhub demo: the model bundled with tfhub, half_plus_two (y = x/2 + 2")
    assert "No network needed" in text and "[[2.5], [3.0], [7.0]]" in text.splitlines()[3]
    assert text.rstrip().endswith("removing the temporary cache.")
