"""The library's logger hierarchy: everything logs under "tfhub" and never touches the root."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

LIBRARY_LOGGER_NAME = "tfhub"
# The loggers of urllib3 that quote the URLs tfhub asks for at DEBUG, query included (`"GET
# /m.tar.gz?X-Amz-Signature=... HTTP/1.1" 200`, `Incremented Retry for (url='...')`).
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager")


def get_logger(name: str) -> logging.Logger:
    """Returns the logger for a tfhub module (same as `logging.getLogger(__name__)`)."""
    return logging.getLogger(name)


class RedactingFormatter(logging.Formatter):
    """Formats records with the credentials of every URL in them replaced by `***`, and each
    byte of a file name that is not UTF-8 said as `\\xff`, as the CLI's error lines say it.
    A record's message is one line: a control character in it (a line break in a folder's name
    it quotes) is escaped (`\\x0A`), as `cache list` escapes it; a traceback attached to the
    record (TFHUB_DEBUG) keeps its lines, redacted too. The one home of this redaction: the
    `tfhub` command's stderr and a tool's `--log_dir` file (`tools.absl_app_flags`) use it."""

    def format(self, record: logging.LogRecord) -> str:
        from .printable import bytes_escaped
        from .redact import redact

        return bytes_escaped(redact(super().format(record)))

    def formatMessage(self, record: logging.LogRecord) -> str:
        from .printable import escaped

        return escaped(super().formatMessage(record))


class RedactingFilter(logging.Filter):
    """Replaces the credentials of every URL in a record's message by `***` (the record is
    kept: only its text changes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .redact import redact

        message = record.getMessage()
        shown = redact(message)
        if shown != message:
            record.msg, record.args = shown, None
        return True


def redact_urllib3_logs() -> None:
    """Makes urllib3's DEBUG records of the requests tfhub sends show no credentials.

    An application logging at DEBUG (`logging.basicConfig(level=logging.DEBUG)`) gets urllib3's
    request lines, which quote a signed URL's signature. A filter on those loggers (not on
    the root logger, and not touching their level or propagation) redacts them; adding it
    again does nothing.
    """
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(found, RedactingFilter) for found in logger.filters):
            logger.addFilter(RedactingFilter())


def _stderr_handler() -> logging.Handler:
    """A handler writing tfhub's records to stderr as the `tfhub` command says them: "tfhub: "
    first, credentials redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("tfhub: %(message)s"))
    return handler


def warnings_to_stderr() -> None:
    """In a process tfhub runs itself where nothing set up logging (a `tfhub serve` worker
    process), sends tfhub's warnings and errors to stderr as the `tfhub` command does: "tfhub: "
    first, credentials redacted (Python's last-resort handler would print them as written).
    Does nothing if the "tfhub" logger has a handler already."""
    logger = logging.getLogger(LIBRARY_LOGGER_NAME)
    if logger.handlers:
        return
    handler = _stderr_handler()
    handler.setLevel(logging.WARNING)  # The access lines (INFO) have their own handler.
    logger.addHandler(handler)


@contextmanager
def cli_logging(*, verbose: bool) -> Iterator[None]:
    """Sends tfhub's records to stderr while the block runs; used by the `tfhub` command only.

    While the block runs, tfhub's records do not also go up to the root logger's handlers:
    a library that configures the root logger (Apache Beam does when imported) would print
    each line a second time. The "tfhub" logger's handlers, level and propagation are
    restored afterwards, so calling the CLI's `main()` in-process (tests, notebooks) leaves
    logging as it was.

    Args:
        verbose: log INFO records too, not only warnings and errors.

    Yields:
        Nothing.
    """
    logger = logging.getLogger(LIBRARY_LOGGER_NAME)
    handler = _stderr_handler()
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate
