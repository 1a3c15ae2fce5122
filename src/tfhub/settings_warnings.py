"""Warnings, once per process, about settings that are likely mistakes.

A misspelt variable (`TF_HUB_CACHE_DIR=/data`) would otherwise leave models in the temporary
folder, silently; a cache folder setting with white space around it is used as given, as
tensorflow_hub uses it. `constants.cache_dir()` calls these with what they need to know (the
names tfhub reads, where the setting came from), so this module imports nothing of tfhub but,
when it warns, `utils.printable` and `utils.paths` (loaded already by `constants`).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterable

# TFHUB_ variables read outside constants.py: `tfhub serve`'s workers, the `./run` script.
_OTHER_TFHUB_VARIABLES = ("TFHUB_SERVE_SETTINGS", "TFHUB_VENV")
_misspelt_checked = False
_spaced_cache_dirs_warned: set[str] = set()


def misspelt_variables(names: Iterable[str], documented: Iterable[str]) -> list[tuple[str, str]]:
    """Returns (name, likely meant) for each of `names` that looks like a misspelt tfhub
    variable: `TF_HUB_CACHE_DIR`, `TFHUB_CACHE_DIRECTORY`, `tfhub_cache_dir` (the absl flag's
    name). Unknown `TFHUB_` names with no close known one are left alone.

    Args:
        names: the variables set (`os.environ`).
        documented: the names of `constants.ENV_VARS`.
    """
    known = [name for name in documented if name.startswith("TF")]
    known += _OTHER_TFHUB_VARIABLES
    found = []
    for name in names:
        key = name.upper().replace("-", "_")
        if name in known or not key.startswith(("TFHUB", "TF_HUB")):
            continue
        if key in known:
            found.append((name, key))
            continue
        import difflib  # Only for such a name: ~1 ms to import.

        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if close:
            found.append((name, close[0]))
    return found


def warn_misspelt_variables_once(documented: Iterable[str]) -> None:
    """Logs a warning, once per process, for each misspelt tfhub variable in the environment.

    Args:
        documented: the names of `constants.ENV_VARS` (read only on the first call).
    """
    global _misspelt_checked
    if _misspelt_checked:
        return
    _misspelt_checked = True
    found = misspelt_variables(os.environ, documented)
    if not found:
        return
    import logging  # Not on a cached resolve's path (see docs/architecture.md).

    for name, meant in found:
        logging.getLogger("tfhub").warning(
            "The environment variable %s is set, but tfhub reads no such variable: rename it "
            "to %s (names are exact), or unset it.",
            name,
            meant,
        )


def warn_spaced_cache_dir_once(value: str, *, source: str) -> None:
    """Warns, once per process and value, that the cache folder's setting starts or ends with
    white space (" /data/cache" from a .env file): it is used as given, as tensorflow_hub
    uses it, so that both keep sharing one cache; stripping it would split them.

    Args:
        value: the cache folder, as `constants.cache_dir()` returns it.
        source: where it was set: the variable's name or the absl flag's.
    """
    if value in _spaced_cache_dirs_warned:
        return
    _spaced_cache_dirs_warned.add(value)
    import logging  # Not on a cached resolve's path (see docs/architecture.md).

    from .utils.paths import is_url
    from .utils.printable import repr_escaped  # A byte that is not UTF-8 as `\xff`.

    used = value if is_url(value) else os.path.abspath(value)
    logging.getLogger("tfhub").warning(
        "%s starts or ends with white space: %s. It is used as given, as tensorflow_hub uses "
        "it (both share one cache), so the cache folder is %s. Remove the white space if you "
        "meant %s.",
        source,
        repr_escaped(value),
        repr_escaped(used),
        repr_escaped(value.strip()),
    )
