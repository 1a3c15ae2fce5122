"""A program calling tfhub.hub.runner.serve is bounded as `tfhub serve --workers` is: more
worker processes than SERVE_WORKERS_PER_CPU per CPU are refused in the parent, before any
worker forks (the bound was the command line's only, so serve(workers=1000) forked 1000)."""

from __future__ import annotations

import os

import pytest

from tfhub import constants, errors
from tfhub.hub import runner
from tfhub.hub.settings import ServeSettings


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _check(root, workers: int) -> None:
    runner.check_options(
        ServeSettings(root=str(root), cache_dir=str(root / "cache")),
        host="127.0.0.1",
        port=65536,  # Checked after the workers: a refusal naming the port means they passed.
        workers=workers,
        server="uvicorn",
    )


def test_more_workers_than_the_bound_are_refused_by_the_library(tmp_path):
    most = constants.SERVE_WORKERS_PER_CPU * _cpus()
    assert runner.max_workers() == most
    with pytest.raises(errors.ServeConfigError, match=f"at most {most} ") as caught:
        _check(tmp_path, most + 1)
    assert caught.value.option == "--workers"
    assert isinstance(caught.value, ValueError)  # As argparse-level bad values are.


def test_the_bound_itself_is_taken(tmp_path):
    with pytest.raises(errors.ServeConfigError) as caught:
        _check(tmp_path, constants.SERVE_WORKERS_PER_CPU * _cpus())
    assert caught.value.option == "--port"
