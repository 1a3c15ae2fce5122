"""Probes (session 42): tfhub's own reads of gs:// files end in time.

TensorFlow's GCS reader waits for an object that trickles (a byte every 0.2 s) for an hour per
request, and retries: a gs:// archive's download and the read of a gs:// model's saved_model.pb
were held for hours. Each read call is now bounded by TFHUB_HTTP_TIMEOUT plus
TFHUB_HTTP_RETRY_TIMEOUT (`resolvers.gcs`). A child process talks to the stand-in for GCS
(tests/_helpers/gcs_stand_in.py), one scenario per row.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    ARCHIVE,
    MARKER_PAGES,
    REFUSE_READ,
    SHORT_TIMEOUTS,
    TRICKLE_ONCE,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)

BOUND_SECONDS = 20.0  # How long a scenario may run before the child reports it hung.
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 4  # What a timed-out scenario may take in all.

# Each (name, handle, cache, bars) row, in the child (`gcs_stand_in.run_scenarios`).
SCENARIO = """
import os
import tfhub as hub

def scenario(report, name, handle, cache, bars):
    os.environ["TFHUB_CACHE_DIR"] = cache
    os.environ["TFHUB_DOWNLOAD_PROGRESS"] = bars  # On: the object's size is asked first.
    if name.startswith("load-"):
        report["result"] = repr(hub.load(handle))
    elif name.startswith("again-"):  # A second resolve in the same process, after a failure.
        try:
            hub.resolve(handle)
        except Exception as err:
            report["first"] = type(err).__name__
        report["result"] = sorted(os.listdir(hub.resolve(handle)))
    else:
        folder = hub.resolve(handle)
        report["folder"] = folder
        with open(os.path.join(folder, "saved_model.pb"), "rb") as pb:
            report["pb"] = pb.read().hex()
        report["result"] = sorted(os.listdir(folder))
"""

SCENARIOS = {
    "stalled-archive": ("gs://stalls/m.tar.gz", "0"),
    "stalled-archive-bars": ("gs://stalls/m.tar.gz", "1"),
    "load-stalled-model": ("gs://stalls/model", "0"),
    "good-archive": ("gs://good/m.tar.gz", "0"),
    "good-archive-bars": ("gs://good/m.tar.gz", "1"),
    "load-refused-read": (f"gs://writable/{REFUSE_READ}/model", "0"),
    "load-marker-pages": (f"gs://writable/{MARKER_PAGES}/model", "0"),
    "again-after-a-trickle": (f"gs://writable/{TRICKLE_ONCE}/m.tar.gz", "0"),
}
# The objects of the stand-in's working bucket those scenarios read.
OBJECTS = {
    f"{REFUSE_READ}/model/saved_model.pb": b"\x08\x01",
    f"{MARKER_PAGES}/model/saved_model.pb": b"\x08\x01",
    f"{TRICKLE_ONCE}/m.tar.gz": ARCHIVE,
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the child reported for each scenario, with the local caches it used and the
    stand-in's requests: computed once per test run, by the first pytest worker that asks
    (`computed_once`)."""
    return computed_once(tmp_path_factory, __name__, lambda: _run_plan(tmp_path_factory))


def _run_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs SCENARIOS in the child (`run_scenarios`) against a stand-in; `reports`' result."""
    root = tmp_path_factory.mktemp("caches")
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update(OBJECTS)
        plan = [
            (name, handle, f"{root}/{name}", bars) for name, (handle, bars) in SCENARIOS.items()
        ]
        env = gcs.short_env()
        # Three children (rows 0, 3, 6; 1, 4, 7; 2, 5): a row sets TFHUB_CACHE_DIR, so rows of
        # one child run one after the other; the children's timeouts overlap.
        found, stderr = run_scenarios(SCENARIO, plan, bound=BOUND_SECONDS, env=env, processes=3)
        requests = list(gcs.requests)
    return {"reports": found, "stderr": stderr, "root": os.fspath(root), "requests": requests}


def _left_in_cache(reports: dict[str, Any], name: str) -> list[str]:
    """What a scenario left in its cache (its `.locks` folder aside)."""
    cache = Path(reports["root"], name)
    return sorted(p.name for p in cache.iterdir() if p.name != ".locks") if cache.exists() else []


def _timed_out(reports: dict[str, Any], name: str, path: str) -> str:
    """The message of the scenario `name`'s timeout error naming `path` (`ended`, `timed_out`)."""
    report = ended(reports["reports"], name, reports["stderr"], within=WITHIN)
    return timed_out(
        report,
        path,
        bases=("RetryTimeoutError", "DownloadError"),
        settings=(TIMEOUT, RETRY_TIMEOUT),
    )


@pytest.mark.tf
@pytest.mark.parametrize("name", ["stalled-archive", "stalled-archive-bars"])
def test_a_gcs_archive_that_trickles_ends_in_a_timeout_error_and_leaves_no_entry(
    reports: dict[str, Any], name: str
) -> None:
    message = _timed_out(reports, name, "gs://stalls/m.tar.gz")
    assert "from byte 0" in message, message
    assert _left_in_cache(reports, name) == []


@pytest.mark.tf
@pytest.mark.parametrize(
    ("name", "path"),
    [
        # Its saved_model.pb trickles.
        ("load-stalled-model", "gs://stalls/model/saved_model.pb"),
        # TensorFlow's exists() of a missing tfhub_module.pb lists its prefix, following the
        # next page for as long as the server offers one: hub.load's TF1-format check hung.
        ("load-marker-pages", f"gs://writable/{MARKER_PAGES}/model/tfhub_module.pb"),
    ],
    ids=["load-stalled-model", "load-marker-pages"],
)
def test_hub_load_of_a_gcs_model_whose_read_never_ends_ends_in_a_timeout_error(
    reports: dict[str, Any], name: str, path: str
) -> None:
    _timed_out(reports, name, path)


@pytest.mark.tf
@pytest.mark.parametrize("name", ["good-archive", "good-archive-bars"])
def test_a_gcs_archive_read_in_bounded_calls_is_extracted_whole(
    reports: dict[str, Any], name: str
) -> None:
    import io
    import tarfile

    report = reports["reports"][name]
    assert not report["hung"] and "type" not in report, report
    assert report["result"] == ["assets", "saved_model.pb"], report
    with tarfile.open(fileobj=io.BytesIO(ARCHIVE)) as archive:
        member = archive.extractfile("saved_model.pb")
        assert member is not None
        assert bytes.fromhex(report["pb"]) == member.read()
    sent = reports["requests"]
    assert any(line.startswith("GET storage.googleapis.com/good/m.tar.gz") for line in sent)


@pytest.mark.tf
def test_a_remote_tfhub_module_pb_larger_than_a_module_def_is_refused_unread_whole() -> None:
    """A local tfhub_module.pb over 1 MiB was refused, a remote one read whole (any size)."""
    import tensorflow as tf

    from tfhub import errors, saved_model_proto

    folder = "ram://tfhub-gcs-reads-probes42/big-marker"
    with tf.io.gfile.GFile(f"{folder}/tfhub_module.pb", "wb") as out:
        out.write(b"\0" * (2 << 20))
    with pytest.raises(errors.DamagedModelError) as raised:
        saved_model_proto.read_module_def_bytes(folder)
    message = str(raised.value)
    assert "tfhub_module.pb (over 1,048,576 bytes) is larger than the 1 MiB" in message, message


@pytest.mark.tf
def test_hub_load_of_a_gcs_model_whose_saved_model_pb_is_refused_is_a_download_error(
    reports: dict[str, Any],
) -> None:
    # Was TensorFlow's bare PermissionDeniedError.
    report = ended(reports["reports"], "load-refused-read", reports["stderr"], within=WITHIN)
    assert report["module"] == "tfhub.errors" and "DownloadError" in report["bases"], report
    message = report["message"]
    assert f"Cannot read gs://writable/{REFUSE_READ}/model/saved_model.pb" in message, message
    assert "403" in message and "read refused" in message, message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message, message


@pytest.mark.tf
def test_a_resolve_after_a_read_that_timed_out_asks_the_server_again(
    reports: dict[str, Any],
) -> None:
    # The first read of the object trickles (it times out, and its call runs on); the server
    # then serves it. The second resolve's read of the same bytes waited behind the stuck
    # call (same question), and timed out too without asking the server.
    report = reports["reports"]["again-after-a-trickle"]
    assert not report["hung"] and "type" not in report, report
    assert report["first"] == "RetryTimeoutError", report
    assert report["result"] == ["assets", "saved_model.pb"], report
