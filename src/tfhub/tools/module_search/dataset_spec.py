"""The `--dataset` value, `NAME[#N]`: NAME is a local folder with one sub-folder of images per
class, or a tensorflow_datasets name; `#N` keeps N examples (`#0` all of them, as upstream's
`if num_examples:`). A spec that names an existing folder is that folder, `#` and all
(`my#photos`); else N follows the last `#`.
"""

from __future__ import annotations

import dataclasses
import os

from ... import errors
from ...utils.numbers import is_number, is_whole_number


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """A parsed `--dataset` value: `name` and the number of examples (None: all)."""

    name: str
    num_examples: int | None = None

    @classmethod
    def parse(cls, spec: str) -> DataSpec:
        """Parses `NAME` or `NAME#N`. A spec that names an existing folder is that folder
        (`my#photos`); otherwise N follows the last `#` (`my#photos#500`: the folder
        `my#photos`, 500 examples).

        `NAME#0` keeps every example, as upstream's tool did (its `num_examples` of 0 took
        none away).

        Raises:
            tfhub.errors.ToolFlagError: an empty name, an N that is negative or not an integer,
                or a `#` followed by no number in the name of a folder that does not exist.
        """
        if os.path.isdir(spec):
            return cls(spec)
        name, hash_sign, after = spec.rpartition("#")
        count = after if hash_sign else None
        name = name if hash_sign else spec
        number = None if count is None else _whole_number(count)
        if name and (count is None or (number is not None and number >= 0)):
            return cls(name, number)  # 0: all of them (`__post_init__`).
        raise _bad_spec(spec, _why_not_a_spec(spec, name, count, number))

    def __post_init__(self) -> None:
        """Checks a spec made directly (the Python API), as `parse` checks the flag.

        Raises:
            tfhub.errors.ArgumentTypeError: (a TypeError) a name that is not a str, or a
                number of examples that is not an int (a bool, a float, a str) or None.
            tfhub.errors.ToolFlagError: a negative number of examples (0 keeps them all,
                as None: upstream's `num_examples` of 0 took none away).
        """
        count = self.num_examples
        if not isinstance(self.name, str):
            raise errors.ArgumentTypeError(
                "A dataset's name is a str: a folder with one sub-folder of images per class, or "
                f"a tensorflow_datasets name. Received: name={self.name!r}"
            )
        if count is not None and not is_whole_number(count):
            raise errors.ArgumentTypeError(
                "num_examples is a whole number of examples to keep, or None for all of them. "
                f"Received: num_examples={count!r}"
            )
        if count == 0:
            object.__setattr__(self, "num_examples", None)  # All of them, as upstream's 0.
        elif count is not None and count < 0:
            spec = f"{self.name}#{self.num_examples}"
            raise _bad_spec(spec, f"N is {self.num_examples}")

    def __str__(self) -> str:
        return self.name + (f"#{self.num_examples}" if self.num_examples else "")


def _bad_spec(spec: str, why: str) -> errors.ToolFlagError:
    return errors.ToolFlagError(
        "--dataset must be NAME or NAME#N (N a number of examples, 0 for all), e.g. "
        f"./flowers#500: {why}. Received: dataset={spec!r}",
        flag="dataset",
        value=spec,
    )


def _why_not_a_spec(spec: str, name: str, count: str | None, number: int | None) -> str:
    """Why `spec` (NAME, `#`, count, the count's number) is not a dataset spec."""
    if not name:
        return "NAME is empty" if count is None else "the NAME before '#' is empty"
    if number is not None:
        return f"N is {number}"
    after = repr(count) if count else "nothing"
    return f"{after} follows the last '#', not a number, and no folder {spec!r} exists"


def _whole_number(text: str) -> int | None:
    """The integer of `-`digits or digits (`-3`, `500`), else None."""
    digits = text[1:] if text.startswith("-") else text
    return int(text) if is_number(digits) else None
