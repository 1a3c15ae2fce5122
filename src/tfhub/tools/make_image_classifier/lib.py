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

This module checks, loads and trains (`make_image_classifier`), runs it all
(`train_and_export`) and keeps the names code imports from it; the training on a loaded module
is in `training` (`train_on_module`) and `fit` (`train_model`), the module's loading and
checks in `module_setup`, the outputs in `export`, a failed write of the summaries in
`summaries`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ... import errors
from ...keras._compat import keras_package
from .. import image_folders
from . import data, flowers
from .export import (
    Outputs,
    check_labels_one_per_line,
    check_outputs_apart_from_images,
    check_outputs_writable,
    export,
)
from .fit import Say, log_progress
from .fit import train_model as train_model
from .hparams import HParams, check_hparams
from .model import build_head as build_head
from .model import keras_module as keras_module
from .module_setup import (
    bottlenecks_in_use,
    check_images_fit,
    load_module_for,
    single_threaded_ops_for_bottlenecks,
)
from .module_setup import load_module as load_module  # The benchmark calls lib.load_module.
from .module_setup import module_features as module_features
from .module_setup import uses_bottlenecks as uses_bottlenecks  # lib's name before module_setup.
from .outputs import check_outputs_type, path_text
from .strategy import (
    NoStrategy,
    as_strategy,
    check_keras_can_train,
    check_outside_strategy_scope,
    get_distribution_strategy,
    set_gpu_memory_growth,
)
from .summaries import summaries_error
from .training import require_tensorflow, train_on_module

logger = logging.getLogger(__name__)

_summaries_error = summaries_error  # lib's name before summaries.py (tests call it).


def _module_handle(tfhub_module: Any) -> Any:
    """The module's handle as the tool keeps it (for its checks, messages and a second load):
    an os.PathLike (pathlib.Path) as its path, as `tfhub.resolve` takes it; anything else as
    given (the load refuses what is no handle, with `tfhub.errors.HandleTypeError`)."""
    return os.fspath(tfhub_module) if isinstance(tfhub_module, os.PathLike) else tfhub_module


def make_image_classifier(
    tfhub_module: str | os.PathLike[str],
    image_dir: str | bytes | os.PathLike[str],
    hparams: HParams,
    distribution_strategy: Any = None,
    requested_image_size: int | None = None,
    log_dir: str | bytes | os.PathLike[str] | None = None,
    *,
    say: Say = log_progress,
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
        tfhub_module: the module's handle (anything hub.resolve takes: a local path may be a
            pathlib.Path).
        image_dir: a folder with one sub-folder of images per class (a str, bytes or
            os.PathLike).
        hparams: the hyperparameters.
        distribution_strategy: a tf.distribute strategy (e.g. from `get_distribution_strategy`,
            or a MultiWorkerMirroredStrategy), or its name as --distribution_strategy takes it
            ("" or "mirrored"); None for none.
        requested_image_size: height and width of the images fed to the module; needed for
            modules of variable input size, else must equal the module's size.
        log_dir: where TensorBoard summaries go (a str, bytes or os.PathLike; None: none).
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
        tfhub.errors.ModuleUnavailableError: (a FileNotFoundError) the module's path does not
            exist or holds no model.
        tfhub.errors.ImageSizeError: if no usable image size is known.
        tfhub.errors.ArgumentTypeError: a hyperparameter or the image size of the wrong type
            (a str, a float batch size), before anything is read; a distribution_strategy that
            is no strategy, name or None; an image_dir, or a log_dir other than None, that
            is no str, bytes or os.PathLike.
        tfhub.errors.ToolFlagError: a hyperparameter or the image size is out of its range,
            validation_split holds out no image of the folder (before the module loads),
            a batch size, training set or validation set smaller than the strategy's
            replicas (before the module loads), or the images at that size cannot fit in the
            memory available.
        tfhub.errors.TrainingDivergedError: an epoch whose loss is not finite otherwise
            (training diverged: lower --learning_rate).
        tfhub.errors.UnknownStrategyError: a strategy name that is not "" or "mirrored".
        tfhub.errors.UnsupportedStrategyError: Keras 3 with a MultiWorkerMirroredStrategy of
            several workers (tf_keras trains with it); a TF1 Hub module under a mirroring
            strategy that would train, or that tf_keras would compile in the trained model;
            a call inside the caller's `with strategy.scope():` (before the module loads).
    """
    check_hparams(hparams, image_size=requested_image_size)  # First: the quick checks.
    handle = _module_handle(tfhub_module)
    if log_dir is not None:  # Bytes became a folder named "b'...'" in TensorBoard's hands.
        log_dir = path_text(log_dir, argument="log_dir")
    files = _listed_images(image_dir, hparams)
    bottlenecks = bottlenecks_in_use(hparams, allowed=bottlenecks)  # Asked once a run.
    check_images_fit(files, hparams, requested_image_size, bottlenecks=bottlenecks)
    strategy = _checked_strategy(distribution_strategy, files, hparams, say=say)
    module = load_module_for(
        handle, hparams, strategy, requested_image_size, bottlenecks=bottlenecks
    )
    return train_on_module(module, files, hparams, strategy, log_dir, say=say, seed=seed)


def _listed_images(
    image_dir: str | bytes | os.PathLike[str], hparams: HParams
) -> image_folders.ImageFiles:
    """The images of `image_dir`, listed and checked before anything is decoded or loaded
    (then TensorFlow and Keras are required, then the validation split is checked).

    Raises:
        As `make_image_classifier`: ArgumentTypeError, ImageFolderError,
        MissingDependencyError, ToolFlagError.
    """
    folder = path_text(image_dir, argument="image_dir")
    files = image_folders.list_image_files(folder)
    check_labels_one_per_line(files.labels, folder, flag=files.flag)
    require_tensorflow()  # Before the split's check: what to install comes first.
    data.check_split_holds_out(files, hparams.validation_split)
    return files


def _checked_strategy(
    distribution_strategy: Any, files: image_folders.ImageFiles, hparams: HParams, *, say: Say
) -> Any:
    """The strategy `distribution_strategy` names (a `NoStrategy` for none), checked: Keras
    can train under it, and (with one) every replica gets images from each batch; its
    replicas are said.

    Raises:
        As `make_image_classifier`: ArgumentTypeError, UnknownStrategyError,
        UnsupportedStrategyError, ToolFlagError.
    """
    check_outside_strategy_scope()
    strategy = as_strategy(distribution_strategy)
    check_keras_can_train(strategy, keras_package())
    if not isinstance(strategy, NoStrategy):
        replicas = strategy.num_replicas_in_sync
        say(f"Distribution strategy: {type(strategy).__name__} with {replicas} replica(s)")
        data.check_batches_fill_replicas(files, hparams, int(replicas))
    return strategy


def assert_accuracy(
    train_result: Any, assert_accuracy_at_least: float, *, say: Say = log_progress
) -> None:
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


def _check_local_module(tfhub_module: str) -> None:
    """Checks that a local --tfhub_module is a model folder, before TF Flowers (218 MB) are
    downloaded for a run that would then stop at the module (a URL is checked as it loads).

    Raises:
        tfhub.errors.ModuleUnavailableError: the path does not exist or holds no model.
    """
    from ..module_handles import local_path, resolve_model_folder

    if local_path(tfhub_module) is not None:
        resolve_model_folder(tfhub_module, flag="tfhub_module")


def train_and_export(
    tfhub_module: str | os.PathLike[str],
    image_dir: str | bytes | os.PathLike[str] | None,
    hparams: HParams,
    *,
    outputs: Outputs,
    distribution_strategy: str | None = "",
    image_size: int | None = None,
    assert_accuracy_at_least: float | None = None,
    set_memory_growth: bool = False,
    say: Say = log_progress,
    single_threaded_ops: bool = False,
) -> tuple[Any, tuple[str, ...], Any]:
    """Everything the make_image_classifier command does: check the outputs, get the images
    (TF Flowers if `image_dir` is None), train, check the accuracy, export.

    With `single_threaded_ops` (the command's: a process of its own), a run with bottlenecks
    runs each TensorFlow op on one thread, if TensorFlow has not started yet
    (`single_threaded_ops_for_bottlenecks`).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) before any work, for `outputs` that is
            no `Outputs` or holds a path that is no str, bytes or os.PathLike, or such an
            `image_dir`.
        tfhub.errors.OutputNotWritableError: before training, if an output cannot be written;
            while training, if the summaries cannot be written (a full disk); after it, if
            an export cannot be written.
        tfhub.errors.MissingDependencyError: TensorFlow or Keras is missing (before the
            default images are downloaded).
        tfhub.errors.ModuleUnavailableError: a local module path holds no model (before the
            default images are downloaded; else when the module loads).
        tfhub.errors.AccuracyError: if the accuracy is too low (nothing is exported then).
        tfhub.errors.ToolFlagError: first, for a hyperparameter or image size out of range.
        Whatever `make_image_classifier` raises.
    """
    check_hparams(hparams, image_size=image_size, assert_accuracy_at_least=assert_accuracy_at_least)
    check_outputs_type(outputs)
    handle = _module_handle(tfhub_module)
    image_dir = _check_outputs(outputs, image_dir, handle)
    require_tensorflow()  # Before downloading the default images.
    if single_threaded_ops:
        single_threaded_ops_for_bottlenecks(hparams)
    if not image_dir:
        _check_local_module(handle)
        image_dir = flowers.default_image_dir(say)
    if set_memory_growth:
        set_gpu_memory_growth(say)
    model, labels, history = _train_writing_summaries(
        handle, image_dir, hparams, distribution_strategy, image_size, outputs, say=say
    )
    if assert_accuracy_at_least:
        assert_accuracy(history, assert_accuracy_at_least, say=say)
    say("Done with training.")
    export(model, labels, outputs, say=say)
    return model, labels, history


def _check_outputs(
    outputs: Outputs, image_dir: str | bytes | os.PathLike[str] | None, module: Any
) -> str | None:
    """Checks that the outputs can be written (and, with an `image_dir`, are apart from its
    images), before any work.

    Returns:
        `image_dir` as a str (None if None).

    Raises:
        tfhub.errors.ArgumentTypeError: an `image_dir` that is no str, bytes or os.PathLike.
        tfhub.errors.OutputNotWritableError: an output that cannot be written.
    """
    if image_dir is not None:
        image_dir = path_text(image_dir, argument="image_dir")
    check_outputs_writable(outputs, module=module)
    if image_dir:
        check_outputs_apart_from_images(outputs, image_dir)
    return image_dir


def _train_writing_summaries(
    handle: Any,
    image_dir: str,
    hparams: HParams,
    distribution_strategy: str | None,
    image_size: int | None,
    outputs: Outputs,
    *,
    say: Say,
) -> tuple[Any, tuple[str, ...], Any]:
    """`make_image_classifier` under the strategy named `distribution_strategy`, with
    TensorBoard's summaries written to `outputs.summaries_dir` (none if it is None or empty).

    Raises:
        tfhub.errors.OutputNotWritableError: the summaries cannot be written
            (`summaries_error`).
        Whatever else `get_distribution_strategy` and `make_image_classifier` raise.
    """
    try:
        return make_image_classifier(
            handle,
            image_dir,
            hparams,
            get_distribution_strategy(distribution_strategy),
            image_size,
            # Given empty (`--summaries_dir=$DIR`, DIR unset): not given, as every output flag
            # is; TensorBoard read "" as the working folder (and no check had looked at it).
            outputs.summaries_dir or None,
            say=say,
        )
    except Exception as err:
        refused = summaries_error(err, outputs.summaries_dir)
        if refused is None:
            raise
        raise refused from err
