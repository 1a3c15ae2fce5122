"""Upstream's absl flags (shared with tensorflow_hub, which defines the same ones).

`settings_reading.ABSL_FLAGS` names them with their defaults; this module defines them with absl and
reads their values without parsing argv, as upstream. `import tfhub` defines them when
`absl.flags` is imported (an absl app parses argv after that), so a program that never uses
absl does not import it. Where a flag has a variable, `settings_reading.get_env_setting` lets the
variable win, as upstream.
"""

from __future__ import annotations

import sys

from .utils.records import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterable
    from typing import Any


class AbslFlag(FrozenRecord):
    """One absl flag: its name, default and help; `choices` makes it an enum flag."""

    _fields = ("name", "default", "help", "choices")
    name: str
    default: str | None
    help: str
    choices: tuple[str, ...] | None

    def __init__(
        self,
        name: str,
        default: str | None,
        help: str,
        *,
        choices: tuple[str, ...] | None = None,
    ) -> None:
        self._init_fields(name, default, help, choices)


def define_absl_flags(specs: Iterable[AbslFlag]) -> Any:
    """Defines the flags of `specs` unless already defined; returns FLAGS or None without absl.

    tensorflow_hub 0.16.1 defines the same flags when imported. If it came first, its flags are
    reused; if tfhub comes first, ours are defined with ``allow_override`` so that importing
    tensorflow_hub later replaces them instead of raising DuplicateFlagError.

    Args:
        specs: the flags (`settings_reading.ABSL_FLAGS`).

    Returns:
        absl's `flags.FLAGS`, or None if absl is not installed.
    """
    try:
        from absl import flags
    except ImportError:
        return None
    flag_values = flags.FLAGS
    for spec in specs:
        if spec.name in flag_values:
            continue
        if spec.choices is None:
            flags.DEFINE_string(spec.name, spec.default, spec.help, allow_override=True)
        else:
            flags.DEFINE_enum(
                spec.name, spec.default, list(spec.choices), spec.help, allow_override=True
            )
    return flag_values


def flag_value(name: str, specs: Iterable[AbslFlag]) -> Any:
    """Returns an absl flag's value without parsing argv (as upstream), or None.

    Args:
        name: the flag's name.
        specs: the flags to define first if absl is in use (`settings_reading.ABSL_FLAGS`).
    """
    if "absl.flags" not in sys.modules:
        return None  # Nobody uses absl flags in this process: none can have been set.
    flag_values = define_absl_flags(specs)
    if flag_values is None or name not in flag_values:
        return None
    return flag_values[name].value
