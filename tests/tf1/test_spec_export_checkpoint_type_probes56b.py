"""ModuleSpec.export with a checkpoint_path that is not a path (rf56b-F7).

It ended in Python's bare "TypeError: expected str, bytes or os.PathLike object, not int" from
deep inside the export (0.10.0: TensorFlow's bare TypeError). It now raises `ArgumentTypeError`
(a TypeError, as before) naming `checkpoint_path`, before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x * tf.compat.v1.get_variable("w", initializer=2.0))


@pytest.mark.parametrize("value", [5, ["model.ckpt-1"]])
def test_a_checkpoint_path_that_is_not_a_path_is_named(tmp_path: Path, value: object) -> None:
    spec = hub.create_module_spec(_module_fn)
    with pytest.raises(errors.ArgumentTypeError) as caught:
        spec.export(str(tmp_path / "module"), checkpoint_path=value)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)
    assert str(caught.value) == (
        "ModuleSpec.export reads the module's variables from a checkpoint: pass its prefix (or "
        "folder) as a str, bytes or os.PathLike. "
        f"Received: checkpoint_path={value!r} of type {type(value).__name__}"
    )
    assert list(tmp_path.iterdir()) == []
