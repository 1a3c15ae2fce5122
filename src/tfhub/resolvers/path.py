"""Local folders and file:// URLs; gs:// (and other tf.io.gfile) folders, read in place."""

from __future__ import annotations

import os
import re

from .. import errors, handles
from ..handle_check import has_control_characters
from ..utils.numbers import is_number
from ..utils.paths import (
    RELATIVE_PATH_LOST,
    RELATIVE_PATH_LOST_REMEDY,
    home_expanded,
    is_url,
    relative_path_lost,
)
from ..utils.printable import escaped
from . import gcs
from .base import Resolver

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: not imported at run time.
    from collections.abc import Callable


class PathResolver(Resolver):
    """Resolves handles that are paths: the last resolver tried, it accepts every handle."""

    def is_supported(self, handle: str) -> bool:
        """Accepts local paths, file://, and the schemes tf.io.gfile reads; not http(s) or typos.

        A `scheme://` handle of an unknown scheme (`htps://`, `ftp://`) is not a path: the
        registry then reports every resolver tried, without importing TensorFlow.
        """
        return not handles.is_http_url(handle) and handles.unknown_scheme(handle) is None

    def _resolve(self, handle: str) -> str:
        parsed = handles.parse(handle, local_controls=True)  # A file name may hold them.
        if isinstance(parsed, handles.GcsPath):
            if not gcs.exists(parsed.url):
                raise errors.ModelNotFoundError(f"{handle} does not exist.", path=parsed.url)
            return parsed.url
        if isinstance(parsed, handles.LocalPath):
            # Other filesystems of tf.io.gfile (ram://, s3://, hdfs://...): as upstream, via gfile.
            found = _exists_via_gfile if is_url(parsed.path) else os.path.exists
            if not found(parsed.path):
                if has_control_characters(handle):  # A file name's: shown escaped, as upstream's.
                    raise errors.ModelNotFoundError(
                        f"{escaped(handle)} does not exist.", path=parsed.path
                    )
                unreachable = None if is_url(parsed.path) else _unreachable(handle, parsed.path)
                if unreachable is not None:
                    raise errors.ModelAccessError(unreachable, path=parsed.path)
                if relative_path_lost(parsed.path):
                    raise errors.ModelNotFoundError(
                        f"{handle} does not exist: {RELATIVE_PATH_LOST}. "
                        f"{RELATIVE_PATH_LOST_REMEDY}",
                        path=parsed.path,
                    )
                too_long = None if is_url(parsed.path) else _too_long(handle, parsed.path)
                raise errors.ModelNotFoundError(
                    too_long or _not_found(handle, parsed.path, found), path=parsed.path
                )
            return parsed.path
        raise errors.ModelNotFoundError(
            f"{handle} does not exist: no resolver accepted it as a URL, and it is not a local "
            "path.",
            path=handle,
        )


def _exists_via_gfile(path: str) -> bool:
    """Whether `path` (s3://, ram://, hdfs://...) exists, asked through tf.io.gfile.

    Raises:
        tfhub.errors.UnregisteredFileSystemError: (a DownloadError, and the
            tf.errors.UnimplementedError upstream let through) TensorFlow has no file system
            for the path's scheme in this process (`gfile_io.refuse_unregistered`).
        tfhub.errors.DownloadError: TensorFlow could not ask (the message says why).
    """
    return gcs.exists(path)


def _unreachable(handle: str, path: str) -> str | None:
    """The message for a local path that this user may not reach (os.stat fails with EACCES:
    a folder on the way denies it search permission, so whether the model is there cannot be
    told), naming that folder when one is found; None for any other path."""
    try:
        os.stat(path)
    except PermissionError:
        pass
    except (OSError, ValueError):  # Missing, a file on the way, a NUL byte: not a refusal.
        return None
    else:
        return None  # There now: it appeared since it was looked for.
    folder = _refusing_folder(path)
    where = f"the folder {folder} (no search permission, the x of its mode, for this user)"
    return (
        f"{handle} cannot be reached: permission denied by "
        f"{where if folder else 'the system (os.stat: EACCES)'}, so tfhub cannot tell whether "
        "the model is there. Ask its owner for access to it, or copy the model to a folder "
        "you can read."
    )


def _refusing_folder(path: str) -> str | None:
    """The first folder on `path` (made absolute) that this user may not search, or None."""
    folder = os.path.dirname(os.path.abspath(path))
    ancestors = []
    while True:
        ancestors.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for ancestor in reversed(ancestors):  # From the root down: the first one refusing.
        if os.path.isdir(ancestor) and not os.access(ancestor, os.X_OK):
            return ancestor
    return None


# Linux's limits, where os.pathconf cannot tell (no folder of the path exists to ask).
_NAME_MAX = 255
_PATH_MAX = 4096


def _too_long(handle: str, path: str) -> str | None:
    """The message for a local path that cannot exist because a name in it (or the whole path)
    is longer than its filesystem allows (os.stat fails with ENAMETOOLONG), or None.

    The limits are the filesystem's (`os.pathconf` PC_NAME_MAX, PC_PATH_MAX), asked of the
    deepest folder of the path that exists; lengths are in bytes, as the filesystem counts.
    """
    folder = _existing_folder(path)
    name_max = _pathconf(folder, "PC_NAME_MAX", _NAME_MAX)
    for part in path.split(os.sep):
        size = len(os.fsencode(part))
        if size > name_max:
            return (
                f"{_short(handle)} is too long for the filesystem: its name {_short(part)!r} is "
                f"{size} bytes, and the filesystem of {folder} allows at most {name_max} bytes "
                "per file or folder name (os.pathconf PC_NAME_MAX). Check the handle (text "
                "pasted as a path?), or shorten that name."
            )
    path_max = _pathconf(folder, "PC_PATH_MAX", _PATH_MAX)
    size = len(os.fsencode(path))
    if size >= path_max:  # PATH_MAX counts the terminating NUL byte.
        return (
            f"{_short(handle)} is too long for the filesystem: the path is {size} bytes, and the "
            f"system allows fewer than {path_max} bytes (os.pathconf PC_PATH_MAX). Check the "
            "handle, or move the model to a shorter path."
        )
    return None


def _existing_folder(path: str) -> str:
    """The deepest folder on `path` (made absolute) that exists: the one to ask its limits."""
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def _pathconf(folder: str, name: str, default: int) -> int:
    """`os.pathconf(folder, name)`, or `default` where the system cannot tell."""
    try:
        value = os.pathconf(folder, name)
    except (OSError, ValueError):  # No such setting here (or the folder went away).
        return default
    return value if value > 0 else default


def _short(text: str) -> str:
    """`text`, or its first and last 40 characters around `...` if longer than 100."""
    return text if len(text) <= 100 else f"{text[:40]}...{text[-40:]}"


def _not_found(handle: str, path: str, found: Callable[[str], bool]) -> str:
    """The message for a path that does not exist, with the likely slip when there is one:
    spaces around it (invisible in a message), quotes, a `~` or `$VAR` (expanded by shells, not
    by Python or upstream), or a URL whose scheme is missing or misspelled. Where the slip can
    be undone, the path it names is offered if it exists."""
    stripped = path.strip()
    if stripped != path:
        if not stripped or not found(stripped):
            return f"{handle!r} does not exist (mind the spaces around it)."
        return (
            f"{handle!r} does not exist: the path has spaces around it. Did you mean {stripped!r}?"
        )
    if len(path) > 1 and path[0] == path[-1] and path[0] in "'\"":
        unquoted = path[1:-1]
        exists = f": {unquoted} exists" if found(unquoted) else ""
        return (
            f"{handle} does not exist: the quote marks around it are part of the path; remove "
            f"them{exists}."
        )
    home = home_expanded(path)
    if home != path and found(home):
        return (
            f"{handle} does not exist: a program does not expand ~ as a shell does. Did "
            f"you mean {home!r} (os.path.expanduser)?"
        )
    if _VARIABLE.search(path):
        expanded = os.path.expanduser(os.path.expandvars(path))
        offer = f" Did you mean {expanded!r}?" if found(expanded) else ""
        return (
            f"{handle} does not exist: a program does not expand environment variables as a "
            f"shell does (os.path.expandvars).{offer}"
        )
    decoded = _meant_path(path)
    if decoded is not None and found(decoded[0]):
        return f"{handle} does not exist: {decoded[1]}. Did you mean {decoded[0]!r}?"
    url = _meant_url(path)
    if url is not None:
        return f"{handle} does not exist. If it is a URL, write it as {url!r}."
    model = _meant_model(path)
    if model is not None:
        return f"{handle} does not exist. {model}"
    entry = _removed_cache_entry(path)
    if entry is not None:
        return f"{handle} does not exist: {entry}"
    return f"{handle} does not exist."


def _removed_cache_entry(path: str) -> str | None:
    """What to do about a missing path that was a cache entry's folder (`<cache>/<sha1>`, as
    `hub.resolve` returned it and kept in a config), removed since: by `tfhub cache rm` or
    `prune`, or by a temp cleaner (the default cache is in the temp folder), which may leave
    the descriptor naming the handle. None for any other path."""
    folder = path.rstrip("/") or path
    root, name = os.path.split(os.path.abspath(folder))
    from ..cache import bookkeeping, layout  # Here: only for a path that does not exist.

    if not layout.is_entry_name(name):
        return None
    descriptor = bookkeeping.read_descriptor(folder)
    if descriptor is None and not _is_cache_root(root):
        return None
    of = f" ({descriptor.handle!r})" if descriptor is not None and descriptor.handle else ""
    return (
        f"it is the folder of an entry of the tfhub cache {escaped(root)}, removed since (by "
        "`tfhub cache rm` or `tfhub cache prune`, or a cleaner of temporary files). Load the "
        f"model by its handle{of}, not by its cache folder: that downloads it again."
    )


def _is_cache_root(folder: str) -> bool:
    """Whether `folder` is the cache folder now set, or one tfhub used (it has `.locks/`)."""
    from ..cache import layout

    if os.path.isdir(os.path.join(folder, layout.LOCKS_DIRNAME)):
        return True
    try:
        root = layout.cache_dir()
    except (errors.TFHubError, ValueError):  # A bad setting: not this error's subject.
        return False
    return not layout.is_remote(root) and os.path.realpath(root) == os.path.realpath(folder)


# $NAME and ${NAME}, as a shell (and os.path.expandvars) would expand them.
_VARIABLE = re.compile(r"\$(?:[A-Za-z_]\w*|\{[A-Za-z_]\w*\})")
# `http:/x`, `https//x`, `https:x`, `gs:/b`: a scheme with its `://` mistyped.
_MISTYPED_SCHEME = re.compile(r"^(https?|gs)(?::/?|//+)(?=[^/])", re.IGNORECASE)
# `tfhub.dev/google/x/1`, `127.0.0.1:8000/m`: a host name (a dot and a top-level domain of
# letters, an IPv4 address, or localhost), maybe with a port, then a path: no `https://`.
_HOST_FIRST = re.compile(
    r"^(?:(localhost|\d{1,3}(?:\.\d{1,3}){3})|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"(?::\d{1,5})?/"
)


# A model handle without its site: kagglehub's `owner/model/framework/variation[/version]`, or
# tfhub.dev's `publisher/model.../version` as its pages listed them.
_HANDLE_SEGMENTS = re.compile(r"^[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)+$")
_KAGGLE_FRAMEWORKS = frozenset(
    {"tensorflow1", "tensorflow2", "tfjs", "tflite", "keras", "pytorch", "jax", "flax", "other"}
)


def _meant_model(path: str) -> str | None:
    """What to write for a relative path that does not exist but reads as a model handle
    without its site (a sentence), or None."""
    if not _HANDLE_SEGMENTS.match(path):
        return None
    parts = path.split("/")
    if len(parts) in (4, 5) and parts[2].lower() in _KAGGLE_FRAMEWORKS:
        if len(parts) == 5 and is_number(parts[4]):
            return f"If it is a Kaggle model, write it as 'https://www.kaggle.com/models/{path}'."
        if len(parts) == 4:
            return (
                "If it is a Kaggle model, write it as "
                f"'https://www.kaggle.com/models/{path}/VERSION' with the version to load."
            )
    if len(parts) >= 3 and is_number(parts[-1]):
        return f"If it is a tfhub.dev model, write it as 'https://tfhub.dev/{path}'."
    return None


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _meant_path(path: str) -> tuple[str, str] | None:
    """The local path a missing path was likely meant to be, with why (a clause), or None: the
    path of a `file:/abs` URL (RFC 8089's short form, which is not read as a URL), or a path
    with the percent escapes of a file:// URL (`my%20model`) decoded."""
    if path[:5].lower() == "file:" and path[5:6] == "/" and path[5:7] != "//":
        return path[5:], "a file URL takes three slashes (file:///abs/path), or write the path"
    if _PERCENT_ESCAPE.search(path):
        import urllib.parse

        return urllib.parse.unquote(path), "the path has percent escapes (as in a file:// URL)"
    return None


def _meant_url(path: str) -> str | None:
    """The URL a path that does not exist was likely meant to be, or None: a mistyped scheme
    mended, or a scheme put before a host name that starts a relative path or follows `//` (a
    scheme-relative link; http:// for this machine or an address, as local servers are; else
    https://)."""
    mistyped = _MISTYPED_SCHEME.match(path)
    if mistyped is not None:
        return f"{mistyped.group(1).lower()}://{path[mistyped.end() :]}"
    relative = path[2:] if path.startswith("//") else path  # `//host/x`: a scheme-relative link.
    host = _HOST_FIRST.match(relative)
    if host is not None:
        return f"{'http' if host.group(1) else 'https'}://{relative}"
    return None
