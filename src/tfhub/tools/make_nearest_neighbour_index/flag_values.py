"""Reading the tool's flags from an object that has them as attributes (the parsed command line,
absl's `FLAGS` upstream's `run(args)` functions took): one home for "this flag is required"."""

from __future__ import annotations

from typing import Any

from ... import errors


def required(flags: Any, name: str, *, operation: str) -> Any:
    """Returns `flags.<name>`.

    Raises:
        tfhub.errors.ToolFlagError: (a ValueError) the flag is absent, None or empty.
    """
    value = getattr(flags, name, None)
    if value in (None, ""):
        raise errors.ToolFlagError(
            f"You must provide --{name} for `{operation}`. Received: {name}={value!r}",
            flag=name,
            value=value,
        )
    return value
