"""A TF1 export from a checkpoint whose data file this process may not read names the file.

`ModuleSpec.export(path, checkpoint_path=...)` and `LatestModuleExporter.export` with a
checkpoint whose index is readable but whose `.data-*` file is not (no read permission, a
gs:// object whose read is answered 403) let TensorFlow's bare PermissionDeniedError
"Graph execution error" through, naming no file. They now raise
`ExportCheckpointUnreadableError` (an ExportError and that PermissionDeniedError) naming the
data file and what to do, before anything is written.

Root reads any file, so the local export runs in a child process; as root, one whose bounding
set lacks CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (`setpriv`), so a mode-000 file is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.unreadable_checkpoint import (
    EXPORT_BOTH,
    exported_without_access,
    save_checkpoint,
)

tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.tf
# ModuleSpec.export's variable name, and the exporter's graph's.
NAMES = ("v", "m/v")
REFUSE_DATA = "refuse-data"  # A folder of the stand-in's bucket whose data files' reads get 403.

GCS_SCENARIO = (
    EXPORT_BOTH
    + """
def scenario(report, name, prefix, out, model_dir):
    report["exports"] = export_both(prefix, out, model_dir)
    report["written"] = tf.io.gfile.exists(out)
"""
)


def _check(reports: dict[str, dict[str, object]], prefix: str, data_file: str) -> None:
    assert sorted(reports) == ["exporter", "spec"], reports
    for report in reports.values():  # ModuleSpec.export, LatestModuleExporter.export.
        assert report["type"] == "ExportCheckpointUnreadableError", report
        assert report["unreadable"] and report["export_error"] and report["denied"], report
        assert report["path"] == prefix and report["pickled"], report
        message = str(report["message"])
        assert message.startswith(f"The checkpoint at {prefix} cannot be read: "), message
        assert data_file in message and "may not read it" in message, message
        assert data_file in str(report["problem"]), report
        assert "damaged" not in message and "Graph execution error" not in message, message
        assert "pass another checkpoint" in message, message
        assert message.endswith(f"Received: checkpoint_path={prefix!r}"), message


def test_a_data_file_without_read_permission_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    prefix = save_checkpoint(folder, NAMES)
    data = Path(prefix + ".data-00000-of-00001")
    reports = exported_without_access(prefix, data, tmp_path / "out", folder)
    _check(reports, prefix, "ckpt/model.ckpt.data-00000-of-00001")
    for report in reports.values():
        assert "permission" in str(report["message"]).lower(), report
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pb"))


def test_a_gcs_data_file_whose_read_is_refused_is_named(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A 403 on the data file's read only (its index is served): a stand-in folder of its own."""
    from tests._helpers.gcs_stand_in import WRITABLE, _Gcs, run_scenarios, serve_gcs

    class RefuseData(_Gcs):
        def media_writable(self, name: str) -> None:
            if REFUSE_DATA in name.split("/")[:-1] and ".data-" in name:
                self.answer(403, b'{"error": {"code": 403, "message": "read refused"}}')
                return
            super().media_writable(name)

    folder = tmp_path_factory.mktemp("ckpt")
    save_checkpoint(folder, NAMES)
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls"), RefuseData) as gcs:
        for name in os.listdir(folder):
            if name.startswith("model.ckpt."):
                gcs.objects[f"{REFUSE_DATA}/ckpt/{name}"] = (folder / name).read_bytes()
        prefix = f"gs://{WRITABLE}/{REFUSE_DATA}/ckpt/model.ckpt"
        out = f"gs://{WRITABLE}/out"
        plan = [("refused", prefix, out, str(folder))]
        found, stderr = run_scenarios(GCS_SCENARIO, plan, bound=90.0, env=gcs.short_env())
        written = [name for name in gcs.objects if name.startswith("out/")]
    report = found["refused"]
    assert "exports" in report, (report, stderr[-2000:])
    _check(report["exports"], prefix, "ckpt/model.ckpt.data-00000-of-00001")
    for each in report["exports"].values():
        message = str(each["message"])
        assert "GOOGLE_APPLICATION_CREDENTIALS" in message and "403" in message, message
    assert not [name for name in written if name.endswith(".pb")], written
