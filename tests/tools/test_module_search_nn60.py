"""module_search probed as users meet it (session 60): a module that runs on the two black
images of the first check but fails on the dataset's own images (a batch too large for the
memory at hand, an assertion on the images) is one module that cannot be scored, and the
others are still ranked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.module_search import embedding, lib
from tfhub.tools.module_search.cli import main as tool_main


def _save_small_batches_module(path: Path) -> str:
    """An image module that fails on more than 2 images at once (as one that runs out of
    memory on a full batch): the mean colour of each image."""
    import tensorflow as tf

    class SmallBatches(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            tf.debugging.assert_less_equal(tf.shape(images)[0], 2, message="batch too large")
            return tf.reduce_mean(images, axis=[1, 2])

    tf.saved_model.save(SmallBatches(), os.fspath(path))
    return os.fspath(path)


@pytest.fixture(scope="module")
def small_batches_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _save_small_batches_module(tmp_path_factory.mktemp("nn60") / "small_batches")


@pytest.mark.tf
def test_a_module_failing_on_the_datasets_images_leaves_the_others_ranked(
    shape_images: Path, image_modules: dict[str, str], small_batches_module: str, capsys
) -> None:
    """It ran on the two black images of the first check, then failed on a batch of the
    dataset: TensorFlow's InvalidArgumentError ended the whole search ("tfhub: unexpected
    error: InvalidArgumentError: Exception encountered when calling KerasLayer.call().
    \\x1B[1mGraph execution error: ..."), the module scored before it was never shown and the
    one after it never scored."""
    first, last = image_modules["fixed"], image_modules["variable"]
    argv = [f"--dataset={shape_images}#9", f"--module={first}"]
    argv += [f"--module={small_batches_module}", f"--module={last}", "--image_size=32"]
    assert tool_main(argv) == 1
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert sorted(row.split()[-1] for row in table[2:]) == sorted([first, last]), printed.out
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert f"{small_batches_module} is not an image feature-vector module: it fails on a " in line
    assert "batch of 9 images of size (32, 32) of the dataset: assertion failed: [batch too" in line
    assert "\\x1B" not in line and "KerasLayer.call" not in line
    assert line.endswith(f"Received: module={small_batches_module!r}")
    assert printed.err.strip().splitlines()[-1].startswith("tfhub: 1 of 3 modules could not")


@pytest.mark.tf
def test_the_python_api_raises_the_modules_error_or_hands_it_over(
    shape_images: Path, image_modules: dict[str, str], small_batches_module: str
) -> None:
    """`score_module` raises a NotAnImageModuleError (a ValueError) naming the module;
    `rank_modules` hands it to `on_failure` and ranks the others."""
    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 9))
    with pytest.raises(errors.NotAnImageModuleError) as caught:
        lib.score_module(small_batches_module, dataset)
    assert caught.value.handle == small_batches_module
    assert isinstance(caught.value, ValueError)
    failed: list[tuple[str, errors.TFHubError]] = []
    good = image_modules["fixed"]
    scores = lib.rank_modules(
        [small_batches_module, good], dataset, on_failure=lambda m, e: failed.append((m, e))
    )
    assert [score.module for score in scores] == [good]
    assert [module for module, _ in failed] == [small_batches_module]


@pytest.mark.tf
def test_running_out_of_memory_on_the_images_is_a_flag_error_saying_what_to_pass() -> None:
    """TensorFlow's ResourceExhaustedError (a batch of a big module on a small GPU) names
    --module and what to pass, not "not an image module"."""
    import tensorflow as tf

    oom = tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")
    err = embedding.module_failure("m", oom, count=32, size=(224, 224))
    assert isinstance(err, errors.ToolFlagError) and (err.flag, err.value) == ("module", "m")
    assert "--module m runs out of memory on a batch of 32 images of size (224, 224)" in str(err)
    assert "OOM when allocating tensor" in str(err) and "--image_size" in str(err)
    other = embedding.module_failure("m", ValueError("bad"), count=2, size=(8, 8))
    assert isinstance(other, errors.NotAnImageModuleError) and other.handle == "m"
