"""review49d-F5: `check_hparams` accepts any real number (NumPy's too, as upstream's tf.keras 2.3
took them), but Keras 3 refuses a NumPy float32 learning rate, momentum or L1/L2 factor, and
tf_keras a NumPy L1/L2 factor, with a builtin ValueError after the module loaded ("momentum
must be a float between [0, 1]" for np.float32(0.9)). The model and optimizer now get Python
numbers."""

from __future__ import annotations

import json

import pytest
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf]

_CHILD = """
    import json
    import numpy as np
    from tfhub.tools.make_image_classifier import augmentation, get_default_hparams, model

    defaults = get_default_hparams()
    numbers = {
        name: np.float32(getattr(defaults, name) or 0.01)
        for name in ("learning_rate", "momentum", "dropout_rate", "l1_regularizer",
                     "l2_regularizer", "label_smoothing", "rotation_range", "shear_range",
                     "width_shift_range", "height_shift_range", "zoom_range")
    }
    hparams = defaults._replace(batch_size=np.int32(4), do_data_augmentation=True, **numbers)
    head = model.build_head(hparams, 8, 3)
    model.compile_model(head, hparams)
    features = np.random.default_rng(0).random((4, 8), np.float32)
    history = head.fit(features, np.eye(3, dtype=np.float32)[[0, 1, 2, 0]], verbose=0)
    augment = augmentation.make_augmenter(hparams, (16, 16), seed=1)
    shape = list(augment(np.zeros((2, 16, 16, 3), np.float32)).shape)
    print(json.dumps({
        "momentum": float(head.optimizer.momentum), "steps": len(history.history["loss"]),
        "augmented": shape,
    }))
"""


@pytest.mark.timeout(200)
@pytest.mark.parametrize("legacy", ["", "1"], ids=["keras3", "tf_keras"])
def test_numpy_hyperparameters_build_compile_and_train(forks: ForkServer, legacy: str) -> None:
    """In a process of its own (the Keras flavour is chosen when Keras loads), forked from the
    tools' warm server (TensorFlow imported, no flavour chosen)."""
    done = forks.run(_CHILD, env=child_env(TF_USE_LEGACY_KERAS=legacy), timeout=200)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["momentum"] == pytest.approx(0.9)
    assert seen["steps"] == 1
    assert seen["augmented"] == [2, 16, 16, 3]
