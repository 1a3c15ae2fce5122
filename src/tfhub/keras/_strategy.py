"""Whether a trainable `hub.KerasLayer` can train under the distribution strategy it runs in.

Strategies that mirror variables (Mirrored, MultiWorkerMirrored, TPU) update only the variables
they created; the optimizer step fails on any other (Keras 3 with a bare AssertionError). Other
strategies (e.g. OneDeviceStrategy) update any variable.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..model_calls import static_training
from ..utils.lazy import tensorflow as tf
from .hub_callable import HubCallable

_TF1_REMEDY = (
    "TensorFlow loads a TF1 Hub module's variables outside any distribution "
    "strategy (tf.compat.v1.saved_model.load_v2), so they cannot be mirrored. Keep "
    "the layer frozen (trainable=False) under the strategy, train without the "
    "strategy, or use a TF2 SavedModel of the model"
)


def check_strategy_holds_variables(name: str, hub: HubCallable, training: Any) -> None:
    """Raises if the trainable layer `name` would train, under a strategy that mirrors
    variables, variables of `hub`'s model that the strategy did not create. Only Python-time
    work, and only under such a strategy.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError, as tf_keras's "was not created in the
            distribution strategy scope") `training` is not known to be False
            (`model_calls.static_training`) under such a strategy that does not hold the
            model's trainable variables.
    """
    if not tf.distribute.has_strategy():
        return
    if static_training(training) is False:  # Only inference: no optimizer step.
        return
    strategy = tf.distribute.get_strategy()
    if not isinstance(strategy, _mirroring_strategies()):
        return
    outside = [
        variable.name
        for variable in hub.model.trainable_variables()
        if not strategy.extended.variable_created_in_scope(variable)
    ]
    if not outside:
        return
    remedy = _TF1_REMEDY if hub.is_hub_module_v1 else "Create the layer inside strategy.scope()"
    raise errors.ArgumentError(
        f"hub.KerasLayer {name!r} over {hub.handle!r} cannot train under "
        f"{type(strategy).__name__}: the strategy did not create its variables "
        f"{outside}. {remedy}. Received: trainable=True, training={training!r}"
    )


def _mirroring_strategies() -> tuple[Any, ...]:
    """The public strategies whose optimizer updates need the variables they created."""
    distribute = tf.distribute
    return (
        distribute.MirroredStrategy,
        distribute.MultiWorkerMirroredStrategy,
        distribute.TPUStrategy,
        distribute.experimental.TPUStrategy,
    )
