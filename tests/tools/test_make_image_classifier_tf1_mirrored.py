"""make_image_classifier with a TF1 Hub module under MirroredStrategy (2 logical CPUs), whose
variables TensorFlow loads outside any strategy: tf_keras trains the head on its bottlenecks (it
failed after training, compiling the whole model); fine-tuning it (either flavour), or tf_keras
with the module in the trained model (augmentation), is one line naming the module before any
image is decoded, where each failed with a message printing the variable's values."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf, pytest.mark.slow]

_CHILD = """
    import json, os, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tfhub import errors
    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    module, images, out = sys.argv[1:4]
    results = {}
    for run in sys.argv[4:]:
        hparams = get_default_hparams()._replace(
            train_epochs=1, batch_size=4, do_fine_tuning=run == "fine_tuning",
            do_data_augmentation=run == "augmentation",
        )
        saved = os.path.join(out, run)
        try:
            train_and_export(
                module, images, hparams, outputs=Outputs(saved_model_dir=saved),
                distribution_strategy="mirrored", say=lambda line: None,
            )
            results[run] = ["trained", os.path.isfile(os.path.join(saved, "saved_model.pb"))]
        except errors.UnsupportedStrategyError as err:
            results[run] = [str(err), os.path.exists(saved)]
    print(json.dumps(results))
"""


def _runs(
    forks: ForkServer,
    image_modules: dict[str, str],
    images: Path,
    out: Path,
    legacy: str,
    *runs: str,
) -> dict[str, list]:
    """_CHILD's results, in a process of its own forked with TensorFlow imported but not
    started (tests/tools/_one_child.py)."""
    done = forks.run(
        _CHILD, image_modules["tf1"], os.fspath(images), os.fspath(out), *runs,
        env=child_env(TF_USE_LEGACY_KERAS=legacy), timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _refusal(flavour: str, what: str, module: str) -> str:
    return (
        f"{flavour} cannot {what} the module {module} under MirroredStrategy: TensorFlow loads "
        "a TF1 Hub module's variables outside any distribution strategy, so they cannot be "
        "mirrored. "
    )


@pytest.mark.timeout(300)
def test_tf_keras_trains_on_bottlenecks_and_refuses_the_module_in_the_model(
    forks: ForkServer, shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    runs = ("bottlenecks", "fine_tuning", "augmentation")
    results = _runs(forks, image_modules, shape_images, tmp_path, "1", *runs)
    assert results["bottlenecks"] == ["trained", True]
    module = image_modules["tf1"]
    message, written = results["fine_tuning"]
    assert message.startswith(_refusal("tf_keras", "fine-tune", module)) and not written
    assert "Leave out --do_fine_tuning or --distribution_strategy" in message
    assert message.endswith("Received: strategy=MirroredStrategy, do_fine_tuning=True")
    message, written = results["augmentation"]
    holding = "train a model holding (with --do_data_augmentation, or on a GPU)"
    assert message.startswith(_refusal("tf_keras", holding, module)) and not written
    assert "use Keras 3 (TF_USE_LEGACY_KERAS=0)" in message


@pytest.mark.timeout(300)
def test_keras_3_refuses_to_fine_tune_it(
    forks: ForkServer, shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    results = _runs(forks, image_modules, shape_images, tmp_path, "0", "fine_tuning")
    message, written = results["fine_tuning"]
    assert message.startswith(_refusal("Keras 3", "fine-tune", image_modules["tf1"]))
    assert not written
