"""Running test code in several threads at once."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_threads(*targets: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """Runs each target in its own thread, all at once; returns what they returned and what
    they raised (for the caller's assertions) once every thread ended; fails if one still runs
    after 120 s (a wait with no end)."""
    results: list[object] = []
    failures: list[BaseException] = []

    def run(target: Callable[[], object]) -> None:
        try:
            results.append(target())
        except BaseException as err:  # Reported by the caller's assertions.
            failures.append(err)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a thread still runs after 120 s"
    return results, failures


def outcome_in_thread(
    call: Callable[[], object], unblock: Callable[[], object], *, wait: float, what: str
) -> object:
    """What `call()` returns or raises, run in a thread; if it still runs after `wait` s,
    `unblock()` releases it and the test fails (`what` named: it hung, or read with no
    deadline)."""
    import pytest

    result: list[object] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as err:  # The test reads it.
            result.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=wait)
    if thread.is_alive():
        unblock()
        thread.join(timeout=20)
        pytest.fail(f"{what} still ran after {wait} s: {result}")
    return result[0]
