"""Every environment variable and absl flag tfhub reads, with its default and a getter.

Values are read at call time, never at import: users set ``TFHUB_CACHE_DIR`` after
``import tfhub``. Where upstream tensorflow_hub has an absl flag (``--tfhub_cache_dir``,
``--tfhub_model_load_format``), the environment variable wins over the flag, as upstream.
`ENV_VARS` is the one list of them: the tables of README.md and docs/resolving.md are generated
from it (`python -m tfhub.constants`), and the tests isolate exactly these variables. Where a
value comes from (`overrides(...)` for the current thread's context, `os.environ`, upstream's
absl flags) is `tfhub.settings_reading`'s, whose names are exported here too.
"""

from __future__ import annotations

import os

from . import errors, settings_parsing, settings_warnings

# Every name of tfhub.settings_reading is exported here (`hub.constants.overrides`, ...).
from .settings_reading import ABSL_FLAGS as ABSL_FLAGS
from .settings_reading import ModelLoadFormat, env, get_env_setting
from .settings_reading import overrides as overrides
from .utils import paths, printable
from .utils.records import FrozenRecord

TFHUB_CACHE_DIR = "TFHUB_CACHE_DIR"
TFHUB_MODEL_LOAD_FORMAT = "TFHUB_MODEL_LOAD_FORMAT"
TFHUB_DOWNLOAD_PROGRESS = "TFHUB_DOWNLOAD_PROGRESS"
TFHUB_DISABLE_CERT_VALIDATION = "TFHUB_DISABLE_CERT_VALIDATION"
TFHUB_OFFLINE = "TFHUB_OFFLINE"
TFHUB_HTTP_TIMEOUT = "TFHUB_HTTP_TIMEOUT"
TFHUB_HTTP_RETRIES = "TFHUB_HTTP_RETRIES"
TFHUB_HTTP_RETRY_TIMEOUT = "TFHUB_HTTP_RETRY_TIMEOUT"
TFHUB_DEBUG = "TFHUB_DEBUG"
SERVE_WORKERS_PER_CPU = 4  # `tfhub serve --workers` at most this many per CPU (docs/hub.md).
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
DEFAULT_MAX_EXTRACTED_BYTES = 256 << 30  # 256 GiB: far above any published model.
# Members (files, folders, links) of one archive: SavedModels hold a handful to thousands; a
# gzipped tar of millions of empty files is tiny, far below the bytes cap, and exhausts inodes.
DEFAULT_MAX_ARCHIVE_MEMBERS = 1_000_000
DEFAULT_DOWNLOAD_MIN_SPEED = 1024.0  # Bytes per second, averaged over TFHUB_HTTP_TIMEOUT.


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
        "data is never cut by it; with `TFHUB_HTTP_TIMEOUT`, it also bounds the whole of a "
        "`gs://` path's existence check, a `gs://` cache entry's completeness check, the check "
        "of a `gs://` model's format, each read call of a `gs://` archive or of a `gs://` "
        "model's saved_model.pb or tfhub_module.pb, the listing and each read of a `gs://` "
        "folder `tfhub mirror` copies, and "
        "each of the nearest-neighbour tool's own calls on `gs://` folders (an existence check, "
        "a listing, a 16 MiB step of a read, removing or making an output folder; not a file's "
        "upload, nor Beam's reads and writes in `generate`)",
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
        f"`DownloadTooSlowError` (default {DEFAULT_DOWNLOAD_MIN_SPEED:g}; `0`: off; `K`/`M` "
        "suffixes)",
        f"bytes/s a download must keep up (default {DEFAULT_DOWNLOAD_MIN_SPEED:g}; 0: off)",
    ),
    EnvVar(
        TFHUB_MAX_EXTRACTED_BYTES,
        "most bytes one archive may expand to, else `ArchiveTooLargeError` (default "
        f"{DEFAULT_MAX_EXTRACTED_BYTES >> 30} GiB; `K`/`M`/`G`/`T` suffixes)",
        f"most bytes an archive may expand to (default {DEFAULT_MAX_EXTRACTED_BYTES >> 30}G)",
    ),
    EnvVar(
        TFHUB_MAX_ARCHIVE_MEMBERS,
        "most members (files, folders, links) one archive may hold, else "
        f"`ArchiveTooManyMembersError` (default {DEFAULT_MAX_ARCHIVE_MEMBERS:,}; a whole number)",
        f"most members an archive may hold (default {DEFAULT_MAX_ARCHIVE_MEMBERS})",
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


def _text(name: str) -> str:
    """The variable's text as `env` gives it, "" if unset (what the parsers take)."""
    return env(name, "") or ""


# --- Getters ---


def cache_dir() -> str:
    """Returns the cache folder: TFHUB_CACHE_DIR, --tfhub_cache_dir, or <tempdir>/tfhub_modules.

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a setting that names no folder it could
            mean (white space only, `~user` of no such user, an unexpanded `$HOME`, ...: the
            list is `settings_parsing.cache_folder`'s).
        tfhub.errors.CacheError: no writable temporary folder for the default, or a relative
            setting and a working folder that was deleted.
    """
    settings_warnings.warn_misspelt_variables_once(var.name for var in ENV_VARS)
    value = get_env_setting(TFHUB_CACHE_DIR, "tfhub_cache_dir")
    if not value:
        return default_cache_dir()
    return _cache_folder(value)


def cache_dir_of(value: object) -> str:
    """Returns the cache folder that the setting `value` (TFHUB_CACHE_DIR's or
    --tfhub_cache_dir's, however it was read: `tfhub.resolver.tfhub_cache_dir` asks its own
    `get_env_setting`) names, checked and warned about as `cache_dir` does.

    Raises:
        tfhub.errors.SettingError, tfhub.errors.CacheError: as `cache_dir`, for a set value.
    """
    settings_warnings.warn_misspelt_variables_once(var.name for var in ENV_VARS)
    return _cache_folder(value) if value else default_cache_dir()


def _cache_folder(value: object) -> str:
    """The cache folder a non-empty setting names (see `cache_dir`), named in messages as
    TFHUB_CACHE_DIR if that variable is set, else as --tfhub_cache_dir."""
    source = TFHUB_CACHE_DIR if env(TFHUB_CACHE_DIR, "") else "--tfhub_cache_dir"
    value = settings_parsing.cache_folder(source, str(value), default=_default_described)
    # A local relative path.
    if not paths.is_url(value) and not os.path.isabs(value):
        _check_working_folder(source, value)  # First: the warning makes the path absolute.
    if value != value.strip():
        settings_warnings.warn_spaced_cache_dir_once(value, source=source)
    return value


def _check_working_folder(source: str, value: str) -> None:
    """Raises CacheError if the relative cache folder `value` has no working folder to be in:
    one deleted meanwhile made every command say "not found: [Errno 2] No such file or
    directory", naming neither the setting nor the folder."""
    if paths.working_folder_gone():
        raise errors.CacheError(
            f"{source}={printable.repr_escaped(value)} is a relative path, read from the working "
            "folder, and the working folder no longer exists (deleted while this shell was in "
            f"it): cd to a folder that exists, or set {source} to a full path."
        )


def default_cache_dir() -> str:
    """<tempdir>/tfhub_modules, as upstream.

    Raises:
        tfhub.errors.CacheError: no temporary folder is writable (a read-only root file system):
            Python's FileNotFoundError said "No usable temporary directory", and the command
            "not found", naming neither the cause nor the setting that helps.
    """
    import tempfile  # Only for the default: `tempfile` costs ~1.5 ms to import.

    try:
        folder = tempfile.gettempdir()
    except FileNotFoundError as err:  # Python tried TMPDIR, /tmp, /var/tmp, ... and the cwd.
        raise errors.CacheError(
            f"{TFHUB_CACHE_DIR} is not set, and its default, {DEFAULT_CACHE_SUBDIR} in the "
            f"temporary folder, cannot be: {err.args[-1]} (none is writable). Set "
            f"{TFHUB_CACHE_DIR} to a writable folder (or TMPDIR to one)."
        ) from err
    return os.path.join(folder, DEFAULT_CACHE_SUBDIR)


def _default_described() -> str:
    """The default cache folder, or where it would be if no temporary folder is writable."""
    try:
        return default_cache_dir()
    except errors.CacheError:
        return f"{DEFAULT_CACHE_SUBDIR} in the temporary folder"


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
            f"{TFHUB_MODEL_LOAD_FORMAT} must be one of {allowed}. "
            f"Received: {printable.repr_escaped(str(value))}",
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
    if not settings_parsing.parse_tristate(raw):  # Unset, blank or a no.
        return False
    if settings_parsing.is_true(raw):
        return True
    raise errors.SettingError(
        f"{TFHUB_OFFLINE} must be 1, true, yes or on (cache only), or 0, false, no or off. "
        f"Received: {printable.repr_escaped(raw or '')}",
        name=TFHUB_OFFLINE,
    )


def download_progress_env() -> bool | None:
    """Returns TFHUB_DOWNLOAD_PROGRESS as True/False, or None when unset (then: tty decides)."""
    return settings_parsing.parse_tristate(env(TFHUB_DOWNLOAD_PROGRESS))


def cert_validation_disabled() -> bool:
    """Returns True if TFHUB_DISABLE_CERT_VALIDATION is exactly "true", as upstream compares it."""
    return env(TFHUB_DISABLE_CERT_VALIDATION) == "true"


def http_timeout() -> float:
    """Returns TFHUB_HTTP_TIMEOUT in seconds (default 60): connect and per-read timeout.

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive number.
    """
    return _seconds(TFHUB_HTTP_TIMEOUT, DEFAULT_HTTP_TIMEOUT_SEC)


def http_retry_timeout() -> float:
    """Returns TFHUB_HTTP_RETRY_TIMEOUT in seconds (default 600): how long a download may go on
    failing and retrying until data arrives again (at TFHUB_DOWNLOAD_MIN_SPEED on average).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive number.
    """
    return _seconds(TFHUB_HTTP_RETRY_TIMEOUT, DEFAULT_HTTP_RETRY_TIMEOUT_SEC)


def lock_timeout() -> float:
    """Returns TFHUB_LOCK_TIMEOUT: seconds a lock holder may go without a heartbeat (default 120).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive number.
    """
    return _seconds(TFHUB_LOCK_TIMEOUT, DEFAULT_LOCK_TIMEOUT_SEC)


def _seconds(name: str, default: float) -> float:
    """Returns the seconds setting `name` (`default` if unset or blank), at most MAX_SECONDS."""
    raw = _text(name)
    return settings_parsing.positive_seconds(name, raw, default=default, most=MAX_SECONDS)


def http_retries() -> int:
    """Returns TFHUB_HTTP_RETRIES: how many times a failed request is retried (default 4).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a whole number
            from 0 to MAX_HTTP_RETRIES.
    """
    return settings_parsing.whole_number(
        TFHUB_HTTP_RETRIES,
        _text(TFHUB_HTTP_RETRIES),
        DEFAULT_HTTP_RETRIES,
        what="retries",
        low=0,
        high=MAX_HTTP_RETRIES,
    )


def is_debug() -> bool:
    """Returns True if TFHUB_DEBUG asks the CLI for full tracebacks."""
    return settings_parsing.is_true(env(TFHUB_DEBUG))


def hub_token() -> tuple[str, tuple[str, ...]] | None:
    """Returns (TFHUB_TOKEN, the hosts of TFHUB_TOKEN_HOST), or None if the token is unset.

    TFHUB_TOKEN_HOST is a comma-separated list of `host` (any port) or `host:port`, compared
    case-insensitively; without it the token is sent nowhere.
    """
    token = _text(TFHUB_TOKEN).strip()
    if not token:
        return None
    raw = _text(TFHUB_TOKEN_HOST)
    hosts = tuple(host.strip().lower() for host in raw.split(",") if host.strip())
    return token, hosts


def flowers_url() -> str:
    """Returns the TF Flowers archive make_image_classifier downloads without --image_dir:
    TFHUB_FLOWERS_URL if set and non-empty, else upstream's URL."""
    return _text(TFHUB_FLOWERS_URL).strip() or DEFAULT_FLOWERS_URL


def kaggle_endpoint() -> str:
    """Returns TFHUB_KAGGLE_ENDPOINT without a trailing slash (default https://www.kaggle.com).

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a value that is not an http(s) URL with a
            host and no query or fragment (the model's path is appended to it).
    """
    raw = _text(TFHUB_KAGGLE_ENDPOINT)
    return settings_parsing.base_url(TFHUB_KAGGLE_ENDPOINT, raw, default=DEFAULT_KAGGLE_ENDPOINT)


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


def max_extracted_bytes() -> int:
    """Returns TFHUB_MAX_EXTRACTED_BYTES: the most bytes one archive may expand to (256 GiB).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a positive size.
    """
    raw = _text(TFHUB_MAX_EXTRACTED_BYTES)
    if not raw.strip():
        return DEFAULT_MAX_EXTRACTED_BYTES
    return settings_parsing.size(TFHUB_MAX_EXTRACTED_BYTES, raw)


def max_archive_members() -> int:
    """Returns TFHUB_MAX_ARCHIVE_MEMBERS: the most members one archive may hold (1,000,000).

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and not a whole number
            of at least 1.
    """
    return settings_parsing.whole_number(
        TFHUB_MAX_ARCHIVE_MEMBERS,
        _text(TFHUB_MAX_ARCHIVE_MEMBERS),
        DEFAULT_MAX_ARCHIVE_MEMBERS,
        what="archive members",
        low=1,
    )


def download_min_speed() -> float:
    """Returns TFHUB_DOWNLOAD_MIN_SPEED in bytes/s (default 1024; 0 turns the check off).

    A download receiving less than this, averaged over TFHUB_HTTP_TIMEOUT seconds of waiting
    for the network, is abandoned.

    Raises:
        tfhub.errors.SettingError: (a ValueError) if the variable is set and is neither a
            speed nor a zero.
    """
    raw = _text(TFHUB_DOWNLOAD_MIN_SPEED)
    if not raw.strip():
        return DEFAULT_DOWNLOAD_MIN_SPEED
    return settings_parsing.speed(TFHUB_DOWNLOAD_MIN_SPEED, raw)


if __name__ == "__main__":  # pragma: no cover - `python -m tfhub.constants` prints the table.
    print(env_table_markdown(), end="")
