"""Local folders and file:// URLs; gs:// (and other tf.io.gfile) folders, read in place."""

from __future__ import annotations

import os

from .. import errors, handles
from ..utils.paths import home_expanded
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
        parsed = handles.parse(handle)
        if isinstance(parsed, handles.GcsPath):
            if not gcs.exists(parsed.url):
                raise errors.ModelNotFoundError(f"{handle} does not exist.", path=parsed.url)
            return parsed.url
        if isinstance(parsed, handles.LocalPath):
            # Other filesystems of tf.io.gfile (ram://, s3://, hdfs://...): as upstream, via gfile.
            found = gcs.exists if "://" in parsed.path else os.path.exists
            if not found(parsed.path):
                raise errors.ModelNotFoundError(
                    _not_found(handle, parsed.path, found), path=parsed.path
                )
            return parsed.path
        raise errors.ModelNotFoundError(
            f"{handle} does not exist: no resolver accepted it as a URL, and it is not a local "
            "path.",
            path=handle,
        )


def _not_found(handle: str, path: str, found: Callable[[str], bool]) -> str:
    """The message for a path that does not exist. Spaces around a path (easy to paste, and
    invisible in a message) are shown, and the path without them offered if it exists; so is
    the home folder's path for a `~` (expanded by shells, not by Python or upstream)."""
    stripped = path.strip()
    if stripped == path:
        home = home_expanded(path)
        if home != path and found(home):
            return (
                f"{handle} does not exist: a program does not expand ~ as a shell does. Did "
                f"you mean {home!r} (os.path.expanduser)?"
            )
        return f"{handle} does not exist."
    if not stripped or not found(stripped):
        return f"{handle!r} does not exist (mind the spaces around it)."
    return f"{handle!r} does not exist: the path has spaces around it. Did you mean {stripped!r}?"
