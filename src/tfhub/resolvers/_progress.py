"""Progress bars for downloads that tfhub's http client does not make: gs:// archives read
through tf.io.gfile, and the archives upstream-style resolvers hand `DownloadManager`. They count
their bytes on the same bar as http(s) downloads (TFHUB_DOWNLOAD_PROGRESS,
`hub.disable_progress_bars()`), as upstream's `DownloadManager` reported them. The archives handed
to `DownloadManager` are also held to TFHUB_DOWNLOAD_MIN_SPEED (`PacedReader`), as tfhub's own
downloads are."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from .. import errors
from ..utils.pace import MinimumPace
from ..utils.redact import redact


class CountingReader:
    """A binary reader that counts the bytes read from `fileobj` on `bar`."""

    def __init__(self, fileobj: Any, bar: Any) -> None:
        self._fileobj = fileobj
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._fileobj.read(size)
        if data:
            self._bar.update(len(data))
        return data


@contextlib.contextmanager
def counted(fileobj: Any, *, description: str, total: int | None) -> Iterator[CountingReader]:
    """Yields `fileobj` counted on a download bar (a no-op one when bars are off), closed at
    the end.

    Args:
        fileobj: a binary reader with `read(n)`.
        description: shown before the bar (credentials in a URL are hidden).
        total: the number of bytes to read, or None if unknown.
    """
    from ..utils import progress  # Here: resolving a path imports this module, not `logging`.

    bar = progress.download_bar(description=description, total=total)
    try:
        yield CountingReader(fileobj, bar)
    finally:
        bar.close()


def bars_enabled() -> bool:
    """Whether a download started now shows a bar (so a size worth asking for)."""
    from ..utils import progress

    return progress.are_progress_bars_enabled()


class PacedReader:
    """A binary reader that returns what has arrived from `fileobj` (its `read1`, where it has
    one, as an `http.client.HTTPResponse` has: its `read(n)` waits for all `n` bytes, however
    slowly they drip) and raises DownloadTooSlowError once less than TFHUB_DOWNLOAD_MIN_SPEED
    arrived, averaged over TFHUB_HTTP_TIMEOUT seconds spent waiting in its reads (the rule of
    tfhub's own downloads, `utils.pace.MinimumPace`; the socket's timeout bounds one read only).
    """

    def __init__(self, fileobj: Any, *, url: str) -> None:
        self._read = getattr(fileobj, "read1", None) or fileobj.read
        self._url = url
        self._pace = MinimumPace(what=redact(url), url=redact(url))

    def read(self, size: int = -1) -> bytes:
        """Returns at most `size` bytes (fewer if fewer have arrived; b"" at the end).

        Raises:
            tfhub.errors.DownloadTooSlowError: (a TimeoutError) the data arrives too slowly;
                naming the proxy the settings name for the URL, if any (rf57f-F1).
        """
        started = time.monotonic()
        data: bytes = self._read(size)
        try:
            self._pace.check(len(data), time.monotonic() - started)
        except errors.DownloadTooSlowError as err:
            hint = _proxy_hint(self._url)
            if not hint:
                raise
            raise errors.DownloadTooSlowError(
                f"{err}{hint}", url=err.url, min_speed=err.min_speed, seconds=err.seconds
            ) from None
        return data


def _proxy_hint(url: str) -> str:
    """The "if it came through the proxy" sentence for an http(s) `url` the proxy settings
    send through one (urllib's urlopen, which upstream-style resolvers call, and requests read
    the same variables); "" otherwise."""
    from .. import handles

    if not handles.is_http_url(url):
        return ""
    from .._http_deadline import slow_proxy_hint
    from .._http_errors import proxy_for

    return slow_proxy_hint(url, proxy_for(url), certain=False)
