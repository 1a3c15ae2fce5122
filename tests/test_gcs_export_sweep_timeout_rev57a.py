"""Second review of session 57's sweep of stale `.tfhub-upload-*` folders (rev57a).

Since fix57c every gs:// upload (a TF1 module's export, make_image_classifier's SavedModel)
first lists the target's parent folder and removes the staging folders killed uploads left
there (`gfile_io.sweep_stale_uploads`). A refusal of that listing was logged, but a listing
that gave no answer in time (a parent folder of a bucket holding many objects pages on for
long) failed the export with a RetryTimeoutError naming the parent folder, before anything was
uploaded: an export that worked before failed on every try, for housekeeping. Now such a
timeout is logged as a refusal is, and the upload goes on.

The scenario runs in a child against the suite's stand-in for GCS (TensorFlow reads its
settings when it first reads gs://), whose listing of one folder by folder pages on forever.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from tests._helpers import gcs_stand_in
from tests._helpers.gcs_stand_in import WRITABLE, run_scenarios, serve_gcs
from tests._helpers.upstream_records import UPSTREAM_DIR

BOUND_SECONDS = 30.0  # How long the scenario may run before the child reports it hung.
PARENT = "slow-parent-rev57a"  # WRITABLE's folder whose listing by folder pages on forever.
TARGET = f"gs://{WRITABLE}/{PARENT}/vocab"

SCENARIO = f"""
import tfhub as hub

def scenario(report, name, target):
    with tf.Graph().as_default():
        module = hub.Module({str(UPSTREAM_DIR / "tf1_text_vocab")!r})
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(target, session)
    report["result"] = "exported"
"""


class _SlowParent(gcs_stand_in._Gcs):
    """The stand-in, whose listing of WRITABLE's PARENT folder by folder (the sweep's: prefix
    `PARENT/`, delimiter `/`) always offers another page, as a listing of a folder with very
    many objects goes on for long; every other request is answered as the stand-in's are."""

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        asked = urllib.parse.parse_qs(url.query)
        if (
            url.path == f"/storage/v1/b/{WRITABLE}/o"
            and asked.get("prefix") == [f"{PARENT}/"]
            and asked.get("delimiter") == ["/"]
            and "maxResults" not in asked  # Not TensorFlow's check that it is a folder.
        ):
            self.requests.append(f"GET {self.headers.get('Host', '')}{self.path}")
            self.stopping.wait(0.05)  # Pacing, so that the thread left paging does not spin.
            self.answer_json(200, {"nextPageToken": "again"})
            return
        super().do_GET()


@pytest.mark.tf
def test_a_sweep_that_times_out_is_logged_and_the_export_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "gcs"
    folder.mkdir()
    with serve_gcs(folder, _SlowParent) as gcs:
        gcs.objects[f"{PARENT}/other-model/saved_model.pb"] = b"another model's"
        env = gcs.short_env(TFHUB_CACHE_DIR=str(tmp_path / "cache"))
        found, stderr = run_scenarios(SCENARIO, [("export", TARGET)], bound=BOUND_SECONDS, env=env)
        names = sorted(gcs.objects)
        listings = [
            line for line in gcs.requests if f"prefix={PARENT}%2F&" in line and "delimiter" in line
        ]
    report: dict[str, Any] = found["export"]
    assert not report["hung"], report
    assert report.get("result") == "exported", report
    assert f"{PARENT}/vocab/tfhub_module.pb" in names, names
    assert listings, "the sweep did not list the parent folder"
    said = f"Could not look for (or remove) what killed uploads to {TARGET} left beside it"
    assert said in stderr, stderr[-3000:]
    assert "TFHUB_HTTP_TIMEOUT" in stderr, stderr[-3000:]
