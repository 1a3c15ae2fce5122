"""The runner `generate` runs on: Beam's options from the command line, and for the
DirectRunner the in-process FnApiRunner (nothing downloaded), whose worker processes run
`beam_worker` (Beam's worker without its start-up noise) and are stopped even if they connect
after the runner told them to stop (`_stopping_worker_handler`)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ...utils.processes import descendants
from ...utils.threads import daemon_thread

logger = logging.getLogger(__name__)

DEFAULT_RUNNER = "DirectRunner"


# What runs a DirectRunner pipeline here. Beam's DirectRunner first tries Prism: it downloads
# a Go binary from GitHub (urlopen without a timeout, cached in ~/.apache_beam) and leaves an
# empty /tmp/beam-temp* folder per run; offline it falls back to the FnApiRunner, the in-process
# runner every test and benchmark of the tool ran on. The tool runs that one directly.
LOCAL_RUNNER = "FnApiRunner"


def _is_direct_runner(runner: object) -> bool:
    """Whether `runner` (a --runner value, None if not given) means Beam's DirectRunner."""
    if runner is None:
        return True
    name = runner.rsplit(".", 1)[-1].lower() if isinstance(runner, str) else ""
    return name in ("direct", "directrunner")


def pipeline_options(beam_args: Sequence[str]) -> Any:
    """Beam PipelineOptions from command-line style arguments: the FnApiRunner for the
    DirectRunner (`LOCAL_RUNNER`: nothing downloaded), and workers that log warnings and errors
    only (not ~20 INFO lines each about their gRPC channels), unless the arguments say
    otherwise."""
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    options = PipelineOptions(list(beam_args))
    if options.get_all_options().get("default_sdk_harness_log_level") is None:
        options = PipelineOptions([*beam_args, "--default_sdk_harness_log_level=WARNING"])
    standard = options.view_as(StandardOptions)
    if _is_direct_runner(standard.runner):
        standard.runner = LOCAL_RUNNER
    return options


def make_local_runner(options: Any) -> Any:
    """The FnApiRunner, made as Beam's DirectRunner makes it: its workers get the pipeline
    options. (Named by --runner=FnApiRunner, Beam makes one without them, so the worker
    processes of --direct_running_mode=multi_processing logged at INFO, whatever
    --default_sdk_harness_log_level said.) Only the options that differ from their defaults
    are passed on (the workers' defaults are the same): Beam encodes the store_false ones
    (`--no_pipeline_type_check`) as flags that no parser knows, which each worker reported
    twice as "Discarding unparseable args"."""
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options(drop_default=True))
    provision = beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)
    return _quiet_workers_runner(fn_runner.FnApiRunner)(
        provision_info=fn_runner.ExtendedProvisionInfo(provision)
    )


# Beam's FnApiRunner starts --direct_running_mode=multi_processing workers with this command.
_BEAM_WORKER = "-m apache_beam.runners.worker.sdk_worker_main"


_QUIET_WORKER = "-m tfhub.tools.make_nearest_neighbour_index.beam_worker"


def _quiet_workers_runner(runner_class: Any) -> Any:
    """The FnApiRunner whose worker processes run `beam_worker` (Beam's worker without its
    start-up noise) instead of Beam's: `run_pipeline` sets the environment of
    multi_processing (a command line) on `_default_environment`, which this class reads back
    with `beam_worker`'s module in place of Beam's."""
    from apache_beam.transforms import environments

    class QuietWorkersRunner(runner_class):  # type: ignore[misc, valid-type]
        def run_pipeline(self, pipeline: Any, options: Any) -> Any:
            with _late_workers_stopped():
                return super().run_pipeline(pipeline, options)

        @property
        def _default_environment(self) -> Any:
            return self.__dict__.get("_tfhub_environment")

        @_default_environment.setter
        def _default_environment(self, environment: Any) -> None:
            command = getattr(environment, "command_string", "")
            if isinstance(command, str) and command.endswith(_BEAM_WORKER):
                quiet = command[: -len(_BEAM_WORKER)] + _QUIET_WORKER
                environment = environments.SubprocessSDKEnvironment.from_command_string(quiet)
            self.__dict__["_tfhub_environment"] = environment

    return QuietWorkersRunner


# How often a worker process being stopped is checked for having connected meanwhile (s).
_STOP_POLL_SECONDS = 0.5

# How long a worker process may take to end once told to stop (s): then it is stopped
# (SIGKILL), as Beam does not (its wait had no end). A step still running after the pipeline
# ended, or a thread a step started that never ends, kept the command waiting for ever.
_STOP_WORKER_LIMIT_SECONDS = 60.0


def _stopping_worker_handler(base: Any) -> Any:
    """Beam's handler of a worker process (`base`: SubprocessSdkWorkerHandler) that also stops
    a worker which connects to the runner after it was told to stop, and one that has not
    ended `_STOP_WORKER_LIMIT_SECONDS` after.

    Beam's `close` tells a worker to stop only if it has connected: a stop signal (SIGTERM to
    the command, `kill PID`, `docker stop`) that came while a worker process was starting
    (importing TensorFlow) left that worker waiting for instructions for ever, and the
    command waiting for it to end."""
    from apache_beam.runners.portability import local_job_service
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    started = worker_handlers.BeamFnControlServicer.STARTED_STATE

    class StoppingWorkerHandler(base):  # type: ignore[misc, valid-type]
        _tfhub_killed = False

        def start_worker(self) -> None:
            """Beam's `start_worker`, whose thread says nothing of a worker process that
            `stop_worker` killed (Beam's raised "Worker subprocess exited with return code
            -9" in that thread, printed as an uncaught exception's traceback)."""
            self.worker = local_job_service.SubprocessSdkWorker(
                self._worker_command_line, self.control_address, self.provision_info, self.worker_id
            )
            # A daemon thread, the stop signals left to the main thread (utils.threads); Beam's
            # was not a daemon, but `stop_worker` joins it, and kills a worker that hangs.
            self.worker_thread = daemon_thread(self._run_worker, name="run_worker")
            self.worker_thread.start()

        def _run_worker(self) -> None:
            try:
                self.worker.run()
            except RuntimeError:
                if not self._tfhub_killed:
                    raise

        def stop_worker(self) -> None:
            """Waits for the worker process to end, telling it to stop again if it
            connected after `close` told it (its connection is then started again), and
            killing it if it has not ended within `_STOP_WORKER_LIMIT_SECONDS`."""
            _wait_for_worker(self, started=started)

    return StoppingWorkerHandler


def _wait_for_worker(handler: Any, *, started: Any) -> None:
    """Waits for the worker thread of `handler` (a StoppingWorkerHandler) to end: closes its
    connection again while the worker connected after `close` (state `started`), and kills the
    worker process once, `_STOP_WORKER_LIMIT_SECONDS` after the wait began."""
    deadline = time.monotonic() + _STOP_WORKER_LIMIT_SECONDS
    while True:
        handler.worker_thread.join(timeout=_STOP_POLL_SECONDS)
        if not handler.worker_thread.is_alive():
            return
        if handler.control_conn._state == started:  # Connected after close().
            handler.control_conn.close()
        if time.monotonic() >= deadline:
            # Set before the kill: the worker thread sees the process end (-9) as soon as it
            # is killed, before `_kill_worker` returns.
            handler._tfhub_killed = True
            handler._tfhub_killed = _kill_worker(handler.worker_id, handler.control_address)
            deadline = float("inf")  # Once: a worker not found is waited for.


def _kill_worker(worker_id: str, control_address: str) -> bool:
    """Kills the processes of the worker `worker_id` (found in /proc, by the WORKER_ID and
    control address Beam put in their environment, among this process's descendants) and
    logs a warning naming them; returns whether any was found (not on systems without /proc:
    the warning then says what to kill)."""
    pids = _worker_pids(worker_id, control_address)
    for pid in reversed(pids):  # The worker before the `sh -c` that started it.
        with contextlib.suppress(OSError):  # Ended meanwhile.
            os.kill(pid, signal.SIGKILL)
    said = (
        f"Beam worker {worker_id} did not end within {_STOP_WORKER_LIMIT_SECONDS:g} s of being "
        "told to stop"
    )
    if pids:
        logger.warning(
            "%s (a step, or a thread it started, still runs): stopped its process (%s).",
            said,
            ", ".join(f"pid {pid}" for pid in pids),
        )
    else:
        logger.warning(
            "%s, and its process was not found: the command waits for it; kill it "
            "(`%s`, a child of process %d).",
            said,
            _QUIET_WORKER.strip(),
            os.getpid(),
        )
    return bool(pids)


def _worker_pids(worker_id: str, control_address: str) -> list[int]:
    """The descendants of this process whose environment holds WORKER_ID=`worker_id` and
    `control_address` (Beam's worker process and the `sh -c` that runs it), parents first;
    [] without /proc."""
    marker = f"WORKER_ID={worker_id}".encode()
    found: list[int] = []
    for pid in descendants(os.getpid()):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/environ", "rb") as environ:
            variables = environ.read().split(b"\0")
            if marker in variables and any(control_address.encode() in v for v in variables):
                found.append(pid)
    return found


@contextlib.contextmanager
def _late_workers_stopped() -> Iterator[None]:
    """Makes Beam handle worker processes (the SUBPROCESS_SDK environment of
    --direct_running_mode=multi_processing) with `_stopping_worker_handler`'s handler while
    the block runs: Beam looks the handler up in a registry of its own, put back after."""
    from apache_beam.portability import python_urns
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    registry = worker_handlers.WorkerHandler._registered_environments
    urn = python_urns.SUBPROCESS_SDK
    previous = registry[urn]
    handler, payload_type = previous
    registry[urn] = (_stopping_worker_handler(handler), payload_type)
    try:
        yield
    finally:
        registry[urn] = previous
