"""Every environment variable and absl flag tfhub reads, with its default and a getter.

Values are read at call time, never at import: users set ``TFHUB_CACHE_DIR`` after
``import tfhub``. Where upstream tensorflow_hub has an absl flag (``--tfhub_cache_dir``,
``--tfhub_model_load_format``), the environment variable wins over the flag, as upstream.
`ENV_VARS` is the one list of them: the tables of README.md and docs/resolving.md are generated
from it (`python -m tfhub.constants`), and the tests isolate exactly these variables.
`overrides(...)` sets values for the current thread's context only (e.g. `tfhub demo`'s
temporary cache), without touching `os.environ`.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import math
import os
import sys

from . import errors
from .utils.numbers import is_decimal, is_number
from .utils.records import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterable, Iterator
    from typing import Any

TFHUB_CACHE_DIR = "TFHUB_CACHE_DIR"
TFHUB_MODEL_LOAD_FORMAT = "TFHUB_MODEL_LOAD_FORMAT"
TFHUB_DOWNLOAD_PROGRESS = "TFHUB_DOWNLOAD_PROGRESS"
TFHUB_DISABLE_CERT_VALIDATION = "TFHUB_DISABLE_CERT_VALIDATION"
TFHUB_OFFLINE = "TFHUB_OFFLINE"
TFHUB_HTTP_TIMEOUT = "TFHUB_HTTP_TIMEOUT"
TFHUB_HTTP_RETRIES = "TFHUB_HTTP_RETRIES"
TFHUB_HTTP_RETRY_TIMEOUT = "TFHUB_HTTP_RETRY_TIMEOUT"
TFHUB_DEBUG = "TFHUB_DEBUG"
TFHUB_TOKEN = "TFHUB_TOKEN"  # A bearer token for a private hub (`tfhub serve --token-file`).
TFHUB_TOKEN_HOST = "TFHUB_TOKEN_HOST"  # The host(s) it was issued for: "hub.corp" or "hub:8000".
TFHUB_FLOWERS_URL = "TFHUB_FLOWERS_URL"  # make_image_classifier's default image set (tests).
TFHUB_KAGGLE_ENDPOINT = "TFHUB_KAGGLE_ENDPOINT"
TFHUB_LOCK_TIMEOUT = "TFHUB_LOCK_TIMEOUT"
# Read by other libraries, set or documented by tfhub.
TF_USE_LEGACY_KERAS = "TF_USE_LEGACY_KERAS"
TF_CPP_MIN_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"
TFHUB_MAX_EXTRACTED_BYTES = "TFHUB_MAX_EXTRACTED_BYTES"
TFHUB_MAX_ARCHIVE_MEMBERS = "TFHUB_MAX_ARCHIVE_MEMBERS"
TFHUB_DOWNLOAD_MIN_SPEED = "TFHUB_DOWNLOAD_MIN_SPEED"

DEFAULT_HTTP_TIMEOUT_SEC = 60.0
DEFAULT_HTTP_RETRIES = 4
# Seconds a download may go on failing until data arrives again: 5 attempts timing out after
# 60 s each, with their backoffs, fit; a server stalling or asking to wait for longer does not.
DEFAULT_HTTP_RETRY_TIMEOUT_SEC = 600.0
# The most a seconds setting may say (11.6 days): sockets refuse deadlines past time_t's range
# ("timestamp out of range for platform time_t" for 1e10), and no wait is meant to be endless.
MAX_SECONDS = 1_000_000.0
MAX_HTTP_RETRIES = 100
DEFAULT_CACHE_SUBDIR = "tfhub_modules"
DEFAULT_FLOWERS_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
)
DEFAULT_LOCK_TIMEOUT_SEC = 120.0
DEFAULT_KAGGLE_ENDPOINT = "https://www.kaggle.com"


# The proxy variables requests reads, one line in the tables and in --help.
PROXY_VARIABLES = "HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, SSL_CERT_FILE"


class EnvVar(FrozenRecord):
    """One environment variable: its name, what it does (one line of the docs' tables) and
    `brief`, the short line a command's `--help` gives it."""

    _fields = ("name", "meaning", "brief")
    name: str
    meaning: str
    brief: str

    def __init__(self, name: str, meaning: str, brief: str) -> None:
        self._init_fields(name, meaning, brief)


ENV_VARS: list[EnvVar] = [
    EnvVar(
        TFHUB_CACHE_DIR,
        "the cache folder, read at every call (absl flag `--tfhub_cache_dir`; the variable "
        "wins). Default `<tempdir>/tfhub_modules`, as upstream. `file:///path` is a local "
        "folder; `gs://`, `ram://` and other `tf.io.gfile` URLs work through TensorFlow",
        "the cache folder (default <tempdir>/tfhub_modules)",
    ),
    EnvVar(
        TFHUB_MODEL_LOAD_FORMAT,
        "`AUTO` (default), `COMPRESSED` or `UNCOMPRESSED` (flag `--tfhub_model_load_format`)",
        "AUTO (default), COMPRESSED or UNCOMPRESSED",
    ),
    EnvVar(
        TFHUB_OFFLINE,
        "`1`: use the cache only; a missing handle raises `OfflineModeError`",
        "1: use the cache only",
    ),
    EnvVar(
        TFHUB_DOWNLOAD_PROGRESS,
        "`0`/`1`: tqdm progress bars off/on (default: on in a terminal); also "
        "`hub.disable_progress_bars()`",
        "0/1: progress bar off/on (default: on in a terminal)",
    ),
    EnvVar(
        TFHUB_HTTP_TIMEOUT,
        f"seconds to wait for a connection or a read (default {DEFAULT_HTTP_TIMEOUT_SEC:g}; "
        f"at most {MAX_SECONDS:,.0f})",
        f"seconds per connection or read (default {DEFAULT_HTTP_TIMEOUT_SEC:g})",
    ),
    EnvVar(
        TFHUB_HTTP_RETRIES,
        f"retries of a failed request (default {DEFAULT_HTTP_RETRIES}; a whole number from 0 "
        f"to {MAX_HTTP_RETRIES})",
        f"retries of a failed request (default {DEFAULT_HTTP_RETRIES})",
    ),
    EnvVar(
        TFHUB_HTTP_RETRY_TIMEOUT,
        "seconds a download may go on failing and retrying (failed requests, stalls, the "
        "waits between them and those a server asks for in `Retry-After`) until data arrives "
        "again at `TFHUB_DOWNLOAD_MIN_SPEED` on average, else `RetryTimeoutError` (default "
        f"{DEFAULT_HTTP_RETRY_TIMEOUT_SEC:g}; at most {MAX_SECONDS:,.0f}); a download receiving "
        "data is never cut by it",
        "seconds a failing download may keep retrying "
        f"(default {DEFAULT_HTTP_RETRY_TIMEOUT_SEC:g})",
    ),
    EnvVar(
        TFHUB_LOCK_TIMEOUT,
        "seconds another process downloading the same handle may show no sign of life (it "
        "touches its lock every 5 s, or every quarter of this time if shorter; one that beats "
        "less often, under a longer setting of its own, gets two of its beats) before waiting "
        "for it ends with `LockTimeoutError`, which "
        f"names that process (default {DEFAULT_LOCK_TIMEOUT_SEC:g}); a live download is waited "
        "for as long as it runs",
        "seconds another process's download may show no sign of life "
        f"({DEFAULT_LOCK_TIMEOUT_SEC:g})",
    ),
    EnvVar(
        TFHUB_DOWNLOAD_MIN_SPEED,
        "bytes/s a download must average over `TFHUB_HTTP_TIMEOUT` seconds of waiting, else "
        "`DownloadTooSlowError` (default 1024; `0`: off; `K`/`M` suffixes)",
        "bytes/s a download must keep up (default 1024; 0: off)",
    ),
    EnvVar(
        TFHUB_MAX_EXTRACTED_BYTES,
        "most bytes one archive may expand to, else `ArchiveTooLargeError` (default 256 GiB; "
        "`K`/`M`/`G`/`T` suffixes)",
        "most bytes an archive may expand to (default 256G)",
    ),
    EnvVar(
        TFHUB_MAX_ARCHIVE_MEMBERS,
        "most members (files, folders, links) one archive may hold, else "
        "`ArchiveTooManyMembersError` (default 1,000,000; a whole number)",
        "most members an archive may hold (default 1000000)",
    ),
    EnvVar(
        TFHUB_DISABLE_CERT_VALIDATION,
        "`true`: do not verify TLS certificates (as upstream)",
        "true: do not verify TLS certificates",
    ),
    EnvVar(
        TFHUB_KAGGLE_ENDPOINT,
        "download Kaggle models from this base URL (a mirror, tests); the cache key stays "
        "www.kaggle.com's",
        "download Kaggle models from this base URL",
    ),
    EnvVar(
        TFHUB_DEBUG,
        "`1`: the `tfhub` command prints tracebacks",
        "1: print the traceback of an error",
    ),
    EnvVar(
        TFHUB_TOKEN,
        "a bearer token for a private hub (`tfhub serve --token-file`); sent only to the hosts "
        "of `TFHUB_TOKEN_HOST`, never across a redirect to another host or port or from https "
        "to http",
        "a private hub's bearer token (sent to TFHUB_TOKEN_HOST only)",
    ),
    EnvVar(
        TFHUB_TOKEN_HOST,
        "comma-separated `host` or `host:port` that `TFHUB_TOKEN` was issued for (without it "
        "the token is sent nowhere)",
        "the host(s) TFHUB_TOKEN is for: host or host:port, comma-separated",
    ),
    EnvVar(
        TFHUB_FLOWERS_URL,
        "the image archive `make_image_classifier` downloads without `--image_dir` (default: "
        "upstream's TF Flowers URL)",
        "the image archive make_image_classifier downloads without --image_dir",
    ),
    EnvVar(
        TF_USE_LEGACY_KERAS,
        "`1`: `hub.KerasLayer` is the tf_keras layer",
        "1: hub.KerasLayer is the tf_keras layer",
    ),
    EnvVar(
        TF_CPP_MIN_LOG_LEVEL,
        "TensorFlow's C++ log level; the `tfhub` command and the tools' commands set `3` and "
        "hide TensorFlow's start-up lines unless `-v` (`tfhub` and every tool) or "
        "the variable is set",
        "TensorFlow's C++ log level (default here: 3, quiet, unless -v)",
    ),
    EnvVar(
        PROXY_VARIABLES,
        "proxies and CA bundles, read by `requests` as usual",
        "proxies and CA bundles, read by requests",
    ),
]

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


# TFHUB_ variables read outside this module: `tfhub serve`'s workers, the `./run` script.
_OTHER_TFHUB_VARIABLES = ("TFHUB_SERVE_SETTINGS", "TFHUB_VENV")
_misspelt_checked = False


def misspelt_variables(names: Iterable[str]) -> list[tuple[str, str]]:
    """Returns (name, likely meant) for each of `names` that looks like a misspelt tfhub
    variable: `TF_HUB_CACHE_DIR`, `TFHUB_CACHE_DIRECTORY`, `tfhub_cache_dir` (the absl flag's
    name). Unknown `TFHUB_` names with no close known one are left alone."""
    known = [var.name for var in ENV_VARS if var.name.startswith("TF")]
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


def warn_misspelt_variables_once() -> None:
    """Logs a warning, once per process, for each misspelt tfhub variable in the environment
    (`TF_HUB_CACHE_DIR=/data` would otherwise leave models in the temporary folder, silently)."""
    global _misspelt_checked
    if _misspelt_checked:
        return
    _misspelt_checked = True
    found = misspelt_variables(os.environ)
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


DEFAULT_MAX_EXTRACTED_BYTES = 256 << 30  # 256 GiB: far above any published model.
# Members (files, folders, links) of one archive: SavedModels hold a handful to thousands; a
# gzipped tar of millions of empty files is tiny, far below the bytes cap, and exhausts inodes.
DEFAULT_MAX_ARCHIVE_MEMBERS = 1_000_000
DEFAULT_DOWNLOAD_MIN_SPEED = 1024.0  # Bytes per second, averaged over TFHUB_HTTP_TIMEOUT.
_SIZE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


class ModelLoadFormat(enum.Enum):
    """How http(s) handles are fetched (upstream's `resolver.ModelLoadFormat`)."""

    COMPRESSED = "COMPRESSED"  # Download the .tar.gz and extract it into the cache.
    UNCOMPRESSED = "UNCOMPRESSED"  # Ask for the gs:// folder and read it in place.
    AUTO = "AUTO"  # As upstream: behaves like COMPRESSED.


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


# --- absl flags (shared with tensorflow_hub, which defines the same ones) ---


def define_absl_flags() -> Any:
    """Defines upstream's absl flags unless already defined; returns FLAGS or None without absl.

    tensorflow_hub 0.16.1 defines the same flags when imported. If it came first, its flags are
    reused; if tfhub comes first, ours are defined with ``allow_override`` so that importing
    tensorflow_hub later replaces them instead of raising DuplicateFlagError.
    """
    try:
        from absl import flags
    except ImportError:
        return None
    flag_values = flags.FLAGS
    if "tfhub_cache_dir" not in flag_values:
        flags.DEFINE_string(
            "tfhub_cache_dir",
            None,
            "If set, TF-Hub will download and cache Modules into this directory.",
            allow_override=True,
        )
    if "tfhub_model_load_format" not in flag_values:
        flags.DEFINE_enum(
            "tfhub_model_load_format",
            ModelLoadFormat.AUTO.value,
            [item.value for item in ModelLoadFormat],
            "COMPRESSED downloads archives into the cache, UNCOMPRESSED reads models in place "
            "from their GCS location, AUTO behaves like COMPRESSED.",
            allow_override=True,
        )
    return flag_values


def _flag_value(name: str) -> Any:
    """Returns an absl flag's value without parsing argv (as upstream), or None."""
    if "absl.flags" not in sys.modules:
        return None  # Nobody uses absl flags in this process: none can have been set.
    flag_values = define_absl_flags()
    if flag_values is None or name not in flag_values:
        return None
    return flag_values[name].value


def get_env_setting(env_var: str, flag_name: str) -> Any:
    """Returns the environment variable if set and non-empty, else the absl flag's value."""
    return env(env_var, "") or _flag_value(flag_name)


# --- Getters ---


def cache_dir() -> str:
    """Returns the cache folder: TFHUB_CACHE_DIR, --tfhub_cache_dir, or <tempdir>/tfhub_modules."""
    warn_misspelt_variables_once()
    value = get_env_setting(TFHUB_CACHE_DIR, "tfhub_cache_dir")
    if not value:
        import tempfile  # Only for the default: `tempfile` costs ~1.5 ms to import.

        value = os.path.join(tempfile.gettempdir(), DEFAULT_CACHE_SUBDIR)
    value = os.path.expanduser(str(value))
    if value != value.strip():
        _warn_spaced_cache_dir_once(value)
    return value


_spaced_cache_dirs_warned: set[str] = set()


def _warn_spaced_cache_dir_once(value: str) -> None:
    """Warns, once per process and value, that the cache folder's setting starts or ends with
    white space (" /data/cache" from a .env file): it is used as given, as tensorflow_hub
    uses it, so that both keep sharing one cache; stripping it would split them."""
    if value in _spaced_cache_dirs_warned:
        return
    _spaced_cache_dirs_warned.add(value)
    import logging  # Not on a cached resolve's path (see docs/architecture.md).

    source = TFHUB_CACHE_DIR if env(TFHUB_CACHE_DIR, "") else "--tfhub_cache_dir"
    used = value if "://" in value else os.path.abspath(value)
    logging.getLogger("tfhub").warning(
        "%s starts or ends with white space: %r. It is used as given, as tensorflow_hub uses "
        "it (both share one cache), so the cache folder is %r. Remove the white space if you "
        "meant %r.",
        source,
        value,
        used,
        value.strip(),
    )


def model_load_format() -> ModelLoadFormat:
    """Returns TFHUB_MODEL_LOAD_FORMAT / --tfhub_model_load_format (default AUTO).

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a value that is not COMPRESSED,
            UNCOMPRESSED or AUTO.
    """
    value = get_env_setting(TFHUB_MODEL_LOAD_FORMAT, "tfhub_model_load_format") or "AUTO"
    try:
        return ModelLoadFormat(str(value).upper())
    except ValueError:
        allowed = ", ".join(item.value for item in ModelLoadFormat)
        raise errors.SettingError(
            f"{TFHUB_MODEL_LOAD_FORMAT} must be one of {allowed}. Received: {value!r}",
            name=TFHUB_MODEL_LOAD_FORMAT,
        ) from None


def is_offline() -> bool:
    """Returns True if TFHUB_OFFLINE asks to use the cache only.

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a value that is neither a yes nor a no
            ("offline", say): taking it as "online" would reach the network where it is not
            meant to.
    """
    raw = env(TFHUB_OFFLINE)
    if raw is None or not raw.strip() or raw.strip().lower() in _FALSE:
        return False
    if is_true(raw):
        return True
    raise errors.SettingError(
        f"{TFHUB_OFFLINE} must be 1, true, yes or on (cache only), or 0, false, no or off. "
        f"Received: {raw!r}",
        name=TFHUB_OFFLINE,
    )


def download_progress_env() -> bool | None:
    """Returns TFHUB_DOWNLOAD_PROGRESS as True/False, or None when unset (then: tty decides)."""
    return parse_tristate(env(TFHUB_DOWNLOAD_PROGRESS))


def cert_validation_disabled() -> bool:
    """Returns True if TFHUB_DISABLE_CERT_VALIDATION is exactly "true", as upstream compares it."""
    return env(TFHUB_DISABLE_CERT_VALIDATION) == "true"


def http_timeout() -> float:
    """Returns TFHUB_HTTP_TIMEOUT in seconds (default 60): connect and per-read timeout.

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive number.
    """
    return _positive_seconds(TFHUB_HTTP_TIMEOUT, DEFAULT_HTTP_TIMEOUT_SEC)


def http_retry_timeout() -> float:
    """Returns TFHUB_HTTP_RETRY_TIMEOUT in seconds (default 600): how long a download may go on
    failing and retrying until data arrives again (at TFHUB_DOWNLOAD_MIN_SPEED on average).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive number.
    """
    return _positive_seconds(TFHUB_HTTP_RETRY_TIMEOUT, DEFAULT_HTTP_RETRY_TIMEOUT_SEC)


def lock_timeout() -> float:
    """Returns TFHUB_LOCK_TIMEOUT: seconds a lock holder may go without a heartbeat (default 120).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive number.
    """
    return _positive_seconds(TFHUB_LOCK_TIMEOUT, DEFAULT_LOCK_TIMEOUT_SEC)


def _positive_seconds(name: str, default: float) -> float:
    raw = env(name, "") or ""
    if not raw.strip():
        return default
    value = float(raw) if is_decimal(raw.strip()) else -1.0  # Not `1_0`, nor `٣`.
    if not 0 < value <= MAX_SECONDS:  # Also refuses NaN and infinity.
        raise errors.SettingError(
            f"{name} must be a positive number of seconds, at most {MAX_SECONDS:,.0f}. "
            f"Received: {raw!r}",
            name=name,
        )
    return value


def http_retries() -> int:
    """Returns TFHUB_HTTP_RETRIES: how many times a failed request is retried (default 4).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a whole number
            from 0 to MAX_HTTP_RETRIES.
    """
    return _whole_number(
        TFHUB_HTTP_RETRIES, DEFAULT_HTTP_RETRIES, what="retries", low=0, high=MAX_HTTP_RETRIES
    )


def _whole_number(name: str, default: int, *, what: str, low: int, high: int | None = None) -> int:
    """Returns the whole-number setting `name` (`default` if unset or blank).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if it is set and not a whole number from
            `low` to `high` (no upper bound if None); the message names `what` it counts.
    """
    raw = (env(name, "") or "").strip()
    if not raw:
        return default
    if is_number(raw) and int(raw) >= low and (high is None or int(raw) <= high):
        return int(raw)
    span = f"from {low} to {high}" if high is not None else f"{low} or more"
    raise errors.SettingError(
        f"{name} must be a whole number of {what}, {span} (default {default}). Received: {raw!r}",
        name=name,
    )


def is_debug() -> bool:
    """Returns True if TFHUB_DEBUG asks the CLI for full tracebacks."""
    return is_true(env(TFHUB_DEBUG))


def hub_token() -> tuple[str, tuple[str, ...]] | None:
    """Returns (TFHUB_TOKEN, the hosts of TFHUB_TOKEN_HOST), or None if the token is unset.

    TFHUB_TOKEN_HOST is a comma-separated list of `host` (any port) or `host:port`, compared
    case-insensitively; without it the token is sent nowhere.
    """
    token = (env(TFHUB_TOKEN, "") or "").strip()
    if not token:
        return None
    raw = env(TFHUB_TOKEN_HOST, "") or ""
    hosts = tuple(host.strip().lower() for host in raw.split(",") if host.strip())
    return token, hosts


def flowers_url() -> str:
    """Returns the TF Flowers archive make_image_classifier downloads without --image_dir:
    TFHUB_FLOWERS_URL if set and non-empty, else upstream's URL."""
    return (env(TFHUB_FLOWERS_URL, "") or "").strip() or DEFAULT_FLOWERS_URL


def kaggle_endpoint() -> str:
    """Returns TFHUB_KAGGLE_ENDPOINT without a trailing slash (default https://www.kaggle.com).

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a value that is not an http(s) URL with a
            host and no query or fragment (the model's path is appended to it).
    """
    from .utils import urls

    raw = (env(TFHUB_KAGGLE_ENDPOINT, "") or "").strip()
    endpoint = raw.rstrip("/")
    if not endpoint:
        return DEFAULT_KAGGLE_ENDPOINT
    sound = endpoint.lower().startswith(("http://", "https://"))
    sound = sound and urls.server_problem(endpoint) is None
    # `?`/`#` even with nothing after them (urlsplit drops those), and no whitespace or
    # control characters (urlsplit silently removes tabs and newlines).
    sound = sound and not any(c in "?#" or c.isspace() or not c.isprintable() for c in endpoint)
    if not sound:
        raise errors.SettingError(
            f"{TFHUB_KAGGLE_ENDPOINT} must be an http(s) URL with a host and no query, such as "
            f"{DEFAULT_KAGGLE_ENDPOINT} or http://127.0.0.1:8000 (model paths are appended to "
            f"it). Received: {raw!r}",
            name=TFHUB_KAGGLE_ENDPOINT,
        )
    return endpoint


def tfhub_env_var_names() -> list[str]:
    """Returns the names of the variables tfhub itself reads (the tests isolate these)."""
    return [var.name for var in ENV_VARS if var.name.startswith("TFHUB_")]


def env_table_markdown() -> str:
    """Returns the Markdown table of `ENV_VARS`, as README.md and docs/resolving.md show it."""
    rows = ["| variable | meaning |", "|---|---|"]
    for var in ENV_VARS:
        names = ", ".join(f"`{name.strip()}`" for name in var.name.split(","))
        rows.append(f"| {names} | {var.meaning} |")
    return "\n".join(rows) + "\n"


def _parse_size(name: str, raw: str) -> int:
    """Parses "123", "64G", "1.5T" (binary units, optional trailing "B" or "iB")."""
    text = raw.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = text[-1:] if text[-1:] in _SIZE_SUFFIXES else ""
    number = text[: len(text) - len(suffix)].strip()
    value = float(number) * _SIZE_SUFFIXES[suffix] if is_decimal(number) else -1.0
    if not 0 < value < math.inf:  # Also refuses NaN and what overflows a float ("1e400").
        raise errors.SettingError(
            f"{name} must be a positive number of bytes, optionally with a K, M, G or T suffix "
            f"(e.g. 512G). Received: {raw!r}",
            name=name,
        )
    return int(value)


def max_extracted_bytes() -> int:
    """Returns TFHUB_MAX_EXTRACTED_BYTES: the most bytes one archive may expand to (256 GiB).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive size.
    """
    raw = env(TFHUB_MAX_EXTRACTED_BYTES, "") or ""
    if not raw.strip():
        return DEFAULT_MAX_EXTRACTED_BYTES
    return _parse_size(TFHUB_MAX_EXTRACTED_BYTES, raw)


def max_archive_members() -> int:
    """Returns TFHUB_MAX_ARCHIVE_MEMBERS: the most members one archive may hold (1,000,000).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a whole number
            of at least 1.
    """
    return _whole_number(
        TFHUB_MAX_ARCHIVE_MEMBERS, DEFAULT_MAX_ARCHIVE_MEMBERS, what="archive members", low=1
    )


def download_min_speed() -> float:
    """Returns TFHUB_DOWNLOAD_MIN_SPEED in bytes/s (default 1024; 0 turns the check off).

    A download receiving less than this, averaged over TFHUB_HTTP_TIMEOUT seconds of waiting
    for the network, is abandoned.

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a size of 0 or
            more.
    """
    raw = env(TFHUB_DOWNLOAD_MIN_SPEED, "") or ""
    if not raw.strip():
        return DEFAULT_DOWNLOAD_MIN_SPEED
    if raw.strip() in ("0", "0.0"):
        return 0.0
    return float(_parse_size(TFHUB_DOWNLOAD_MIN_SPEED, raw))


if __name__ == "__main__":  # pragma: no cover - `python -m tfhub.constants` prints the table.
    print(env_table_markdown(), end="")
