"""A module fixture's result computed once per test run and shared by pytest-xdist's workers.

Under `pytest -n 2` the default (load) distribution hands a module's tests to both workers (at
first one test to each in turn), so a module-scoped fixture runs once in each: an expensive one,
such as a child process running a plan of scenarios against a stand-in server, ran twice per
run. `computed_once` keeps the result in the run's temporary folder that the workers share (the
parent of each one's), under a file lock: the first worker to ask computes it, another one waits
for it and reads it. Only for results that are data (JSON), never live objects such as servers.
Folders a result names stay in the computing worker's base folder, which pytest keeps until
later runs (tmp_path_retention_policy "all", its default): the other worker may read them, and
nothing may write into them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import filelock
import pytest

_WAIT_SECONDS = 900  # Then the worker computes the result itself (the other one is stuck).


def computed_once(factory: pytest.TempPathFactory, name: str, compute: Callable[[], Any]) -> Any:
    """What `compute()` returns, as JSON gives it back (tuples become lists), computed by the
    first pytest worker of the run that asks for `name` and read by the others.

    Args:
        factory: the fixture's `tmp_path_factory` (its base folder's parent is the run's,
            shared by the workers).
        name: the result's name, unique in the test suite (e.g. the module's).
        compute: makes the result (JSON data: dicts, lists, strings, numbers, None).

    Returns:
        The result. Without pytest-xdist it is computed in this process, as it is by the
        first worker.

    Raises:
        Whatever `compute` raises (a worker that finds no result computes it again).
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return json.loads(json.dumps(compute()))
    path = factory.getbasetemp().parent / f"computed-once-{name}.json"
    try:
        with filelock.FileLock(f"{path}.lock", timeout=_WAIT_SECONDS):
            if path.exists():
                return json.loads(path.read_text())
            text = json.dumps(compute())
            path.write_text(text)
            return json.loads(text)
    except filelock.Timeout:
        return json.loads(json.dumps(compute()))
