"""Tiny image feature-vector modules for the tools' tests (shared: make_image_classifier,
module_search). TensorFlow is imported inside the functions: importing this module is cheap.

Every module maps float images [batch, height, width, 3] in [0, 1] to a feature vector
[batch, dim]: 3 colour features (per channel, 10 x the spatial mean of how far the channel
exceeds the pixel's grey level), then the spatial means of relu(conv3x3(images) + bias) with
`dim - 3` fixed random filters (stride 2). Weights depend only on `seed`, so outputs are
deterministic, and the colour features make coloured-shape classes (tests/_helpers/image_sets.py)
linearly separable with a wide margin. The conv kernel and bias are trainable variables
(fine-tuning works).

API (stable):
    save_image_feature_vector(path, *, image_size=(32, 32), dim=8, seed=0, input_dtype="float32",
        output="vector") -> path: a TF2 SavedModel following the reusable-SavedModel conventions
        (`__call__(images, training=False)`, `variables`, `trainable_variables`,
        `regularization_losses`). `image_size=None` gives a variable-size input
        [None, None, None, 3]. For bad-input tests: `input_dtype="uint8"` (wrong dtype),
        `output="map"` (a [batch, h, w, dim] feature map instead of a vector).
    save_tf1_image_module(path, *, image_size=(32, 32), dim=8, seed=0, attach_info=True,
        fixed_shape=False) -> path: the same features as a TF1 Hub module (signature "default",
        input "images", output "default"). With `attach_info`, an ImageModuleInfo gives the
        default image size; with `fixed_shape`, the input placeholder has that size too.
    image_features(images, *, dim=8, seed=0) -> np.ndarray: NumPy reference of the features.
    make_module_tarball(model_dir, tarball) -> tarball: pack for serving over HTTP (the
        `server` fixture serves `NAME.tar.gz` for `NAME?tf-hub-format=compressed`).
    tflite_predictions(tflite_file, images) -> np.ndarray: a .tflite model's outputs for a
        batch of images (the interpreter resized to the batch).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from tests._helpers.models import _save, make_tarball
from tests._helpers.tf1_modules import export_module_spec


def _weights(dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if dim < 4:
        raise ValueError(f"dim must be at least 4 (3 colour features + filters). Received: {dim}")
    rng = np.random.default_rng(seed)
    kernel = rng.normal(0.0, 0.5, (3, 3, 3, dim - 3)).astype(np.float32)
    bias = rng.normal(0.0, 0.1, (dim - 3,)).astype(np.float32)
    return kernel, bias


def _features(tf: Any, images: Any, kernel: Any, bias: Any, *, as_map: bool = False) -> Any:
    """The features in TensorFlow ops (shared by the TF2 and TF1 builders)."""
    conv = tf.nn.relu(tf.nn.conv2d(images, kernel, strides=2, padding="SAME") + bias)
    if as_map:
        return conv
    grey = tf.reduce_mean(images, axis=-1, keepdims=True)
    colour = 10.0 * tf.reduce_mean(tf.nn.relu(images - grey), axis=[1, 2])
    return tf.concat([colour, tf.reduce_mean(conv, axis=[1, 2])], 1)


def image_features(images: np.ndarray, *, dim: int = 8, seed: int = 0) -> np.ndarray:
    """NumPy-in, NumPy-out reference of the modules' output (computed with TensorFlow ops)."""
    import tensorflow as tf

    kernel, bias = _weights(dim, seed)
    return _features(tf, tf.constant(images, tf.float32), kernel, bias).numpy()


def save_image_feature_vector(
    path: str | os.PathLike[str],
    *,
    image_size: tuple[int, int] | None = (32, 32),
    dim: int = 8,
    seed: int = 0,
    input_dtype: str = "float32",
    output: str = "vector",
) -> str:
    """Saves a TF2 image feature-vector SavedModel (see the module docstring).

    Args:
        path: the SavedModel folder to write.
        image_size: (height, width) of the input signature, or None for variable size.
        dim: length of the feature vector (>= 4).
        seed: chooses the fixed conv weights.
        input_dtype: dtype of the input signature ("float32"; "uint8" makes a bad module).
        output: "vector" (a good module) or "map" (a 4-D feature map: a bad module).

    Returns:
        `path` as a string.
    """
    import tensorflow as tf

    kernel, bias = _weights(dim, seed)
    dtype = tf.as_dtype(input_dtype)
    height, width = image_size if image_size is not None else (None, None)

    class FeatureVector(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable(kernel, name="conv/kernel")
            self.bias = tf.Variable(bias, name="conv/bias")

        def __call__(self, images: Any, training: bool = False) -> Any:
            floats = tf.cast(images, tf.float32)
            return _features(tf, floats, self.kernel, self.bias, as_map=output == "map")

    model = FeatureVector()
    call = tf.function(model.__call__)
    spec = tf.TensorSpec([None, height, width, 3], dtype)
    for training in (False, True):
        call.get_concrete_function(spec, training)
    return _save(model, os.fspath(path), call)


def save_tf1_image_module(
    path: str | os.PathLike[str],
    *,
    image_size: tuple[int, int] = (32, 32),
    dim: int = 8,
    seed: int = 0,
    attach_info: bool = True,
    fixed_shape: bool = False,
) -> str:
    """Saves the same features as a TF1 Hub module (see the module docstring).

    Args:
        path: the module folder to write.
        image_size: the (height, width) attached as ImageModuleInfo and/or used as input shape.
        dim: length of the feature vector (>= 4).
        seed: chooses the fixed conv weights.
        attach_info: attach an ImageModuleInfo with `image_size` as default_image_size.
        fixed_shape: give the "images" placeholder the fixed `image_size` (else variable).

    Returns:
        `path` as a string.
    """
    import tensorflow as tf

    import tfhub as hub

    kernel, bias = _weights(dim, seed)

    def module_fn() -> None:
        height, width = image_size if fixed_shape else (None, None)
        images = tf.compat.v1.placeholder(tf.float32, [None, height, width, 3], name="images")
        kernel_var = tf.compat.v1.get_variable("conv/kernel", initializer=kernel)
        bias_var = tf.compat.v1.get_variable("conv/bias", initializer=bias)
        features = _features(tf, images, kernel_var, bias_var)
        hub.add_signature(inputs={"images": images}, outputs={"default": features})
        if attach_info:
            info = hub.ImageModuleInfo()
            info.default_image_size.height, info.default_image_size.width = image_size
            hub.attach_image_module_info(info)

    return export_module_spec(hub.create_module_spec(module_fn), path)


def make_module_tarball(model_dir: str | os.PathLike[str], tarball: str | os.PathLike[str]) -> str:
    """Packs a module folder as a .tar.gz whose root is the module root (for HTTP serving)."""
    return make_tarball(os.fspath(model_dir), os.fspath(tarball))


def tflite_predictions(tflite_file: str | os.PathLike[str], images: np.ndarray) -> np.ndarray:
    """Runs a .tflite model (its first input and output) on a batch of images."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=os.fspath(tflite_file))
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, images)
    interpreter.invoke()
    return np.asarray(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))
