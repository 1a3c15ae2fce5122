"""The library's logger hierarchy: everything logs under "tfhub" and never touches the root."""

from __future__ import annotations

import logging

LIBRARY_LOGGER_NAME = "tfhub"


def get_logger(name: str) -> logging.Logger:
    """Returns the logger for a tfhub module (use `logging.getLogger(__name__)` equivalently)."""
    return logging.getLogger(name)


def enable_cli_logging(*, verbose: bool) -> None:
    """Sends tfhub's INFO (or WARNING) records to stderr; used by the `tfhub` command only.

    Args:
        verbose: log INFO records too, not only warnings and errors.
    """
    logger = logging.getLogger(LIBRARY_LOGGER_NAME)
    if not any(getattr(handler, "_tfhub_cli", False) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("tfhub: %(message)s"))
        handler._tfhub_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
