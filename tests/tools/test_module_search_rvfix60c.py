"""module_search's module_failure (review of session 60): the advice for a module that runs
out of memory on a batch (whose size is fixed: fewer images do not shrink it), and only the
module's own calls, not tfhub's measure of its memory, blamed on the module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools import host_memory
from tfhub.tools.module_search import embedding, lib

pytestmark = pytest.mark.tf


def test_running_out_of_memory_advises_what_shrinks_the_batch() -> None:
    """It said "Pass fewer images (--dataset NAME#N), ...", which leaves each batch of 32
    images as large as the one that ran out."""
    import tensorflow as tf

    oom = tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")
    message = str(embedding.module_failure("m", oom, count=32, size=(224, 224)))
    assert "fewer images" not in message and "#N" not in message
    assert "a smaller --image_size if the module takes any size" in message
    assert "a module of a smaller input size" in message
    assert "more memory" in message and "CUDA_VISIBLE_DEVICES" in message
    assert message.endswith("Received: module='m'")


def _save_even_batches_module(path: Path) -> str:
    """An image module that fails on an odd number of images (so on the one image of tfhub's
    memory measure, after running on two)."""
    import tensorflow as tf

    class EvenBatches(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            odd = tf.math.floormod(tf.shape(images)[0], 2)
            tf.debugging.assert_equal(odd, 0, message="odd batch")
            return tf.reduce_mean(images, axis=[1, 2])

    tf.saved_model.save(EvenBatches(), os.fspath(path))
    return os.fspath(path)


@pytest.fixture(scope="module")
def dataset(shape_images: Path) -> lib.FolderDataset:
    return lib.load_dataset(lib.DataSpec(str(shape_images), 9))


def test_a_failure_of_tfhubs_memory_measure_is_not_the_modules(
    dataset, image_modules: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ValueError of the measure itself (a stand-in: tfhub's code, not the module's) was
    reported as "is not an image feature-vector module: it fails on a batch of 2 images"."""

    def measure_fails(run, images):
        run(images[:1])
        raise ValueError("tfhub's own measure failed")

    monkeypatch.setattr(host_memory, "bytes_per_image", measure_fails)
    with pytest.raises(ValueError, match="tfhub's own measure failed") as caught:
        embedding.embed(image_modules["fixed"], dataset, 32)
    assert not isinstance(caught.value, errors.TFHubError)


@pytest.mark.skipif(os.name != "posix", reason="the memory is measured on POSIX only")
def test_the_modules_calls_within_the_measure_are_still_the_modules(
    dataset, tmp_path: Path
) -> None:
    """The measure calls the module on one image: a module failing there is named with its
    reason, as on any batch."""
    module = _save_even_batches_module(tmp_path / "even")
    with pytest.raises(errors.NotAnImageModuleError) as caught:
        embedding.embed(module, dataset, 32)
    assert "it fails on a batch of 1 images of size (32, 32)" in str(caught.value)
    assert "odd batch" in str(caught.value)
