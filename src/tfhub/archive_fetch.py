"""The fetches `download.atomic_download` fills a folder with: an archive over http(s).

`fetch_http_archive` streams an archive into the download's temporary folder, extracting it as
it arrives, and starts again from an empty folder when a broken download cannot be resumed;
`with_archive_hint` adds what to do to an archive's error, for every resolver that extracts one.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable

from . import _archive, _http, _http_body, _http_deadline, _http_encoding, constants, errors
from .utils import progress
from .utils.redact import redact

logger = logging.getLogger(__name__)


def fetch_http_archive(url: str, *, handle: str) -> Callable[[str], _archive.ExtractResult]:
    """Returns a fetch that streams an archive from `url` and extracts it (restarting if needed).

    Args:
        url: the URL to download (with any format query already added).
        handle: the handle, named in errors and in the progress bar.

    Returns:
        A function that fills a folder and returns what `download_and_extract` returns.
    """

    def fetch(target: str) -> _archive.ExtractResult:
        retries = constants.http_retries()
        budget = _http_deadline.RetryBudget(handle=handle, url=url)  # Across the restarts.
        for attempt in range(retries + 1):
            try:
                return download_and_extract(url, target, handle=handle, budget=budget)
            except _http.RestartDownload:
                if attempt == retries:
                    raise
                budget.not_resumable()  # The break was counted, with its cause, where it broke.
                seconds = _http.backoff_seconds(attempt + 1)
                budget.check(seconds)
                logger.info("Restarting the download of %s from the start.", redact(url))
                _empty_folder(target)
                time.sleep(seconds)
        raise AssertionError("unreachable")

    return fetch


def download_and_extract(
    url: str,
    target: str,
    *,
    handle: str,
    budget: _http_deadline.RetryBudget | None = None,
) -> _archive.ExtractResult:
    """Streams one archive from `url` into the folder `target` (one attempt, resuming drops).

    The network is read and the archive decompressed in a background thread, while this thread
    writes and hashes the files (see `_archive.extract`).

    Args:
        url: the URL to download.
        target: the empty folder to fill.
        handle: the handle, named in errors and in the progress bar.
        budget: the retries' budget (TFHUB_HTTP_RETRY_TIMEOUT) shared with the caller's
            restarts; None: one of this attempt's own.

    Returns:
        An `_archive.ExtractResult`: `files` maps each file's relative path to (size, hex
        digest), `algorithm` names the digest ("sha256"); `.sizes()` gives {path: size}.

    Raises:
        tfhub.errors.DownloadError: and its subclasses, naming the handle and URL (also
            DownloadTooSlowError below TFHUB_DOWNLOAD_MIN_SPEED).
        tfhub.errors.ArchiveError: for truncated, corrupt, unsafe or too large archives.
        tfhub.errors.RetryTimeoutError: it kept failing for longer than
            TFHUB_HTTP_RETRY_TIMEOUT without receiving data.
    """
    body = _http_body.HttpBody(url, handle=handle, budget=budget)
    bar = progress.download_bar(description=f"Downloading {handle}", total=body.total)
    body.progress = bar
    try:
        # The body decides, not Content-Type: misconfigured servers label archives text/html.
        # Named as given, as upstream names it (the URL may carry the format query or be
        # Kaggle's long form).
        stream = _http_encoding.decoded(body, body.content_encoding, url=redact(url))
        # Redacted: the source is also kept on errors (ArchiveTooLargeError.source), which
        # are pickled and inspected, not only printed.
        return _archive.extract(stream, target, source=redact(handle))
    except errors.NotAnArchiveError as err:
        hint = (
            _http.moved_hint(url)
            or _http.kaggle_hint(url, 404)
            or _redirected_hint(url, body.final_url)
            or " Check the handle."
        )
        raise errors.NotAnArchiveError(f"{err}{hint}") from err
    except errors.ArchiveError as err:
        raise with_archive_hint(err, remote=True) from err
    finally:
        bar.close()
        body.close()  # Its connection's pool too (`_http_socket.close_pools`).


def with_archive_hint(err: errors.ArchiveError, *, remote: bool) -> errors.ArchiveError:
    """Adds what to do to an unsafe, truncated or corrupt archive's error (same class).

    Errors that say what to do already (ArchiveTooLargeError) are returned as they are; an
    UndecodableArchiveError (not damaged) is told only that nothing was installed.
    """
    if type(err) is errors.UnsafeArchiveError:
        return errors.UnsafeArchiveError(
            f"{err} Nothing was installed or written outside the cache. Do not unpack it by "
            "hand: ask its publisher for an archive of plain files and folders inside the model."
        )
    if type(err) is errors.UndecodableArchiveError:  # Says what to do; not damaged.
        return errors.UndecodableArchiveError(f"{err} Nothing was installed.")
    if type(err) is errors.ArchiveError:
        todo = (
            "try again; if it fails again, the archive on the server is damaged (tell its owner)"
            if remote
            else "get a fresh copy of the archive"
        )
        return errors.ArchiveError(f"{err} Nothing was installed: {todo}.")
    return err


def _redirected_hint(url: str, final_url: str | None) -> str:
    """What to do when redirects led `url` to `final_url`, which answered no archive (a login
    page of a captive portal or an SSO proxy, mostly), naming that page (its secrets hidden);
    "" when no redirect led elsewhere.

    The URL is followed by a space, never by punctuation: `redact` hides what follows a secret
    query value up to the next space (but a ")" closing a "(" opened before the URL), as a
    value may end in punctuation.
    """
    if not final_url or final_url == url:
        return ""
    return (
        f" The request was redirected to {redact(final_url)} and that page answered: if it is "
        "a login or captive portal (a hotel's or office's network, an SSO proxy), log in there "
        "in a browser, or set the proxy (HTTPS_PROXY) or the token (TFHUB_TOKEN) your network "
        "or hub needs, then try again; if it is the hub's own page, check the handle."
    )


def _empty_folder(folder: str) -> None:
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.remove(entry.path)
