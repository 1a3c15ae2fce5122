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
    name), `TFHUB_CAHCE_DIR`. Unknown `TFHUB_` names with no close known one, and those that
    are another variable (`unknown_variables`), are left out.

    Args:
        names: the variables set (`os.environ`).
        documented: the names of `constants.ENV_VARS`.
    """
    return [(name, meant) for name, meant in _checked(names, documented) if meant]


def unknown_variables(names: Iterable[str], documented: Iterable[str]) -> list[str]:
    """Returns each of `names` that is close to a tfhub variable but names another one, which
    tfhub does not read: a known name with a word more or less (`TFHUB_TOKEN_FILE`,
    `TFHUB_HOST`), or one word another (`TFHUB_DOWNLOAD_DIR`). Renaming those would be harmful
    (`TFHUB_TOKEN_FILE`'s path sent as the token).

    Args:
        names: the variables set (`os.environ`).
        documented: the names of `constants.ENV_VARS`.
    """
    return [name for name, meant in _checked(names, documented) if not meant]


# A word that restates a switch's name: `TFHUB_OFFLINE_MODE` is `TFHUB_OFFLINE` misremembered.
_SWITCH_WORDS = ("MODE", "ENABLED")
# A name whose last word holds one of these (`_TOKEN_FILE`, `_TOKENPATH`) is a path, never a secret.
_PATH_WORDS = ("FILE", "PATH", "DIR", "FOLDER")
# The last word of a name that holds a secret (the hub's token).
_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "KEY")


def _checked(names: Iterable[str], documented: Iterable[str]) -> list[tuple[str, str]]:
    """(name, the variable it likely misspells, or "" for another variable) for each of `names`
    close to a tfhub variable but not one."""
    known = [name for name in documented if name.startswith("TF")]
    known += _OTHER_TFHUB_VARIABLES
    found = []
    for name in names:
        key = name.upper().replace("-", "_")
        if name in known or not key.startswith(("TFHUB", "TF_HUB")):
            continue
        squashed = key.replace("_", "")  # Separators and case only: `TF_HUB_CACHE_DIR`.
        same = [meant for meant in known if meant.replace("_", "") == squashed]
        if same:
            found.append((name, same[0]))
            continue
        import difflib  # Only for such a name: ~1 ms to import.

        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if close:
            found.append((name, "" if _another_variable(key, close[0]) else close[0]))
    return found


def _another_variable(key: str, meant: str) -> bool:
    """Whether `key`, close to the variable `meant`, names another variable rather than
    misspells it: a word added or dropped (`TFHUB_CACHE_DIR_ROOT`, `TFHUB_HOST` for
    `TFHUB_TOKEN_HOST`; `_MODE` or `_ENABLED` after a switch's name aside), one word replaced by
    an unlike one (`TFHUB_DOWNLOAD_DIR`), or a path's name close to a secret's."""
    if meant.rsplit("_", 1)[-1] in _SECRET_WORDS and any(
        word in key.rsplit("_", 1)[-1] for word in _PATH_WORDS
    ):
        return True
    words, meant_words = key.split("_"), meant.split("_")
    if len(words) == len(meant_words) + 1 and words[:-1] == meant_words:
        return words[-1] not in _SWITCH_WORDS
    longer, shorter = sorted((words, meant_words), key=len, reverse=True)
    if len(longer) == len(shorter) + 1:
        return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
    if len(words) != len(meant_words):
        return False
    changed = [(a, b) for a, b in zip(words, meant_words, strict=True) if a != b]
    return len(changed) == 1 and not _like_words(*changed[0])


def _like_words(word: str, other: str) -> bool:
    """Whether two words are one misspelt (`CAHCE`, `CACHE`) or shortened (`DIR`,
    `DIRECTORY`)."""
    import difflib

    if word.startswith(other) or other.startswith(word):
        return True
    return difflib.SequenceMatcher(None, word, other).ratio() >= 0.6


def warn_misspelt_variables_once(documented: Iterable[str]) -> None:
    """Logs a warning, once per process, for each misspelt tfhub variable in the environment,
    and for each close to a tfhub variable's name that names another one (no rename advised).

    Args:
        documented: the names of `constants.ENV_VARS` (read only on the first call).
    """
    global _misspelt_checked
    if _misspelt_checked:
        return
    _misspelt_checked = True
    found = _checked(os.environ, list(documented))
    if not found:
        return
    import logging  # Not on a cached resolve's path (see docs/architecture.md).

    for name, meant in found:
        if meant:
            logging.getLogger("tfhub").warning(
                "The environment variable %s is set, but tfhub reads no such variable: rename "
                "it to %s (names are exact), or unset it.",
                name,
                meant,
            )
        else:
            logging.getLogger("tfhub").warning(
                "The environment variable %s is set, but tfhub reads no such variable (an "
                "unknown tfhub setting): see the variables tfhub reads in docs/resolving.md "
                "(Environment variables), or unset it.",
                name,
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
