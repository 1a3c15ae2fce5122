"""make_image_classifier's own Keras callbacks (built for the Keras flavour in use, passed as
`keras`): the per-epoch progress line, the unreadable-files check after the first epoch, and, for
bottleneck training, the early validation pass and the validation of the head on kept features."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ... import errors
from ...utils.threads import daemon_thread
from ..image_folders import folder_error as image_folder_error
from ..image_folders import named
from ..image_store import ImageStore
from .data import check_classes_train

Say = Callable[[str], None]


def epoch_logger(keras: Any, *, epochs: int, images: int, say: Say) -> Any:
    """A callback that reports each epoch's metrics, duration and images/s in one line."""

    class EpochLogger(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            took = time.perf_counter() - self.started
            metrics = ", ".join(f"{k} {float(v):.4f}" for k, v in sorted((logs or {}).items()))
            say(
                f"Epoch {epoch + 1}/{epochs}: {metrics} "
                f"({took:.1f} s, {images / max(took, 1e-9):.0f} training images/s)"
            )

    return EpochLogger()


def training_steps_check(keras: Any, store: ImageStore, *, replicas: int) -> Any:
    """A callback that stops training with an error at the end of an epoch that ran no training
    step, before anything is exported: under a strategy of several `replicas`, the pipeline
    leaves out every batch of fewer images than replicas, and unreadable images can leave every
    batch that short (too few images for the replicas is refused before the module loads:
    `data.check_batches_fill_replicas`). Keras 3 would go on and export the untrained model;
    tf_keras stops itself, with its builtin "Empty logs" ValueError, before this check runs.

    An epoch without a step is known by its logs holding no training loss (Keras 3 logs only
    the validation's then): no batch-level hook, which would make Keras convert every step's
    logs to Python numbers (a sync per step)."""

    class TrainingStepsCheck(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if "loss" in (logs or {}):
                return
            files = store.files
            why = "no training image could be read"
            if replicas > 1:
                why = (
                    f"each batch held fewer readable images than the {replicas} replicas of "
                    "the distribution strategy, which each need an image of it"
                )
            raise image_folder_error(
                files.image_dir,
                f"epoch {epoch + 1} ran no training step: {why} (unreadable images are left "
                "out of their batch)",
                "Remove or replace the unreadable images, pass a larger --batch_size, or leave "
                "out --distribution_strategy.",
                files.flag,
            )

    return TrainingStepsCheck()


def unreadable_files_check(
    keras: Any, store: ImageStore, *, validation_split: float | None = None
) -> Any:
    """A callback that, once the first epoch (training and validation) has asked for every
    image, warns naming the unreadable files and stops on a class with no readable image, or
    (given the `validation_split` the sets were made with) no readable training image
    (`data.check_classes_train`)."""

    class UnreadableFilesCheck(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if epoch == 0:
                store.check()
                if validation_split is not None:
                    check_classes_train(store, validation_split)

    return UnreadableFilesCheck()


def finite_loss_check(
    keras: Any,
    store: ImageStore,
    *,
    handle: str,
    learning_rate: float,
    log_dir: str | None = None,
) -> Any:
    """A callback that stops training with an error at the end of an epoch whose loss or
    validation loss is NaN or infinite, or after which the model's weights are (as Keras'
    TerminateOnNaN, which stops silently and reads the training loss only): the features kept
    of some images hold NaN or infinity (a store of a module's features), or training diverged.

    The training loss is the mean of the epoch's steps' losses, each taken before its step's
    update: the epoch's last update can leave weights that are not finite (and a model that
    predicts NaN) behind a finite loss; so the weights are read too, and the validation loss
    where `fit` gives it (the tool's own validation of a head on kept features runs after this
    callback: its NaN comes from the weights, read here, or from features, read at the next
    non-finite loss).

    It must come before the TensorBoard callback: that epoch's values are then never written
    to `log_dir`, whose summaries of the epochs before it stay (the error says so)."""

    class FiniteLossCheck(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            found = _non_finite_result(self.model, logs or {})
            if found is None:
                return
            what, loss = found
            _raise_for_loss(
                store,
                loss,
                epoch,
                handle=handle,
                learning_rate=learning_rate,
                log_dir=log_dir,
                what=what,
            )

    return FiniteLossCheck()


def _non_finite_result(model: Any, logs: dict[str, Any]) -> tuple[str, float] | None:
    """What of an epoch's results is not finite, as (what the message says, the value for the
    error's `.loss`): its training loss, its validation loss, or the model's weights (NaN
    then: any loss of the model is); None if all are finite."""
    for key, what in (("loss", "the loss is"), ("val_loss", "the validation loss is")):
        value = float(logs.get(key, 0.0))
        if not np.isfinite(value):
            return f"{what} {value}", value
    if not _weights_finite(model):
        return "the model's weights hold NaN or infinity (its last update diverged)", math.nan
    return None


def _weights_finite(model: Any) -> bool:
    """Whether every floating-point weight of `model` (either Keras flavour; trainable or
    not, such as batch normalization's statistics) is finite, each checked where it lives."""
    import tensorflow as tf

    checks = [
        tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(weight)))
        for weight in model.weights
        if tf.as_dtype(weight.dtype).is_floating
    ]
    return bool(tf.reduce_all(checks)) if checks else True


def summaries_kept(epoch: int, log_dir: str | None) -> str:
    """What the error of a run stopped after `epoch` (from 0) says of its TensorBoard
    summaries in `log_dir` (written while training ran; that epoch's never are): "" if none."""
    if log_dir is None:
        return ""
    if epoch == 0:
        return (
            f" The TensorBoard summaries in {log_dir} hold no epoch of this run (only its "
            "model graph): epoch 1's values are not written."
        )
    return (
        f" The TensorBoard summaries of epoch(s) 1-{epoch} (finite losses) stay in {log_dir}; "
        f"epoch {epoch + 1}'s values are not written."
    )


def _raise_for_loss(
    store: ImageStore,
    loss: float,
    epoch: int,
    *,
    handle: str,
    learning_rate: float,
    log_dir: str | None = None,
    what: str | None = None,
) -> None:
    """Raises the error for a training `loss` that is not finite after `epoch` (from 0), or
    for what else of its results is not (`what`: "the validation loss is nan", ...)."""
    stopped = f"Training stopped after epoch {epoch + 1}: {what or f'the loss is {loss}'}"
    kept = summaries_kept(epoch, log_dir)
    if store.keeps_features:
        readable, features = store.kept(np.arange(len(store.files.paths)))
        bad = readable[~np.isfinite(np.asarray(features)).all(axis=1)]
        if len(bad):
            paths = [store.files.paths[i] for i in bad]
            problem = f"its feature vectors of {len(bad)} image(s) hold NaN or infinity"
            raise errors.NotAnImageModuleError(
                f"{stopped}, because the module {handle}'s feature vectors of {len(bad)} "
                f"image(s) hold NaN or infinity: {named(paths)}. Remove those images or use "
                f"another module.{kept} Received: tfhub_module={handle!r}",
                handle=handle,
                problem=problem,
            )
    raise errors.TrainingDivergedError(
        f"{stopped}: training diverged, or the module {handle} returns NaN or infinity for "
        f"some images. Lower --learning_rate, or try another module.{kept} Received: "
        f"learning_rate={learning_rate}",
        loss=loss,
        epoch=epoch + 1,
        learning_rate=learning_rate,
        handle=handle,
    )


class _BackgroundPass:
    """One pass over a dataset in a background thread: `start()` starts it (once until a
    `_wait()` ends it), `_wait()` joins it and raises its error in the caller's thread,
    `stop()` ends it after the batch being read and drops its error."""

    def __init__(self, data: Any) -> None:
        self._data = data
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def _read(self) -> None:
        try:
            for _ in _batches(self._data):  # Not `for _ in data`: see `_batches`.
                if self.stopping.is_set():
                    return
        except BaseException as err:  # Raised in the training thread by `_wait`.
            self.error = err

    def start(self) -> None:
        """Starts a pass, unless one runs that no wait has ended yet (`reading_ahead`
        started it before `fit`, whose start then does nothing)."""
        if self.thread is None:
            self.thread = daemon_thread(self._read, name="tfhub-validation-pass")
            self.thread.start()

    def stop(self) -> None:
        """Ends the reading after its current batch, waits for it and drops its error."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def _wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
            if self.error is not None:
                raise self.error


def early_validation_pass(keras: Any, valid_data: Any) -> Any:
    """A callback that reads `valid_data` once in a background thread, from its `start()` (or
    else the start of training) on, and waits for it before the first validation pass (and the
    end of the first epoch). With bottlenecks this decodes the validation images and computes
    their features while the tool compiles the model and Keras traces the train function (the
    training pipeline starts only after that), and the first validation pass then reads the
    kept features. `stop()` ends the reading after the batch being read (training failed)."""

    class EarlyValidationPass(_BackgroundPass, keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            keras.callbacks.Callback.__init__(self)
            _BackgroundPass.__init__(self, valid_data)

        def on_train_begin(self, logs: Any = None) -> None:
            self.start()

        def on_test_begin(self, logs: Any = None) -> None:
            self._wait()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._wait()

        def on_train_end(self, logs: Any = None) -> None:
            self._wait()

    return EarlyValidationPass()


def head_validation(keras: Any, store: ImageStore, indices: np.ndarray) -> Any:
    """A callback that validates the model on the features `store` keeps for the images at
    `indices`, at the end of each epoch (after a pass over them has ended: call it after the
    early validation pass). It puts `val_loss` and `val_accuracy` into the epoch's logs, for the
    callbacks after it and the History, as `fit(validation_data=...)` would: the compiled loss
    plus the regularization losses, and categorical accuracy, over the readable images. It
    calls the model once on all the kept features instead of running a `tf.data` pass through
    Keras' test function, which Keras traces at the end of the first epoch (measured on TF
    Flowers' count of images: 0.22-0.25 s of a 4 s first epoch, against ~0.07 s).

    The model's loss must be a Keras `Loss` object (as `compile_model` gives it): its
    per-image values are averaged here (`_mean_loss`), not by the loss' own reduction."""
    label_ids = np.asarray(store.files.label_ids, np.int64)
    onehot = np.eye(len(store.files.labels), dtype=np.float32)

    class HeadValidation(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            readable, features = store.kept(indices)
            if logs is None or not len(readable):
                return
            labels = label_ids[readable]
            probabilities = self.model(features, training=False)
            loss = _mean_loss(self.model.loss, onehot[labels], probabilities)
            loss += sum(float(value) for value in self.model.losses)
            right = np.argmax(np.asarray(probabilities), axis=-1) == labels
            logs["val_loss"] = float(loss)
            # As Keras' accuracy metric: float32 count of matches over float32 count of images.
            logs["val_accuracy"] = float(np.float32(right.sum()) / np.float32(len(right)))

    return HeadValidation()


def _mean_loss(loss: Any, y_true: np.ndarray, y_pred: Any) -> float:
    """The mean over the images of `loss` (a Keras `Loss` object, Keras 3 or tf_keras), as
    Keras' `evaluate` reports it.

    Not `loss(y_true, y_pred)`: the callbacks run inside `fit`, under the model's distribution
    strategy's scope, where Keras 3's reduction ("sum_over_batch_size") divides the mean by
    the number of replicas (`keras.src.losses.loss.scale_loss_for_distribution`: a replica's
    share of the global loss, which `evaluate` multiplies back). `Loss.call` gives the
    per-image values, unreduced and unscaled in both flavours.

    Args:
        loss: the compiled loss, e.g. `keras.losses.CategoricalCrossentropy(...)`.
        y_true: the one-hot labels, [images, classes].
        y_pred: the model's probabilities for them, [images, classes].

    Returns:
        The mean of the per-image losses (float32 values, averaged as float64).
    """
    per_image = np.asarray(loss.call(y_true, y_pred), np.float64)
    return float(per_image.mean())


def _batches(dataset: Any) -> Any:
    """Yields the elements of a tf.data dataset. Not `for element in dataset`: its end is an
    OutOfRangeError inside TensorFlow, and under a MirroredStrategy that status, raised in a
    thread of the tool, can fail the training thread's creation of a per-replica iterator at the
    same moment ("End of sequence [Op:GeneratorDataset]"; measured with 2 logical CPUs: 27 of 300
    creations failed, none of 800 with optionals)."""
    iterator = iter(dataset)
    while True:
        element = iterator.get_next_as_optional()
        if not element.has_value():
            return
        yield element.get_value()


def for_store(
    keras: Any,
    store: ImageStore,
    valid: Any = None,
    valid_indices: np.ndarray | None = None,
    *,
    validation_split: float | None = None,
) -> tuple[Any, ...]:
    """The tool's own callbacks: the unreadable-files check after the first epoch (of the
    training images too, given the sets' `validation_split`) and, before it, if `valid` (the
    validation set of a store of features) and `valid_indices` (its images) are given, the
    early validation pass and the head's validation (`fit` then gets no `validation_data`)."""
    check = unreadable_files_check(keras, store, validation_split=validation_split)
    if valid is None or valid_indices is None:
        return (check,)
    return (
        early_validation_pass(keras, valid),
        head_validation(keras, store, valid_indices),
        check,
    )


@contextlib.contextmanager
def reading_ahead(callbacks: tuple[Any, ...]) -> Iterator[None]:
    """Starts the early validation passes among `callbacks` on entry, before the model is
    built and compiled and `fit` starts: the validation images are decoded (and their features
    computed) on the core that this main-thread work leaves idle. On the benchmark's 2 cores
    (3,670 images), the idle core time from the pipeline's set-up to the first training batch
    fell from 0.09-0.27 s to 0-0.05 s (a busy machine). If the block raises, stops them
    before the error goes on."""
    early = [callback for callback in callbacks if hasattr(callback, "stopping")]  # The passes.
    for callback in early:
        callback.start()
    try:
        yield
    except BaseException:
        for callback in early:
            callback.stop()
        raise
