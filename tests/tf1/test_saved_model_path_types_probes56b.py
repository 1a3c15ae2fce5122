"""hub.create_module_spec_from_saved_model's path as bytes, a pathlib.Path or not a path (rf56b-F6).

tensorflow_hub 0.10.0 took bytes (TensorFlow's file functions do); tfhub raised Python's bare
"TypeError: Can't mix strings and bytes in path components". A pathlib.Path (which tfhub's
load_module_spec and exports take) and None or a number ended in bare TypeErrors naming no
argument. Now bytes and os.PathLike are read as the folder's path, and anything else raises
`ArgumentTypeError` (a TypeError, as before) naming `saved_model_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF1 SavedModel: y = 3x."""
    path = tmp_path_factory.mktemp("tf1_saved_model") / "model"
    with tf.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(tf.float32, [None], name="x")
        w = v1.get_variable("w", initializer=3.0)
        session.run(v1.global_variables_initializer())
        v1.saved_model.simple_save(session, str(path), {"x": x}, {"y": x * w})
    return path


@pytest.mark.parametrize("kind", [os.fsencode, Path])
def test_bytes_and_a_path_object_name_the_folder(saved_model: Path, kind) -> None:
    spec = hub.create_module_spec_from_saved_model(kind(str(saved_model)))
    with tf.Graph().as_default():
        y = hub.Module(spec, tags={"serve"})(
            {"x": np.array([1.0, 2.0], np.float32)}, signature="serving_default", as_dict=True
        )["y"]
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            assert session.run(y).tolist() == [3.0, 6.0]


@pytest.mark.parametrize("value", [None, 5, ["/models/m"]])
def test_anything_else_is_an_argument_type_error(value: object) -> None:
    with pytest.raises(errors.ArgumentTypeError) as caught:
        hub.create_module_spec_from_saved_model(value)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)
    assert str(caught.value) == (
        "create_module_spec_from_saved_model reads a TF1 SavedModel's folder: pass its path as "
        f"a str, bytes or os.PathLike. Received: saved_model_path={value!r} of type "
        f"{type(value).__name__}"
    )
