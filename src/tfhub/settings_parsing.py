"""Reading settings' text into values: booleans, sizes, seconds, counts, URLs, the cache folder.

Pure functions (but `cache_folder`, which looks at the file system and HOME): each takes the
variable's name and the text it holds (as `constants.env` returns it) and gives the value, or
raises `tfhub.errors.SettingError` naming the variable, what it must be and what it held (a byte
that is not UTF-8 written `\\xff`). `constants.py`'s getters pair them with the variables' names
and defaults.
"""

from __future__ import annotations

import math
import os
import re

from . import errors
from .utils.numbers import is_decimal, is_number
from .utils.printable import escaped, repr_escaped

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only.
    from collections.abc import Callable

_SIZE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

# A shell variable at the start of a setting that no shell expanded: `$HOME`, `${CACHE}`.
_SHELL_VARIABLE = re.compile(r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


def is_true(value: str | None) -> bool:
    """Returns True for "1", "true", "yes", "on" (any case)."""
    return value is not None and value.strip().lower() in _TRUE


def parse_tristate(value: str | None) -> bool | None:
    """Returns True/False for a boolean-looking value, None if unset or empty."""
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    if lowered in _FALSE:
        return False
    return True  # Upstream treats any non-empty value as "on".


def positive_seconds(name: str, raw: str, *, default: float, most: float) -> float:
    """Returns the seconds `raw` says (`default` if it is blank).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if it is not a positive number of at most
            `most` seconds.
    """
    if not raw.strip():
        return default
    value = float(raw) if is_decimal(raw.strip()) else -1.0  # Not `1_0`, nor `٣`.
    if not 0 < value <= most:  # Also refuses NaN and infinity.
        raise errors.SettingError(
            f"{name} must be a positive number of seconds, at most {most:,.0f}. "
            f"Received: {repr_escaped(raw)}",
            name=name,
        )
    return value


def whole_number(
    name: str, raw: str, default: int, *, what: str, low: int, high: int | None = None
) -> int:
    """Returns the whole number `raw` says (`default` if it is blank).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if it is not a whole number from `low` to
            `high` (no upper bound if None); the message names `what` it counts.
    """
    raw = raw.strip()
    if not raw:
        return default
    if is_number(raw) and int(raw) >= low and (high is None or int(raw) <= high):
        return int(raw)
    span = f"from {low} to {high}" if high is not None else f"{low} or more"
    raise errors.SettingError(
        f"{name} must be a whole number of {what}, {span} (default {default}). "
        f"Received: {repr_escaped(raw)}",
        name=name,
    )


def size(name: str, raw: str) -> int:
    """Parses "123", "64G", "1.5T" (binary units, optional trailing "B" or "iB").

    Raises:
        tfhub.errors.SettingError: (a ValueError) if it is not a positive size.
    """
    value = _bytes(raw)
    if not 0 < value < math.inf:  # Also refuses NaN and what overflows a float ("1e400").
        raise errors.SettingError(
            f"{name} must be a positive number of bytes, optionally with a K, M, G or T suffix "
            f"(e.g. 512G). Received: {repr_escaped(raw)}",
            name=name,
        )
    return int(value)


def speed(name: str, raw: str) -> float:
    """Parses a speed in bytes per second: "1024", "100K", "1.5M"; any zero ("0", "0.0",
    "0K") means off and gives 0.

    Raises:
        tfhub.errors.SettingError: (a ValueError) if it is neither a size nor a zero.
    """
    value = _bytes(raw)
    if not 0 <= value < math.inf:
        raise errors.SettingError(
            f"{name} must be a number of bytes per second, optionally with a K or M suffix "
            f"(e.g. 100K), or 0 to turn the check off. Received: {repr_escaped(raw)}",
            name=name,
        )
    return 0.0 if value == 0 else value  # Not -0.0 for "-0".


def _bytes(raw: str) -> float:
    """The bytes `raw` says ("64G", "1.5T", "100KiB"), or -1.0 if it says none."""
    text = raw.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = text[-1:] if text[-1:] in _SIZE_SUFFIXES else ""
    number = text[: len(text) - len(suffix)].strip()
    return float(number) * _SIZE_SUFFIXES[suffix] if is_decimal(number) else -1.0


def base_url(name: str, raw: str, *, default: str) -> str:
    """Returns the http(s) URL `raw` says without a trailing slash (`default` if it is blank).

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a value that is not an http(s) URL with a
            host and no query or fragment (paths are appended to it).
    """
    from .utils import urls

    endpoint = raw.strip().rstrip("/")
    if not endpoint:
        return default
    sound = endpoint.lower().startswith(("http://", "https://"))
    sound = sound and urls.server_problem(endpoint) is None
    # `?`/`#` even with nothing after them (urlsplit drops those), and no whitespace or
    # control characters (urlsplit silently removes tabs and newlines).
    sound = sound and not any(c in "?#" or c.isspace() or not c.isprintable() for c in endpoint)
    if not sound:
        raise errors.SettingError(
            f"{name} must be an http(s) URL with a host and no query, such as "
            f"{default} or http://127.0.0.1:8000 (model paths are appended to "
            f"it). Received: {repr_escaped(raw.strip())}",
            name=name,
        )
    return endpoint


def cache_folder(name: str, raw: str, *, default: Callable[[], str]) -> str:
    """Returns the cache folder `raw` names, with a leading `~` or `~user` expanded.

    It is otherwise used as given (white space around a path included: tensorflow_hub joins it
    so, and both share one cache); a URL (`gs://`, `file://`) is left for `tfhub.cache`. Not a
    pure function as the others: `~` and `$` forms look at the file system (a folder of the
    working folder named so is used as given, as tensorflow_hub uses it) and at HOME.

    Args:
        name: where it was set (`TFHUB_CACHE_DIR` or `--tfhub_cache_dir`).
        raw: the setting's text, not empty.
        default: says the folder used when it is unset (for the message about white space).

    Raises:
        tfhub.errors.SettingError: (a ValueError) for text that names no folder it could mean:
            white space only (it made a folder of spaces in the working folder), `~user` of
            no such user (a folder named `~user` there), `~` with HOME empty (the top of the
            disk), a shell variable no shell expanded (`$HOME/cache`: a folder `$HOME` there;
            `file://$CACHE/x`), a `file://` URL with a host (a slash short: `file://data/cache`
            is the folder `/cache`), with no path (`/`), or a `file:/path` (a folder `file:` in
            the working folder).
    """
    received = f"Received: {name}={repr_escaped(raw)}"
    if not raw.strip():
        raise errors.SettingError(
            f"{name} is only white space, which names no folder: set it to the cache folder, "
            f"or unset it to use the default, {default()}. {received}",
            name=name,
        )
    if raw[:5].lower() == "file:":
        _check_local_url(name, raw, received)
        return raw
    if raw[:1] not in ("$", "~"):
        return raw  # A path as given: every cached resolve reads the setting, so this first.
    first = raw.split("/", 1)[0]
    if raw[0] == "$":
        variable = _SHELL_VARIABLE.match(raw)
        if variable and not os.path.lexists(first):
            raise _unexpanded(name, variable.group(), received)
        return raw
    if first == "~" and os.environ.get("HOME") == "":
        raise errors.SettingError(
            f"{name} starts with ~, but HOME is empty (it would be the top of the disk, /): "
            f"set HOME, or write the cache folder's full path. {received}",
            name=name,
        )
    expanded = os.path.expanduser(raw)
    if expanded == raw and not os.path.lexists(first):  # A folder `~ghost` there: as given.
        user = first[1:]
        said = (
            f"starts with ~{escaped(user)}, but there is no user {repr_escaped(user)} on this "
            "machine"
            if user
            else "starts with ~, but HOME is not set and this user has no home folder"
        )
        raise errors.SettingError(
            f"{name} {said}: write the cache folder's full path. {received}", name=name
        )
    return expanded


def _unexpanded(name: str, variable: str, received: str) -> errors.SettingError:
    """The error for a setting holding `variable` (`$HOME`, `${CACHE}`) no shell expanded."""
    return errors.SettingError(
        f"{name} holds {variable}, a variable no shell expanded (a Docker env file or a "
        "systemd unit passes values as written), so the cache would be a folder named "
        f"{variable}: write the folder's full path. {received}",
        name=name,
    )


def _check_local_url(name: str, raw: str, received: str) -> None:
    """Refuses a `file://HOST/path` cache setting: its host is dropped, and the folder would
    be `/path` (`file://localhost/path` is allowed: RFC 8089's name for this machine);
    `file://` alone, which would be `/`; and `file:/path`, which would be a folder `file:` in
    the working folder."""
    import urllib.parse

    parts = urllib.parse.urlsplit(raw)
    if not parts.path and (not parts.netloc or parts.netloc.lower() == "localhost"):
        raise errors.SettingError(
            f"{name} is a file: URL with no path (`file://$CACHE` with CACHE unset?), which "
            "names no folder (`file://` would be `/`, the top of the disk): write the cache "
            f"folder's URL (file:///data/tfhub_cache) or path. {received}",
            name=name,
        )
    if not raw[len("file:") :].startswith("//"):
        meant = f"file://{parts.path}" if parts.path.startswith("/") else f"file:///{parts.path}"
        raise errors.SettingError(
            f"{name} is a file: URL without its two slashes, which tfhub would take as a "
            f"folder named `file:` in the working folder: write {repr_escaped(meant)}, or the "
            f"path alone. {received}",
            name=name,
        )
    variable = _SHELL_VARIABLE.fullmatch(parts.netloc)
    if variable:  # file://$CACHE/x: the host is what the shell should have filled in.
        raise _unexpanded(name, variable.group(), received)
    if parts.netloc and parts.netloc.lower() != "localhost":
        meant = f"file:///{parts.netloc}{parts.path}"
        raise errors.SettingError(
            f"{name} is a file:// URL with a host, {repr_escaped(parts.netloc)} (a slash "
            f"short?), and a local folder has none: tfhub would use {parts.path or '/'}. "
            f"Write {repr_escaped(meant)} for the folder /{parts.netloc}{parts.path}. {received}",
            name=name,
        )
