"""Probes (session 40) of the remote handles against a hostile network.

gs:// is read by TensorFlow itself, so a child process is pointed at a stand-in for GCS on
127.0.0.1 (tests/_helpers/gcs_stand_in.py). Each bucket of the stand-in misbehaves its own
way; the child resolves one handle per bucket in a thread and reports what it raised and how
long it took.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    SHORT_TIMEOUTS,
    TOKEN,
    GcsStandIn,
    run_scenarios,
    serve_gcs,
    within_own_seconds,
)
from tests._helpers.raw_server import serve_raw

import tfhub as hub
from tfhub import errors

_E = TypeVar("_E", bound=BaseException)

# How long a scenario may take (TensorFlow's retries are cut to one by the child's settings).
BOUND_SECONDS = 15.0
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).


@pytest.fixture(scope="module")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsStandIn]:
    """The stand-in for GCS (tests/_helpers/gcs_stand_in.py)."""
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as stand_in:
        yield stand_in


# Each (name, handle, cache, bars) row, in the child (`gcs_stand_in.run_scenarios`).
SCENARIO = """
import tfhub as hub

def scenario(report, name, handle, cache, bars):
    os.environ["TFHUB_CACHE_DIR"] = cache
    os.environ["TFHUB_DOWNLOAD_PROGRESS"] = bars  # On: the object's size is asked first.
    if name.startswith("load-"):
        report["result"] = repr(hub.load(handle))
    else:
        report["result"] = hub.resolve(handle)
"""

SCENARIOS = {
    "escapes": "gs://escapes/m.tar.gz",
    "echoes": "gs://echoes/m.tar.gz",
    "html": "gs://html/m.tar.gz",
    "cut": "gs://cut/m.tar.gz",
    "missing": "gs://missing/m.tar.gz",
    "pages-forever": "gs://pages-forever/model",
    "cache-pages-forever": "gs://good/m.tar.gz",
    "load-pages-forever": "gs://pages-forever/other-model",
    "resized": "gs://resized/m.tar.gz",
}


@pytest.fixture(scope="module")
def reports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the child reported for each scenario, with the local cache it used and the
    stand-in's requests: computed once per test run, by the first pytest worker that asks
    (`computed_once`)."""
    return computed_once(
        tmp_path_factory,
        __name__,
        lambda: _run_plan(request.getfixturevalue("gcs"), tmp_path_factory),
    )


def _run_plan(gcs: GcsStandIn, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs SCENARIOS in the child (`run_scenarios`); `reports`' result."""
    root = tmp_path_factory.mktemp("caches")
    plan = []
    for name, handle in SCENARIOS.items():
        cache = "gs://pages-forever/cache" if name.startswith("cache-") else f"{root}/{name}"
        plan.append((name, handle, cache, "1" if name == "resized" else "0"))
    env = gcs.short_env()
    # Two children (rows 0, 2, 4, ...; 1, 3, ...): a row sets TFHUB_CACHE_DIR, so rows of one
    # child run one after the other; the children's timeouts overlap.
    found, stderr = run_scenarios(SCENARIO, plan, bound=BOUND_SECONDS, env=env, processes=2)
    requests = list(gcs.requests)
    return {"reports": found, "root": os.fspath(root), "stderr": stderr, "requests": requests}


def _report(reports: dict[str, Any], name: str) -> dict[str, Any]:
    report = reports["reports"][name]
    assert not report["hung"], f"{SCENARIOS[name]} did not end within {BOUND_SECONDS} s"
    assert "result" not in report, report
    assert report["module"].startswith("tfhub.errors"), report
    assert TOKEN not in report["message"], report["message"]
    assert TOKEN not in reports["stderr"]
    return report


def _cache_left(reports: dict[str, Any], name: str) -> list[str]:
    """What a failed resolve left in its local cache (its `.locks` folder aside)."""
    cache = Path(reports["root"], name)
    return sorted(p.name for p in cache.iterdir() if p.name != ".locks") if cache.exists() else []


@pytest.mark.tf
def test_a_gcs_error_body_with_terminal_escapes_is_quoted_escaped_on_one_line(
    reports: dict[str, Any],
) -> None:
    report = _report(reports, "escapes")
    message = report["message"]
    assert "DownloadError" in report["bases"] and "OSError" in report["bases"]
    assert "gs://escapes/m.tar.gz" in message and "403" in message
    assert message.isprintable(), repr(message)  # No ESC, BEL, CR or line break from the body.
    assert "\\x1B]0;owned" in message, message  # Still said, escaped.
    assert _cache_left(reports, "escapes") == []


@pytest.mark.tf
def test_a_gcs_error_body_echoing_the_access_token_is_quoted_without_it(
    reports: dict[str, Any],
) -> None:
    report = _report(reports, "echoes")  # Checks the token is not in the message.
    message = report["message"]
    assert "DownloadError" in report["bases"] and "gs://echoes/m.tar.gz" in message, report
    assert "Invalid token Bearer ***" in message, message
    assert TOKEN[5:] not in message, message
    assert _cache_left(reports, "echoes") == []


@pytest.mark.tf
@pytest.mark.parametrize(
    ("name", "error", "said"),
    [
        ("html", "NotAnArchiveError", "HTML page"),
        ("cut", "DownloadError", "partial file"),
        ("missing", "ModelNotFoundError", "does not exist"),
    ],
)
def test_a_gcs_object_answered_badly_is_a_tfhub_error_and_leaves_no_entry(
    reports: dict[str, Any], name: str, error: str, said: str
) -> None:
    report = _report(reports, name)
    assert error in report["bases"], report
    assert said in report["message"] and SCENARIOS[name] in report["message"], report
    assert report["message"].isprintable(), repr(report["message"])
    assert _cache_left(reports, name) == []


@pytest.mark.tf
def test_a_gcs_listing_that_pages_forever_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # TensorFlow's exists() asks the listing for one name and follows nextPageToken for ever.
    report = _report(reports, "pages-forever")
    sent = reports["requests"]
    pages = [line for line in sent if "/b/pages-forever/o?" in line and "pageToken" in line]
    assert len(pages) > 3, sent  # It did page (and the thread left behind may page on).
    assert "TimeoutError" in report["bases"] and "DownloadError" in report["bases"], report
    assert "gs://pages-forever/model" in report["message"], report
    assert "TFHUB_HTTP_RETRY_TIMEOUT" in report["message"], report
    assert TIMEOUT + RETRY_TIMEOUT <= report["seconds"], report
    within_own_seconds(report, TIMEOUT + RETRY_TIMEOUT + 3)  # A busy machine's aside.


@pytest.mark.tf
def test_hub_load_of_a_gcs_folder_whose_listing_pages_forever_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    report = _report(reports, "load-pages-forever")
    assert "RetryTimeoutError" in report["bases"] and "TimeoutError" in report["bases"], report
    assert "gs://pages-forever/other-model" in report["message"], report


@pytest.mark.tf
def test_a_gcs_cache_whose_listing_pages_forever_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    report = _report(reports, "cache-pages-forever")
    sent = reports["requests"]
    assert all(line.startswith("GET ") for line in sent), sent  # Nothing was written.
    assert "TimeoutError" in report["bases"], report
    assert "gs://pages-forever/cache" in report["message"], report
    assert "TFHUB_HTTP_RETRY_TIMEOUT" in report["message"], report


@pytest.mark.tf
def test_a_gcs_object_whose_size_and_data_disagree_says_to_try_again(
    reports: dict[str, Any],
) -> None:
    # The object replaced between the request of its size (for the progress bar) and its read:
    # TensorFlow's DataLossError "File contents are inconsistent". Not the path, nor access.
    report = _report(reports, "resized")
    message = report["message"]
    assert "DownloadError" in report["bases"] and "gs://resized/m.tar.gz" in message, report
    assert "changed while it was read" in message and "try again" in message, message
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in message, message
    assert _cache_left(reports, "resized") == []


# The hosting protocol over http(s), answered by a raw server on 127.0.0.1.


def _resolve_refused(answer: bytes, error: type[_E]) -> tuple[_E, str, list[str]]:
    """Resolves a model URL of a raw server that gives `answer` to any request, expecting
    `error`: (the error raised, the handle, the request lines the server saw)."""
    listener, seen = serve_raw(answer)
    handle = f"http://127.0.0.1:{listener.getsockname()[1]}/models/m/1"
    try:
        with pytest.raises(error) as caught:
            hub.resolve(handle)
    finally:
        listener.close()
    return caught.value, handle, seen


def test_a_304_to_a_request_that_asked_for_no_cached_copy_blames_a_cache_on_the_way(
    isolated_cache: Path,
) -> None:
    # tfhub sends no If-None-Match or If-Modified-Since: a 304 comes from a caching proxy or a
    # server that got it wrong, not from a wrong handle.
    answer = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n"
    error, handle, seen = _resolve_refused(answer, errors.HTTPStatusError)
    message = str(error)
    assert error.code == 304 and handle in message and "?tf-hub-format=compressed" in message
    assert "Check the handle" not in message, message
    assert "proxy" in message and "try again" in message, message
    assert seen == ["GET /models/m/1?tf-hub-format=compressed HTTP/1.1"]
    assert sorted(p.name for p in isolated_cache.iterdir()) in ([], [".locks"])


@pytest.mark.tf
def test_the_local_caches_the_failed_gcs_downloads_used_verify_clean(
    reports: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tfhub.cli.main import main

    verified = 0
    for name in SCENARIOS:
        cache = Path(reports["root"], name)
        if not cache.exists():
            continue  # A scenario that failed before it looked up its entry.
        verified += 1
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(cache))
        assert main(["cache", "verify"]) == 0, (name, capsys.readouterr())
        out, err = capsys.readouterr()
        assert "leftover" not in (out + err).lower() and "DAMAGED" not in out, (name, out, err)
    assert verified >= 5, verified


def test_a_content_encoding_with_terminal_escapes_is_named_escaped(isolated_cache: Path) -> None:
    # The header's value is the server's text: quoted in the error, it must not reach a terminal
    # as escapes (ESC ]0; sets the window's title, ESC [2J clears the screen).
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: br\x1b]0;owned\x07\x1b[2J\r\n"
        b"Content-Length: 4\r\nConnection: close\r\n\r\nabcd"
    )
    message = str(_resolve_refused(answer, errors.NotAnArchiveError)[0])
    assert message.isprintable(), repr(message)
    assert "Content-Encoding: br\\x1B]0;owned\\x07" in message, message
    assert sorted(p.name for p in isolated_cache.iterdir()) in ([], [".locks"])
