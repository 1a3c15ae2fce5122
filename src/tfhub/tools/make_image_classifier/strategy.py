"""Where training runs: --distribution_strategy ("" or "mirrored") and --set_memory_growth, and
what Keras needs to train under a strategy. TensorFlow is imported on first call.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ... import errors

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
STRATEGIES = ("", "mirrored")

# The first all-reduce instance key of a MirroredStrategy's training by the tool
# (`fresh_collective_keys`): far above the keys a strategy the caller trains with reaches itself
# (from 100 on, a few per training step), far below int32's end (TensorFlow's type for them).
FIRST_INSTANCE_KEY = 1 << 28
# The instance-key tables of the strategies the tool has trained with, in this process.
_trained_key_tables: list[dict[int, dict[str, int]]] = []
_trained_key_tables_lock = threading.Lock()


def _log(message: str) -> None:
    logger.info("%s", message)


class NoStrategy:
    """Stands for "no distribution strategy": its scope does nothing."""

    def scope(self) -> contextlib.AbstractContextManager[None]:
        """Returns a context manager that does nothing."""
        return contextlib.nullcontext()


def get_distribution_strategy(distribution_strategy_name: str | None) -> Any:
    """Returns the strategy named by --distribution_strategy: "" (none) or "mirrored".

    Raises:
        tfhub.errors.UnknownStrategyError: for another name.
    """
    if distribution_strategy_name == "mirrored":
        import tensorflow as tf

        return tf.distribute.MirroredStrategy()
    if not distribution_strategy_name:
        return NoStrategy()
    raise errors.UnknownStrategyError(
        f"Unknown distribution strategy {distribution_strategy_name}; use one of "
        f"{list(STRATEGIES)}. "
        f"Received: distribution_strategy={distribution_strategy_name!r}",
        name=distribution_strategy_name,
        available=list(STRATEGIES),
    )


def as_strategy(distribution_strategy: Any) -> Any:
    """The strategy the Python API's `distribution_strategy` stands for: a tf.distribute
    strategy (or `NoStrategy`) as it is, a name as --distribution_strategy takes it
    (`get_distribution_strategy`), None for none.

    Raises:
        tfhub.errors.UnknownStrategyError: for a name that is not "" or "mirrored".
        tfhub.errors.ArgumentTypeError: (a TypeError) for anything else (a strategy has a
            `scope()` and a `num_replicas_in_sync`).
    """
    if distribution_strategy is None or isinstance(distribution_strategy, str):
        return get_distribution_strategy(distribution_strategy)
    if isinstance(distribution_strategy, NoStrategy) or (
        callable(getattr(distribution_strategy, "scope", None))
        and hasattr(distribution_strategy, "num_replicas_in_sync")
    ):
        return distribution_strategy
    raise errors.ArgumentTypeError(
        "distribution_strategy must be a tf.distribute strategy (such as "
        'get_distribution_strategy("mirrored") makes), a name of one '
        f"{list(STRATEGIES)}, or None, not {type(distribution_strategy).__name__}. "
        f"Received: distribution_strategy={distribution_strategy!r}"
    )


def set_gpu_memory_growth(say: Say = _log) -> None:
    """Lets TensorFlow grow GPU memory as needed, on every GPU (--set_memory_growth)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    say("All GPUs will scale memory steadily" if gpus else "No GPUs found for set_memory_growth")


def check_keras_can_train(strategy: Any, keras_name: str) -> None:
    """Refuses, before anything loads, a strategy the Keras flavour in use cannot train with:
    Keras 3's `fit` fails under a MultiWorkerMirroredStrategy of several workers ("Attempt to
    convert a value (PerReplica...)", keras-team/keras#20585, open); tf_keras trains.

    Args:
        strategy: the tf.distribute strategy (or `NoStrategy`).
        keras_name: the Keras package in use, "keras" or "tf_keras".

    Raises:
        tfhub.errors.UnsupportedStrategyError: saying to set TF_USE_LEGACY_KERAS=1.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if keras_name != "keras" or resolver is None:
        return
    jobs = resolver.cluster_spec().as_dict()
    workers = sum(len(jobs.get(job, ())) for job in ("chief", "worker"))
    if workers > 1:
        import tensorflow as tf

        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        name = "MultiWorkerMirroredStrategy" if multi_worker else type(strategy).__name__
        raise errors.UnsupportedStrategyError(
            f"Keras 3 cannot train with {name} over {workers} workers (its fit fails on "
            "per-replica values: keras-team/keras#20585). Train with tf_keras: set "
            f"TF_USE_LEGACY_KERAS=1 on every worker. Received: strategy={name}, "
            f"workers={workers}",
            strategy=name,
            workers=workers,
            keras=keras_name,
        )


def check_outside_strategy_scope() -> None:
    """Refuses a call made inside the caller's `with strategy.scope():` (any tf.distribute
    strategy): the tool keeps the images (or features) in host variables of its input pipeline,
    which such a scope makes distributed ones, and their reads failed with a bare
    AttributeError once training started. Never imports TensorFlow (not imported: no scope).

    Raises:
        tfhub.errors.UnsupportedStrategyError: naming the strategy and the remedy.
    """
    tf = sys.modules.get("tensorflow")
    if tf is None or not tf.distribute.has_strategy():
        return
    name = type(tf.distribute.get_strategy()).__name__
    raise errors.UnsupportedStrategyError(
        f"make_image_classifier cannot run inside the scope of a tf.distribute strategy "
        f"({name}): its input pipeline keeps the images in host variables, which that scope "
        "would distribute. Call it outside the `with strategy.scope():` block and pass the "
        "strategy as distribution_strategy= (the tool enters its scope itself). Received: "
        f"strategy={name}",
        strategy=name,
    )


def check_strategy_holds_module(
    layer: Any, handle: str, strategy: Any, *, fine_tuning: bool, keras_name: str
) -> None:
    """Refuses, before any image is decoded, a module in the trained model whose variables
    `strategy` did not create (a TF1 Hub module: TensorFlow loads its variables outside any
    strategy, so they cannot be mirrored): its fine-tuning fails in the first training step
    (in both flavours), and tf_keras compiles no model that holds it (both with a message
    that prints the variable's values). Keras 3 trains a head on such a frozen module.

    Args:
        layer: the module's hub.KerasLayer, loaded under `strategy`'s scope.
        handle: the module's handle, for the message.
        strategy: the tf.distribute strategy (or `NoStrategy`).
        fine_tuning: whether the module's variables train (--do_fine_tuning).
        keras_name: the Keras package in use, "keras" or "tf_keras".

    Raises:
        tfhub.errors.UnsupportedStrategyError: saying what to leave out.
    """
    if isinstance(strategy, NoStrategy) or not (fine_tuning or keras_name == "tf_keras"):
        return
    held = strategy.extended.variable_created_in_scope
    if all(held(variable) for variable in layer.hub_callable.model.variables):  # tf.Variables.
        return
    name = type(strategy).__name__
    flavour = "Keras 3" if keras_name == "keras" else keras_name
    if fine_tuning:
        what, remedy = "fine-tune", "Leave out --do_fine_tuning or --distribution_strategy"
    else:
        what = "train a model holding (with --do_data_augmentation, or on a GPU)"
        remedy = (
            "Leave out --do_data_augmentation (the frozen module then runs once per image, "
            "outside the strategy), use Keras 3 (TF_USE_LEGACY_KERAS=0), or leave out "
            "--distribution_strategy"
        )
    raise errors.UnsupportedStrategyError(
        f"{flavour} cannot {what} the module {handle} under {name}: TensorFlow loads a TF1 "
        f"Hub module's variables outside any distribution strategy, so they cannot be "
        f"mirrored. {remedy}, or use a TF2 SavedModel of the module. Received: "
        f"strategy={name}, do_fine_tuning={fine_tuning}",
        strategy=name,
        keras=keras_name,
        handle=handle,
    )


@contextlib.contextmanager
def fit_on_uneven_batches(model: Any, train_data: Any, keras_name: str) -> Iterator[None]:
    """Lets Keras 3's `fit` (and the `evaluate` of its validation) run under `model`'s strategy
    on batches that do not split evenly across the replicas (7 images on 2 replicas: 4 and 3).

    Under a strategy, Keras 3's `fit` and `evaluate` first average their input's first batch
    over the replicas to build the compiled loss, metrics and optimizer from it, even when all
    of them are built already; the uneven parts of a batch cannot be averaged ("Inputs to
    operation AddN ... must have the same size and shape"). The training and test steps
    themselves take uneven parts (as the last batch of an epoch often has them). Inside this
    context, that build is done from the shapes of `train_data`'s batches and Keras skips the
    averaging (`_tf_private.keras3_fit_without_first_batch_reduce`).

    Args:
        model: a compiled Keras model, made under the strategy's scope (or under none).
        train_data: the training batches, a tf.data dataset (for anything else Keras builds
            as it does).
        keras_name: the Keras package in use, "keras" or "tf_keras" (which needs nothing).
    """
    element_spec = getattr(train_data, "element_spec", None)
    if keras_name != "keras" or element_spec is None:
        yield
        return
    import keras
    import tensorflow as tf

    from ..._tf_private import keras3_fit_without_first_batch_reduce

    batch = tf.nest.map_structure(
        lambda spec: keras.KerasTensor(spec.shape.as_list(), dtype=spec.dtype.name), element_spec
    )
    with keras3_fit_without_first_batch_reduce(model, batch):
        yield


def fresh_collective_keys(strategy: Any) -> None:
    """Gives the all-reduces of `strategy`, a MirroredStrategy about to train, instance keys
    that no strategy of this process has used, so that a second training in the process trains.

    Every MirroredStrategy numbers its all-reduces from the same keys (group 1, instance 100
    on: TensorFlow's own tests raise `MirroredStrategy._collective_key_base` between
    strategies), and TensorFlow's runtime keeps each key's tensor shape for the life of the
    process: another strategy's first all-reduce of another shape (a model with another number
    of classes) failed, "Shape mismatch in the collective instance 100". The keys of `strategy`
    are moved (all devices of a group alike: their keys go in step) to at least
    `FIRST_INSTANCE_KEY`, above the keys of every strategy the tool trained with before (also
    those used after their training, by the caller's `evaluate`). Keys are never moved back:
    the same strategy may train again. A strategy of another kind (a MultiWorkerMirroredStrategy,
    whose workers must agree on their keys) or without such keys is left as it is.

    Args:
        strategy: the tf.distribute strategy (or `NoStrategy`) training is about to run under.
    """
    import tensorflow as tf

    from ..._tf_private import mirrored_instance_key_table

    table = mirrored_instance_key_table(strategy)
    if table is None or not isinstance(strategy, tf.distribute.MirroredStrategy):
        return
    with _trained_key_tables_lock:
        used = [
            key
            for known in _trained_key_tables
            for group in known.values()
            for key in group.values()
        ]
        start = max([FIRST_INSTANCE_KEY, *used])
        for group in table.values():
            first = max([start, *group.values()])
            for device in group:
                group[device] = first
        if not any(known is table for known in _trained_key_tables):
            _trained_key_tables.append(table)
