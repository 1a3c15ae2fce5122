"""ModuleSpec.export with a name_transform_fn that maps several module variables to one
checkpoint variable (e.g. tied embeddings trained as one `shared/emb`).

Before, the names looked up were collected in a dict keyed by checkpoint name, so all but one
of those variables were silently dropped from the restore and exported with their random
initial values (upstream 0.10.0 built the same dict). Each now reads the checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

SHARED = np.array([[7.0, 1.0], [2.0, 3.0]], np.float32)
OWN = np.array([[0.5, -1.0]], np.float32)


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    enc = tf.compat.v1.get_variable("enc/emb", [2, 2])  # Random (glorot) initial values.
    dec = tf.compat.v1.get_variable("dec/emb", [2, 2])
    bias = tf.compat.v1.get_variable("bias", [1, 2])
    hub.add_signature(inputs=x, outputs={"enc": x @ enc, "dec": x @ dec + bias})


def _to_checkpoint(name: str) -> str:
    return "shared/emb" if name.endswith("/emb") else "head/" + name


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    folder = tmp_path_factory.mktemp("shared_names")
    with tf.Graph().as_default():
        tf.compat.v1.get_variable("shared/emb", initializer=SHARED)
        tf.compat.v1.get_variable("head/bias", initializer=OWN)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            prefix = tf.compat.v1.train.Saver().save(session, str(folder / "model.ckpt"))
    spec = hub.create_module_spec(_module_fn)
    spec.export(str(folder / "module"), checkpoint_path=prefix, name_transform_fn=_to_checkpoint)
    values = dict(tf.train.list_variables(str(folder / "module" / "variables" / "variables")))
    assert set(values) == {"enc/emb", "dec/emb", "bias"}
    reader = tf.train.load_checkpoint(str(folder / "module" / "variables" / "variables"))
    return {name: reader.get_tensor(name) for name in values} | {"prefix": prefix}


def test_each_variable_mapped_to_one_checkpoint_name_reads_it(exported) -> None:
    np.testing.assert_array_equal(exported["enc/emb"], SHARED)
    np.testing.assert_array_equal(exported["dec/emb"], SHARED)
    np.testing.assert_array_equal(exported["bias"], OWN)


def test_a_missing_name_still_names_every_name_looked_up(exported, tmp_path: Path) -> None:
    spec = hub.create_module_spec(_module_fn)
    with pytest.raises(errors.ExportError, match="Cannot export the module") as caught:
        spec.export(
            str(tmp_path / "module"),
            checkpoint_path=str(exported["prefix"]),
            name_transform_fn=lambda name: "shared/emb" if name.endswith("/emb") else name,
        )
    assert "['bias', 'shared/emb']" in str(caught.value)
    assert not (tmp_path / "module").exists()


def test_a_name_transform_fn_returning_none_for_one_name_is_an_export_error(
    exported, tmp_path: Path
) -> None:
    # A mix of str and None looked up: the message's sorted list once raised its own TypeError.
    spec = hub.create_module_spec(_module_fn)
    with pytest.raises(errors.ExportNameTypeError) as caught:
        spec.export(
            str(tmp_path / "module"),
            checkpoint_path=str(exported["prefix"]),
            name_transform_fn=lambda name: None if name == "bias" else _to_checkpoint(name),
        )
    assert isinstance(caught.value, errors.ExportError)
    assert isinstance(caught.value, TypeError)  # As upstream's (sorting str with None).
    assert "name_transform_fn('bias') returned None" in str(caught.value)
    assert not (tmp_path / "module").exists()
