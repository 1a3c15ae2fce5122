"""TFHUB_DOWNLOAD_MIN_SPEED for one download (`MinimumPace`): the rule tfhub's http bodies and
the archives handed to upstream-style resolvers' `DownloadManager` both keep, since a per-read
timeout alone lets a server dripping a byte a second hold a download for days."""

from __future__ import annotations

from .. import constants, errors


class MinimumPace:
    """Counts the bytes a download's reads brought and the seconds they waited; raises once
    less than TFHUB_DOWNLOAD_MIN_SPEED arrived, averaged over TFHUB_HTTP_TIMEOUT seconds spent
    waiting (then counts again from 0)."""

    def __init__(self, *, what: str, url: str) -> None:
        """Args:
        what: what could not be downloaded, as the error's message names it ("'h' from URL").
        url: the download's URL, credentials redacted (the error's `.url`).
        """
        self._what = what
        self._url = url
        self._min_speed = constants.download_min_speed()
        self._window = constants.http_timeout()
        self._seconds = 0.0
        self._bytes = 0

    def check(self, count: int, seconds: float) -> None:
        """Counts one read: `count` bytes after `seconds` of waiting.

        Raises:
            tfhub.errors.DownloadTooSlowError: (a TimeoutError) the data arrives too slowly.
        """
        if not self._min_speed:
            return
        self._seconds += seconds
        self._bytes += count
        if self._seconds < self._window:
            return
        if self._bytes < self._min_speed * self._seconds:
            raise errors.DownloadTooSlowError(
                f"Cannot download {self._what}: only {self._bytes} bytes arrived in "
                f"{self._seconds:.1f} s, less than {constants.TFHUB_DOWNLOAD_MIN_SPEED}="
                f"{self._min_speed:g} bytes/s (averaged over {constants.TFHUB_HTTP_TIMEOUT}="
                f"{self._window:g} s). On a slow network set {constants.TFHUB_DOWNLOAD_MIN_SPEED} "
                "lower (e.g. 100), or to 0 to turn this check off.",
                url=self._url,
                min_speed=self._min_speed,
                seconds=self._seconds,
            )
        self._seconds, self._bytes = 0.0, 0
