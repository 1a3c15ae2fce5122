"""make_image_classifier's Python API with data the caller makes, as upstream's
`make_image_classifier_lib.train_model` took it: datasets that never end (`.repeat()`), read
`size // batch_size` batches per epoch; a size that gives no number of batches is an error."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools.make_image_classifier import get_default_hparams, lib

pytestmark = [pytest.mark.tf]

HPARAMS = get_default_hparams()._replace(train_epochs=2, batch_size=4)


def _features(size: int, seed: int) -> Any:
    """A tf.data dataset of `size` (8 features, one-hot label of 3 classes), batched by 4,
    repeated forever."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size)]
    features = rng.normal(size=(size, 8)).astype(np.float32) + 3 * labels @ np.ones((3, 8))
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(4).repeat()


class EndlessEpochError(AssertionError):
    """An epoch that took more batches than its data hold (it would never end)."""


def _batch_counter(keras: Any, limit: int) -> Any:
    """A callback counting the training batches of each epoch, which ends `fit` with an
    `EndlessEpochError` past `limit` batches in one epoch or one validation pass."""

    class BatchCounter(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.per_epoch: list[int] = []
            self.validated = 0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.per_epoch.append(0)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.per_epoch[-1] += 1
            if self.per_epoch[-1] > limit:
                raise EndlessEpochError(f"epoch {len(self.per_epoch)} never ends")

        def on_test_begin(self, logs: Any = None) -> None:
            self.validated = 0

        def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
            self.validated += 1
            if self.validated > limit:
                raise EndlessEpochError("the validation pass never ends")

    return BatchCounter()


@pytest.mark.timeout(120)
def test_repeated_datasets_train_size_over_batch_size_batches_per_epoch() -> None:
    keras = lib.keras_module()
    counter = _batch_counter(keras, limit=50)
    history = lib.train_model(
        lib.build_head(HPARAMS, 8, 3),
        HPARAMS,
        (_features(12, seed=0), 12),
        (_features(8, seed=1), 8),
        say=lambda line: None,
        callbacks=(counter,),
    )
    assert counter.per_epoch == [3, 3]  # 12 // 4 batches each epoch, as upstream.
    assert len(history.history["val_accuracy"]) == 2


def test_a_repeated_dataset_without_a_positive_size_is_refused_before_training() -> None:
    with pytest.raises(errors.ArgumentError, match="never ends") as caught:
        lib.train_model(
            lib.build_head(HPARAMS, 8, 3),
            HPARAMS,
            (_features(12, seed=0), 0),
            (None, 0),
            say=lambda line: None,
            callbacks=(_batch_counter(lib.keras_module(), limit=50),),
        )
    assert str(caught.value).endswith("Received: size=0")
    assert isinstance(caught.value, ValueError)
