"""tfhub.tools.image_modules: image feature-vector module checks and image sizes (shared by
make_image_classifier and module_search)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from tests._helpers import image_models, models
from tests.tools._picky_modules import save_multiple_of_module

from tfhub import errors

# --- The module ---------------------------------------------------------------------------------


def _layer(handle: str):
    from tfhub.tools import image_modules

    return image_modules.load_module_layer(handle, trainable=False)


@pytest.mark.tf
def test_image_size_from_the_module_or_the_flag(image_modules: dict[str, str]) -> None:
    from tfhub.tools.image_modules import check_feature_vector, image_size_for_module

    fixed = _layer(image_modules["fixed"])
    assert image_size_for_module(fixed, "fixed") == (32, 32)
    assert image_size_for_module(fixed, "fixed", 32) == (32, 32)
    with pytest.raises(errors.ImageSizeError, match=r"expects images of size \(32, 32\)") as e:
        image_size_for_module(fixed, "fixed", 48)
    assert e.value.requested == 48 and isinstance(e.value, ValueError)
    variable = _layer(image_modules["variable"])
    with pytest.raises(errors.ImageSizeError, match="pass --image_size"):
        image_size_for_module(variable, "variable")
    assert image_size_for_module(variable, "variable", 40) == (40, 40)
    assert check_feature_vector(variable, "variable", (40, 40)) == 8
    tf1 = _layer(image_modules["tf1"])  # Variable input; ImageModuleInfo says 32x32.
    assert image_size_for_module(tf1, image_modules["tf1"]) == (32, 32)
    assert image_size_for_module(tf1, image_modules["tf1"], 24) == (24, 24)
    assert check_feature_vector(tf1, "tf1", (24, 24)) == 8


@pytest.mark.tf
@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("rank", r"input has shape \(None, 64\) \(rank 2\), not 4"),
        ("dtype", "input has dtype uint8, not float32"),
        ("map", r"output has shape \(2, 16, 16, 5\), not \[batch, dim\]"),
    ],
)
def test_not_an_image_feature_vector_module(tmp_path: Path, kind: str, match: str) -> None:
    from tfhub.tools.image_modules import check_feature_vector, image_size_for_module

    path = os.fspath(tmp_path / kind)
    if kind == "rank":
        models.save_mlp(path, inputs=64, hidden=8, outputs=4)
    else:
        dtype, output = ("uint8", "vector") if kind == "dtype" else ("float32", "map")
        image_models.save_image_feature_vector(path, dim=8, input_dtype=dtype, output=output)
    with pytest.raises(errors.NotAnImageModuleError, match=match) as caught:
        layer = _layer(path)
        check_feature_vector(layer, path, image_size_for_module(layer, path))
    assert caught.value.handle == path and "Received: tfhub_module=" in str(caught.value)


def _one_line_with_the_reason(message: str, reason: str) -> None:
    """The module's own reason is in the one-line message, Keras' and TensorFlow's wrapping
    is not (it kept "Exception encountered when calling KerasLayer.call().." only)."""
    assert reason in message and "\n" not in message and "\x1b" not in message
    for wrapping in ("Exception encountered", "Graph execution error", "Arguments received"):
        assert wrapping not in message
    assert "[[{{node" not in message and "[Op:" not in message


@pytest.mark.tf
def test_a_module_failing_at_the_size_says_why_and_the_size_it_takes(tmp_path: Path) -> None:
    """A variable-size module that fails on --image_size 20 but runs on 224x224 (as a vision
    transformer whose patches must tile the image): an ImageSizeError with its reason."""
    from tfhub.tools.image_modules import check_feature_vector

    path = save_multiple_of_module(tmp_path / "multiple_of_16", 16)
    layer = _layer(path)
    with pytest.raises(errors.ImageSizeError) as caught:
        check_feature_vector(layer, path, (20, 20))
    message = str(caught.value)
    _one_line_with_the_reason(message, "image size must be a multiple of 16")
    assert message.startswith(f"The module {path} fails on images of size (20, 20): ")
    assert "runs on images of size (224, 224): pass --image_size=224" in message
    assert message.endswith("Received: image_size=20") and isinstance(caught.value, ValueError)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.handle, copy.requested, copy.works_at) == (path, 20, (224, 224))
    assert copy.module_size == (None, None) and "multiple of 16" in copy.problem
    assert check_feature_vector(layer, path, (32, 32)) == 3  # The layer still works.


@pytest.mark.tf
def test_a_module_failing_at_every_size_tried_keeps_its_reason(tmp_path: Path) -> None:
    from tfhub.tools.image_modules import check_feature_vector

    path = save_multiple_of_module(tmp_path / "multiple_of_1000", 1000)
    with pytest.raises(errors.NotAnImageModuleError) as caught:
        check_feature_vector(_layer(path), path, (20, 20), flag="module")
    message = str(caught.value)
    _one_line_with_the_reason(message, "image size must be a multiple of 1000")
    assert f"{path} is not an image feature-vector module: it fails on " in message
    assert "of size (20, 20): assertion failed: [image size must be" in message
    assert message.endswith(f"Received: module={path!r}")


@pytest.mark.tf
def test_make_image_classifier_names_the_module_s_reason(
    shape_images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tfhub.tools.make_image_classifier.cli import main

    path = save_multiple_of_module(tmp_path / "multiple_of_16", 16)
    argv = [f"--image_dir={shape_images}", f"--tfhub_module={path}", "--image_size=20"]
    assert main([*argv, "--train_epochs=1"]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    _one_line_with_the_reason(line, "image size must be a multiple of 16")
    assert line.startswith(f"tfhub: error: The module {path} fails on images of size (20, 20)")
    assert "pass --image_size=224" in line


class _KerasWrapped(ValueError):
    """As Keras re-creates an error raised in a layer's call: same class, wrapped message."""


def test_module_reason_unwraps_keras_and_tensorflow() -> None:
    from tfhub.tools.image_modules import module_reason

    original = _KerasWrapped(
        "Graph execution error:\n\nDetected at node f defined at (most "
        'recent call last):\n  File "m.py", line 3, in f\n\nsize too small\n\t '
        "[[{{node f}}]] [Op:__inference_f_7]"
    )
    try:
        try:
            raise original
        except _KerasWrapped:
            wrapped = _KerasWrapped(
                "Exception encountered when calling KerasLayer.call().\n\n\x1b[1m"
                f"{original}\x1b[0m\n\nArguments received by KerasLayer.call():\n  • inputs=x"
            )
            wrapped._keras_call_info_injected = True  # type: ignore[attr-defined]
            raise wrapped from None
    except _KerasWrapped as err:
        assert module_reason(err) == "size too small"
    tf_keras = ValueError(  # Its wrapping, as text only.
        "Exception encountered when calling layer 'keras_layer' (type KerasLayer).\n\nsize "
        "too small\n\nCall arguments received by layer 'keras_layer' (type KerasLayer):\n"
        "  • inputs=tf.Tensor(shape=(2, 20, 20, 3), dtype=float32)"
    )
    assert module_reason(tf_keras) == "size too small"
    long = module_reason(ValueError("x" * 1000 + "\nmore"), limit=50)
    assert long == "x" * 47 + "..."
    assert module_reason(ValueError("\n  only indented")) == "only indented"
    assert module_reason(ValueError()) == "ValueError"
    # A value in the reason is kept as it is (it was squeezed: 'my models', not a real path).
    reason = module_reason(ValueError("No file '/data/my  models/x.pb'\n  at node y"))
    assert reason == "No file '/data/my  models/x.pb'"


def test_a_converter_refusal_is_cut_as_a_module_reason() -> None:
    """make_image_classifier's .tflite error cut the converter's reason with its own copy of
    module_reason's cut, which kept the space before the "..." ("ab ab ...")."""
    from tfhub.tools.image_modules import cut_with_ellipsis, module_reason
    from tfhub.tools.make_image_classifier import tflite

    text = "Could not translate: " + "ab " * 200
    reason = module_reason(ValueError(text))
    assert reason == cut_with_ellipsis(text.strip()) and reason.endswith(" ab...")
    refused = str(tflite._conversion_error(text, "m.tflite"))
    assert f"the converter failed ({reason}). The SavedModel" in refused


@pytest.mark.tf
def test_a_module_with_damaged_files_is_one_error_naming_the_flag(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    import shutil

    from tfhub.tools.image_modules import load_module_layer

    copy = tmp_path / "cut"
    shutil.copytree(image_modules["fixed"], copy)
    data = copy / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:10])  # A copy or download cut short.
    with pytest.raises(errors.ModuleUnavailableError, match="cannot be loaded") as caught:
        load_module_layer(os.fspath(copy), trainable=False, flag="module")
    assert str(caught.value).endswith(f"Received: module={os.fspath(copy)!r}")
    assert isinstance(caught.value, OSError) and "\n" not in str(caught.value)


@pytest.mark.tf
def test_a_module_calling_python_code_says_the_saved_model_lacks_it(tmp_path: Path) -> None:
    """A SavedModel keeps no tf.py_function's Python code: calling one said "Could not find
    callback with key=pyfunc_0 in the registry. Traceback (most recent call last): ..."."""
    from tests.tools._one_child import run_programs

    path = os.fspath(tmp_path / "py_function")
    # Saved by another process: this one would still hold the Python function. Checked in a
    # fresh process too: TensorFlow's registry of Python callbacks is per process and numbered
    # from 0, so in a process that has run a tf.py_function (Keras' fit on a generator,
    # tf.data's from_generator) the module's "pyfunc_0" would find that one instead. Each is a
    # fork of one child that imported TensorFlow and ran nothing (one import instead of two).
    save = """
        import sys
        import tensorflow as tf

        class PyFunc(tf.Module):
            @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
            def __call__(self, images):
                means = tf.reduce_mean(images, axis=[1, 2])
                doubled = tf.py_function(lambda x: x * 2, [means], tf.float32)
                return tf.ensure_shape(doubled, [None, 3])

        tf.saved_model.save(PyFunc(), sys.argv[1])
        """
    check = """
        import sys
        from tfhub import errors
        from tfhub.tools.image_modules import check_feature_vector, load_module_layer

        layer = load_module_layer(sys.argv[1], trainable=False)
        try:
            check_feature_vector(layer, sys.argv[1], (32, 32))
        except errors.NotAnImageModuleError as err:
            print(err)
        """
    runs = run_programs([("save", save, [path]), ("check", check, [path])])
    for done in runs.values():
        assert done.returncode == 0, done.stderr[-4000:]
    checked = runs["check"]
    message = checked.stdout.rstrip("\n")
    _one_line_with_the_reason(message, "Could not find callback with key=pyfunc_0")
    assert "Traceback" not in message and message.count("Could not find callback") == 1
    assert "tf.py_function or tf.numpy_function, whose Python code a SavedModel does not" in message


@pytest.mark.tf
def test_a_module_with_empty_feature_vectors_is_not_an_image_module(tmp_path: Path) -> None:
    """[batch, 0] passed: module_search ranked it at chance level, and make_image_classifier
    would have trained its classifier on no feature at all."""
    import tensorflow as tf

    from tfhub.tools.image_modules import check_feature_vector

    class Empty(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            return tf.zeros([tf.shape(images)[0], 0])

    path = os.fspath(tmp_path / "empty")
    tf.saved_model.save(Empty(), path)
    with pytest.raises(
        errors.NotAnImageModuleError, match=r"shape \(2, 0\): vectors of 0 features"
    ):
        check_feature_vector(_layer(path), path, (32, 32))
