"""make_image_classifier's module: whether it serves as bottleneck, loading and checking it for
training (`load_module`), the checks on real images before training (memory at --image_size,
finite feature vectors), and the whole model after training on its bottlenecks."""

from __future__ import annotations

import contextlib
import os
from typing import Any, NamedTuple

from ...keras._compat import keras_package
from .. import host_memory, image_decoding, image_folders, image_modules, image_store
from . import augmentation
from .hparams import HParams
from .model import attach_head, compile_model
from .strategy import NoStrategy, check_strategy_holds_module


def uses_bottlenecks(hparams: HParams, *, gpus: int = 0) -> bool:
    """Whether training runs on the module's features computed once per image: the module is
    frozen (no do_fine_tuning), the training images are not augmented, and there is no GPU
    (`gpus`: how many TensorFlow sees). The features are computed in the tf.data pipeline,
    which runs on the CPU: with a GPU, the module runs in the training steps, on the GPU."""
    return not hparams.do_fine_tuning and not augmentation.augments(hparams) and gpus == 0


def _visible_gpus() -> int:
    """How many GPUs TensorFlow sees (logical devices)."""
    import tensorflow as tf

    return len(tf.config.list_logical_devices("GPU"))


def bottlenecks_in_use(hparams: HParams, *, allowed: bool = True) -> bool:
    """Whether this run trains on the module's features computed once per image: `allowed`
    (the Python API's `bottlenecks`) and `uses_bottlenecks` with the GPUs TensorFlow sees.
    The one place a run asks; its answer is passed on (`check_images_fit`, `load_module`)."""
    return allowed and uses_bottlenecks(hparams, gpus=_visible_gpus())


def single_threaded_ops_for_bottlenecks(hparams: HParams) -> bool:
    """For a process of its own (the command): with bottlenecks (`uses_bottlenecks`, with the
    GPUs TensorFlow finds), runs each TensorFlow op on one thread (intra-op parallelism 1).
    The module then runs in the tf.data pipeline, several images at once, one core each; an op
    that splits itself over the cores (oneDNN's convolutions) only adds hand-offs between
    threads. Measured on 2 cores, first epoch with MobileNetV2 as module (750 images, 4 runs
    each): 5.5-5.9 vs 6.5-7.2 s CPU, 3.1-3.3 vs 3.6-4.0 s; the benchmark's "tiny" module: no
    measurable change. Whole-model training (fine-tuning, augmentation) keeps every core.

    Only before TensorFlow's context is initialized (it fixes its thread pools then), and not
    if TF_NUM_INTRAOP_THREADS is set (the user's choice).

    Returns:
        Whether it set the intra-op parallelism.
    """
    if os.environ.get("TF_NUM_INTRAOP_THREADS"):
        return False
    import tensorflow as tf

    if not uses_bottlenecks(hparams, gpus=len(tf.config.list_physical_devices("GPU"))):
        return False
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:  # The context is initialized: too late for this process.
        return False
    return True


def module_features(module_layer: Any, dim: int) -> image_store.Features:
    """The module in inference mode, as the features an `ImageStore` keeps of each image."""
    return image_store.Features(lambda images: module_layer(images, training=False), dim)


def largest_batch(files: image_folders.ImageFiles, hparams: HParams) -> int:
    """The most images a batch of the run holds: --batch_size, or all the images if there are
    fewer (a --batch_size of 10,000 on 15 images makes batches of at most 15)."""
    return min(hparams.batch_size, len(files.paths))


def check_images_fit(
    files: image_folders.ImageFiles,
    hparams: HParams,
    requested_image_size: int | None,
    *,
    bottlenecks: bool,
) -> None:
    """Checks that the images kept at --image_size (none with bottlenecks: their features are
    kept) and a batch of them as float fit in the memory available, before the module loads.

    Args:
        files, hparams, requested_image_size: the run's.
        bottlenecks: whether the run uses them (`bottlenecks_in_use`).

    Raises:
        tfhub.errors.ToolFlagError: naming --image_size.
    """
    if requested_image_size is None:
        return
    host_memory.check_images_fit(
        0 if bottlenecks else len(files.paths),
        (requested_image_size, requested_image_size),
        batch=largest_batch(files, hparams),
        flag="image_size",
        value=requested_image_size,
    )


class LoadedModule(NamedTuple):
    """An image feature-vector module loaded and checked for training (`load_module`).

    Attributes:
        handle: the module's handle, as given.
        layer: the module as a hub.KerasLayer.
        image_size: (height, width) of the images it is fed.
        dim: the length of its feature vectors.
        bottlenecks: whether training runs on its features computed once per image (then the
            layer's variables are plain host variables, outside any strategy's scope).
    """

    handle: str
    layer: Any
    image_size: tuple[int, int]
    dim: int
    bottlenecks: bool


def load_module(
    tfhub_module: str,
    hparams: HParams,
    strategy: Any,
    requested_image_size: int | None = None,
    *,
    bottlenecks: bool = True,
) -> LoadedModule:
    """Loads the module for `make_image_classifier` and checks that it is an image
    feature-vector module: under `strategy`'s scope, unless it will serve as bottleneck
    (`bottlenecks_in_use(hparams, allowed=bottlenecks)`).

    Raises:
        See `load_module_for`.
    """
    return load_module_for(
        tfhub_module,
        hparams,
        strategy,
        requested_image_size,
        bottlenecks=bottlenecks_in_use(hparams, allowed=bottlenecks),
    )


def load_module_for(
    tfhub_module: str,
    hparams: HParams,
    strategy: Any,
    requested_image_size: int | None = None,
    *,
    bottlenecks: bool,
) -> LoadedModule:
    """`load_module` for a run that has decided whether it uses bottlenecks
    (`bottlenecks_in_use`): under `strategy`'s scope unless `bottlenecks`.

    Raises:
        tfhub.errors.NotAnImageModuleError: if the module is not an image feature-vector module.
        tfhub.errors.ImageSizeError: if no usable image size is known.
        tfhub.errors.UnsupportedStrategyError: the module's variables cannot be mirrored
            (a TF1 Hub module) and would train, or tf_keras would compile a model holding them.
    """
    # A frozen module used as bottleneck runs in the input pipeline: plain host variables.
    with contextlib.nullcontext() if bottlenecks else strategy.scope():
        layer = image_modules.load_module_layer(tfhub_module, trainable=hparams.do_fine_tuning)
        image_size = image_modules.image_size_for_module(layer, tfhub_module, requested_image_size)
        dim = image_modules.check_feature_vector(layer, tfhub_module, image_size)
    if not bottlenecks:
        check_strategy_holds_module(
            layer,
            tfhub_module,
            strategy,
            fine_tuning=hparams.do_fine_tuning,
            keras_name=keras_package(),
        )
    return LoadedModule(tfhub_module, layer, image_size, dim, bottlenecks)


def check_module_output(
    module: LoadedModule,
    files: image_folders.ImageFiles,
    strategy: Any,
    *,
    hparams: HParams | None = None,
) -> None:
    """Checks, before anything is trained or written, that the module's feature vectors of
    the first readable images hold no NaN or infinity (a broken module: training on them gives
    a loss of NaN and a meaningless model); with `hparams`, also that a batch and the module's
    activations for it, measured on those images (`host_memory.bytes_per_image`: a bound below
    what training needs, which keeps activations for the gradient), fit in the memory available
    beside the images kept.

    Raises:
        tfhub.errors.NotAnImageModuleError: naming the module.
        tfhub.errors.ToolFlagError: naming --batch_size (and the image size), whose batch
            cannot fit in the memory available.
    """
    images = image_decoding.first_images(files, module.image_size)
    with contextlib.nullcontext() if module.bottlenecks else strategy.scope():
        image_modules.check_finite_on_images(module.layer, module.handle, images)
        if hparams is None:
            return
        per_image = host_memory.bytes_per_image(
            lambda batch: image_modules.run_module(module.layer, batch), images
        )
    if per_image:
        host_memory.check_images_fit(
            0 if module.bottlenecks else len(files.paths),
            module.image_size,
            batch=largest_batch(files, hparams),
            flag="batch_size",
            value=hparams.batch_size,
            per_image=per_image,
        )


def whole_model(module: LoadedModule, head: Any, hparams: HParams, strategy: Any) -> Any:
    """The compiled whole model (module, then the trained `head`'s layers) after training on
    bottlenecks: under the strategy, with the module loaded again there so that all of the
    model's variables are mirrored; but a TF1 Hub module's variables cannot be (TensorFlow
    loads them outside any strategy), and tf_keras compiles no model under a strategy that did
    not create them all: such a module's whole model is made outside the strategy, with the
    module as it ran in the input pipeline.

    The model keeps the optimizer that trained the head (its steps, its momentum), so a
    further `model.fit` goes on as without bottlenecks (and as upstream's model, the one
    trained); but not a TF1 module's model under a strategy: that optimizer's variables live
    in the strategy, the model outside it, and it gets a new SGD (a further `fit` restarts
    the momentum)."""
    distributed = not isinstance(strategy, NoStrategy)
    mirrored = distributed and not module.layer.hub_callable.is_hub_module_v1
    with strategy.scope() if mirrored else contextlib.nullcontext():
        layer = module.layer
        if mirrored:
            layer = image_modules.load_module_layer(module.handle, trainable=False)
        model = attach_head(layer, head, module.image_size)
        same_scope = mirrored or not distributed  # As the head was trained.
        compile_model(model, hparams, optimizer=head.optimizer if same_scope else None)
    return model
