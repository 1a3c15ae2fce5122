"""What to say when a process has no file descriptor left: its limit of open files reached
(EMFILE, `ulimit -n`) or the system's table of open files full (ENFILE). One wording for the
extractor's error (`_archive_errors`) and the CLI's line for a bare OSError (`program.report`).

`resource` is imported here, not where the limit is read: at the limit, a lazy import fails
for want of a descriptor too.
"""

from __future__ import annotations

import errno

try:
    import resource
except ImportError:  # pragma: no cover - Windows has no `resource`.
    resource = None  # type: ignore[assignment]

NO_DESCRIPTOR_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE})


def open_files_limit() -> str:
    """This process's limit of open files (its soft RLIMIT_NOFILE), or "unknown" (Windows)."""
    if resource is None:  # pragma: no cover
        return "unknown"
    try:
        return str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (OSError, ValueError):  # pragma: no cover
        return "unknown"


def no_descriptor_cause(err_no: int | None, strerror: str | None = None) -> str:
    """Why no descriptor was left, for errno EMFILE or ENFILE, lower-case, no final stop.

    Args:
        err_no: the error's errno (EMFILE: this process's limit; otherwise the system's).
        strerror: the system's wording, shown in the parentheses, if given.

    Returns:
        e.g. "this process has as many files open as its limit allows (`ulimit -n` is 256)".
    """
    said = f"{strerror}; " if strerror else ""
    if err_no == errno.EMFILE:
        return (
            "this process has as many files open as its limit allows "
            f"({said}`ulimit -n` is {open_files_limit()})"
        )
    full = "the system's table of open files is full"
    return f"{full} ({strerror})" if strerror else full


def suggested_limit() -> int | None:
    """A limit of open files to suggest: twice the soft limit, at least 4096, no more than the
    hard limit (which only root raises); None if the soft limit is already the hard one, or
    unknown."""
    if resource is None:  # pragma: no cover
        return None
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):  # pragma: no cover
        return None
    if soft == resource.RLIM_INFINITY:  # Unlimited (-1 on Linux): nothing to raise.
        return None
    suggested = max(4096, 2 * soft)
    if hard != resource.RLIM_INFINITY:
        suggested = min(suggested, hard)
    return suggested if suggested > soft else None


def no_descriptor_remedy(err_no: int | None) -> str:
    """What to do, for errno EMFILE or ENFILE: a capitalised clause, no final stop. The
    example raises the limit (`suggested_limit`), never lowers it."""
    if err_no != errno.EMFILE:
        return "Close files other programs hold open, or raise the system's limit (fs.file-max)"
    suggested = suggested_limit()
    if suggested is None:  # At the hard limit: only root (or the service's settings) raise it.
        return (
            "Close files the program leaves open, or raise the hard limit (as root: "
            "`ulimit -Hn`, or LimitNOFILE= of a systemd service)"
        )
    return f"Raise that limit (e.g. `ulimit -n {suggested}`) or close files the program leaves open"
