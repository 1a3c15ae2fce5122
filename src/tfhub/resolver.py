"""tensorflow_hub's `resolver` module path: what custom resolvers were written against.

Code such as Kaggle's own notebook resolver reads `from tensorflow_hub import resolver` and
subclasses `resolver.HttpResolverBase`; resolvers that download call `resolver.atomic_download`
with a `download_fn(handle, tmp_dir)`, often filled by `DownloadManager.download_and_uncompress`.
These names keep upstream's signatures over tfhub's parts: the cache's atomic install (lock,
temporary folder, rename, descriptor), the safe extraction of archives, the settings of
`tfhub.constants`. tfhub's own resolvers, with their template-method base class, live in
`tfhub.resolvers`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from . import constants, handles
from . import resolver_private as _private
from .constants import ModelLoadFormat, get_env_setting
from .utils.paths import is_url

logger = logging.getLogger(__name__)

# Upstream's private names, which its tests and custom resolvers import from this module
# (`tfhub.resolver_private` says what each is).
_TFHUB_CACHE_DIR = _private._TFHUB_CACHE_DIR
_TFHUB_DOWNLOAD_PROGRESS = _private._TFHUB_DOWNLOAD_PROGRESS
_TFHUB_MODEL_LOAD_FORMAT = _private._TFHUB_MODEL_LOAD_FORMAT
_absolute = _private._absolute
_dir_size = _private._dir_size
_lock_file_contents = _private._lock_file_contents
_lock_filename = _private._lock_filename
_locked_tmp_dir_size = _private._locked_tmp_dir_size
_merge_relative_path = _private._merge_relative_path
_module_descriptor_file = _private._module_descriptor_file
_module_dir = _private._module_dir
_task_uid_from_lock_file = _private._task_uid_from_lock_file
_temp_download_dir = _private._temp_download_dir
_write_module_descriptor_file = _private._write_module_descriptor_file

__all__ = [
    "DownloadManager",
    "HttpResolverBase",
    "ModelLoadFormat",
    "PathResolver",
    "Resolver",
    "atomic_download",
    "create_local_module_dir",
    "get_env_setting",
    "model_load_format",
    "tfhub_cache_dir",
]


class Resolver:
    """Upstream's resolver interface: `is_supported(handle)` and `__call__(handle) -> path`.

    An instance is registered with `hub.register_resolver` (or, as with tensorflow_hub 0.10,
    `tfhub.registry.resolver.add_implementation`); the newest registration is tried first.
    Not abstract, as upstream's is not on Python 3 (its `__metaclass__ = abc.ABCMeta` is a
    Python 2 spelling): `Resolver()`, `HttpResolverBase()` (for its helpers) and a subclass
    that overrides only `__call__` can be made (rf57f-F3); override both.
    """

    def __call__(self, handle: str) -> str:
        """Returns the path of the model folder of a supported handle.

        Raises:
            tfhub.errors.UnsupportedHandleError: (a RuntimeError) a subclass must override it.
        """
        from . import errors

        name = type(self).__name__
        raise errors.UnsupportedHandleError(
            f"Cannot resolve {handle!r} with {name}: it does not override "
            "Resolver.__call__(handle), which returns the path of the handle's model folder.",
            tried=[name],
        )

    def is_supported(self, handle: str) -> bool:
        """Returns True if the handle has this resolver's form (not that it can be resolved);
        this base supports none (upstream's returned None), so the registry never tries it."""
        return False


class PathResolver(Resolver):
    """Resolves local paths (and file:// or tf.io.gfile URLs): the last resolver tried."""

    def is_supported(self, handle: str) -> bool:
        return True

    def __call__(self, handle: str) -> str:
        """Returns the path if it exists.

        Raises:
            tfhub.errors.ModelNotFoundError: (an IOError, as upstream's) if it does not.
        """
        from .resolvers.path import PathResolver as TfhubPathResolver

        return TfhubPathResolver()(handle)


class HttpResolverBase(Resolver):
    """Base class of http(s) resolvers, with upstream's helpers for subclasses.

    As upstream, `self._context` is an `ssl.SSLContext` made in `__init__` (a subclass may call
    `self._context.load_verify_locations(...)`, or replace it with `_set_url_context`), with
    certificate checks off under TFHUB_DISABLE_CERT_VALIDATION=true.
    """

    def __init__(self) -> None:
        import ssl  # Here, not at the top: `from tfhub import resolver` stays light.

        self._context: Any = ssl.create_default_context()
        self._maybe_disable_cert_validation()

    def _maybe_disable_cert_validation(self) -> None:
        """Turns off the checks of the context's certificates and host names if
        TFHUB_DISABLE_CERT_VALIDATION is true (for servers you trust only), read at each call."""
        if not constants.cert_validation_disabled():
            return
        import ssl

        context = getattr(self, "_context", None)  # A subclass may skip our __init__.
        if context is None:
            context = self._context = ssl.create_default_context()
        if context.check_hostname or context.verify_mode != ssl.CERT_NONE:
            context.check_hostname = False  # Before verify_mode, which ssl demands.
            context.verify_mode = ssl.CERT_NONE
            logger.warning("Disabled certificate validation for resolving handles.")

    def _is_running_on_colab(self) -> bool:
        return "google.colab" in sys.modules

    def _append_format_query(self, handle: str, format_query: tuple[str, str]) -> str:
        """Returns the URL with `format_query` (e.g. ("tf-hub-format", "compressed")) added."""
        return handles.append_format_query(handle, format_query)

    def _set_url_context(self, context: Any) -> None:
        """Sets the `ssl.SSLContext` that `_call_urlopen` uses (custom certificate authorities)."""
        self._context = context

    def _call_urlopen(self, request: Any) -> Any:
        """`urllib.request.urlopen(request)` with the context (checks off under
        TFHUB_DISABLE_CERT_VALIDATION=true), and TFHUB_HTTP_TIMEOUT (a read never waits without
        bound)."""
        import urllib.request

        self._maybe_disable_cert_validation()  # Also when set after this object was made.
        return urllib.request.urlopen(
            request, context=getattr(self, "_context", None), timeout=constants.http_timeout()
        )

    def is_http_protocol(self, handle: str) -> bool:
        return handles.is_http_url(handle)


def tfhub_cache_dir(default_cache_dir: str | None = None, use_temp: bool = False) -> str | None:
    """Returns TFHUB_CACHE_DIR (or --tfhub_cache_dir), else `default_cache_dir`, else
    `<tempdir>/tfhub_modules` if `use_temp`, else None (as upstream); the setting is read as
    `hub.resolve` reads it (`constants.cache_dir()`), so a setting it refuses is refused here.

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a setting that names no folder it could
            mean (`file://data/cache`, a slash short; `$HOME/cache` unexpanded; `~nosuchuser`;
            white space only).
        tfhub.errors.CacheError: (an OSError) `use_temp` and no temporary folder is writable.
    """
    if get_env_setting(constants.TFHUB_CACHE_DIR, "tfhub_cache_dir"):
        return constants.cache_dir()
    if default_cache_dir:
        return os.path.expanduser(str(default_cache_dir))
    return constants.default_cache_dir() if use_temp else None


def model_load_format() -> str:
    """Returns TFHUB_MODEL_LOAD_FORMAT (or the flag): "AUTO", "COMPRESSED" or "UNCOMPRESSED".

    Raises:
        tfhub.errors.SettingError: (a ValueError) for any other value.
    """
    return constants.model_load_format().value


def create_local_module_dir(cache_dir: str, module_name: str) -> str:
    """Creates `cache_dir` if needed; returns the path of `module_name` in it.

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a `cache_dir` that TFHUB_CACHE_DIR could
            not be either (`settings_parsing.cache_folder`: a `file://` URL with a host, an
            unexpanded `$VAR`, white space only, ...), which would make another folder.
        tfhub.errors.RetryTimeoutError: a tf.io.gfile `cache_dir` (gs://) whose file system
            gave no answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    from . import settings_parsing

    cache_dir = settings_parsing.cache_folder(
        "cache_dir", str(cache_dir), default=constants.default_cache_dir
    )
    local = _local_path(cache_dir)
    if is_url(local):
        from . import gfile_io

        gfile_io.makedirs(local)
    else:
        os.makedirs(local, exist_ok=True)
    return os.path.join(cache_dir, module_name)


def _local_path(path: str) -> str:
    """The local path of a `file://` URL (TFHUB_CACHE_DIR may be one, as `tfhub_cache_dir`
    returns it): a local folder, not a tf.io.gfile filesystem (no TensorFlow, OS locks); any
    other path as given."""
    if path[:7].lower() != "file://":
        return path
    import urllib.parse

    return urllib.parse.unquote(urllib.parse.urlsplit(path).path) or "/"


def atomic_download(
    handle: str,
    download_fn: Callable[[str, str], object],
    module_dir: str | bytes | os.PathLike[str],
    lock_file_timeout_sec: float = 10 * 60,
) -> str | bytes | os.PathLike[str]:
    """Returns `module_dir`, calling `download_fn(handle, tmp_dir)` to fill it if it is missing.

    As upstream: at most one process downloads a handle at a time, and `module_dir` appears
    only once complete. `download_fn` fills an empty temporary folder beside it, which is
    renamed into place (and removed if `download_fn` fails).

    Args:
        handle: the handle (written in the entry's descriptor, credentials hidden).
        download_fn: fills the folder it is given with the model's files.
        module_dir: the entry's folder, e.g. `<cache>/<sha1 of the handle>` (a str, a
            `pathlib.Path` or bytes; returned as given).
        lock_file_timeout_sec: how long another process downloading the same handle may show
            no sign of life before waiting for it fails (TFHUB_LOCK_TIMEOUT's meaning).

    Raises:
        tfhub.errors.LockTimeoutError: if that process stopped showing signs of life.
        tfhub.errors.OfflineModeError: under TFHUB_OFFLINE=1, if `module_dir` is missing
            (or damaged), saying to run the resolver where the network is available.
        tfhub.errors.ArgumentError: (a ValueError) `module_dir` is empty (it names no
            folder); or, when a download needs the lock, `lock_file_timeout_sec` is not a
            positive number of seconds (at most 1,000,000).
        Whatever `download_fn` raises.
    """
    from . import errors
    from .download import atomic_download as install

    if not module_dir:  # tfhub's install would take it for "the handle's cache entry".
        raise errors.ArgumentError(
            "module_dir must name the folder to download the module into, e.g. "
            "resolver.create_local_module_dir(resolver.tfhub_cache_dir(use_temp=True), "
            f"hashlib.sha1(handle.encode()).hexdigest()). Received: module_dir={module_dir!r}"
        )
    # As upstream (whose lock and temporary folder names dropped it), a trailing separator does
    # not name another folder: `<entry>/` is `<entry>`, not a place inside it. A pathlib.Path
    # or bytes names its folder, as for `create_local_module_dir`.
    folder = os.fsdecode(module_dir)
    entry = _local_path(folder).rstrip("/" + os.sep) or folder
    try:
        with constants.overrides({constants.TFHUB_LOCK_TIMEOUT: str(lock_file_timeout_sec)}):
            install(handle, lambda tmp_dir: download_fn(handle, tmp_dir), module_path=entry)
    except errors.OfflineModeError as err:
        raise _offline_error(err, handle=handle, entry=entry) from None
    except errors.SettingError as err:
        if err.name != constants.TFHUB_LOCK_TIMEOUT:
            raise
        # The variable holds the argument here: the caller set no TFHUB_LOCK_TIMEOUT.
        raise errors.ArgumentError(
            "lock_file_timeout_sec must be a positive number of seconds, at most "
            f"{constants.MAX_SECONDS:,.0f}: how long another process's download of the handle "
            "may show no sign of life before waiting for it ends. Received: "
            f"lock_file_timeout_sec={lock_file_timeout_sec!r}"
        ) from err
    return module_dir


def _offline_error(err: Any, *, handle: str, entry: str) -> Any:
    """The OfflineModeError of `atomic_download`: tfhub's advice, `tfhub pull HANDLE`, fills
    tfhub's own entry of a handle its own resolvers read, neither this resolver's handle nor its
    folder, so it says to run the resolver where the network is available."""
    from . import errors
    from .utils.printable import escaped

    return errors.OfflineModeError(
        f"TFHUB_OFFLINE is set and {handle!r} has no complete copy in the cache (folder "
        f"{escaped(entry)}), which its resolver fills with resolver.atomic_download. Run the "
        "program (its resolver) once where the network is available, or unset TFHUB_OFFLINE.",
        handle=err.handle,
        cache_dir=err.cache_dir,
    )


class DownloadManager:
    """Extracts a downloaded archive (upstream's helper of `download_fn`s)."""

    def __init__(self, url: str) -> None:
        self._url = url

    def download_and_uncompress(self, fileobj: Any, dst_path: str) -> None:
        """Extracts the .tar or .tar.gz read from `fileobj` into the folder `dst_path` (made if
        missing, as upstream's; a gs:// folder is written once extracted locally), counting
        the bytes read on a progress bar (TFHUB_DOWNLOAD_PROGRESS, as upstream's).

        Raises:
            tfhub.errors.DownloadTooSlowError: (a TimeoutError) less than
                TFHUB_DOWNLOAD_MIN_SPEED arrived, averaged over TFHUB_HTTP_TIMEOUT seconds
                spent waiting for `fileobj` (a server dripping bytes), as for tfhub's downloads.
            tfhub.errors.NotAnArchiveError: (an IOError, as upstream's) for content that is not
                a tar archive, naming the URL and how it starts.
            tfhub.errors.ArchiveError: (an IOError) for an archive that is truncated or
                corrupt; `UnsafeArchiveError` for a member that would write outside `dst_path`
                or is a device, a FIFO or a link out of it.
            tfhub.errors.CacheError: a local `dst_path` cannot be created.
        """
        from . import errors
        from .archive_fetch import with_archive_hint
        from .file_utils import extract_into
        from .resolvers import _progress
        from .utils.redact import redact

        length = getattr(fileobj, "length", None)  # An http.client.HTTPResponse's body size.
        total = length if isinstance(length, int) else None
        description = f"Downloading {self._url}"
        paced = _progress.PacedReader(fileobj, url=self._url)  # A dripping server is cut.
        with _progress.counted(paced, description=description, total=total) as reader:
            try:
                extract_into(reader, dst_path, source=redact(self._url))
            except errors.NotAnArchiveError as err:
                raise errors.NotAnArchiveError(
                    f"{err} Check the URL: it must serve a .tar or .tar.gz archive of the model."
                ) from err
            except errors.ArchiveError as err:  # What to do, as for tfhub's own downloads.
                remote = not self._url.lower().startswith("file:")
                raise with_archive_hint(err, remote=remote) from err


def __getattr__(name: str) -> Any:
    """`FLAGS`, absl's flags (upstream's module held them), imported on first access."""
    if name == "FLAGS":
        from absl import flags

        return flags.FLAGS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
