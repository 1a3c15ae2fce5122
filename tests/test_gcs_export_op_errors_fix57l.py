"""A TF1 module's export to gs:// whose request ends with any TensorFlow error is also that
TensorFlow class (session 57, fix57l): 0.10.0 let every such error through, so `except
tf.errors.OpError` must keep catching it. fix57c did a 403, a 404 and a full TMPDIR; ABORTED
(TensorFlow's GCS client after its retries of a 5xx), FAILED_PRECONDITION (a 412),
INVALID_ARGUMENT (a 400), ... stayed a plain ExportWriteError. Three end to end against the
suite's stand-in for GCS (tests/_helpers/gcs_stand_in.py), every code by a table in-process.
"""

from __future__ import annotations

import json
import pickle
import re
import time
import urllib.parse
from typing import Any

import pytest
from tests._helpers import gcs_stand_in
from tests._helpers.gcs_stand_in import WRITABLE, run_scenarios, serve_gcs
from tests.test_gcs_export_errors_fix57c import SCENARIO

BOUND_SECONDS = 20.0  # How long a scenario may run before the child reports it hung.
BUCKET = f"gs://{WRITABLE}"
# A folder of WRITABLE whose files' uploads are answered this status (folder -> status, body).
ANSWERS = {
    "answer-503-57l": (503, "backend unavailable"),  # Retried once (`env`), then ABORTED.
    "answer-412-57l": (412, "precondition failed"),
    "answer-400-57l": (400, "bad request"),
}
# The sweep before an upload (gfile_io.sweep_stale_uploads) beside a target among many objects.
SWEEP_SCENARIO = (
    SCENARIO
    + """
_export_scenario = scenario

def scenario(report, name, target, tmpdir):
    if name != "sweep":
        return _export_scenario(report, name, target, tmpdir)
    from tfhub import gfile_io
    report["result"] = gfile_io.sweep_stale_uploads(target)
"""
)
MANY = "many-57l"  # A folder of WRITABLE holding many models beside the sweep's target.
STALE = ".tfhub-upload-20260101T000000Z-0123456789ab-vocab"  # A killed upload's, long ago.
YOUNG = f".tfhub-upload-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-ba9876543210-vocab"
# (name, target, TMPDIR size or "") as SCENARIO takes them; the TensorFlow class each meets.
ROWS = (
    ("export-503", f"{BUCKET}/answer-503-57l/vocab", "", "AbortedError"),
    ("export-412", f"{BUCKET}/answer-412-57l/vocab", "", "FailedPreconditionError"),
    ("exporter-400", f"{BUCKET}/answer-400-57l/base", "", "InvalidArgumentError"),
)


class _Answering(gcs_stand_in._Gcs):
    """The stand-in, whose WRITABLE folders of ANSWERS answer a file's upload their status
    (its resumable session is opened; its PUT, and the status TensorFlow asks after a
    failed one, are answered the status; the others answer as the stand-in's do)."""

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        name = urllib.parse.parse_qs(url.query).get("name", [""])[0]
        folders = name.split("/")[:-1]
        found = [ANSWERS[folder] for folder in folders if folder in ANSWERS]
        length = int(self.headers.get("Content-Length") or 0)
        # A simple upload's POST of a file, a resumable upload's PUT (of it, or of its status).
        upload = self.command == "PUT" or (self.command == "POST" and length > 0)
        if found and upload and "rewriteTo" not in url.path:
            self.requests.append(f"{self.command} {self.headers.get('Host', '')}{self.path}")
            self.rfile.read(length)
            status, message = found[0]
            body = {"error": {"code": status, "message": message}}
            self.answer(status, json.dumps(body).encode())
            return
        super().do_POST()

    do_PUT = do_DELETE = do_PATCH = do_POST


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each row's report, and the working bucket's object names after."""
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls"), _Answering) as gcs:
        for model in range(40):  # 40 models of 5 files beside the target, 2 staging folders.
            for file in range(5):
                gcs.objects[f"{MANY}/model{model:02d}/variables/f{file}"] = b"x"
        for staging in (STALE, YOUNG):
            gcs.objects[f"{MANY}/{staging}/saved_model.pb"] = b"left"
        plan = [(name, target, size) for name, target, size, _ in ROWS]
        plan.append(("sweep", f"{BUCKET}/{MANY}/vocab", ""))
        # No row waits out a timeout: bounds with room for TensorFlow's own retries of a 503
        # (each adds up to 1 s of jitter), which the 3 s of SHORT_TIMEOUTS did not always leave
        # on a loaded machine (a RetryTimeoutError instead of the AbortedError); a hang is still
        # reported within BOUND_SECONDS.
        env = gcs.env(
            TFHUB_HTTP_TIMEOUT="5",
            TFHUB_HTTP_RETRY_TIMEOUT="10",
            TFHUB_CACHE_DIR=str(tmp_path_factory.mktemp("cache")),
        )
        found, stderr = run_scenarios(SWEEP_SCENARIO, plan, bound=BOUND_SECONDS, env=env)
        return {
            "reports": found,
            "stderr": stderr,
            "names": sorted(gcs.objects),
            "requests": list(gcs.requests),
        }


@pytest.mark.tf
@pytest.mark.parametrize(("name", "target", "tf_class"), [(r[0], r[1], r[3]) for r in ROWS])
def test_export_to_gcs_refused_with_another_code_is_also_that_tensorflow_error(
    reports: dict[str, Any], name: str, target: str, tf_class: str
) -> None:
    # It was a plain ExportWriteError: `except tf.errors.OpError` (0.10.0's) missed it.
    report = reports["reports"][name]
    assert not report["hung"] and "result" not in report, report
    assert report["path"] == target and report["module"] == "tfhub.errors", report
    for base in ("ExportWriteError", "ExportError", "OSError", "OpError", tf_class):
        assert base in report["bases"], report
    assert tf_class in report["tf_class"], report
    folder = target.split("/")[3]
    assert ANSWERS[folder][1] in report["message"], report  # The server's words, quoted.
    assert not [n for n in reports["names"] if n.startswith(f"{folder}/vocab/")], reports


@pytest.mark.tf
def test_sweep_before_an_upload_lists_only_the_targets_parent_folder_not_all_below_it(
    reports: dict[str, Any],
) -> None:
    # tf.io.gfile.glob("<parent>/.tfhub-upload-*") is no cheaper on GCS: TensorFlow's GCS file
    # system lists the pattern's folder recursively (every object of every model below it,
    # 1000 a page) and matches the names itself. listdir's listing is by folder (delimiter):
    # one entry per model. The stale staging folder goes; a young one and the models stay.
    report = reports["reports"]["sweep"]
    assert report["result"] == [f"{BUCKET}/{MANY}/{STALE}"], report
    names = reports["names"]
    assert f"{MANY}/{YOUNG}/saved_model.pb" in names and f"{MANY}/model39/variables/f4" in names
    assert not [name for name in names if name.startswith(f"{MANY}/{STALE}/")], names
    # The listings of the prefix `many-57l/` itself (not a staging folder's, when removed).
    listings = [r for r in reports["requests"] if re.search(rf"prefix={MANY}%2F(&|$)", r)]
    by_folder = [r for r in listings if "delimiter=%2F" in r]
    recursive = [r for r in listings if "delimiter=" not in r and "maxResults=1" not in r]
    assert len(by_folder) == 1 and not recursive, listings


# Every code, in-process: the table of `_as_upstream_class` (tf1/native_export.py).


def _op_error_classes() -> list[str]:
    tf = pytest.importorskip("tensorflow", reason="the classes subclass TensorFlow's errors")
    names = [
        name
        for name in dir(tf.errors)
        if isinstance(getattr(tf.errors, name), type)
        and issubclass(getattr(tf.errors, name), tf.errors.OpError)
        and getattr(tf.errors, name) is not tf.errors.OpError
    ]
    return sorted(names)


@pytest.mark.tf
def test_every_tensorflow_error_code_of_a_gcs_export_gives_an_export_error_of_its_class() -> None:
    tf = pytest.importorskip("tensorflow", reason="the classes subclass TensorFlow's errors")
    from tfhub import errors
    from tfhub.tf1.native_export import _as_upstream_class

    names = _op_error_classes()
    assert len(names) >= 16, names  # CANCELLED ... UNAUTHENTICATED: every code but OK.
    for name in names:
        if name == "AlreadyExistsError":  # Another export's marker: ModuleExistsError.
            continue
        tf_class = getattr(tf.errors, name)
        found = errors.ExportWriteError(
            "Cannot write the export to gs://b/m: refused.", path="gs://b/m", problem="refused"
        )
        made = _as_upstream_class(found, tf_class(None, None, "refused"))
        assert isinstance(made, errors.ExportWriteError) and isinstance(made, tf_class), name
        assert isinstance(made, OSError) and made.error_code == tf_class(None, None, "").error_code
        assert (str(made), made.path, made.problem) == (str(found), "gs://b/m", "refused")
        again = pickle.loads(pickle.dumps(made))
        assert type(again) is type(made) and vars(again) == vars(made), name
        assert type(made).__module__ == "tfhub.errors" and type(made).__doc__, name
        assert getattr(errors, type(made).__name__) is type(made), name
