"""A TF1 module's export to gs:// (session 57, fix57c): it removes the staging folders that
killed uploads to its target left, as make_image_classifier's uploads did (a killed TF1 export to
a bucket left `.tfhub-upload-*` forever), logging a refused listing instead of failing; and
what the file system refuses is also the TensorFlow error upstream raised (it wrote through
tf.io.gfile in place): a 403 `tf.errors.PermissionDeniedError`, a missing bucket
`NotFoundError`, a full TMPDIR `InternalError` (its GCS writer's copy), besides tfhub's
ExportWriteError. Scenarios run in a child against the suite's stand-in for GCS
(tests/_helpers/gcs_stand_in.py); the sweep itself on file:// URLs in-process.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import time
import urllib.parse
from typing import Any

import pytest
from tests._helpers import gcs_stand_in
from tests._helpers.gcs_stand_in import (
    REFUSE_UPLOADS,
    WRITABLE,
    run_scenarios,
    serve_gcs,
)
from tests._helpers.mounts import tmpfs
from tests._helpers.tf1_export_child import export_helpers
from tests._helpers.upstream_records import UPSTREAM_DIR

BOUND_SECONDS = 20.0  # How long a scenario may run before the child reports it hung.
MODULE = "tf1_text_vocab"  # Upstream's TF1 Hub module with a vocabulary asset.
BUCKET = f"gs://{WRITABLE}"
NO_BUCKET = "no-such-bucket-57c"  # Uploads into it are answered 404, as GCS's for no bucket.
# A bucket whose folder `folder` lists one day-old staging folder of `vocab` (STALE), holding
# one file; like every bucket of the stand-in's but WRITABLE, it refuses removals and uploads
# (403): the sweep cannot remove STALE.
STALE_STUCK = "stale-stuck-57c"
STAMP = "%Y%m%dT%H%M%SZ"
STALE = ".tfhub-upload-20260101T000000Z-0123456789ab-vocab"  # A killed upload's, long ago.
LIVE = f".tfhub-upload-{time.strftime(STAMP, time.gmtime())}-ba9876543210-vocab"  # Running.
# Names that are not a staging folder of `vocab`: another target's, and no time at all.
NOT_STAGING = (
    ".tfhub-upload-20260101T000000Z-0123456789ab-vocab2",
    ".tfhub-upload-old-notes-vocab",
)

SCENARIO = f"""
import os, tempfile, types
import tfhub as hub

{export_helpers(str(UPSTREAM_DIR / MODULE))}
def scenario(report, name, target, tmpdir):
    old = os.environ.get("TMPDIR")
    if tmpdir:  # tfhub reads TMPDIR at call time, TensorFlow's GCS client at each copy.
        os.environ["TMPDIR"] = tmpdir
        tempfile.tempdir = None
    try:
        if name.startswith("exporter-"):
            exporter = hub.LatestModuleExporter("tf_hub", serving_input_fn)
            report["result"] = os.fsdecode(exporter.export(estimator(tempfile.mkdtemp()), target))
        else:
            export_module(target)
            report["result"] = "exported"
    except BaseException as err:
        report["tf_class"] = [
            cls.__name__ for cls in type(err).__mro__ if cls.__module__.startswith("tensorflow")
        ]
        report["tmpdir_field"] = getattr(err, "tmpdir", None)
        raise
    finally:
        os.environ.pop("TMPDIR", None)
        if old is not None:
            os.environ["TMPDIR"] = old
        tempfile.tempdir = None
"""

# (name, target, TMPDIR size or ""): each a scenario of the child, one at a time (TMPDIR is
# the process's). A full TMPDIR while TensorFlow's GCS client copies a file into it to upload
# it (28k), or while the module is written there first (8k): as tests/test_gcs_export_probes44.py.
ROWS = (
    ("export-sweeps", f"{BUCKET}/sweep57c/vocab", ""),
    ("export-sweep-refused", f"gs://{STALE_STUCK}/folder/vocab", ""),
    ("export-uploads-refused", f"{BUCKET}/{REFUSE_UPLOADS}/v57c", ""),
    ("export-no-bucket", f"gs://{NO_BUCKET}/vocab", ""),
    ("exporter-uploads-refused", f"{BUCKET}/{REFUSE_UPLOADS}/base57c", ""),
    ("export-upload-copy", f"{BUCKET}/full57c/upload-copy", "28k"),
    ("export-local-copy", f"{BUCKET}/full57c/local-copy", "8k"),
)
TARGETS = {name: target for name, target, _ in ROWS}


class _WithMissingBucket(gcs_stand_in._Gcs):
    """The stand-in, whose bucket NO_BUCKET answers an upload 404 as GCS does for a bucket
    that does not exist, and STALE_STUCK lists a stale staging folder (the others answer as
    the stand-in's do)."""

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")  # /storage/v1/b/BUCKET/o: a listing.
        if len(parts) == 6 and parts[4] == STALE_STUCK:
            self.requests.append(f"GET {self.headers.get('Host', '')}{self.path}")
            prefix = urllib.parse.parse_qs(url.query).get("prefix", [""])[0]
            listed: dict[str, object] = {}
            if prefix == "folder/":  # The sweep's listing (by folder) of `vocab`'s parent.
                listed = {"prefixes": [f"folder/{STALE}/"]}
            elif prefix == f"folder/{STALE}/":  # Its removal's listing of what STALE holds.
                listed = {"items": [{"name": f"folder/{STALE}/saved_model.pb", "size": "4"}]}
            self.answer(200, json.dumps(listed).encode())
            return
        super().do_GET()

    def do_POST(self) -> None:
        parts = urllib.parse.urlsplit(self.path).path.split("/")
        if len(parts) > 5 and parts[1] == "upload" and parts[5] == NO_BUCKET:
            self.requests.append(f"{self.command} {self.headers.get('Host', '')}{self.path}")
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = {"error": {"code": 404, "message": "The specified bucket does not exist."}}
            self.answer(404, json.dumps(body).encode())
            return
        super().do_POST()

    do_PUT = do_DELETE = do_PATCH = do_POST


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each row's report, the child's stderr, and the working bucket's object names after."""
    with contextlib.ExitStack() as stack:
        gcs = stack.enter_context(serve_gcs(tmp_path_factory.mktemp("gcs-tls"), _WithMissingBucket))
        gcs.objects.update(
            {f"sweep57c/{name}/saved_model.pb": b"left" for name in (STALE, LIVE, *NOT_STAGING)}
        )
        plan = []
        for name, target, size in ROWS:
            tmpdir = ""
            if size:
                mount = tmp_path_factory.mktemp("tmpdir")
                tmpdir = str(stack.enter_context(tmpfs(mount, f"size={size}")))
            plan.append((name, target, tmpdir))
        cache = tmp_path_factory.mktemp("cache")
        env = gcs.short_env(TFHUB_CACHE_DIR=str(cache))
        found, stderr = run_scenarios(SCENARIO, plan, bound=BOUND_SECONDS, env=env)
        return {"reports": found, "stderr": stderr, "names": sorted(gcs.objects)}


def _failed(reports: dict[str, Any], name: str) -> dict[str, Any]:
    report = reports["reports"][name]
    assert not report["hung"] and "result" not in report, report
    assert report["path"] == TARGETS[name], report
    return report


@pytest.mark.tf
def test_export_to_gcs_removes_the_staging_folders_killed_uploads_left_a_day_ago(
    reports: dict[str, Any],
) -> None:
    report = reports["reports"]["export-sweeps"]
    assert report.get("result") == "exported", report
    names = reports["names"]
    assert "sweep57c/vocab/tfhub_module.pb" in names, names
    assert not [name for name in names if name.startswith(f"sweep57c/{STALE}/")], names
    # An upload running now (two exports into one folder at once) and other names stay.
    for kept in (LIVE, *NOT_STAGING):
        assert f"sweep57c/{kept}/saved_model.pb" in names, names


@pytest.mark.tf
def test_export_whose_stale_staging_listing_is_refused_logs_it_and_raises_the_uploads_error(
    reports: dict[str, Any],
) -> None:
    # STALE_STUCK refuses the removal of the stale staging folder (403), then the upload.
    report = _failed(reports, "export-sweep-refused")
    assert report["type"] == "ExportPermissionDeniedError", report
    assert "read-only stand-in" in report["message"], report
    target = TARGETS["export-sweep-refused"]
    said = f"Could not look for (or remove) what killed uploads to {target} left beside it"
    assert said in reports["stderr"], reports["stderr"][-3000:]
    assert "remove its hidden .tfhub-upload-* folders older than a day by hand" in reports["stderr"]


@pytest.mark.tf
@pytest.mark.parametrize(
    ("name", "tfhub_class", "tf_class"),
    [
        ("export-uploads-refused", "ExportPermissionDeniedError", "PermissionDeniedError"),
        ("export-no-bucket", "ExportNotFoundError", "NotFoundError"),
        ("exporter-uploads-refused", "ExportPermissionDeniedError", "PermissionDeniedError"),
    ],
)
def test_refused_export_to_gcs_is_also_the_tensorflow_error_upstream_raised(
    reports: dict[str, Any], name: str, tfhub_class: str, tf_class: str
) -> None:
    # It was a plain ExportWriteError; upstream's tf.io.gfile write raised TensorFlow's class.
    report = _failed(reports, name)
    assert report["type"] == tfhub_class and report["module"] == "tfhub.errors", report
    for base in ("ExportWriteError", "ExportError", "OSError", "OpError", tf_class):
        assert base in report["bases"], report
    assert tf_class in report["tf_class"], report
    # TensorFlow's own error, chained (the exporter's: the module export's error).
    assert report["cause"] == (tfhub_class if "exporter" in name else tf_class), report
    assert f"Received: {'export_path' if 'exporter' in name else 'path'}=" in report["message"]


@pytest.mark.tf
@pytest.mark.parametrize("name", ["export-upload-copy", "export-local-copy"])
def test_export_to_gcs_with_a_full_tmpdir_is_also_the_internal_error_upstream_raised(
    reports: dict[str, Any], name: str
) -> None:
    # Upstream's GCS writer copied each file into TMPDIR first; a full one raised
    # InternalError ("Could not append to the internal temporary file").
    report = _failed(reports, name)
    assert report["type"] == "ExportTmpdirFullError", report
    for base in ("ExportWriteError", "OSError", "InternalError"):
        assert base in report["bases"], report
    assert report["tmpdir_field"], report
    assert "Free space in TMPDIR" in report["message"], report
    assert not [name for name in reports["names"] if name.startswith("full57c/")]


# The new classes, in-process.


@pytest.mark.tf
@pytest.mark.parametrize(
    ("name", "tf_class"),
    [("ExportNotFoundError", "NotFoundError"), ("ExportTmpdirFullError", "InternalError")],
)
def test_the_new_export_error_classes_pickle_and_are_tensorflows_too(
    name: str, tf_class: str
) -> None:
    tf = pytest.importorskip("tensorflow", reason="the classes subclass TensorFlow's errors")
    from tfhub import errors

    cls = getattr(errors, name)
    err = cls("Cannot write the export to gs://b/m: x.", path="gs://b/m", problem="x", tmpdir="")
    assert isinstance(err, (errors.ExportWriteError, OSError, getattr(tf.errors, tf_class)))
    assert isinstance(err, getattr(tf.errors, tf_class))
    assert err.error_code == getattr(tf.errors, tf_class)(None, None, "").error_code
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and str(again) == str(err) and vars(again) == vars(err)
    assert cls.__module__ == "tfhub.errors" and cls.__doc__
