"""tensorflow_hub 0.10.0's download helpers of its `resolver` module, which `tfhub.resolver` gives.

What a custom resolver that downloads calls: the cache folder (`create_local_module_dir`;
`tfhub_cache_dir`, which calls `get_env_setting`, lives in `tfhub.resolver` so that a patch of
that name reaches it), the load format setting (`model_load_format`), the cache's atomic
install of a model (`atomic_download`: lock, temporary folder, rename, descriptor) and the safe
extraction of the archive it fetches (`DownloadManager.download_and_uncompress`), with
upstream's signatures over tfhub's parts (`tfhub.download`, `tfhub.file_utils`,
`tfhub.constants`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from . import constants
from .utils.paths import is_url


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
