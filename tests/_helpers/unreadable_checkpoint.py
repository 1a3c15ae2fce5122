"""TF1 exports from a checkpoint with a file this process may not read: the checkpoint, the
child code that exports through `ModuleSpec.export` and `LatestModuleExporter.export` and
describes what each raised, and a child process that root's file access does not reach (a
bounding set without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, through `setpriv`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Child code: `spec` (a TF1 module of one variable "v"), `described(err)` and
# `export_both(prefix, out, model_dir)`: {"spec"|"exporter": {"type": None} or described(err)}.
EXPORT_BOTH = """
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
    unreadable = getattr(errors, "ExportCheckpointUnreadableError", None)
    try:
        copy = pickle.loads(pickle.dumps(err))
    except Exception:  # TensorFlow's own errors hold their op: they do not pickle.
        copy = None
    return {
        "type": type(err).__name__,
        "message": str(err),
        "export_error": isinstance(err, errors.ExportError),
        "damaged": isinstance(err, errors.ExportCheckpointDamagedError),
        "denied": isinstance(err, tf.errors.PermissionDeniedError),
        "unreadable": unreadable is not None and isinstance(err, unreadable),
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

# Child code run by `exported_without_access`: argv is prefix, output folder, model_dir.
_LOCAL_CHILD = (
    EXPORT_BOTH
    + """
import json, sys
print("REPORT " + json.dumps(export_both(sys.argv[1], sys.argv[2], sys.argv[3])))
"""
)


def save_checkpoint(folder: Path, names: Iterable[str] = ("v",)) -> str:
    """Saves a checkpoint of float32[4] variables `names` (each 3.0) in `folder`.

    Returns:
        Its prefix, `folder`/model.ckpt.
    """
    import tensorflow as tf

    v1 = tf.compat.v1
    with tf.Graph().as_default():
        for name in names:
            v1.get_variable(name, [4], initializer=v1.constant_initializer(3.0))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            return v1.train.Saver().save(session, str(folder / "model.ckpt"))


def _python_without_file_access() -> list[str]:
    """The command of a Python interpreter that a mode-000 file is refused to: this one if
    not root; as root, through `setpriv` without the DAC capabilities (skips without it)."""
    if os.geteuid() != 0:
        return [sys.executable]
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: root reads a mode-000 file")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable]


def exported_without_access(
    prefix: str, refused: Path, out: Path, model_dir: Path
) -> dict[str, dict[str, object]]:
    """Exports the checkpoint `prefix` both ways (`EXPORT_BOTH`) into `out` in a child process
    that may not read the file `refused` (mode 000 while it runs).

    Returns:
        `export_both`'s report, by export.
    """
    refused.chmod(0)
    out.parent.chmod(0o777)  # The child may write its export there.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    try:
        done = subprocess.run(
            [*_python_without_file_access(), "-c", _LOCAL_CHILD, prefix, str(out), str(model_dir)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        refused.chmod(0o644)
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, done.stderr[-2000:]
    reports: dict[str, dict[str, object]] = json.loads(lines[-1][len("REPORT ") :])
    assert sorted(reports) == ["exporter", "spec"], reports
    return reports
