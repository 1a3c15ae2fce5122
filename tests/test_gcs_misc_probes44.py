"""Probes (session 44): the last gs:// reads and writes outside the loaders end in time.

`tf_utils.read_file_to_string` (upstream's name) read a gs:// file through tf.io.gfile, and
`file_utils.extract_file` wrote a tar member to a gs:// path through a GFile: TensorFlow's GCS
client waits for an object (or an upload's answer) that trickles for an hour per request, and
retries, so both hung. Each request is now bounded by TFHUB_HTTP_TIMEOUT plus
TFHUB_HTTP_RETRY_TIMEOUT (`gfile_io`), while upstream's errors stay (TensorFlow's NotFoundError
for a missing file, its PermissionDeniedError for a refused one). The nearest-neighbour tool's
remote reads now go through the same reader (`gfile_io.read_steps`) and keep their errors. A
child process talks to the stand-in for GCS (tests/_helpers/gcs_stand_in.py), one scenario per
row.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    ARCHIVE,
    REFUSE_READ,
    REFUSE_UPLOADS,
    ROWS_AT_ONCE,
    SHORT_TIMEOUTS,
    TRICKLE_ONCE,
    TRICKLE_UPLOADS,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)
from tests._helpers.warm_python import run_warm_python

pytestmark = pytest.mark.tf

BOUND_SECONDS = 15.0  # How long a scenario may run before the child reports it hung.
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 4  # What a timed-out scenario may take in all.
FOLDER = "misc44"  # The stand-in's working-bucket folder of these probes.
TEXT = "héllo\nwörld\n"
RECORDS = b"\x00records\xff" * 7

# Each (name, kind, path, archive) row, in the child (`gcs_stand_in.run_scenarios`).
SCENARIO = """
import tarfile
from tfhub import file_utils, tf_utils
from tfhub.tools.make_nearest_neighbour_index import storage

def scenario(report, name, kind, path, archive):
    if kind == "read":
        report["result"] = tf_utils.read_file_to_string(path)
    elif kind == "read-again":  # A second read in the same process, after one that failed.
        try:
            tf_utils.read_file_to_string(path)
        except Exception as err:
            report["first"] = type(err).__name__
        report["result"] = tf_utils.read_file_to_string(path)
    elif kind == "extract":
        sizes = []
        with tarfile.open(archive) as tgz:
            member = tgz.getmember("saved_model.pb")
            file_utils.extract_file(tgz, member, path, buffer_size=50, log_function=sizes.append)
        report["result"] = sizes
    elif kind == "nn-read":
        report["result"] = storage.read_bytes(path).hex()
    else:  # nn-copy
        with storage.local_copies([path]) as copies, open(copies[0], "rb") as copy:
            report["result"] = copy.read().hex()
"""

SCENARIOS = {
    "read-good": ("read", f"gs://writable/{FOLDER}/notes.txt"),
    "read-trickle": ("read", f"gs://stalls/{FOLDER}/notes.txt"),
    "read-missing": ("read", f"gs://writable/{FOLDER}/none.txt"),
    "read-refused": ("read", f"gs://writable/{REFUSE_READ}/{FOLDER}/notes.txt"),
    "read-again": ("read-again", f"gs://writable/{TRICKLE_ONCE}/{FOLDER}/notes.txt"),
    "extract-good": ("extract", f"gs://writable/{FOLDER}/out/saved_model.pb"),
    "extract-trickle": ("extract", f"gs://writable/{TRICKLE_UPLOADS}/{FOLDER}/saved_model.pb"),
    "extract-refused": ("extract", f"gs://writable/{REFUSE_UPLOADS}/{FOLDER}/saved_model.pb"),
    "nn-missing": ("nn-read", f"gs://writable/{FOLDER}/none.npy"),
    "nn-trickle": ("nn-read", f"gs://stalls/{FOLDER}/ann.index"),
    "nn-copy": ("nn-copy", f"gs://writable/{FOLDER}/emb-00000-of-00001.tfrecords"),
}
# The objects of the stand-in's working bucket those scenarios read.
OBJECTS = {
    f"{FOLDER}/notes.txt": TEXT.encode(),
    f"{REFUSE_READ}/{FOLDER}/notes.txt": TEXT.encode(),
    f"{TRICKLE_ONCE}/{FOLDER}/notes.txt": TEXT.encode(),
    f"{FOLDER}/emb-00000-of-00001.tfrecords": RECORDS,
}


def _member() -> bytes:
    """The bytes of ARCHIVE's saved_model.pb, which the extract scenarios copy."""
    with tarfile.open(fileobj=io.BytesIO(ARCHIVE)) as archive:
        member = archive.extractfile("saved_model.pb")
        assert member is not None
        return member.read()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the child reported for each scenario, with the stand-in's objects afterwards:
    computed once per test run, by the first pytest worker that asks (`computed_once`)."""
    found = computed_once(tmp_path_factory, __name__, lambda: _run_plan(tmp_path_factory))
    objects = {name: bytes.fromhex(data) for name, data in found["objects"].items()}
    return {**found, "objects": objects}


def _run_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs SCENARIOS in the child (`run_scenarios`) against a stand-in; `reports`' result,
    the objects' bytes in hex."""
    archive = tmp_path_factory.mktemp("archive") / "m.tar.gz"
    archive.write_bytes(ARCHIVE)
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update(OBJECTS)
        plan = [(name, kind, path, str(archive)) for name, (kind, path) in SCENARIOS.items()]
        found, stderr = run_scenarios(
            SCENARIO, plan, bound=BOUND_SECONDS, env=gcs.short_env(), at_once=ROWS_AT_ONCE
        )
        objects = {name: data.hex() for name, data in gcs.objects.items()}
        return {"reports": found, "stderr": stderr, "objects": objects}


def _ended(reports: dict[str, Any], name: str) -> dict[str, Any]:
    return ended(reports["reports"], name, reports["stderr"], within=WITHIN)


def _succeeded(reports: dict[str, Any], name: str) -> Any:
    report = reports["reports"][name]
    assert not report["hung"] and "type" not in report, report
    return report["result"]


def _timed_out(reports: dict[str, Any], name: str) -> str:
    return timed_out(
        _ended(reports, name),
        SCENARIOS[name][1],
        bases=("RetryTimeoutError", "DownloadError"),
        settings=(TIMEOUT, RETRY_TIMEOUT),
    )


def _tensorflows(report: dict[str, Any], name: str) -> str:
    """The message of TensorFlow's own error `name` (an OpError), as upstream raised it."""
    assert report["type"] == name and "OpError" in report["bases"], report
    assert report["module"].startswith("tensorflow."), report
    return str(report["message"])


# tf_utils.read_file_to_string


def test_read_file_to_string_reads_a_gcs_file_as_text(reports: dict[str, Any]) -> None:
    assert _succeeded(reports, "read-good") == TEXT


def test_read_file_to_string_of_a_gcs_file_that_trickles_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # Held the caller for an hour per request of TensorFlow's (the child's bound: "hung").
    message = _timed_out(reports, "read-trickle")
    assert "from byte 0" in message, message


def test_read_file_to_string_of_a_missing_gcs_file_is_tensorflows_not_found_error(
    reports: dict[str, Any],
) -> None:
    # Upstream raised tf.errors.NotFoundError, and users catch it.
    message = _tensorflows(_ended(reports, "read-missing"), "NotFoundError")
    assert "none.txt" in message, message


def test_read_file_to_string_of_a_refused_gcs_file_is_tensorflows_error_as_upstream(
    reports: dict[str, Any],
) -> None:
    message = _tensorflows(_ended(reports, "read-refused"), "PermissionDeniedError")
    assert "403" in message and "read refused" in message, message


def test_a_read_after_one_that_timed_out_asks_the_server_again(reports: dict[str, Any]) -> None:
    # The object's first read trickles (it times out, and its call runs on); the server then
    # serves it: the second read must not wait behind the stuck call.
    report = reports["reports"]["read-again"]
    assert report.get("first") == "RetryTimeoutError", report
    assert _succeeded(reports, "read-again") == TEXT


def test_read_file_to_string_of_a_local_file_is_read_in_this_thread(tmp_path: Path) -> None:
    # As before: no thread, no deadline module for a local path (only a URL needs them).
    (tmp_path / "notes.txt").write_text(TEXT, encoding="utf-8")
    code = """
        import os, sys, threading
        import tensorflow as tf
        from tfhub import tf_utils
        folder = sys.argv[1]
        assert tf_utils.read_file_to_string(os.path.join(folder, "notes.txt")) == sys.argv[2]
        assert tf_utils.read_file_to_string(os.fsencode(folder) + b"/notes.txt") == sys.argv[2]
        try:
            tf_utils.read_file_to_string(os.path.join(folder, "none.txt"))
        except tf.errors.NotFoundError:
            pass
        else:
            raise AssertionError("no NotFoundError")
        assert "tfhub._http_deadline" not in sys.modules
        assert not [t for t in threading.enumerate() if t.name.startswith("tfhub")]
        """
    run_warm_python(code, str(tmp_path), TEXT)  # Forked after TensorFlow's import, not tfhub's.


# file_utils.extract_file


def test_extract_file_onto_gcs_uploads_the_member_and_logs_each_chunk(
    reports: dict[str, Any],
) -> None:
    data = _member()
    sizes = _succeeded(reports, "extract-good")
    assert sizes == [50, 50, len(data) - 100], sizes  # buffer_size=50.
    assert reports["objects"][f"{FOLDER}/out/saved_model.pb"] == data


def test_extract_file_onto_gcs_whose_upload_trickles_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # The GFile's close (the upload) held the caller for an hour per request.
    _timed_out(reports, "extract-trickle")
    assert f"{TRICKLE_UPLOADS}/{FOLDER}/saved_model.pb" not in reports["objects"]


def test_extract_file_onto_gcs_that_refuses_it_is_tensorflows_error_as_upstream(
    reports: dict[str, Any],
) -> None:
    message = _tensorflows(_ended(reports, "extract-refused"), "PermissionDeniedError")
    assert "upload refused" in message, message


# The nearest-neighbour tool's remote reads, through gfile_io's reader.


def test_the_tools_read_of_a_missing_gcs_file_is_a_download_error_naming_it(
    reports: dict[str, Any],
) -> None:
    # The reader's own error for a missing file is a ModelNotFoundError saying "Check the
    # handle" (exit 7); the tool's stays a DownloadError (exit 4) naming the path.
    report = _ended(reports, "nn-missing")
    assert report["type"] == "DownloadError" and report["module"] == "tfhub.errors", report
    assert report["cause"] == "NotFoundError", report
    message = report["message"]
    assert message.startswith(f"Cannot read {SCENARIOS['nn-missing'][1]}: "), message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message and "handle" not in message, message


def test_the_tools_read_of_a_gcs_file_that_trickles_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    message = _timed_out(reports, "nn-trickle")
    assert "from byte 0" in message, message


def test_the_tools_local_copy_of_a_gcs_record_file_holds_its_bytes(
    reports: dict[str, Any],
) -> None:
    assert bytes.fromhex(_succeeded(reports, "nn-copy")) == RECORDS
