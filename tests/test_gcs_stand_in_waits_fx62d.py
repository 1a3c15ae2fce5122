"""The gs:// stand-in's time bound of a row (`gcs_stand_in.own_seconds`, `within_own_seconds`).

A row's own seconds were its seconds less the run-queue waits of EVERY thread of its child and
of the stand-in's process: other rows' threads and threads serving other children waited at
the same time, so on a busy machine the waits summed past the row's seconds and its own
seconds went negative, and the bound on them held whatever the row took. Now only the row's
own thread's waits count, and a row whose thread waited more than half its seconds is not
judged, visibly (a `MachineTooBusyWarning`), instead of passing silently.
"""

from __future__ import annotations

import os

import pytest
from tests._helpers import python_process
from tests._helpers.gcs_stand_in import (
    MachineTooBusyWarning,
    own_seconds,
    run_scenarios,
    within_own_seconds,
)

# A row that sleeps 1 s (as a row waits on a timeout) while 4 threads of its child compute
# with the GIL released, all on one CPU: their waits for that CPU are not the row's.
SCENARIO = """
import hashlib, os, threading, time

def scenario(report, name, cpu):
    os.sched_setaffinity(0, {cpu})  # This thread; the threads it starts inherit it.
    stop = threading.Event()
    blob = os.urandom(1 << 20)

    def busy():
        while not stop.is_set():
            hashlib.sha256(blob).digest()

    others = [threading.Thread(target=busy) for _ in range(4)]
    for other in others:
        other.start()
    try:
        time.sleep(1.0)
    finally:
        stop.set()
        for other in others:
            other.join()
    raise TimeoutError("the row's timeout")
"""


@pytest.mark.tf
def test_a_rows_own_seconds_leave_out_only_its_own_threads_waits_for_a_cpu() -> None:
    cpu = min(os.sched_getaffinity(0))
    reports, _ = run_scenarios(
        SCENARIO, [("sleeper", cpu)], bound=30.0, env=python_process.child_env()
    )
    report = reports["sleeper"]
    assert not report["hung"] and report["type"] == "TimeoutError", report
    seconds = own_seconds(report)
    # Before: waited summed the 4 busy threads' waits (~3 s of 1 s): own seconds below 0.
    assert seconds is not None and seconds >= 0.5, report
    assert float(report["waited"]) <= float(report["seconds"]) / 2, report


def test_a_row_too_long_by_its_own_seconds_fails_the_bound() -> None:
    report = {"name": "slow", "seconds": 9.0, "waited": 1.0, "hung": False}
    with pytest.raises(AssertionError):
        within_own_seconds(report, 5.0)
    within_own_seconds(report, 8.5)


def test_a_row_that_mostly_waited_for_a_cpu_is_reported_too_busy_to_judge() -> None:
    """Half or more of a row's seconds spent waiting for a CPU: its bound is not checked, and
    pytest's warnings summary says so (before: its own seconds, 4 s, passed a 5 s bound)."""
    report = {"name": "busy", "seconds": 9.0, "waited": 5.0, "hung": False}
    with pytest.warns(MachineTooBusyWarning, match=r"too busy to judge .*'busy'.* 5 s"):
        within_own_seconds(report, 5.0)
    assert own_seconds(report) is None
