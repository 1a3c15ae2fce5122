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

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.tf
REPO = Path(__file__).resolve().parents[2]
REFUSE_DATA = "refuse-data"  # A folder of the stand-in's bucket whose data files' reads get 403.

MODULE = """
import pickle, types
import tensorflow as tf
import tfhub as hub
from tfhub import errors
v1 = tf.compat.v1

def module_fn():
    x = v1.placeholder(tf.float32, [None])
    v = v1.get_variable("v", [4], initializer=v1.constant_initializer(10.0))
    hub.add_signature(inputs=x, outputs=x * v)

spec = hub.create_module_spec(module_fn)

def described(err):
    kind = getattr(errors, "ExportCheckpointUnreadableError", None)
    try:
        copy = pickle.loads(pickle.dumps(err))
    except Exception:  # TensorFlow's own errors hold their op: they do not pickle.
        copy = None
    return {
        "type": type(err).__name__,
        "message": str(err),
        "export_error": isinstance(err, errors.ExportError),
        "denied": isinstance(err, tf.errors.PermissionDeniedError),
        "unreadable": kind is not None and isinstance(err, kind),
        "path": getattr(err, "path", None),
        "problem": getattr(err, "problem", None),
        "pickled": type(copy) is type(err) and str(copy) == str(err)
        and getattr(copy, "path", None) == getattr(err, "path", None),
    }

def export_both(prefix, out, model_dir):
    def model_fn(features):
        module = hub.Module(spec, name="m")
        hub.register_module_for_export(module, "m")
        return types.SimpleNamespace(predictions=module(features["x"]), scaffold=None)

    estimator = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=model_dir)
    exporter = hub.LatestModuleExporter(
        "tf_hub", lambda: {"x": v1.placeholder(tf.float32, [None])}
    )
    exports = {
        "spec": lambda: spec.export(out + "/spec", checkpoint_path=prefix),
        "exporter": lambda: exporter.export(estimator, out + "/exporter", checkpoint_path=prefix),
    }
    reports = {}
    for name, export in exports.items():
        try:
            export()
            reports[name] = {"type": None}
        except Exception as err:
            reports[name] = described(err)
    return reports
"""

LOCAL_CHILD = (
    MODULE
    + """
import json, sys
print("REPORT " + json.dumps(export_both(sys.argv[1], sys.argv[2], sys.argv[3])))
"""
)

GCS_SCENARIO = (
    MODULE
    + """
def scenario(report, name, prefix, out, model_dir):
    report["exports"] = export_both(prefix, out, model_dir)
    report["written"] = tf.io.gfile.exists(out)
"""
)


def _command() -> list[str]:
    if os.geteuid() != 0:
        return [sys.executable]
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: root reads a mode-000 file")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable]


def _checkpoint(folder: Path) -> str:
    with tf.Graph().as_default():
        for name in ("v", "m/v"):  # ModuleSpec.export's name, the exporter's graph's.
            tf.compat.v1.get_variable(name, [4], initializer=tf.compat.v1.constant_initializer(3.0))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver().save(session, str(folder / "model.ckpt"))


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
    prefix = _checkpoint(folder)
    data = Path(prefix + ".data-00000-of-00001")
    data.chmod(0)
    tmp_path.chmod(0o777)  # The child may write its export beside.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    try:
        done = subprocess.run(
            [*_command(), "-c", LOCAL_CHILD, prefix, str(tmp_path / "out"), str(folder)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        data.chmod(0o644)
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, done.stderr[-2000:]
    reports = json.loads(lines[-1][len("REPORT ") :])
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
    _checkpoint(folder)
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
