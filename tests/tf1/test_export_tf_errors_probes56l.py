"""A TF1 module's export that the file system refuses raises what upstream raised, too.

tensorflow_hub 0.10.0's `Module.export` / `ModuleSpec.export` let TensorFlow's errors through:
a read-only file system raised `tf.errors.PermissionDeniedError` ("...; Read-only file
system"), a full disk `ResourceExhaustedError` ("...; No space left on device"), a file over
the file-size limit `OutOfRangeError` ("...; File too large") (rf56b-F4, checked under 0.10.0).
tfhub raised only `ExportWriteError` (an OSError), so `except tf.errors.OpError` written for
upstream missed it; it is now a subclass of both, its message unchanged.
"""

from __future__ import annotations

import errno
import pickle
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import tensorflow as tf
from tests._helpers import mounts
from tests._helpers.limits import file_size_limit

import tfhub as hub
from tfhub import errors
from tfhub.utils.refused_writes import export_write_error

pytestmark = pytest.mark.tf


def _graph_export(module_dir: Path, target: Path) -> None:
    with tf.Graph().as_default():
        module = hub.Module(str(module_dir))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(str(target), session)


def _spec_export(module_dir: Path, target: Path) -> None:
    spec = hub.load_module_spec(str(module_dir))
    spec.export(str(target), checkpoint_path=str(module_dir / "variables" / "variables"))


def _eager_export(module_dir: Path, target: Path) -> None:
    hub.Module(str(module_dir)).export(str(target))


_EXPORTS: dict[str, Callable[[Path, Path], None]] = {
    "graph": _graph_export,
    "spec": _spec_export,
    "eager": _eager_export,
}


def _check(err: BaseException, op_error: type, target: Path, problem: str) -> None:
    assert isinstance(err, errors.ExportWriteError) and isinstance(err, OSError)
    assert isinstance(err, op_error) and isinstance(err, tf.errors.OpError)
    message = str(err)
    assert message.startswith(f"Cannot write the export to {target}: {problem}")
    assert message.endswith(f"Received: path={str(target)!r}")
    assert err.message == message and err.path == str(target)  # type: ignore[attr-defined]
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == message and again.args == err.args
    assert vars(again) == vars(err)


@pytest.mark.parametrize("how", sorted(_EXPORTS))
def test_export_onto_a_full_disk_is_also_a_resource_exhausted_error(
    how: str, upstream_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "fs" / "module"
    with mounts.tmpfs(tmp_path / "fs", "size=16k"):
        with pytest.raises(tf.errors.ResourceExhaustedError) as caught:
            _EXPORTS[how](upstream_dir / "tf1_multi_sig", target)
        _check(caught.value, tf.errors.ResourceExhaustedError, target, "no space left")
        assert type(caught.value) is errors.ExportDiskFullError


@pytest.mark.parametrize("how", sorted(_EXPORTS))
@pytest.mark.parametrize("folder", ["new", "empty"])
def test_export_to_a_read_only_file_system_is_also_a_permission_denied_error(
    how: str, folder: str, upstream_dir: Path, tmp_path: Path
) -> None:
    # "new": Python's mkdir of the export folder is refused; "empty": TensorFlow's first write.
    target = tmp_path / "fs" / folder
    with mounts.tmpfs(tmp_path / "fs", "size=64k") as disk:
        (disk / "empty").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(tf.errors.PermissionDeniedError) as caught:
            _EXPORTS[how](upstream_dir / "tf1_multi_sig", target)
        _check(caught.value, tf.errors.PermissionDeniedError, target, "Read-only file system")
        assert type(caught.value) is errors.ExportPermissionDeniedError


@pytest.mark.parametrize("how", sorted(_EXPORTS))
def test_export_of_a_file_over_the_size_limit_is_also_an_out_of_range_error(
    how: str, upstream_dir: Path, tmp_path: Path
) -> None:
    module_dir = upstream_dir / "tf1_multi_sig"
    target = tmp_path / "module"
    with file_size_limit((module_dir / "saved_model.pb").stat().st_size // 2):
        with pytest.raises(tf.errors.OutOfRangeError) as caught:
            _EXPORTS[how](module_dir, target)
    _check(caught.value, tf.errors.OutOfRangeError, target, "File too large")
    assert type(caught.value) is errors.ExportFileTooLargeError
    assert not target.exists()


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (errno.EACCES, "ExportPermissionDeniedError"),
        (errno.EPERM, "ExportPermissionDeniedError"),
        (errno.EDQUOT, "ExportDiskFullError"),
        # A file in the way: TensorFlow's makedirs raised FailedPreconditionError (measured
        # with the 0.10.0 wheel, session 57).
        (errno.ENOTDIR, "ExportNotADirectoryError"),
        (errno.EIO, "ExportWriteError"),  # No TensorFlow class for it: a plain one.
    ],
)
def test_each_refusal_of_a_tf1_export_has_upstreams_class(code: int, cls: str) -> None:
    refused = OSError(code, "refused")
    err = export_write_error(refused, "/models/m", argument="path", tf1=True)
    assert type(err) is getattr(errors, cls)
    plain = export_write_error(refused, "/models/m", argument="path")
    assert type(plain) is errors.ExportWriteError and str(plain) == str(err)


def test_the_exporters_error_naming_export_path_keeps_upstreams_class() -> None:
    # hub.LatestModuleExporter re-raises a module's refused export naming its export_path.
    from tfhub.tf1.export_writes import _export_path_write_error

    module_dir = "/models/1700000000/temp-1/module"
    refused = OSError(errno.ENOSPC, "No space left on device")
    err = errors.ExportWriteError("a refused write", path=module_dir, problem="no space")
    err.__cause__ = refused  # What the module's export raised it from.
    again = _export_path_write_error(err, "/models")
    assert isinstance(again, tf.errors.ResourceExhaustedError) and again.path == "/models"
    assert str(again).endswith("Received: export_path='/models'")
