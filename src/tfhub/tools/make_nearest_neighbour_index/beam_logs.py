"""What Beam logs in this process while `generate` runs, made fit to read: `import apache_beam`
without its warning about BigQuery's client, and a failed step reported in one line (the
pipeline's error) rather than in Beam's tracebacks, which TFHUB_DEBUG keeps."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from ... import constants
from ...utils.lazy import import_optional


class _NoBigQueryClientWarning(logging.Filter):
    """Drops the warning `import apache_beam` logs on the root logger when Google's API client
    (apitools, Beam's `gcp` extra) is not installed: it is about BigQuery, which `generate`
    does not use, and it reads like a failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("apitools not found")


def import_beam() -> Any:
    """Imports apache_beam without its warning about the BigQuery client.

    Raises:
        tfhub.errors.MissingDependencyError: if Apache Beam is not installed.
    """
    root, quiet = logging.getLogger(), _NoBigQueryClientWarning()
    root.addFilter(quiet)
    try:
        return import_optional("apache_beam", purpose="make_nearest_neighbour_index generate")
    finally:
        root.removeFilter(quiet)


class NoRelayedWorkerRecords(logging.Filter):
    """Drops the runner's relay of its worker processes' records ("Worker: severity: WARN
    timestamp {...} message: ..."): a `beam_worker` process prints each of its records on its
    own stderr, so every relayed one was a line printed twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(_RELAYED)


# How the runner's relay of a worker process's record begins (local_job_service).
_RELAYED = "Worker: "


class QuietFailedSteps(logging.Filter):
    """Drops the records in which Beam logs a failed step with its traceback (its DoFn runner,
    or a worker process's record relayed by the runner): the pipeline's failure is then
    reported in one line (`PipelineError`, or the Ctrl-C). With TFHUB_DEBUG set, a failure's
    traceback stays (a Ctrl-C's never does)."""

    def filter(self, record: logging.LogRecord) -> bool:
        kind = record.exc_info[0] if record.exc_info else None
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
        message = record.getMessage()
        if interrupted or message.startswith("KeyboardInterrupt"):
            return False
        failure = record.exc_info is not None or _WORKER_FAILURE in message
        return not failure or constants.is_debug()


# The Beam loggers that report a failed step, traceback included, before the runner raises:
# the DoFn runner's, the one that relays a worker process's records to this process, and the
# SDK harness's, which runs in this process under --direct_running_mode=multi_threading (it
# prints the traceback to stderr, then logged it again: "Error processing instruction ...").
RELAY_LOGGER = "apache_beam.runners.portability.local_job_service"
HARNESS_LOGGER = "apache_beam.runners.worker.sdk_worker"


BEAM_FAILURE_LOGGERS = ("apache_beam.runners.common", RELAY_LOGGER, HARNESS_LOGGER)


# How a worker process's relayed record of a failed step begins its traceback.
_WORKER_FAILURE = "Error processing instruction"


@contextlib.contextmanager
def quiet_failed_steps(*, drop_relayed: bool) -> Iterator[None]:
    """Quiets Beam's records of a failed step (`QuietFailedSteps`) while the block runs, and
    with `drop_relayed` the runner's relay of its worker processes' records too (they are
    `beam_worker`'s, which print their own: `NoRelayedWorkerRecords`).

    Args:
        drop_relayed: the workers are `beam_worker` processes (the local runner's).
    """
    filters: list[tuple[logging.Logger, logging.Filter]] = [
        (logging.getLogger(name), QuietFailedSteps()) for name in BEAM_FAILURE_LOGGERS
    ]
    if drop_relayed:
        filters.append((logging.getLogger(RELAY_LOGGER), NoRelayedWorkerRecords()))
    for beam_logger, quiet in filters:
        beam_logger.addFilter(quiet)
    try:
        yield
    finally:
        for beam_logger, quiet in filters:
            beam_logger.removeFilter(quiet)
