"""Where a setting's text comes from: this thread's `overrides`, then `os.environ`; for the two
settings upstream also reads as absl flags (`ABSL_FLAGS`), the flag when the variable is unset.

`tfhub.constants` names each setting and reads it through `env` and `get_env_setting`, and
exports every name defined here. `overrides(...)` sets values for the current thread's context
only (e.g. `tfhub demo`'s temporary cache), without touching `os.environ`.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import os

from . import absl_flags

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterator
    from typing import Any

_overrides: contextvars.ContextVar[dict[str, str | None] | None] = contextvars.ContextVar(
    "tfhub_env_overrides", default=None
)


@contextlib.contextmanager
def overrides(values: dict[str, str | None]) -> Iterator[None]:
    """Makes tfhub read `values` instead of the environment while the block runs.

    Only the current thread's context sees them (`os.environ` is untouched), so other threads
    and subprocesses keep the real environment.

    Args:
        values: variable name -> value, or None to treat the variable as unset.

    Yields:
        Nothing.
    """
    token = _overrides.set({**(_overrides.get() or {}), **values})
    try:
        yield
    finally:
        _overrides.reset(token)


def env(name: str, default: str | None = None) -> str | None:
    """Returns an environment variable as tfhub sees it (`overrides` first, then os.environ)."""
    current = _overrides.get()
    if current and name in current:
        value = current[name]
        return default if value is None else value
    return os.environ.get(name, default)


class ModelLoadFormat(enum.Enum):
    """How http(s) handles are fetched (upstream's `resolver.ModelLoadFormat`)."""

    COMPRESSED = "COMPRESSED"  # Download the .tar.gz and extract it into the cache.
    UNCOMPRESSED = "UNCOMPRESSED"  # Ask for the gs:// folder and read it in place.
    AUTO = "AUTO"  # As upstream: behaves like COMPRESSED.


# Upstream's absl flags, as tensorflow_hub defines them (`absl_flags.py` defines and reads them).
ABSL_FLAGS = (
    absl_flags.AbslFlag(
        "tfhub_cache_dir",
        None,
        "If set, TF-Hub will download and cache Modules into this directory.",
    ),
    absl_flags.AbslFlag(
        "tfhub_model_load_format",
        ModelLoadFormat.AUTO.value,
        "COMPRESSED downloads archives into the cache, UNCOMPRESSED reads models in place "
        "from their GCS location, AUTO behaves like COMPRESSED.",
        choices=tuple(item.value for item in ModelLoadFormat),
    ),
)


def get_env_setting(env_var: str, flag_name: str) -> Any:
    """Returns the environment variable if set and non-empty, else the absl flag's value."""
    return env(env_var, "") or absl_flags.flag_value(flag_name, ABSL_FLAGS)
