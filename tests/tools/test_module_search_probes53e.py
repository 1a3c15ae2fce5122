"""module_search as upstream's code drove it (session 53, rf53e): a TF1 SavedModel called as
upstream's `load_embedding_fn` called every module (`signatures["default"](images)["default"]`),
and upstream's absl `FLAGS.module` left at its default, None."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools.module_search import lib, search, utils


def _save_tf1_saved_model(path: Path, outputs: tuple[str, ...]) -> str:
    """A TF1 SavedModel (tags [], not the Hub format, not callable) with one signature,
    "default": images [batch, height, width, 3] -> each of `outputs`, the images' mean colour
    [batch, 3] scaled by the output's place (1, 2, ...)."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    with tf.Graph().as_default():
        images = tf1.placeholder(tf.float32, [None, None, None, 3], name="images")
        scale = tf1.get_variable("scale", initializer=1.0)
        mean = tf.reduce_mean(images, axis=[1, 2]) * scale
        info = tf1.saved_model.utils.build_tensor_info
        signature = tf1.saved_model.signature_def_utils.build_signature_def(
            inputs={"images": info(images)},
            outputs={name: info(mean * (place + 1)) for place, name in enumerate(outputs)},
            method_name="tensorflow/serving/predict",
        )
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            builder = tf1.saved_model.Builder(os.fspath(path))
            signatures = {"default": signature}
            builder.add_meta_graph_and_variables(session, [], signature_def_map=signatures)
            builder.save()
    return os.fspath(path)


def test_a_tf1_saved_model_is_called_as_upstream_called_it(
    tmp_path: Path, shape_images: Path
) -> None:
    """rf53e-F1: upstream's `load_embedding_fn` called `hub.load(module, tags=[])
    .signatures["default"](images)["default"]`; a TF1 SavedModel whose "default" signature has
    other outputs beside "default" was refused as "not an image feature-vector module"."""
    import tensorflow as tf

    module = _save_tf1_saved_model(tmp_path / "tf1", ("default", "logits"))
    embed = utils.load_embedding_fn(module)
    vectors = np.asarray(embed(tf.fill((2, 8, 8, 3), 0.25)))
    np.testing.assert_allclose(vectors, np.full((2, 3), 0.25))  # "default", not "logits" (0.5).

    dataset = lib.load_dataset(lib.DataSpec(os.fspath(shape_images), 12))
    score = lib.score_module(module, dataset)
    assert score.dim == 3 and 0.0 <= score.error <= 1.0


def test_a_tf1_saved_model_without_a_default_output_is_not_an_image_module(
    tmp_path: Path, shape_images: Path
) -> None:
    """A "default" signature with no "default" output: still one error naming the module."""
    module = _save_tf1_saved_model(tmp_path / "tf1", ("features", "logits"))
    dataset = lib.load_dataset(lib.DataSpec(os.fspath(shape_images), 12))
    with pytest.raises(errors.NotAnImageModuleError, match="tf1") as caught:
        lib.score_module(module, dataset)
    assert caught.value.handle == module


def test_flags_module_none_as_upstreams_default(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    image_modules: dict[str, str],
    shape_images: Path,
) -> None:
    """rf53e-F2: upstream's `--module` is a multi-string flag of default None, which its main
    took as no module (`if FLAGS.module:`); set so, with a module list, main raised a bare
    TypeError ('NoneType' object is not iterable)."""
    listed = tmp_path / "modules.txt"
    listed.write_text(image_modules["fixed"] + "\n")
    monkeypatch.setattr(search.FLAGS["dataset"], "value", f"{shape_images}#12")
    monkeypatch.setattr(search.FLAGS["module"], "value", None)
    monkeypatch.setattr(search.FLAGS["module_list"], "value", str(listed))
    assert search.main(["search"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[4] == image_modules["fixed"]

    monkeypatch.setattr(search.FLAGS["module_list"], "value", None)
    with pytest.raises(errors.ToolFlagError, match="Use --module or --module_list"):
        search.main(["search"])
