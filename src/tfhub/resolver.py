"""tensorflow_hub's `resolver` module path: what custom resolvers were written against.

Code such as Kaggle's own notebook resolver reads `from tensorflow_hub import resolver` and
subclasses `resolver.HttpResolverBase`; resolvers that download call `resolver.atomic_download`
with a `download_fn(handle, tmp_dir)`, often filled by `DownloadManager.download_and_uncompress`.
These names keep upstream's signatures over tfhub's parts: the cache's atomic install (lock,
temporary folder, rename, descriptor), the safe extraction of archives, the settings of
`tfhub.constants`. tfhub's own resolvers, with their template-method base class, live in
`tfhub.resolvers`.

Here: upstream's resolver classes (`Resolver`, `PathResolver`, `HttpResolverBase`), and the
helpers that call another of upstream's names (`tfhub_cache_dir` calls `get_env_setting`,
`_locked_tmp_dir_size` calls `_temp_download_dir` ...): they look it up here at call time, so
that a patch of that name on this module (`mock.patch.object(resolver, ...)`, as upstream's
tests and custom resolvers do) reaches them. Given here from their modules: the download
helpers (`tfhub.resolver_downloads`: `atomic_download`, `DownloadManager`, ...) and the other
private helpers upstream's tests import (`tfhub.resolver_private`: `_dir_size`, ...).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from . import constants, handles
from . import resolver_private as _private
from .constants import ModelLoadFormat, get_env_setting
from .resolver_downloads import (
    DownloadManager,
    atomic_download,
    create_local_module_dir,
    model_load_format,
)
from .resolvers import upstream_classes
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
_merge_relative_path = _private._merge_relative_path
_module_descriptor_file = _private._module_descriptor_file
_module_dir = _private._module_dir
_task_uid_from_lock_file = _private._task_uid_from_lock_file

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


def tfhub_cache_dir(default_cache_dir: str | None = None, use_temp: bool = False) -> str | None:
    """Returns TFHUB_CACHE_DIR (or --tfhub_cache_dir), else `default_cache_dir`, else
    `<tempdir>/tfhub_modules` if `use_temp`, else None (as upstream); the setting is what
    `get_env_setting` (looked up here) answers, checked as `hub.resolve` checks it
    (`constants.cache_dir_of`), so a setting it refuses is refused here.

    Raises:
        tfhub.errors.SettingError: (a ValueError) for a setting that names no folder it could
            mean (`file://data/cache`, a slash short; `$HOME/cache` unexpanded; `~nosuchuser`;
            white space only).
        tfhub.errors.CacheError: (an OSError) `use_temp` and no temporary folder is writable.
    """
    value = get_env_setting(constants.TFHUB_CACHE_DIR, "tfhub_cache_dir")
    if value:
        return constants.cache_dir_of(value)
    if default_cache_dir:
        return os.path.expanduser(str(default_cache_dir))
    return constants.default_cache_dir() if use_temp else None


def _write_module_descriptor_file(handle: str, module_dir: str) -> None:
    """Writes (replaces) the descriptor of `module_dir`, `_module_descriptor_file(module_dir)`,
    in upstream's format: the handle (credentials hidden), the time, this host and process id;
    never half-written.

    Raises:
        tfhub.errors.CacheError: a local descriptor cannot be written (full disk, read-only).
    """
    _private._write_descriptor(handle, _module_descriptor_file(module_dir))


def _lock_filename(module_dir: str) -> str:
    """Returns the lock file of a download of `module_dir`: `<absolute module_dir>.lock`."""
    return _absolute(module_dir) + ".lock"


def _temp_download_dir(module_dir: str, task_uid: str) -> str:
    """Returns the temporary folder of the download `task_uid` of `module_dir`."""
    return f"{_absolute(module_dir)}.{task_uid}.tmp"


def _locked_tmp_dir_size(lock_filename: str) -> int:
    """Returns the size of the temporary folder the lock file names, as `_dir_size` (looked
    up here) says; 0 if it does not exist (as upstream's, which caught `_dir_size`'s
    NotFoundError): a missing local folder is 0 without asking `_dir_size`, so without
    importing TensorFlow.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) the name does not end in `.lock`.
        tf.errors.PermissionDeniedError: as `_dir_size`.
    """
    uid = _task_uid_from_lock_file(lock_filename)
    tmp_dir = _temp_download_dir(_module_dir(lock_filename), uid)
    if not is_url(tmp_dir) and not os.path.isdir(tmp_dir):
        return 0
    try:
        return _dir_size(tmp_dir)
    except Exception as err:  # TensorFlow's NotFoundError, whose class is TensorFlow's.
        if _private._is_not_found(err):
            return 0  # Removed while it was sized (its download finished), or a URL's.
        raise


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


# `HttpResolverBase`'s own `_call_urlopen`, as defined here: the compressed and uncompressed
# resolvers download through tfhub's client while theirs is this one (unpatched, not overridden).
_ORIGINAL_CALL_URLOPEN = vars(HttpResolverBase)["_call_urlopen"]

# Watched as defined here, before anyone can patch them: a class-level patch of these reaches
# hub.resolve, as a patch of upstream's registered instances did (`resolvers.upstream_classes`).
upstream_classes.watch(Resolver, HttpResolverBase)
upstream_classes.record("tfhub.resolvers.path.PathResolver", PathResolver)


def __getattr__(name: str) -> Any:
    """`FLAGS`, absl's flags (upstream's module held them), imported on first access."""
    if name == "FLAGS":
        from absl import flags

        return flags.FLAGS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
