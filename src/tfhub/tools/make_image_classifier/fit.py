"""`train_model`: compiling and fitting the classifier (upstream's function), with the tool's
progress line per epoch, and the garbage collector kept off TensorFlow's objects meanwhile."""

from __future__ import annotations

import contextlib
import gc
import logging
import warnings
from collections.abc import Callable
from typing import Any

from ...keras._compat import keras_package
from . import callbacks as tool_callbacks
from . import data
from .hparams import HParams
from .model import compile_model, keras_module
from .strategy import fit_on_uneven_batches, fresh_collective_keys

logger = logging.getLogger(__name__)


Say = Callable[[str], None]


def log_progress(message: str) -> None:
    """The default `say`: logs a progress line at INFO."""
    logger.info("%s", message)


@contextlib.contextmanager
def _gc_frozen() -> Any:
    """Moves the objects alive on entry (TensorFlow's and Keras' millions) out of the garbage
    collector's reach until exit, so that the collections that tracing and the training loop
    trigger do not traverse them (0.18 s CPU in the first epoch on TF Flowers' size). Does
    nothing if objects are already frozen (the caller's freeze is kept)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def build_training_state(model: Any, keras_name: str) -> None:
    """Creates the variables that Keras 3's first training step would create (the optimizer's
    momentum and the compiled metrics' totals) before `fit`, so that Keras traces the train
    step once: `tf.function` traces a function twice when its first trace creates variables
    (0.17-0.2 s of CPU for the head alone on the benchmark's machine, more with a module in the
    step). The values are the ones that step would start from: zeros, and `fit` resets the
    metrics at the start of each epoch.

    Does nothing for tf_keras or under a distribution strategy (where Keras 3 builds them
    itself before tracing: `strategy.fit_on_uneven_batches`), nor for a model whose output
    shape is not known or that computes its metrics its own way.

    Args:
        model: a compiled Keras model.
        keras_name: the Keras package in use, "keras" or "tf_keras".
    """
    if keras_name != "keras":
        return
    import keras
    import numpy as np
    import tensorflow as tf

    if type(model).compute_metrics is not keras.Model.compute_metrics:
        return

    try:
        shape = tuple(model.output_shape)
    except (AttributeError, ValueError):  # Not built: no output yet.
        return
    sized = len(shape) >= 2 and all(isinstance(size, int) for size in shape[1:])
    if tf.distribute.has_strategy() or not sized:  # One output of known size only.
        return
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    labels = np.zeros((1, *shape[1:]), np.float32)
    model.compute_metrics(None, labels, labels, sample_weight=None)
    model.reset_metrics()


def train_model(
    model: Any,
    hparams: HParams,
    train_data_and_size: tuple[Any, int],
    valid_data_and_size: tuple[Any, int],
    log_dir: str | None = None,
    *,
    say: Say = log_progress,
    callbacks: tuple[Any, ...] = (),
) -> Any:
    """Compiles and trains `model` (call under the strategy's scope), as upstream.

    Data that never ends (a `.repeat()`ed tf.data dataset, a generator), as upstream's Python
    API took, is read `size // batch_size` batches per epoch, as upstream did; other data is
    read to its end each epoch.

    Args:
        model: the model from `build_model`.
        hparams: uses train_epochs, batch_size, learning_rate, momentum, label_smoothing.
        train_data_and_size: (tf.data batches of (images, one-hot labels), number of images).
        valid_data_and_size: the same for validation (data may be None).
        log_dir: where TensorBoard summaries go (None: none).
        say: prints one line of progress per epoch.
        callbacks: more Keras callbacks for `model.fit`.

    Returns:
        The History of `model.fit` (`history["val_accuracy"]` per epoch if validating).

    Raises:
        tfhub.errors.ArgumentError: data that never ends with a size that is not positive.
    """
    keras = keras_module()
    train_data, train_size = train_data_and_size
    valid_data, _ = valid_data_and_size
    steps = _steps(train_data_and_size, valid_data_and_size, hparams.batch_size)
    compile_model(model, hparams)
    build_training_state(model, keras_package())
    # Under a MirroredStrategy: keys no training of this process used (a second one trains).
    fresh_collective_keys(getattr(model, "distribute_strategy", None))
    every = _fit_callbacks(keras, hparams, train_size, log_dir, say=say, callbacks=callbacks)
    return _fit(model, hparams, train_data, valid_data, every, steps)


def _steps(
    train_data_and_size: tuple[Any, int], valid_data_and_size: tuple[Any, int], batch_size: int
) -> dict[str, int | None]:
    """`model.fit`'s steps_per_epoch and validation_steps: `size // batch_size` for data that
    never ends, None (to its end) for other data.

    Raises:
        tfhub.errors.ArgumentError: data that never ends with a size that is not positive.
    """
    train_data, train_size = train_data_and_size
    valid_data, valid_size = valid_data_and_size
    return {
        "steps_per_epoch": data.steps_per_epoch(
            train_data, train_size, batch_size, what="train_data_and_size"
        ),
        "validation_steps": data.steps_per_epoch(
            valid_data, valid_size, batch_size, what="valid_data_and_size"
        ),
    }


def _fit_callbacks(
    keras: Any,
    hparams: HParams,
    train_size: int,
    log_dir: str | None,
    *,
    say: Say,
    callbacks: tuple[Any, ...],
) -> list[Any]:
    """`callbacks`, then the tool's progress line per epoch, then TensorBoard's (if
    `log_dir`)."""
    logger_ = tool_callbacks.epoch_logger(
        keras, epochs=hparams.train_epochs, images=train_size, say=say
    )
    every = [*callbacks, logger_]
    if log_dir is not None:
        every.append(keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1))
    return every


def _fit(
    model: Any,
    hparams: HParams,
    train_data: Any,
    valid_data: Any,
    callbacks: list[Any],
    steps: dict[str, int | None],
) -> Any:
    """`model.fit` (compiled), with uneven last batches allowed under a strategy, without the
    Keras 3 warning of an input that "ran out of data", and the garbage collector frozen.

    Returns:
        The History of `model.fit`.
    """
    uneven = fit_on_uneven_batches(model, train_data, keras_package())
    with uneven, warnings.catch_warnings(), _gc_frozen():
        # Keras 3 learns the number of batches (unknown: unreadable files are dropped) at the
        # end of the first epoch and warns that the input "ran out of data" when it does.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        return model.fit(
            train_data,
            epochs=hparams.train_epochs,
            validation_data=valid_data,
            callbacks=callbacks,
            shuffle=False,  # The tf.data pipeline shuffles.
            verbose=0,
            **steps,
        )
