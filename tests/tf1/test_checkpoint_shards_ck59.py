"""A TF1 export from a SHARDED checkpoint with one damaged or unreadable shard names that shard.

`ModuleSpec.export(path, checkpoint_path=...)` and `LatestModuleExporter.export` read the
module's variables from a checkpoint; session 58 made a damaged data file raise
`ExportCheckpointDamagedError` / `ExportCheckpointTruncatedError` /
`ExportCheckpointUnreadableError` naming the file. For a checkpoint of several data files
(`model.ckpt.data-0000K-of-00002`, here a sharded Saver's over two CPU devices) a shard cut short
was named by the pattern `model.ckpt.data-*`: TensorFlow's "Read less bytes than requested"
names no shard. Each error now names the damaged shard, and not the other one, before anything
is written.

The checkpoint: shard 0 holds "a" and "m/a", shard 1 holds "v" and "m/v" (ModuleSpec.export's
variables, and the exporter's module "m"'s), so each export reads both shards.
"""

from __future__ import annotations

import os
import shutil
import types
from pathlib import Path

import pytest
from tests._helpers.unreadable_checkpoint import exported_without_access

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402
from tfhub.tf1.checkpoint_shards import cut_short, shard_ends  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
SHARDS = ("model.ckpt.data-00000-of-00002", "model.ckpt.data-00001-of-00002")
PLACED = {"a": 0, "m/a": 0, "v": 1, "m/v": 1}  # Variable -> the CPU device, so the shard.


def _module_fn() -> None:
    x = v1.placeholder(tf.float32, [None])
    a = v1.get_variable("a", [4], initializer=v1.constant_initializer(1.0))
    v = v1.get_variable("v", [4], initializer=v1.constant_initializer(1.0))
    hub.add_signature(inputs=x, outputs=x * a * v)


@pytest.fixture(scope="module")
def spec() -> object:
    return hub.create_module_spec(_module_fn)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a checkpoint of two data files: a Saver(sharded=True) over variables on
    two CPU devices (a session of two CPU devices), "a", "m/a" on the first, "v", "m/v" on the
    second; each [4] floats of 3.0 (as the child code of `exported_without_access` has them)."""
    folder = tmp_path_factory.mktemp("sharded")
    with tf.Graph().as_default():
        for name, cpu in PLACED.items():
            with tf.device(f"/cpu:{cpu}"):
                v1.get_variable(name, [4], initializer=v1.constant_initializer(3.0))
        with v1.Session(config=v1.ConfigProto(device_count={"CPU": 2})) as session:
            session.run(v1.global_variables_initializer())
            v1.train.Saver(sharded=True).save(session, str(folder / "model.ckpt"))
    assert sorted(name for name in os.listdir(folder) if ".data-" in name) == list(SHARDS)
    reader = v1.train.NewCheckpointReader(str(folder / "model.ckpt"))
    assert sorted(reader.get_variable_to_shape_map()) == sorted(PLACED)
    return folder


def _copy(sharded: Path, tmp_path: Path) -> str:
    """A copy of the checkpoint `sharded` in `tmp_path/ckpt`; returns its prefix."""
    folder = tmp_path / "ckpt"
    shutil.copytree(sharded, folder)
    return str(folder / "model.ckpt")


def _estimator(spec: object, model_dir: str) -> object:
    def model_fn(features):
        module = hub.Module(spec, name="m")
        hub.register_module_for_export(module, "m")
        return types.SimpleNamespace(predictions=module(features["x"]), scaffold=None)

    return types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=model_dir)


def _export_errors(spec: object, prefix: str, out: Path) -> dict[str, BaseException]:
    """What ModuleSpec.export and LatestModuleExporter.export raise for `prefix`, into `out`."""
    exporter = hub.LatestModuleExporter("tf_hub", lambda: {"x": v1.placeholder(tf.float32, [None])})
    estimator = _estimator(spec, os.path.dirname(prefix))
    exports = {
        "spec": lambda: spec.export(str(out / "spec"), checkpoint_path=prefix),
        "exporter": lambda: exporter.export(
            estimator, str(out / "exporter"), checkpoint_path=prefix
        ),
    }
    raised = {}
    for name, export in exports.items():
        with pytest.raises(errors.ExportError) as caught:
            export()
        raised[name] = caught.value
    return raised


def _names_only(message: str, shard: int) -> None:
    """`message` names the shard `shard` (as "ckpt/<file>") and not the other, nor a pattern."""
    assert f"ckpt/{SHARDS[shard]}" in message, message
    assert SHARDS[1 - shard] not in message, message
    assert "data-*" not in message and "Graph execution error" not in message, message


def _nothing_written(out: Path) -> None:
    assert not (out / "spec").exists(), list(out.rglob("*"))
    assert not any((out / "exporter").rglob("*.pb")), list(out.rglob("*"))


def test_a_shard_cut_short_is_named(spec, sharded, tmp_path) -> None:
    prefix = _copy(sharded, tmp_path)
    data = Path(f"{prefix}.data-00001-of-00002")
    data.write_bytes(data.read_bytes()[:8])  # Of 32 bytes: "v" and "m/v" cut.
    for err in _export_errors(spec, prefix, tmp_path / "out").values():
        assert type(err) is errors.ExportCheckpointTruncatedError, repr(err)
        assert isinstance(err, tf.errors.OutOfRangeError)
        message = str(err)
        assert message.startswith(f"The checkpoint at {prefix} is damaged: "), message
        _names_only(message, 1)
        assert "is cut short (Read less bytes than requested)" in message, message
        assert SHARDS[1] in err.problem and err.path == prefix
    _nothing_written(tmp_path / "out")


def test_a_shard_of_garbage_is_named(spec, sharded, tmp_path) -> None:
    prefix = _copy(sharded, tmp_path)
    data = Path(f"{prefix}.data-00000-of-00002")
    data.write_bytes(b"\1" * data.stat().st_size)  # Same size: only the checksums show it.
    for err in _export_errors(spec, prefix, tmp_path / "out").values():
        assert type(err) is errors.ExportCheckpointDamagedError, repr(err)
        assert isinstance(err, tf.errors.DataLossError)
        message = str(err)
        assert message.startswith(f"The checkpoint at {prefix} is damaged: "), message
        _names_only(message, 0)
        assert "Checksum does not match" in message, message
        assert SHARDS[0] in err.problem and err.path == prefix
    _nothing_written(tmp_path / "out")


def test_a_shard_this_process_may_not_read_is_named(sharded, tmp_path) -> None:
    """Shard 1 (mode 000) holds "v" and "m/v", which the child's exports read; root's child
    runs without the DAC capabilities (`exported_without_access` skips, saying why, if it
    cannot)."""
    prefix = _copy(sharded, tmp_path)
    refused = Path(f"{prefix}.data-00001-of-00002")
    out = tmp_path / "out"
    reports = exported_without_access(prefix, refused, out, Path(prefix).parent)
    for report in reports.values():  # ModuleSpec.export, LatestModuleExporter.export.
        assert report["type"] == "ExportCheckpointUnreadableError", report
        assert report["unreadable"] and report["denied"] and report["pickled"], report
        message = str(report["message"])
        assert message.startswith(f"The checkpoint at {prefix} cannot be read: "), message
        _names_only(message, 1)
        assert "may not read it" in message and SHARDS[1] in str(report["problem"]), report
    assert not out.exists() or not any(out.rglob("*.pb")), list(out.rglob("*"))


def test_every_shard_cut_short_is_named(spec, sharded, tmp_path) -> None:
    prefix = _copy(sharded, tmp_path)
    for shard in SHARDS:
        data = tmp_path / "ckpt" / shard
        data.write_bytes(data.read_bytes()[:8])
    with pytest.raises(errors.ExportCheckpointTruncatedError) as caught:
        spec.export(str(tmp_path / "out"), checkpoint_path=prefix)
    message = str(caught.value)
    assert f"each of ckpt/{SHARDS[0]}, ckpt/{SHARDS[1]} is cut short" in message, message
    assert not (tmp_path / "out").exists()


def test_the_index_says_where_each_shards_tensors_end(sharded, tmp_path) -> None:
    """Two float32[4] tensors a shard: 32 bytes each. An index that is not a TensorFlow table
    (garbage, a compressed block) tells nothing: no shard is called cut short."""
    index = (sharded / "model.ckpt.index").read_bytes()
    assert shard_ends(index) == {0: 32, 1: 32}
    prefix = _copy(sharded, tmp_path)
    (tmp_path / "ckpt" / SHARDS[1]).write_bytes(b"")
    assert cut_short(prefix, list(SHARDS)) == [SHARDS[1]]
    for bad in (b"\xff" * len(index), index[:-1], index[:40], b""):
        Path(f"{prefix}.index").write_bytes(bad)
        with pytest.raises(ValueError):
            shard_ends(bad)
        assert cut_short(prefix, list(SHARDS)) == []


def test_an_index_longer_than_the_cap_is_not_read_whole(
    sharded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cut_short` reads at most `_INDEX_MOST` bytes of the index (64 MiB; lowered here to one
    byte less than this index): a longer one tells nothing."""
    from tfhub.tf1 import checkpoint_shards

    prefix = _copy(sharded, tmp_path)
    (tmp_path / "ckpt" / SHARDS[1]).write_bytes(b"")
    size = Path(f"{prefix}.index").stat().st_size
    monkeypatch.setattr(checkpoint_shards, "_INDEX_MOST", size)
    assert cut_short(prefix, list(SHARDS)) == [SHARDS[1]]
    monkeypatch.setattr(checkpoint_shards, "_INDEX_MOST", size - 1)
    assert cut_short(prefix, list(SHARDS)) == []


def test_loading_sizes_check_names_the_shard_cut_short(sharded: Path, tmp_path: Path) -> None:
    """`data_shortfall` (hub.Module's check of a module's checkpoint sizes before loading it)
    names the data file that is cut short among several, not only the byte counts."""
    from tfhub.tf1.checkpoint import data_shortfall

    prefix = _copy(sharded, tmp_path)
    with open(f"{prefix}.data-00001-of-00002", "r+b") as shard:
        shard.truncate(8)
    problem = data_shortfall(prefix)
    assert problem is not None and "cut short" in problem
    assert SHARDS[1] in problem and SHARDS[0] not in problem
