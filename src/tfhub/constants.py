"""Every environment variable and absl flag tfhub reads, with its default and a getter.

Values are read at call time, never at import: users set ``TFHUB_CACHE_DIR`` after
``import tfhub``. Where upstream tensorflow_hub has an absl flag (``--tfhub_cache_dir``,
``--tfhub_model_load_format``), the environment variable wins over the flag, as upstream.
"""

from __future__ import annotations

import enum
import os
import sys
import tempfile
from typing import Any

TFHUB_CACHE_DIR = "TFHUB_CACHE_DIR"
TFHUB_MODEL_LOAD_FORMAT = "TFHUB_MODEL_LOAD_FORMAT"
TFHUB_DOWNLOAD_PROGRESS = "TFHUB_DOWNLOAD_PROGRESS"
TFHUB_DISABLE_CERT_VALIDATION = "TFHUB_DISABLE_CERT_VALIDATION"
TFHUB_OFFLINE = "TFHUB_OFFLINE"
TFHUB_HTTP_TIMEOUT = "TFHUB_HTTP_TIMEOUT"
TFHUB_HTTP_RETRIES = "TFHUB_HTTP_RETRIES"
TFHUB_DEBUG = "TFHUB_DEBUG"
TFHUB_MAX_EXTRACTED_BYTES = "TFHUB_MAX_EXTRACTED_BYTES"
TFHUB_DOWNLOAD_MIN_SPEED = "TFHUB_DOWNLOAD_MIN_SPEED"

DEFAULT_HTTP_TIMEOUT_SEC = 60.0
DEFAULT_HTTP_RETRIES = 4
DEFAULT_CACHE_SUBDIR = "tfhub_modules"
DEFAULT_MAX_EXTRACTED_BYTES = 256 << 30  # 256 GiB: far above any published model.
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
    return os.environ.get(env_var, "") or _flag_value(flag_name)


# --- Getters ---


def cache_dir() -> str:
    """Returns the cache folder: TFHUB_CACHE_DIR, --tfhub_cache_dir, or <tempdir>/tfhub_modules."""
    value = get_env_setting(TFHUB_CACHE_DIR, "tfhub_cache_dir")
    if not value:
        value = os.path.join(tempfile.gettempdir(), DEFAULT_CACHE_SUBDIR)
    return os.path.expanduser(str(value))


def model_load_format() -> ModelLoadFormat:
    """Returns TFHUB_MODEL_LOAD_FORMAT / --tfhub_model_load_format (default AUTO).

    Raises:
        ValueError: for a value that is not COMPRESSED, UNCOMPRESSED or AUTO.
    """
    value = get_env_setting(TFHUB_MODEL_LOAD_FORMAT, "tfhub_model_load_format") or "AUTO"
    try:
        return ModelLoadFormat(str(value).upper())
    except ValueError:
        allowed = ", ".join(item.value for item in ModelLoadFormat)
        raise ValueError(
            f"{TFHUB_MODEL_LOAD_FORMAT} must be one of {allowed}. Received: {value!r}"
        ) from None


def is_offline() -> bool:
    """Returns True if TFHUB_OFFLINE asks to use the cache only."""
    return is_true(os.environ.get(TFHUB_OFFLINE))


def download_progress_env() -> bool | None:
    """Returns TFHUB_DOWNLOAD_PROGRESS as True/False, or None when unset (then: tty decides)."""
    return parse_tristate(os.environ.get(TFHUB_DOWNLOAD_PROGRESS))


def cert_validation_disabled() -> bool:
    """Returns True if TFHUB_DISABLE_CERT_VALIDATION is exactly "true", as upstream compares it."""
    return os.environ.get(TFHUB_DISABLE_CERT_VALIDATION) == "true"


def http_timeout() -> float:
    """Returns TFHUB_HTTP_TIMEOUT in seconds (default 60): connect and per-read timeout.

    Raises:
        ValueError: if the variable is set and not a positive number.
    """
    raw = os.environ.get(TFHUB_HTTP_TIMEOUT, "")
    if not raw.strip():
        return DEFAULT_HTTP_TIMEOUT_SEC
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ValueError(
            f"{TFHUB_HTTP_TIMEOUT} must be a positive number of seconds. Received: {raw!r}"
        )
    return value


def http_retries() -> int:
    """Returns TFHUB_HTTP_RETRIES: how many times a failed request is retried (default 4)."""
    raw = os.environ.get(TFHUB_HTTP_RETRIES, "")
    try:
        return max(0, int(raw)) if raw.strip() else DEFAULT_HTTP_RETRIES
    except ValueError:
        return DEFAULT_HTTP_RETRIES


def is_debug() -> bool:
    """Returns True if TFHUB_DEBUG asks the CLI for full tracebacks."""
    return is_true(os.environ.get(TFHUB_DEBUG))


def _parse_size(name: str, raw: str) -> int:
    """Parses "123", "64G", "1.5T" (binary units, optional trailing "B" or "iB")."""
    text = raw.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = text[-1:] if text[-1:] in _SIZE_SUFFIXES else ""
    try:
        value = float(text[: len(text) - len(suffix)]) * _SIZE_SUFFIXES[suffix]
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ValueError(
            f"{name} must be a positive number of bytes, optionally with a K, M, G or T suffix "
            f"(e.g. 512G). Received: {raw!r}"
        )
    return int(value)


def max_extracted_bytes() -> int:
    """Returns TFHUB_MAX_EXTRACTED_BYTES: the most bytes one archive may expand to (256 GiB).

    Raises:
        ValueError: if the variable is set and not a positive size.
    """
    raw = os.environ.get(TFHUB_MAX_EXTRACTED_BYTES, "")
    if not raw.strip():
        return DEFAULT_MAX_EXTRACTED_BYTES
    return _parse_size(TFHUB_MAX_EXTRACTED_BYTES, raw)


def download_min_speed() -> float:
    """Returns TFHUB_DOWNLOAD_MIN_SPEED in bytes/s (default 1024; 0 turns the check off).

    A download receiving less than this, averaged over TFHUB_HTTP_TIMEOUT seconds of waiting
    for the network, is abandoned.

    Raises:
        ValueError: if the variable is set and not a size of 0 or more.
    """
    raw = os.environ.get(TFHUB_DOWNLOAD_MIN_SPEED, "")
    if not raw.strip():
        return DEFAULT_DOWNLOAD_MIN_SPEED
    if raw.strip() in ("0", "0.0"):
        return 0.0
    return float(_parse_size(TFHUB_DOWNLOAD_MIN_SPEED, raw))
