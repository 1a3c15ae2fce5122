"""A TF1 export from a checkpoint whose .index this process may not read is not called damaged.

`ModuleSpec.export(path, checkpoint_path=...)` and `LatestModuleExporter.export` name a
checkpoint whose index TensorFlow cannot read `ExportCheckpointDamagedError` ("Save the
checkpoint again"), except where the file system could not be asked (no access, a network
failure), as `damaged_index_error` says. But
TensorFlow 2.21's reader reports a local index without read permission as a bare OpError
(code UNKNOWN, "<index>; Permission denied"), not a PermissionDeniedError, so the export told
the user to save again a checkpoint that is whole. It now says the file cannot be read for want
of permission, and what to do.

Root reads any file, so the export runs in a child process; as root, one whose bounding set
lacks CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (`setpriv`), so a mode-000 file is refused to it.
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


def test_an_index_without_read_permission_is_not_called_damaged(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    prefix = save_checkpoint(folder)
    index = Path(prefix + ".index")
    reports = exported_without_access(prefix, index, tmp_path / "out", folder)
    for report in reports.values():  # ModuleSpec.export, LatestModuleExporter.export.
        assert report["type"] is not None, report
        message = report["message"]
        assert report["export_error"] and not report["damaged"], report
        assert "damaged" not in message and "Save the checkpoint again" not in message, message
        assert "There is no checkpoint" not in message, message
        assert "ckpt/model.ckpt.index" in message and "permission" in message.lower(), message
        assert message.endswith(f"Received: checkpoint_path={prefix!r}"), message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pb"))


GCS_SCENARIO = (
    EXPORT_BOTH
    + """
def scenario(report, name, prefix, out):
    try:
        spec.export(out, checkpoint_path=prefix)
    except errors.ExportError as err:
        report["damaged"] = isinstance(err, errors.ExportCheckpointDamagedError)
        raise
    report["result"] = "exported"
"""
)


def test_a_gcs_index_whose_read_is_refused_is_not_called_damaged(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A 403 on the index's read (the stand-in's REFUSE_READ folder): TensorFlow's reader
    raised a bare OpError there too. An index cut in half stays damaged."""
    from tests._helpers.gcs_stand_in import REFUSE_READ, WRITABLE, run_scenarios, serve_gcs

    folder = tmp_path_factory.mktemp("ckpt")
    save_checkpoint(folder)
    names = [name for name in os.listdir(folder) if name.startswith("model.ckpt.")]
    plan = []
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        for row in (REFUSE_READ, "index-cut"):
            for name in names:
                data = (folder / name).read_bytes()
                if row == "index-cut" and name.endswith(".index"):
                    data = data[: len(data) // 2]
                gcs.objects[f"{row}/ckpt/{name}"] = data
            out = str(tmp_path_factory.mktemp("out") / "module")
            plan.append((row, f"gs://{WRITABLE}/{row}/ckpt/model.ckpt", out))
        found, stderr = run_scenarios(GCS_SCENARIO, plan, bound=60.0, env=gcs.short_env())
    refused, cut = found[REFUSE_READ], found["index-cut"]
    prefix = f"gs://{WRITABLE}/{REFUSE_READ}/ckpt/model.ckpt"
    assert refused["type"] == "ExportError" and refused["damaged"] is False, (refused, stderr)
    message = refused["message"]
    assert message.startswith(f"The checkpoint at {prefix} cannot be read: "), message
    assert "ckpt/model.ckpt.index" in message and "403" in message, message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message and "damaged" not in message, message
    assert message.endswith(f"Received: checkpoint_path={prefix!r}"), message
    assert cut["type"] == "ExportCheckpointDamagedError" and cut["damaged"] is True, cut
