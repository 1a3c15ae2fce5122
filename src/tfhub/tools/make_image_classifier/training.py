"""`train_on_module`: `make_image_classifier`'s training once the module is loaded and the
images listed (the input pipeline, the model, bottlenecks or not, `model.fit`), and
`require_tensorflow`, which it runs before any long step."""

from __future__ import annotations

from typing import Any

from ...keras._compat import keras_package
from ...utils.lazy import require
from ...utils.redact import redact
from .. import image_folders, image_store
from . import callbacks as tool_callbacks
from . import data
from .fit import Say, log_progress, train_model
from .hparams import HParams
from .model import build_head, build_model, keras_module
from .module_setup import (
    LoadedModule,
    check_module_output,
    module_features,
    whole_model,
)


def require_tensorflow() -> None:
    """Imports TensorFlow and the Keras flavour in use now, before any long step.

    Raises:
        tfhub.errors.MissingDependencyError: (an ImportError) saying what to install.
    """
    require("tensorflow", keras_package(), purpose="make_image_classifier")


def train_on_module(
    module: LoadedModule,
    files: image_folders.ImageFiles,
    hparams: HParams,
    strategy: Any,
    log_dir: str | None = None,
    *,
    say: Say = log_progress,
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
        As `make_image_classifier` (with bottlenecks, the History's `.model` is set to the
        whole model returned, not the head `fit` trained).
    """
    keras = keras_module()
    say(
        f"Using module {redact(module.handle)} with image size {module.image_size} ({module.dim} "
        f"features), {keras.__name__} {keras.__version__}"
    )
    # Before any pass reads images: it measures the module's activations by the process's
    # allocator peak, which a pass running the module meanwhile would inflate (a 91 MB image
    # measured 434 MB and refused a run that fits).
    check_module_output(module, files, strategy, hparams=hparams)
    store, how = _image_store(module, files)
    replicas = int(getattr(strategy, "num_replicas_in_sync", 1))
    valid, own = _validation(
        keras, store, hparams, replicas=replicas, bottlenecks=module.bottlenecks
    )
    # The validation images are read from here on (bottlenecks), on the core that the training
    # set's set-up and the model's build leave idle.
    with tool_callbacks.reading_ahead(own):
        sets = _datasets(store, valid, hparams, seed=seed, replicas=replicas, say=say, how=how)
        with strategy.scope():
            trained = _model_to_train(module, hparams, len(files.labels))
            checks = _checks(keras, store, module, hparams, log_dir, replicas=replicas)
            history = train_model(
                trained,
                hparams,
                (sets.train, sets.train_size),
                (None if module.bottlenecks else sets.valid, sets.valid_size),
                log_dir,
                say=say,
                callbacks=(*own, *checks),
            )
    if not module.bottlenecks:
        return trained, files.labels, history
    model = whole_model(module, trained, hparams, strategy)
    # As upstream's, whose model was the one `fit` trained: the History's `.model` is the model
    # returned, and the model's `.history` the History (as `History.on_epoch_end` sets it).
    history.set_model(model)
    model.history = history
    return model, files.labels, history


def _image_store(
    module: LoadedModule, files: image_folders.ImageFiles
) -> tuple[image_store.ImageStore, str]:
    """The store of the images, at the module's size (bottlenecks: keeping the module's
    features), and how it reads them, for the progress line."""
    _, layer, image_size, dim, bottlenecks = module
    if bottlenecks:
        store = image_store.ImageStore(files, image_size, features=module_features(layer, dim))
        how = (
            "decoded and run through the module once, during the first epoch; the classifier "
            "head trains on the module's kept features"
        )
    else:
        store = image_store.ImageStore(files, image_size)
        how = "decoded during the first epoch"
    return store, how


def _datasets(
    store: image_store.ImageStore,
    valid: tuple[Any, Any],
    hparams: HParams,
    *,
    seed: int | None,
    replicas: int,
    say: Say,
    how: str,
) -> data.Datasets:
    """The training and validation sets (`data.make_datasets`, with `valid` made first), and
    the progress line naming the classes and counting the images (read `how`)."""
    sets = data.make_datasets(
        store, hparams=hparams, seed=seed, replicas=replicas, validation=valid
    )
    labels = store.files.labels
    say(
        f"Found {len(labels)} classes: {', '.join(labels)}; "
        f"{sets.train_size} training and {sets.valid_size} validation images ({how})"
    )
    return sets


def _validation(
    keras: Any,
    store: image_store.ImageStore,
    hparams: HParams,
    *,
    replicas: int,
    bottlenecks: bool,
) -> tuple[tuple[Any, Any], tuple[Any, ...]]:
    """The validation set (`data.make_validation_set`: the set and its images' indices) and
    the store's callbacks (`callbacks.for_store`). With bottlenecks, the set is read once, by
    the callbacks' early pass, and they validate the head (`fit` gets no validation_data)."""
    valid = data.make_validation_set(store, hparams=hparams, replicas=replicas, once=bottlenecks)
    split = hparams.validation_split
    if bottlenecks:
        return valid, tool_callbacks.for_store(keras, store, *valid, validation_split=split)
    return valid, tool_callbacks.for_store(keras, store, validation_split=split)


def _model_to_train(module: LoadedModule, hparams: HParams, num_classes: int) -> Any:
    """The model `model.fit` trains (call under the strategy's scope): the head alone, on the
    kept features (bottlenecks), else the whole model on the module's layer."""
    if module.bottlenecks:
        return build_head(hparams, module.dim, num_classes)
    return build_model(module.layer, hparams, module.image_size, num_classes)


def _checks(
    keras: Any,
    store: image_store.ImageStore,
    module: LoadedModule,
    hparams: HParams,
    log_dir: str | None,
    *,
    replicas: int,
) -> tuple[Any, ...]:
    """The callbacks that check training after the store's (whose head validation puts
    val_loss in the logs): a finite loss (before TensorBoard's: see there), the steps."""
    return (
        tool_callbacks.finite_loss_check(
            keras,
            store,
            handle=module.handle,
            learning_rate=hparams.learning_rate,
            log_dir=log_dir,
        ),
        tool_callbacks.training_steps_check(keras, store, replicas=replicas),
    )
