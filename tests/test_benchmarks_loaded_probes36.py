"""`--loaded` in every benchmark that lacked it: the guide asks for figures "idle and with the
machine busy", the limit printed beside each, and a benchmark that flatters is a bug.

Each script runs at its tiniest size with `--loaded`: while it runs, one busy loop per core is
seen (in /proc, the loops of this very run: their command line names its pid); its figure lines
say "loaded (N busy loops)" with the load average; and once it has returned no loop is left. A
run interrupted by Ctrl-C (SIGINT) leaves none either, nor one killed outright (SIGKILL, what a
timeout does): the loops watch their parent and end by themselves. No figure is asserted (the
machine is shared; speed is the benchmarks' job). The scripts that import TensorFlow run as
`python SCRIPT` runs them in a process forked from the warm server (tests/_helpers/
warm_python.py, TensorFlow imported once per pytest worker): their loops, output and exit are
theirs all the same; the others, and the Ctrl-C and SIGKILL runs, are fresh interpreters.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env, ctrl_c_as_in_a_terminal
from tests._helpers.warm_python import WarmProcess, start_warm_python

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
CORES = os.cpu_count() or 1
LOADED = f"loaded ({CORES} busy loops)"
LOAD_FIGURE = re.compile(r"load \d+\.\d+")


def _busy_loop_code() -> str:
    spec = importlib.util.spec_from_file_location("bench_common", BENCHMARKS / "_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.BUSY_LOOP)


BUSY_LOOP = _busy_loop_code()

# The tiniest size of each script (tensorflow_hub, TensorFlow, nginx: checked per script below).
TINY = {
    "bench_import.py": ["--runs", "1"],
    "bench_cache_ops.py": ["--files", "10", "--entries", "2", "--runs", "1", "--rm-runs", "1"],
    "bench_hub_pages.py": ["--docs", "5", "--requests", "2", "--server", "uvicorn"],
    "bench_hub_server.py": [
        *("--mb", "1", "--clients", "1", "--runs", "1", "--workers", "1"),
        *("--servers", "uvicorn"),
    ],
    "bench_tf1_module.py": ["--repeats", "1"],
    "bench_hub_scan.py": ["--docs", "20", "--runs", "1"],
    "bench_keras_layer.py": [
        *("--repeats", "1", "--sizes", "small", "--groups", "inference,construct_and_build"),
    ],
    "bench_nearest_neighbour.py": ["--lines", "50", "--items", "50", "--rounds", "1"],
    # No untimed warm-up runs (two more fresh processes that import TensorFlow and train).
    "bench_image_classifier.py": [
        *("--runs", "1", "--epochs", "1", "--per-class", "8", "--warmup", "0"),
    ],
}
NEEDS = {
    "bench_hub_pages.py": ["uvicorn"],
    "bench_hub_server.py": ["uvicorn", "nginx", "curl"],
    "bench_tf1_module.py": ["tensorflow"],
    "bench_keras_layer.py": ["tensorflow", "tensorflow_hub", "tf_keras"],
    "bench_nearest_neighbour.py": ["tensorflow", "apache_beam"],
    "bench_image_classifier.py": ["tensorflow", "tensorflow_hub", "tf_keras"],
}


def _skip_without(script: str) -> None:
    for need in NEEDS.get(script, []):
        if need in ("nginx", "curl"):
            if not any(Path(d, need).exists() for d in ("/usr/sbin", "/usr/bin", "/sbin")):
                pytest.skip(f"{script}'s tiny run needs {need}, which is not installed")
        elif importlib.util.find_spec(need) is None:
            pytest.skip(f"{script}'s tiny run needs the Python package {need}, not installed")


def _children_of(pid: int) -> list[str]:
    """The pids of the processes whose parent is `pid` (its threads' children, in /proc), as
    /proc's entries; none once `pid` has ended."""
    found = []
    with contextlib.suppress(OSError):  # Ended.
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += Path(f"/proc/{pid}/task/{task}/children").read_text().split()
    return found


def busy_loops_of(pid: int, *, children_only: bool = False) -> list[int]:
    """The pids of the busy loops that the benchmark process `pid` started and that still run:
    among every process, or only among its children if `children_only` (while it runs its
    loops are its children: a look at those alone costs a fraction of a look at all of /proc,
    which the tests do 20 times a second)."""
    found = []
    for entry in _children_of(pid) if children_only else os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[:-1]
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and argv[1:] == [b"-c", BUSY_LOOP.encode(), str(pid).encode()]:
            found.append(int(entry))
    return found


def _background_loops_of(pid: int, *, children_only: bool = False) -> list[int]:
    """`busy_loops_of(pid)`, each put at the lowest CPU priority: they take the time the rest
    of the suite leaves, instead of a share of the machine each for the minute a run lasts.
    Each loop runs in a session of its own, so where the kernel groups tasks by session
    (autogroup, Linux's default: /proc/sys/kernel/sched_autogroup_enabled) a process's nice
    weighs only against its own session's: the weight that counts is its group's
    (/proc/PID/autogroup), set here too. (At nice 19 alone, the two loops took two of the four
    equal shares of a 2-core machine, the whole pytest session one.) The benchmark keeps the
    normal priority: at nice 19 beside its loops it ran at a fraction of a core. No figure is
    asserted, so none is skewed. `children_only`: as `busy_loops_of`."""
    loops = busy_loops_of(pid, children_only=children_only)
    _set_priority(loops, 19)
    return loops


def _set_priority(pids: list[int], nice: int) -> None:
    """Sets the processes' nice value, and their autogroup's (see `_background_loops_of`)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # Ended meanwhile.
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as group:
            group.write(str(nice))  # No such file: ended meanwhile, or no autogroup.


STARTED: list[int] = []  # The pids of the benchmarks these tests started.


@pytest.fixture(autouse=True)
def _no_loop_outlives_a_test() -> Iterator[None]:
    """Kills (by pid) the loops a failing test found left over: the machine is shared."""
    yield
    while STARTED:
        for pid in busy_loops_of(STARTED.pop()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    """Starts `script ARGS --loaded` in its own session (the SIGINT of a test reaches it
    alone; a Ctrl-C meant for pytest does not reach it), with Ctrl-C's default action: a test
    run started in the background by a shell ignores SIGINT, and so would the benchmark (Python
    keeps an ignored SIGINT ignored), as a user's terminal never has it. It runs at the normal
    CPU priority; its loops are put at the lowest once seen (`_background_loops_of`)."""
    proc = subprocess.Popen(
        [sys.executable, str(BENCHMARKS / script), *args, "--loaded"],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    STARTED.append(proc.pid)
    return proc


# `python SCRIPT ARGS...` for `-c` code given SCRIPT ARGS...: argv and sys.path[0] as Python sets.
_AS_SCRIPT = """
import os, runpy, sys
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(sys.argv[0])
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _start_warm(script: str, *args: str) -> WarmProcess:
    """`_start(script, *args)` for a script that imports TensorFlow: `script ARGS --loaded` as
    `python SCRIPT` runs it, in a process forked from the warm server, which imported TensorFlow
    (its session is the server's, not pytest's; SIGINT is Python's default handler). It runs at
    the normal CPU priority; its loops are its children and are put at the lowest once seen."""
    proc = start_warm_python(_AS_SCRIPT, str(BENCHMARKS / script), *args, "--loaded")
    STARTED.append(proc.pid)
    return proc


def _wait_for_loops(proc: subprocess.Popen[str], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        loops = _background_loops_of(proc.pid)
        if len(loops) == CORES:
            return loops
        time.sleep(0.05)
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"no {CORES} busy loops within {timeout:g} s:\n{out[-2000:]}\n{err[-2000:]}")


def _run_watching(script: str, timeout: float) -> tuple[str, int]:
    """Runs `script --loaded` at its tiniest size; returns its stdout and the most busy loops
    seen at once while it ran (polled in /proc)."""
    if "tensorflow" in NEEDS.get(script, []):  # Its ~5 CPU-s import is done once per worker.
        proc: subprocess.Popen[str] | WarmProcess = _start_warm(script, *TINY[script])
    else:
        proc = _start(script, *TINY[script])
    most, deadline = 0, time.monotonic() + timeout
    try:
        while proc.poll() is None:
            assert time.monotonic() < deadline, f"{script} ran longer than {timeout:g} s"
            most = max(most, len(_background_loops_of(proc.pid, children_only=True)))
            time.sleep(0.05)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, f"{script} failed:\n{err[-3000:]}"
    assert busy_loops_of(proc.pid) == [], f"{script} left busy loops behind"
    return out, most


def _gone_within(pid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := busy_loops_of(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_every_benchmark_without_loaded_is_probed() -> None:
    """The eight scripts plus the three that had `--loaded` already are every benchmark."""
    had = {"bench_download.py", "bench_extract_small_files.py", "bench_resolve.py"}
    assert set(TINY) | had == {path.name for path in BENCHMARKS.glob("bench_*.py")}


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(name, marks=[pytest.mark.tf, pytest.mark.slow])
        if "tensorflow" in NEEDS.get(name, [])
        else name
        for name in TINY
    ],
)
def test_loaded_runs_says_so_beside_each_figure_and_leaves_no_loop(script: str) -> None:
    _skip_without(script)
    out, most = _run_watching(script, timeout=240)
    assert most == CORES, f"{script}: {most} busy loops seen at once, expected one per core"
    lines = [line for line in out.splitlines() if LOAD_FIGURE.search(line)]
    figures = [  # Lines with the load average, beyond those of before and after the timings.
        line
        for line in lines
        if not re.match(r"\s*(before|after|machine|Machine|machine after):", line)
    ]
    assert figures, f"{script} printed no figure with the load average:\n{out}"
    unlabelled = [line for line in figures if LOADED not in line]
    assert not unlabelled, f"{script}: figures not marked {LOADED!r}:\n" + "\n".join(unlabelled)
    assert "idle" not in out, out


def test_idle_figures_say_idle() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_import.py"), "--runs", "1"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = [line for line in done.stdout.splitlines() if " ms " in line]
    assert len(figures) == 8, done.stdout
    assert all("| idle, cores" in line for line in figures), done.stdout
    assert "loaded" not in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("bench_import.py", ["--runs", "200"]),
        ("bench_hub_server.py", [*TINY["bench_hub_server.py"], "--runs", "50"]),
    ],
)
def test_ctrl_c_mid_run_stops_the_loops(script: str, args: list[str]) -> None:
    _skip_without(script)
    proc = _start(script, *args)
    try:
        loops = _wait_for_loops(proc, timeout=60)
        time.sleep(1.0)  # Mid-run: past the loops' 0.5 s settling, the timings have started.
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "KeyboardInterrupt" in err, err[-2000:]
    assert busy_loops_of(proc.pid) == [], f"busy loops {loops} still run after Ctrl-C"


def test_a_killed_benchmark_leaves_no_loop() -> None:
    """SIGKILL (a timeout's) runs no cleanup: the loops see their parent gone and end."""
    proc = _start("bench_import.py", "--runs", "200")
    try:
        loops = _wait_for_loops(proc, timeout=60)
        proc.kill()
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _set_priority(loops, 0)  # At 19 on a busy machine, they ran too seldom to see it in 5 s.
    assert _gone_within(proc.pid, 5.0) == [], f"busy loops {loops} outlived their benchmark"
