"""Probes (session 43): a cache on gs:// (TFHUB_CACHE_DIR=gs://...) never waits without bound.

Only a gs:// cache entry's completeness check was bounded: its uploads, copies, removals and
listings went to TensorFlow's GCS client unbounded, which waits for an answer up to an hour per
request, then retries: `hub.resolve("https://...")` with a gs:// cache hung while the server
trickled an upload's answer or a listing paged on. Each of those requests now ends within
TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (`tfhub.gfile_io`'s writes). A child process
resolves an http archive handle (a local server) into a cache on the GCS stand-in
(tests/_helpers/gcs_stand_in.py), one scenario per row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.archives import make_tar_gz
from tests._helpers.gcs_stand_in import (
    REFUSE_UPLOADS,
    SHORT_TIMEOUTS,
    STALLED_LISTING,
    TRICKLE_MANIFEST,
    TRICKLE_UPLOAD_ONCE,
    TRICKLE_UPLOADS,
    WRITABLE,
    GcsStandIn,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)
from tests._helpers.http_server import LocalServer, archive_gets, serve_folder

from tfhub.handles import cache_key

BOUND_SECONDS = 30.0  # How long a scenario may run before the child reports it hung.
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
# What a timed-out scenario may take in all: its stuck request's bound, and the download, the
# copies before it and the clean-up after it (~5 s on an idle machine: the stand-in answers at
# once, TensorFlow sends a few requests per file).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 12

# Each (name, handle, cache) row, in the child (`gcs_stand_in.run_scenarios`). After an error,
# `damage` says what the completeness check makes of the entry (None: it would be served).
SCENARIO = """
import os
import tfhub as hub
from tfhub.cache import layout, remote

def scenario(report, name, handle, cache):
    os.environ["TFHUB_CACHE_DIR"] = cache
    if name.startswith("again-"):  # Resolved twice in one process.
        try:
            report["first"] = hub.resolve(handle)
        except Exception as err:
            report["first"] = type(err).__name__
            report["first_message"] = str(err)
        report["result"] = hub.resolve(handle)
        return
    try:
        hub.resolve(handle)
    finally:
        report["damage"] = remote.damage(layout.module_dir(handle))
"""

FOLDERS = {  # Scenario -> its cache's folder in the stand-in's working bucket.
    "trickling-uploads": TRICKLE_UPLOADS,
    "trickling-manifest": TRICKLE_MANIFEST,
    "refused-upload": REFUSE_UPLOADS,
    "stalled-listing": STALLED_LISTING,
    "again-happy": "happy",
    "again-after-a-trickle": TRICKLE_UPLOAD_ONCE,
}
HAPPY_ARCHIVE = "happy.tar.gz"  # Served for "again-happy" alone: its downloads are counted.


@dataclasses.dataclass(frozen=True)
class _Servers:
    """The GCS stand-in and the server of the archives (HAPPY_ARCHIVE, and `handle`'s)."""

    gcs: GcsStandIn
    http: LocalServer
    handle: str


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Servers]:
    served = tmp_path_factory.mktemp("served")
    make_tar_gz(served / "m.tar.gz")
    make_tar_gz(served / HAPPY_ARCHIVE)
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs, serve_folder(str(served)) as http:
        yield _Servers(gcs, http, http.url("m.tar.gz"))


@pytest.fixture(scope="module")
def reports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the child reported for each scenario, its stderr, the handle it resolved, the
    objects of the stand-in (names) and the archives' GETs after the runs: computed once per
    test run, by the first pytest worker that asks (`computed_once`)."""
    return computed_once(
        tmp_path_factory, __name__, lambda: _run_plan(request.getfixturevalue("servers"))
    )


def _run_plan(servers: _Servers) -> dict[str, Any]:
    """Runs FOLDERS' scenarios in the child (`run_scenarios`); `reports`' result."""
    happy = servers.http.url(HAPPY_ARCHIVE)
    plan = [
        (name, happy if name == "again-happy" else servers.handle, f"gs://{WRITABLE}/{f}")
        for name, f in FOLDERS.items()
    ]
    # Three children (rows 0 and 3, 1 and 4, 2 and 5): a row sets TFHUB_CACHE_DIR, so rows
    # of one child run one after the other; the children's timeouts overlap.
    found, stderr = run_scenarios(
        SCENARIO, plan, bound=BOUND_SECONDS, env=servers.gcs.short_env(), processes=3
    )
    return {
        "reports": found,
        "stderr": stderr,
        "handle": servers.handle,
        "happy": happy,
        "objects": sorted(servers.gcs.objects),
        "happy_gets": len(archive_gets(servers.http, HAPPY_ARCHIVE)),
    }


def _objects(reports: dict[str, Any], name: str) -> list[str]:
    """The objects a scenario's cache held in the stand-in after the runs."""
    return [key for key in reports["objects"] if key.startswith(FOLDERS[name] + "/")]


def _no_complete_entry(reports: dict[str, Any], name: str) -> None:
    """The scenario's cache holds no manifest, and its completeness check says so."""
    report = reports["reports"][name]
    assert report["damage"] is not None, report
    manifests = [key for key in _objects(reports, name) if key.endswith(".manifest.json")]
    assert manifests == [], manifests


@pytest.mark.tf
@pytest.mark.parametrize(
    ("name", "stuck"),
    [
        ("trickling-uploads", ".owner."),  # The staging folder's owner file: the first upload.
        ("trickling-manifest", ".manifest.json"),  # The commit's last step.
        # remove_abandoned's glob lists the cache folder, following every next page.
        ("stalled-listing", None),
    ],
    ids=["trickling-uploads", "trickling-manifest", "stalled-listing"],
)
def test_a_gcs_cache_whose_request_never_ends_ends_in_a_timeout_error_with_no_complete_entry(
    reports: dict[str, Any], name: str, stuck: str | None
) -> None:
    # Hung (the child's bound, 30 s) before the writes and the listing were bounded.
    report = ended(reports["reports"], name, reports["stderr"], within=WITHIN)
    message = timed_out(
        report,
        f"gs://{WRITABLE}/{FOLDERS[name]}/{cache_key(reports['handle'])}",
        bases=("RetryTimeoutError", "DownloadError"),
        settings=(TIMEOUT, RETRY_TIMEOUT),
    )
    if stuck is not None:
        assert stuck in message, message
    _no_complete_entry(reports, name)
    if name == "trickling-manifest":  # Its rename may land later: the files it describes stay.
        key = f"{FOLDERS[name]}/{cache_key(reports['handle'])}"
        assert f"{key}/saved_model.pb" in _objects(reports, name)


@pytest.mark.tf
def test_a_gcs_cache_whose_upload_is_refused_says_so_quoting_the_server(
    reports: dict[str, Any],
) -> None:
    report = ended(reports["reports"], "refused-upload", reports["stderr"], within=WITHIN)
    assert report["module"] == "tfhub.errors" and "OSError" in report["bases"], report
    message = report["message"]
    assert f"gs://{WRITABLE}/{REFUSE_UPLOADS}/" in message, message
    assert "403" in message and "upload refused" in message, message
    _no_complete_entry(reports, "refused-upload")


@pytest.mark.tf
def test_a_working_gcs_cache_is_filled_once_and_then_hit(reports: dict[str, Any]) -> None:
    report = reports["reports"]["again-happy"]
    assert not report["hung"] and "type" not in report, report
    entry = f"gs://{WRITABLE}/happy/{cache_key(reports['happy'])}"
    assert report["first"] == report["result"] == entry, report
    key = entry.removeprefix(f"gs://{WRITABLE}/")
    objects = _objects(reports, "again-happy")
    assert f"{key}.manifest.json" in objects and f"{key}.descriptor.txt" in objects, objects
    assert f"{key}/saved_model.pb" in objects, objects
    assert not [name for name in objects if ".tmp" in name or ".owner" in name], objects
    assert reports["happy_gets"] == 1, reports  # The second resolve was a cache hit.


@pytest.mark.tf
def test_a_resolve_after_an_upload_that_timed_out_fills_the_cache(
    reports: dict[str, Any],
) -> None:
    # The first upload below the cache trickles (the first resolve times out, its call runs
    # on), later ones are stored: the second resolve did not wait behind the stuck call.
    report = reports["reports"]["again-after-a-trickle"]
    assert not report["hung"] and "type" not in report, report
    assert report["first"] == "RetryTimeoutError", report
    entry = f"gs://{WRITABLE}/{TRICKLE_UPLOAD_ONCE}/{cache_key(reports['handle'])}"
    assert report["result"] == entry, report
    key = entry.removeprefix(f"gs://{WRITABLE}/")
    assert f"{key}.manifest.json" in _objects(reports, "again-after-a-trickle")


# Resolves into a cache whose uploads trickle, then returns from the script as a program does
# (no os._exit): the timed-out upload still runs in its thread.
_EXITS = """
import os, sys, time
import tfhub as hub

os.environ["TFHUB_CACHE_DIR"] = sys.argv[2]
try:
    hub.resolve(sys.argv[1])
except Exception as err:
    print(type(err).__name__, flush=True)
print(time.monotonic(), flush=True)
"""


@pytest.mark.tf
def test_a_process_left_with_a_stuck_upload_exits(servers: _Servers) -> None:
    import subprocess
    import time

    from tests._helpers.python_process import python_command

    cache = f"gs://{WRITABLE}/{TRICKLE_UPLOADS}"
    started = time.monotonic()
    done = subprocess.run(
        python_command(_EXITS, servers.handle, cache),
        env=servers.gcs.short_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    ended_at = time.monotonic()
    lines = done.stdout.split()
    assert done.returncode == 0 and lines[:1] == ["RetryTimeoutError"], done.stderr[-2000:]
    # The exit (interpreter and TensorFlow shut down) after the script's end, on the same clock:
    # a stuck upload thread would hold it as long as GCS trickles (up to an hour per request);
    # a shut-down takes ~2 s idle and took 15.7 s on a loaded 2-core machine, hence 60.
    assert ended_at - float(lines[1]) < 60, (ended_at - float(lines[1]), ended_at - started)
