"""make_image_classifier's exports to gs:// (and file://) (session 56), against the suite's
stand-in for GCS (tests/_helpers/gcs_stand_in.py), in a child process as TensorFlow reads the
stand-in's settings when it first reaches gs://.

Upstream 0.10.0 wrote --saved_model_dir, --labels_output_file and --tflite_output_file through
TensorFlow's file systems (make_image_classifier.py: tf.saved_model.save, tf.io.gfile.GFile), so
gs:// worked; session 55 refused them. Each is now made locally first, then uploaded in bounded
requests; a bucket that refuses writes, or gives no answer, fails before training (a probe
object written and removed), and an upload that fails after training is an
OutputNotWritableError naming the URL and the flag, leaving no SavedModel half-uploaded.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.gcs_stand_in import (
    REFUSE_COPY,
    SHORT_TIMEOUTS,
    WRITABLE,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)

TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 4  # What a check that times out may take in all.
SM = f"gs://{WRITABLE}/sm"
LABELS = f"gs://{WRITABLE}/out/labels.txt"
TFLITE = f"gs://{WRITABLE}/out/m.tflite"
REFUSED_SM = "gs://read-only-stand-in/sm"  # A bucket of the stand-in's that refuses writes.
SILENT_SM = "gs://silent-writes/sm"  # One that never answers an upload.
FAILED_UPLOAD_SM = f"gs://{WRITABLE}/{REFUSE_COPY}"  # Its files cannot be moved into place.
# file:// outputs (below a local folder's URL): folders to make, the .tflite inside the SavedModel.
FILE_OUTPUTS = ("/new/sm", "/labels.txt", "/new/sm/m.tflite")
# session 56i: what killed uploads into `sm` left (`gfile_io.remove_stale_uploads`): a day-old
# staging folder (removed by the next upload there), one an upload running now owns (kept), and
# names that are not tfhub's staging of `sm` (kept).
STALE_STAGING = ".tfhub-upload-20260101T000000Z-0123456789ab-sm"
LIVE_STAGING = f".tfhub-upload-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-ba9876543210-sm"
NOT_STAGING = (".tfhub-upload-old-notes-sm/x", ".tfhub-upload-20260101T000000Z-0123456789ab-sm2/x")
# An export that fails after the SavedModel: its labels upload refused, its .tflite (an earlier
# run's object there) never reached.
PARTIAL = (f"gs://{WRITABLE}/p/sm", f"gs://{WRITABLE}/p/refuse-uploads/l.txt")
PARTIAL_TFLITE = f"gs://{WRITABLE}/p/m.tflite"

SCENARIO = """
import hashlib, traceback
import numpy as np
from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, lib
from tfhub.tools.make_image_classifier import export
from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable

HPARAMS = get_default_hparams()._replace(train_epochs=1, batch_size=8)
SENT = {}
_upload_file = export._upload_file

def _recorded(path, data, *, what):  # Records what the run uploads, then uploads it.
    SENT[path] = hashlib.sha256(data).hexdigest()
    _upload_file(path, data, what=what)

export._upload_file = _recorded

def _tiny_model():  # An untrained classifier: enough for the writes of `export` alone.
    import keras
    layers = [keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")]
    return keras.Sequential([keras.Input((32, 32, 3)), *layers])

def scenario(report, name, module, images, sm, labels, tflite):
    outputs = Outputs(saved_model_dir=sm, labels_output_file=labels, tflite_output_file=tflite)
    try:
        if module:
            lib.train_and_export(module, images, HPARAMS, outputs=outputs, say=lambda line: None)
        else:  # The checks, then the export, without training.
            if name != "partial":  # (Else its refused labels would fail the check.)
                check_outputs_writable(outputs)
            export.export(_tiny_model(), ["a", "b", "c"], outputs, say=lambda line: None)
    except BaseException as err:
        report["frames"] = [frame.name for frame in traceback.extract_tb(err.__traceback__)]
        raise
    report["sent"] = dict(SENT)
    if name != "exports":
        return
    import tensorflow as tf
    batch = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    saved = tf.saved_model.load(sm)(tf.constant(batch)).numpy()
    with tf.io.gfile.GFile(tflite, "rb") as handle:
        interpreter = tf.lite.Interpreter(model_content=handle.read())
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], batch.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], batch)
    interpreter.invoke()
    lite = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    report["saved"], report["lite"] = saved.tolist(), lite.tolist()
"""


@pytest.fixture(scope="module")
def reports(
    tmp_path_factory: pytest.TempPathFactory,
    shape_images: Path,
    image_modules: dict[str, str],
) -> dict[str, Any]:
    """What the child reported for each run, with the stand-in's objects after them."""
    module, images = image_modules["fixed"], os.fspath(shape_images)
    files = tmp_path_factory.mktemp("file-urls").as_uri()
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        # An earlier export's files: replaced, except what the new one does not write.
        gcs.objects.update({"sm/saved_model.pb": b"old", "sm/notes.txt": b"kept"})
        gcs.objects.update(
            {
                f"{STALE_STAGING}/variables/variables.index": b"stale",
                f"{STALE_STAGING}/fingerprint.pb": b"stale",
                f"{LIVE_STAGING}/fingerprint.pb": b"live",  # An upload running now.
                **{name: b"not tfhub's staging of sm" for name in NOT_STAGING},
                "p/m.tflite": b"an earlier run's",
            }
        )
        plan = [
            ("exports", module, images, SM, LABELS, TFLITE),
            ("refused", module, images, REFUSED_SM, "", ""),
            ("silent", module, images, SILENT_SM, "", ""),
            ("failed upload", "", "", FAILED_UPLOAD_SM, "", ""),
            ("file", "", "", *(files + part for part in FILE_OUTPUTS)),
            ("partial", "", "", *PARTIAL, PARTIAL_TFLITE),
        ]
        found, stderr = run_scenarios(SCENARIO, plan, bound=120.0, env=gcs.short_env())
        objects = dict(gcs.objects)
    return {"reports": found, "stderr": stderr, "objects": objects, "files": files}


@pytest.mark.tf
def test_the_exports_arrive_in_the_bucket_and_load(reports: dict[str, Any]) -> None:
    report = reports["reports"]["exports"]
    assert "type" not in report, (report, reports["stderr"][-3000:])
    objects = reports["objects"]
    assert objects["out/labels.txt"] == b"circle\nsquare\ntriangle\n"
    sent = report["sent"]
    assert hashlib.sha256(objects["out/m.tflite"]).hexdigest() == sent[TFLITE]
    assert sent[LABELS] == hashlib.sha256(objects["out/labels.txt"]).hexdigest()
    assert objects["sm/saved_model.pb"] != b"old" and objects["sm/notes.txt"] == b"kept"
    assert any(name.startswith("sm/variables/") for name in objects), sorted(objects)
    saved, lite = report["saved"], report["lite"]
    assert len(saved) == 2 and len(saved[0]) == 3  # Loaded from gs:// and called.
    import numpy as np

    np.testing.assert_allclose(saved, lite, atol=1e-4)  # The .tflite agrees with it.
    # No probe object and no upload staging left behind (but the seeded ones, below).
    seeded = (STALE_STAGING, LIVE_STAGING, *NOT_STAGING)
    assert not [name for name in objects if ".tfhub-" in name and not name.startswith(seeded)]


@pytest.mark.tf
def test_an_upload_removes_stale_staging_of_killed_uploads_only(reports: dict[str, Any]) -> None:
    """A run killed outright (SIGKILL) during its upload left its hidden staging folder; the
    next upload into the same folder removes it once a day old, never one a live run may own
    (two runs at once), nor a name that is not tfhub's staging of that folder."""
    assert "type" not in reports["reports"]["exports"], reports["stderr"][-3000:]
    objects = reports["objects"]
    assert not [name for name in objects if name.startswith(f"{STALE_STAGING}/")], sorted(objects)
    assert objects[f"{LIVE_STAGING}/fingerprint.pb"] == b"live", sorted(objects)
    assert all(objects[name] == b"not tfhub's staging of sm" for name in NOT_STAGING)


@pytest.mark.tf
def test_a_partial_export_does_not_say_an_earlier_runs_remote_file_is_missing(
    reports: dict[str, Any],
) -> None:
    report = reports["reports"]["partial"]
    assert report["type"] == "OutputNotWritableError", report
    message = str(report["message"])
    assert "upload refused" in message, message
    assert f"This run wrote only the saved model dir {PARTIAL[0]}" in message, message
    # The bucket was not asked what the pending outputs hold: the note is true either way.
    assert "was not written" not in message and "were not written" not in message, message
    assert PARTIAL_TFLITE in message and "untouched" in message, message
    assert reports["objects"]["p/m.tflite"] == b"an earlier run's"


@pytest.mark.tf
def test_a_bucket_that_refuses_writes_fails_before_training(reports: dict[str, Any]) -> None:
    report = ended(reports["reports"], "refused", reports["stderr"], within=60)
    assert report["type"] == "OutputNotWritableError", report
    assert "OSError" in report["bases"], report
    message = str(report["message"])
    assert message.startswith(f"Cannot write the saved model dir {REFUSED_SM}: "), message
    assert "read-only stand-in" in message and "GOOGLE_APPLICATION_CREDENTIALS" in message
    assert message.endswith(f"Received: saved_model_dir={REFUSED_SM!r}"), message
    assert "check_remote_writable" in report["frames"], report
    assert "make_image_classifier" not in report["frames"], report  # No training.


@pytest.mark.tf
def test_a_bucket_that_never_answers_times_out_before_training(reports: dict[str, Any]) -> None:
    report = ended(reports["reports"], "silent", reports["stderr"], within=WITHIN)
    timed_out(
        report,
        SILENT_SM,
        bases=("OutputTimeoutError", "OutputNotWritableError"),
        settings=(TIMEOUT, RETRY_TIMEOUT),
    )
    message = str(report["message"])
    assert message.endswith(f"Received: saved_model_dir={SILENT_SM!r}"), message
    assert message.count("Cannot ") == 1 and message.count(" higher") == 1, message  # (56i)
    assert ".tfhub-write-test-" in message, message  # Where it was writing.
    assert "make_image_classifier" not in report["frames"], report


@pytest.mark.tf
def test_a_failed_upload_names_the_url_and_leaves_no_saved_model(
    reports: dict[str, Any],
) -> None:
    report = ended(reports["reports"], "failed upload", reports["stderr"], within=120)
    assert report["type"] == "OutputNotWritableError", report
    message = str(report["message"])
    assert message.startswith(f"Cannot write the saved model dir {FAILED_UPLOAD_SM}: "), message
    assert "copy refused" in message, message
    assert message.endswith(f"Received: saved_model_dir={FAILED_UPLOAD_SM!r}"), message
    assert "_write_outputs" in report["frames"], report  # While exporting.
    left = [name for name in reports["objects"] if REFUSE_COPY in name or ".tfhub-" in name]
    left = [
        name for name in left if not name.startswith((STALE_STAGING, LIVE_STAGING, *NOT_STAGING))
    ]
    assert left == [], left


@pytest.mark.tf
def test_file_url_exports_make_their_folders(reports: dict[str, Any]) -> None:
    """A URL of a file system with folders (file://, hdfs://), which upstream's tf.io.gfile
    took: the probe goes in the nearest folder that exists, the export makes the others."""
    report = reports["reports"]["file"]
    assert "type" not in report, report
    root = Path(reports["files"].removeprefix("file://"))
    found = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    assert "new/sm/saved_model.pb" in found and "new/sm/m.tflite" in found, found
    assert (root / "labels.txt").read_text() == "a\nb\nc\n"
    assert not [name for name in found if ".tfhub-" in name], found
