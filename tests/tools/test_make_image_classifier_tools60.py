"""make_image_classifier with bottlenecks (session 60): the whole model returned carries the
optimizer that trained the head (its steps and momentum), so a second `model.fit` goes on
training as it does without bottlenecks (and as upstream's returned model, the one trained);
it got a new SGD (0 iterations, no momentum), in Keras 3 and in tf_keras (subprocesses: the
flavour is chosen before Keras is imported)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf]

TRAIN_THEN_FIT_AGAIN = """
    import json, sys
    import numpy as np
    from tfhub.tools import image_decoding, image_folders
    from tfhub.tools.make_image_classifier import get_default_hparams, lib

    image_dir, module = sys.argv[1:3]
    keras = lib.keras_module()
    keras.utils.set_random_seed(0)
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=10, learning_rate=0.1)
    model, labels, history = lib.make_image_classifier(
        module, image_dir, hparams, say=lambda line: None, seed=0, bottlenecks=True
    )
    optimizer = model.optimizer

    def momentum_used():
        return any(bool(np.any(np.asarray(v) != 0)) for v in getattr(optimizer, "momentums", []))

    trained = {"iterations": int(optimizer.iterations.numpy()), "momentum": momentum_used()}
    files = image_folders.list_image_files(image_dir)
    images = image_decoding.decode_images(files, (32, 32)).images[:20].astype("float32") / 255
    onehot = np.eye(len(labels), dtype="float32")[np.asarray(files.label_ids[:20])]
    model.fit(images, onehot, batch_size=10, epochs=1, verbose=0)
    print(json.dumps({
        "trained": trained,
        "after": int(model.optimizer.iterations.numpy()),
        "same": model.optimizer is optimizer,
    }))
"""


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_the_whole_model_keeps_the_heads_optimizer_and_fit_goes_on(
    forks: ForkServer, shape_images: Path, image_modules: dict[str, str], flavour: str
) -> None:
    env = child_env(TF_USE_LEGACY_KERAS="1" if flavour == "tf_keras" else "0")
    done = forks.run(TRAIN_THEN_FIT_AGAIN, os.fspath(shape_images), image_modules["fixed"], env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    steps = result["trained"]["iterations"]
    assert steps > 0 and result["trained"]["momentum"], result  # It was 0, no momentum.
    assert result["after"] == steps + 2 and result["same"], result  # 20 images, batches of 10.
