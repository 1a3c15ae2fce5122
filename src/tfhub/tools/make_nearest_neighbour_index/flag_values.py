"""Reading the tool's flags from an object that has them as attributes (the parsed command line,
absl's `FLAGS` upstream's `run(args)` functions took): one home for "this flag is required", and
for "this number is a whole number of at least N" of the Python API's configs and calls."""

from __future__ import annotations

from typing import Any

from ... import errors
from ...utils.numbers import is_whole_number

# The most trees annoy builds: its build(n_trees) takes a C int (more: OverflowError).
MAX_TREES = 2**31 - 1


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


def check_whole_number(
    name: str,
    value: object,
    meaning: str,
    *,
    minimum: int | None = 1,
    maximum: int | None = None,
) -> None:
    """Refuses a number argument of the Python API that the command's flag parsing would refuse.

    Args:
        name: the argument's name, as messages say it.
        value: its value.
        meaning: what the number counts, for messages ("annoy's number of trees").
        minimum: the smallest value taken (None: any whole number).
        maximum: the largest value taken (None: no bound), e.g. a library's C int.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) it is not an integer (a bool, a float, a
            str).
        tfhub.errors.ArgumentError: (a ValueError) it is below `minimum` or above `maximum`.
    """
    if not is_whole_number(value):
        raise errors.ArgumentTypeError(
            f"{name} must be an integer, {meaning}. Received: {name}={value!r}"
        )
    if minimum is not None and value < minimum:
        positive = " (positive)" if minimum == 1 else ""
        raise errors.ArgumentError(
            f"{name} must be an integer of at least {minimum}{positive}, {meaning}. "
            f"Received: {name}={int(value)}"
        )
    if maximum is not None and value > maximum:
        raise errors.ArgumentError(
            f"{name} must be an integer of at most {maximum}, {meaning}. "
            f"Received: {name}={int(value)}"
        )
