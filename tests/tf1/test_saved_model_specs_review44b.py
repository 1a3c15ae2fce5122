"""hub.Module of specs made from TF1 SavedModels (`create_module_spec_from_saved_model`), after
session 44's damage checks (review44b): a V1 checkpoint (one file, no index) still loads, an
unreadable index is still a TensorFlow OpError as upstream raised, a refused read (no access, a
network failure) is not taken for damage, and a spec's checkpoint is checked once, not on
every hub.Module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors, model_damage  # noqa: E402
from tfhub.tf1 import module_impl  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _saved_model(path: Path, *, saver_version: Any = None) -> Path:
    """A TF1 SavedModel y = x * [1, 2] (its checkpoint V1 if `saver_version` says so)."""
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, 2], name="x")
        w = tf1.get_variable("w", initializer=tf.constant([1.0, 2.0]))
        y = tf.identity(x * w, name="y")
        saver = None if saver_version is None else tf1.train.Saver(write_version=saver_version)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            builder = tf1.saved_model.Builder(str(path))
            signature = tf1.saved_model.predict_signature_def({"x": x}, {"y": y})
            builder.add_meta_graph_and_variables(
                session, [], signature_def_map={"default": signature}, saver=saver
            )
            builder.save()
    return path


def _run(spec: Any) -> list[list[float]]:
    with tf.Graph().as_default():
        module = hub.Module(spec)
        out = module(np.ones([1, 2], np.float32), signature="default", as_dict=True)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            return session.run(out)["y"].tolist()


def test_a_v1_checkpoint_without_an_index_still_loads(tmp_path: Path) -> None:
    path = _saved_model(tmp_path / "v1", saver_version=tf1.train.SaverDef.V1)
    assert not (path / "variables" / "variables.index").exists()
    assert _run(hub.create_module_spec_from_saved_model(str(path))) == [[1.0, 2.0]]


def test_an_unreadable_index_is_still_tensorflows_op_error(tmp_path: Path) -> None:
    path = _saved_model(tmp_path / "garbage")
    spec = hub.create_module_spec_from_saved_model(str(path))
    (path / "variables" / "variables.index").write_bytes(b"garbage" * 20)
    with tf.Graph().as_default(), pytest.raises(tf.errors.OpError) as caught:
        hub.Module(spec)
    assert isinstance(caught.value, errors.DamagedModelError), repr(caught.value)
    assert str(path) in str(caught.value)


def test_a_refused_read_of_the_checkpoint_is_not_taken_for_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _saved_model(tmp_path / "refused")
    spec = hub.create_module_spec_from_saved_model(str(path))

    def refused(*_: Any) -> None:  # What gs:// answers without access (a 403).
        raise tf.errors.PermissionDeniedError(None, None, "HTTP response code 403")

    monkeypatch.setattr(module_impl, "init_from_checkpoint", refused)
    monkeypatch.setattr(model_damage.gfile_io, "checkpoint_reader", refused)  # Refused too.
    with tf.Graph().as_default(), pytest.raises(tf.errors.PermissionDeniedError) as caught:
        hub.Module(spec)
    assert not isinstance(caught.value, errors.DamagedModelError)


def test_the_damage_diagnosis_takes_no_refused_read_for_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _saved_model(tmp_path / "diagnosed")

    def refused(*_: Any) -> None:
        raise tf.errors.UnavailableError(None, None, "connection reset")

    monkeypatch.setattr(model_damage.gfile_io, "checkpoint_reader", refused)
    assert model_damage.diagnose(str(path)) is None


def test_a_specs_checkpoint_is_checked_once_not_on_every_hub_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _saved_model(tmp_path / "once")
    spec = hub.create_module_spec_from_saved_model(str(path))
    checks: list[str] = []
    real = module_impl.variables_mismatch

    def counted(prefix: str, meta_graphs: Any) -> str | None:
        checks.append(prefix)
        return real(prefix, meta_graphs)

    monkeypatch.setattr(module_impl, "variables_mismatch", counted)
    for _ in range(3):
        assert _run(spec) == [[1.0, 2.0]]
    assert len(checks) == 1
    assert _run(hub.create_module_spec_from_saved_model(str(path))) == [[1.0, 2.0]]
    assert len(checks) == 2  # Another spec: checked once of its own.
