"""Progress bars for downloads that tfhub's http client does not make: gs:// archives read
through tf.io.gfile, and the archives upstream-style resolvers hand `DownloadManager`. They count
their bytes on the same bar as http(s) downloads (TFHUB_DOWNLOAD_PROGRESS,
`hub.disable_progress_bars()`), as upstream's `DownloadManager` reported them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


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
