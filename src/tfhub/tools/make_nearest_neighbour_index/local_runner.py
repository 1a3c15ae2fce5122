"""The runner `generate` runs on: Beam's options from the command line, and for the
DirectRunner the in-process FnApiRunner (nothing downloaded), whose worker processes run
`beam_worker` (Beam's worker without its start-up noise) and are stopped even if they connect
after the runner told them to stop (`_stopping_worker_handler`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

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


def _stopping_worker_handler(base: Any) -> Any:
    """Beam's handler of a worker process (`base`: SubprocessSdkWorkerHandler) that also stops
    a worker which connects to the runner after it was told to stop.

    Beam's `close` tells a worker to stop only if it has connected: a stop signal (SIGTERM to
    the command, `kill PID`, `docker stop`) that came while a worker process was starting
    (importing TensorFlow) left that worker waiting for instructions for ever, and the
    command waiting for it to end."""
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    started = worker_handlers.BeamFnControlServicer.STARTED_STATE

    class StoppingWorkerHandler(base):  # type: ignore[misc, valid-type]
        def stop_worker(self) -> None:
            """Waits for the worker process to end, telling it to stop again if it
            connected after `close` told it (its connection is then started again)."""
            while True:
                self.worker_thread.join(timeout=_STOP_POLL_SECONDS)
                if not self.worker_thread.is_alive():
                    return
                if self.control_conn._state == started:  # Connected after close().
                    self.control_conn.close()

    return StoppingWorkerHandler


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
