"""The worker process of `generate` under --direct_running_mode=multi_processing: Beam's own
(`apache_beam.runners.worker.sdk_worker_main`), started without its start-up noise.

Beam's worker printed, on a run where nothing went wrong, per worker: the "apitools not found"
warning of `import apache_beam` (about BigQuery, which generate does not use), its bootstrap
"Logging handler created." at INFO (logged before it reads --default_sdk_harness_log_level),
"No semi_persistent_directory found: ..." (about a pickled main session, which generate does
not use) twice (its own line, and the runner's relay of it: "Worker: severity: WARN ..."), and
TensorFlow's C++ start-up lines ("Could not find cuda drivers ..."), which the tool hides in
its own process. This module drops those records only (by logger and message); every other
record of a worker is printed once, on its stderr (the runner's relay of it is dropped by
`embedding_generator`), and a failed step's traceback still shows, once (Beam's harness prints
it, then logged it again).

Run as `python -m tfhub.tools.make_nearest_neighbour_index.beam_worker` (Beam passes the same
arguments and environment as to its own worker).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from ... import constants
from ...utils import lazy

WORKER_LOGGER = "apache_beam.runners.worker.sdk_worker_main"
# What a worker logs on every run, where nothing went wrong, by logger.
_START_UP_NOISE = {
    "": ("apitools not found",),  # The root logger: `import apache_beam`.
    WORKER_LOGGER: ("Logging handler created.", "No semi_persistent_directory found"),
}


class _StartUpNoise(logging.Filter):
    """Drops the records of one logger that start with any of `messages`, below ERROR."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__()
        self.messages = tuple(messages)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        return not record.getMessage().startswith(self.messages)


def quiet_start_up() -> None:
    """Installs the filters, and hides TensorFlow's C++ start-up lines when it is imported if
    the process that started the worker hid its own (TF_CPP_MIN_LOG_LEVEL set above 0). A
    failed step's traceback, which Beam's harness prints to stderr and then logged again
    ("Error processing instruction ..."), is printed once (logged too with TFHUB_DEBUG)."""
    from .beam_logs import HARNESS_LOGGER, QuietFailedSteps

    for name, messages in _START_UP_NOISE.items():
        logging.getLogger(name).addFilter(_StartUpNoise(messages))
    logging.getLogger(HARNESS_LOGGER).addFilter(QuietFailedSteps())
    level = os.environ.get(constants.TF_CPP_MIN_LOG_LEVEL, "0").strip()
    lazy.quiet_native_logs(level not in ("", "0"))


def main(argv: Sequence[str]) -> None:
    """Runs Beam's worker with the start-up noise dropped.

    Args:
        argv: the worker's command line (`sys.argv`), as Beam's worker takes it.
    """
    quiet_start_up()
    # The worker's records on its stderr, in Beam's worker's format ("LEVEL:logger:message");
    # without a handler of its own, they would only be relayed to the runner's process.
    logging.basicConfig()
    from apache_beam.runners.worker import sdk_worker_main

    sdk_worker_main.main(list(argv))


if __name__ == "__main__":
    main(sys.argv)
