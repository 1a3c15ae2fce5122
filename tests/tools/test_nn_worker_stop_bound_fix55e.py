"""A Beam worker process that does not end when told to stop (here: a step started a
non-daemon thread that never ends, so the worker's interpreter waits for it at exit) kept
`generate` waiting for it for ever, at the pipeline's end as after a stop signal: the wait is
bounded by `local_runner._STOP_WORKER_LIMIT_SECONDS` (shortened here; the same code runs),
then the worker is named, its process stopped, and the command ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tfhub.utils.processes import descendants

pytestmark = [pytest.mark.slow]

# The pipeline on `local_runner`'s runner, with one worker process, whose one step leaves a
# thread running: what a library's non-daemon thread does to Beam's worker.
_PIPELINE = """
import sys, threading, time
import apache_beam as beam
from tfhub.tools.make_nearest_neighbour_index import local_runner

local_runner._STOP_WORKER_LIMIT_SECONDS = float(sys.argv[1])


class LeavesAThread(beam.DoFn):
    def process(self, element):
        threading.Thread(target=time.sleep, args=(10**6,), daemon=False).start()
        yield element


options = local_runner.pipeline_options(
    ["--direct_running_mode=multi_processing", "--direct_num_workers=1"]
)
with beam.Pipeline(runner=local_runner.make_local_runner(options), options=options) as p:
    p | beam.Create([1]) | beam.ParDo(LeavesAThread())
print("pipeline done", flush=True)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds worker processes in /proc")
def test_a_worker_that_does_not_stop_is_named_and_stopped(tmp_path: Path):
    script = tmp_path / "pipeline.py"
    script.write_text(_PIPELINE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, str(script), "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("the pipeline still runs 120 s on (waiting for its worker process)")
    finally:
        for pid in reversed(descendants(proc.pid)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert out.strip() == "pipeline done"
    assert "did not end within 3 s of being told to stop" in err, err
    assert "stopped its process" in err and "Traceback" not in err, err
