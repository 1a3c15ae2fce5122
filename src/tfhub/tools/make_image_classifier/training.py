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
        As `make_image_classifier`.
    """
    keras = keras_module()
    say(
        f"Using module {redact(module.handle)} with image size {module.image_size} ({module.dim} "
        f"features), {keras.__name__} {keras.__version__}"
    )
    _, layer, image_size, dim, bottlenecks = module  # The layer may be reloaded below.
    # Before any pass reads images: it measures the module's activations by the process's
    # allocator peak, which a pass running the module meanwhile would inflate (a 91 MB image
    # measured 434 MB and refused a run that fits).
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
    replicas = int(getattr(strategy, "num_replicas_in_sync", 1))
    # Bottlenecks: the validation set is read once, by the early pass (`for_store`).
    valid = data.make_validation_set(store, hparams=hparams, replicas=replicas, once=bottlenecks)
    split = hparams.validation_split
    own = (
        tool_callbacks.for_store(keras, store, *valid, validation_split=split)
        if bottlenecks  # Validation by callbacks: fit gets no validation_data.
        else tool_callbacks.for_store(keras, store, validation_split=split)
    )
    # The validation images are read from here on (bottlenecks), on the core that the training
    # set's set-up and the model's build leave idle.
    with tool_callbacks.reading_ahead(own):
        sets = data.make_datasets(
            store, hparams=hparams, seed=seed, replicas=replicas, validation=valid
        )
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
                (None if bottlenecks else sets.valid, sets.valid_size),
                log_dir,
                say=say,
                callbacks=(
                    *own,  # The head's validation (bottlenecks) puts val_loss in the logs.
                    tool_callbacks.finite_loss_check(  # Before TensorBoard's: see there.
                        keras,
                        store,
                        handle=module.handle,
                        learning_rate=hparams.learning_rate,
                        log_dir=log_dir,
                    ),
                    tool_callbacks.training_steps_check(keras, store, replicas=replicas),
                ),
            )
    if not bottlenecks:
        return trained, files.labels, history
    return whole_model(module, trained, hparams, strategy), files.labels, history
