"""Trains an image classifier on top of an image feature-vector module (upstream's
`make_image_classifier_lib`, on Keras 3 or tf_keras and a `tf.data` input pipeline).

The model is upstream's (`model.py`): the module as a `hub.KerasLayer` (trainable with
do_fine_tuning), Dropout, and a softmax Dense layer, in Keras 3 or tf_keras (TF_USE_LEGACY_KERAS).

Bottlenecks: when the module is frozen (no do_fine_tuning), the images are not augmented and no
GPU is visible, the module is a fixed function of each image, so (as TF Hub's retrain.py did)
its feature vectors are computed once per image, in inference mode, in the tf.data pipeline of
the first epoch, and kept; the head (Dropout, Dense) trains on them, the same math as training
the whole model (whose gradient does not reach a frozen module). The model returned and
exported is still the whole model (module, Dropout, Dense), with the trained head's layers.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import warnings
from collections.abc import Callable
from typing import Any

from ... import errors
from ...keras._compat import keras_package
from ...utils.lazy import require
from ...utils.refused_writes import failed_write
from .. import atomic_output, image_folders, image_store
from . import callbacks as tool_callbacks
from . import data, flowers
from .export import (
    Outputs,
    check_labels_one_per_line,
    check_outputs_apart_from_images,
    check_outputs_writable,
    export,
)
from .hparams import HParams, check_hparams
from .model import build_head, build_model, compile_model, keras_module
from .module_setup import (
    LoadedModule,
    bottlenecks_in_use,
    check_images_fit,
    check_module_output,
    load_module_for,
    module_features,
    whole_model,
)
from .module_setup import load_module as load_module  # The benchmark calls lib.load_module.
from .module_setup import uses_bottlenecks as uses_bottlenecks  # lib's name before module_setup.
from .strategy import (
    NoStrategy,
    as_strategy,
    check_keras_can_train,
    fit_on_uneven_batches,
    get_distribution_strategy,
    set_gpu_memory_growth,
)

logger = logging.getLogger(__name__)

Say = Callable[[str], None]


def _log(message: str) -> None:
    logger.info("%s", message)


def require_tensorflow() -> None:
    """Imports TensorFlow and the Keras flavour in use now, before any long step.

    Raises:
        tfhub.errors.MissingDependencyError: (an ImportError) saying what to install.
    """
    require("tensorflow", keras_package(), purpose="make_image_classifier")


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


def train_model(
    model: Any,
    hparams: HParams,
    train_data_and_size: tuple[Any, int],
    valid_data_and_size: tuple[Any, int],
    log_dir: str | None = None,
    *,
    say: Say = _log,
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
    valid_data, valid_size = valid_data_and_size
    steps = {
        "steps_per_epoch": data.steps_per_epoch(
            train_data, train_size, hparams.batch_size, what="train_data_and_size"
        ),
        "validation_steps": data.steps_per_epoch(
            valid_data, valid_size, hparams.batch_size, what="valid_data_and_size"
        ),
    }
    compile_model(model, hparams)
    logger_ = tool_callbacks.epoch_logger(
        keras, epochs=hparams.train_epochs, images=train_size, say=say
    )
    every = [*callbacks, logger_]
    if log_dir is not None:
        every.append(keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1))
    uneven = fit_on_uneven_batches(model, train_data, keras_package())
    with uneven, warnings.catch_warnings(), _gc_frozen():
        # Keras 3 learns the number of batches (unknown: unreadable files are dropped) at the
        # end of the first epoch and warns that the input "ran out of data" when it does.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        return model.fit(
            train_data,
            epochs=hparams.train_epochs,
            validation_data=valid_data,
            callbacks=every,
            shuffle=False,  # The tf.data pipeline shuffles.
            verbose=0,
            **steps,
        )


def make_image_classifier(
    tfhub_module: str,
    image_dir: str,
    hparams: HParams,
    distribution_strategy: Any = None,
    requested_image_size: int | None = None,
    log_dir: str | None = None,
    *,
    say: Say = _log,
    seed: int | None = None,
    bottlenecks: bool = True,
) -> tuple[Any, tuple[str, ...], Any]:
    """Builds and trains a Keras model for image classification (upstream's signature).

    Everything that can be checked without decoding is checked before training: the image
    folder (classes, image files), the module (an image feature-vector module), the image size.
    Images are decoded in parallel during the first epoch, as training asks for them, and kept
    in memory for later epochs; after the first epoch the unreadable files are named in a
    warning, and a class with no readable image stops training with an error.

    With a frozen module, no augmentation and no GPU (`uses_bottlenecks`), the module runs once
    per image, in the first epoch's pipeline, and the features are kept instead of the images:
    the head trains on them (the module ran in inference mode either way, and no gradient
    reaches it), so the result is the model that training the whole model would give, up to
    floating-point rounding and the dropout's random draws. The frozen module then runs in the
    input pipeline, on the host; under a distribution strategy, the model returned holds a
    second copy of it, loaded under the strategy's scope (as every variable of a compiled
    tf_keras model must be).

    Args:
        tfhub_module: the module's handle (anything hub.resolve takes).
        image_dir: a folder with one sub-folder of images per class.
        hparams: the hyperparameters.
        distribution_strategy: a tf.distribute strategy (e.g. from `get_distribution_strategy`,
            or a MultiWorkerMirroredStrategy), or its name as --distribution_strategy takes it
            ("" or "mirrored"); None for none.
        requested_image_size: height and width of the images fed to the module; needed for
            modules of variable input size, else must equal the module's size.
        log_dir: where TensorBoard summaries go (None: none).
        say: receives the progress lines (the CLI prints them; default: logged at INFO).
        seed: makes shuffling and augmentation reproducible.
        bottlenecks: False trains the whole model on the images every epoch even when the
            module is frozen and nothing is augmented.

    Returns:
        (the trained model (module and head), the labels in prediction order, the History of
        `model.fit`).

    Raises:
        tfhub.errors.ImageFolderError: for an unusable image folder (a class folder whose
            name has a line break; a class with no readable image: after the first epoch).
        tfhub.errors.MissingDependencyError: TensorFlow or Keras is missing (after the folder
            is listed, before anything is loaded).
        tfhub.errors.NotAnImageModuleError: if the module is not an image feature-vector
            module, or its feature vectors of the first images (before training) or of some
            images (after an epoch whose loss is not finite, with bottlenecks) hold NaN or
            infinity.
        tfhub.errors.ImageSizeError: if no usable image size is known.
        tfhub.errors.ArgumentTypeError: a hyperparameter or the image size of the wrong type
            (a str, a float batch size), before anything is read; a distribution_strategy that
            is no strategy, name or None.
        tfhub.errors.ToolFlagError: a hyperparameter or the image size is out of its range,
            validation_split holds out no image of the folder (before the module loads), or
            the images at that size cannot fit in the memory available.
        tfhub.errors.TrainingDivergedError: an epoch whose loss is not finite otherwise
            (training diverged: lower --learning_rate).
        tfhub.errors.UnknownStrategyError: a strategy name that is not "" or "mirrored".
        tfhub.errors.UnsupportedStrategyError: Keras 3 with a MultiWorkerMirroredStrategy of
            several workers (tf_keras trains with it); a TF1 Hub module under a mirroring
            strategy that would train, or that tf_keras would compile in the trained model.
    """
    check_hparams(hparams, image_size=requested_image_size)  # First: the quick checks.
    files = image_folders.list_image_files(image_dir)
    check_labels_one_per_line(files.labels, image_dir, flag=files.flag)
    require_tensorflow()  # Before the split's check: what to install comes first.
    data.check_split_holds_out(files, hparams.validation_split)
    bottlenecks = bottlenecks_in_use(hparams, allowed=bottlenecks)  # Asked once a run.
    check_images_fit(files, hparams, requested_image_size, bottlenecks=bottlenecks)
    strategy = as_strategy(distribution_strategy)
    check_keras_can_train(strategy, keras_package())
    if not isinstance(strategy, NoStrategy):
        replicas = strategy.num_replicas_in_sync
        say(f"Distribution strategy: {type(strategy).__name__} with {replicas} replica(s)")
    module = load_module_for(
        tfhub_module, hparams, strategy, requested_image_size, bottlenecks=bottlenecks
    )
    return train_on_module(module, files, hparams, strategy, log_dir, say=say, seed=seed)


def train_on_module(
    module: LoadedModule,
    files: image_folders.ImageFiles,
    hparams: HParams,
    strategy: Any,
    log_dir: str | None = None,
    *,
    say: Say = _log,
    seed: int | None = None,
) -> tuple[Any, tuple[str, ...], Any]:
    """`make_image_classifier`'s training, from the loaded module and the listed images on:
    the input pipeline, the model, `model.fit`, and (bottlenecks) the whole model.

    Args:
        module: from `load_module`, with the same `hparams` and `strategy`.
        files: the images (`image_folders.list_image_files`).
        hparams, strategy, log_dir, say, seed: as `make_image_classifier` takes them
            (`strategy` may be a `NoStrategy`).

    Returns and raises:
        As `make_image_classifier`.
    """
    keras = keras_module()
    say(
        f"Using module {module.handle} with image size {module.image_size} ({module.dim} "
        f"features), {keras.__name__} {keras.__version__}"
    )
    _, layer, image_size, dim, bottlenecks = module  # The layer may be reloaded below.
    check_module_output(module, files, strategy, hparams=hparams)
    if bottlenecks:
        store = image_store.ImageStore(files, image_size, features=module_features(layer, dim))
        how = (
            "decoded and run through the module once, during the first epoch; the classifier "
            "head trains on the module's kept features"
        )
    else:
        store = image_store.ImageStore(files, image_size)
        how = "decoded during the first epoch"
    sets = data.make_datasets(store, hparams=hparams, seed=seed)
    say(
        f"Found {len(files.labels)} classes: {', '.join(files.labels)}; "
        f"{sets.train_size} training and {sets.valid_size} validation images ({how})"
    )
    num_classes = len(files.labels)
    with strategy.scope():
        trained = (
            build_head(hparams, dim, num_classes)
            if bottlenecks
            else build_model(layer, hparams, image_size, num_classes)
        )
        history = train_model(
            trained,
            hparams,
            (sets.train, sets.train_size),
            (None if bottlenecks else sets.valid, sets.valid_size),  # Bottlenecks: a callback.
            log_dir,
            say=say,
            callbacks=(
                tool_callbacks.finite_loss_check(  # Before TensorBoard's: see there.
                    keras,
                    store,
                    handle=module.handle,
                    learning_rate=hparams.learning_rate,
                    log_dir=log_dir,
                ),
                *(
                    tool_callbacks.for_store(keras, store, sets.valid, sets.valid_indices)
                    if bottlenecks
                    else tool_callbacks.for_store(keras, store)
                ),
            ),
        )
    if not bottlenecks:
        return trained, files.labels, history
    return whole_model(module, trained, hparams, strategy), files.labels, history


def assert_accuracy(train_result: Any, assert_accuracy_at_least: float, *, say: Say = _log) -> None:
    """Checks the final validation accuracy, as upstream's --assert_accuracy_at_least.

    Raises:
        tfhub.errors.AccuracyError: an AssertionError whose message starts "ACCURACY FAILED".
    """
    history = train_result.history.get("val_accuracy") or [None]
    accuracy = history[-1]
    if accuracy is None:
        message = (
            f"no validation accuracy (validation_split is 0), expected at least "
            f"{assert_accuracy_at_least:f}"
        )
    else:
        message = f"found {accuracy:f}, expected at least {assert_accuracy_at_least:f}"
        if accuracy >= assert_accuracy_at_least:
            say(f"ACCURACY PASSED: {message}")
            return
    raise errors.AccuracyError(
        f"ACCURACY FAILED: {message}", accuracy=accuracy, expected=assert_accuracy_at_least
    )


def _summaries_error(
    err: Exception, summaries_dir: str | None
) -> errors.OutputNotWritableError | None:
    """The tool's error for a failure of training that is a refused write of the summaries
    (TensorBoard writes them while training runs: a full disk ends the run); None otherwise."""
    if not summaries_dir:
        return None
    failed = failed_write(err, summaries_dir)
    if failed is None:
        return None
    return atomic_output.not_written(failed, summaries_dir, what="summaries dir")


def train_and_export(
    tfhub_module: str,
    image_dir: str | None,
    hparams: HParams,
    *,
    outputs: Outputs,
    distribution_strategy: str | None = "",
    image_size: int | None = None,
    assert_accuracy_at_least: float | None = None,
    set_memory_growth: bool = False,
    say: Say = _log,
) -> tuple[Any, tuple[str, ...], Any]:
    """Everything the make_image_classifier command does: check the outputs, get the images
    (TF Flowers if `image_dir` is None), train, check the accuracy, export.

    Raises:
        tfhub.errors.OutputNotWritableError: before training, if an output cannot be written;
            while training, if the summaries cannot be written (a full disk); after it, if
            an export cannot be written.
        tfhub.errors.MissingDependencyError: TensorFlow or Keras is missing (before the
            default images are downloaded).
        tfhub.errors.AccuracyError: if the accuracy is too low (nothing is exported then).
        tfhub.errors.ToolFlagError: first, for a hyperparameter or image size out of range.
        Whatever `make_image_classifier` raises.
    """
    check_hparams(hparams, image_size=image_size, assert_accuracy_at_least=assert_accuracy_at_least)
    check_outputs_writable(outputs, module=tfhub_module)
    if image_dir:
        check_outputs_apart_from_images(outputs, image_dir)
    require_tensorflow()  # Before downloading the default images.
    if not image_dir:
        image_dir = flowers.default_image_dir(say)
    if set_memory_growth:
        set_gpu_memory_growth(say)
    try:
        model, labels, history = make_image_classifier(
            tfhub_module,
            image_dir,
            hparams,
            get_distribution_strategy(distribution_strategy),
            image_size,
            outputs.summaries_dir,
            say=say,
        )
    except Exception as err:
        summaries_error = _summaries_error(err, outputs.summaries_dir)
        if summaries_error is None:
            raise
        raise summaries_error from err
    if assert_accuracy_at_least:
        assert_accuracy(history, assert_accuracy_at_least, say=say)
    say("Done with training.")
    export(model, labels, outputs, say=say)
    return model, labels, history
