"""Without TensorFlow/Keras, hub.load, hub.KerasLayer, `tfhub demo` and make_image_classifier
say what to run, first.

The child process blocks the imports with a meta-path finder (nothing is uninstalled).
"""

from __future__ import annotations

import json

from tests._helpers.python_process import REPO_ROOT, child_env, run_python

_SCRIPT = r"""
import contextlib, io, json, os, pickle, sys

class BlockTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, BlockTensorFlow())
import tfhub as hub
from tfhub import errors
from tfhub.cli.demo import run_demo

model_dir = sys.argv[1]
open(os.path.join(model_dir, "saved_model.pb"), "wb").close()
results = {}
calls = {
    "load": lambda: hub.load(model_dir),
    "keras3": lambda: hub.KerasLayer(model_dir),
    "tf_keras": lambda: hub.keras.keras_layer_class("tf_keras"),
}
for name, call in calls.items():
    try:
        call()
    except errors.MissingDependencyError as err:
        again = pickle.loads(pickle.dumps(err))
        results[name] = [str(err), err.module, err.command, str(again) == str(err)]
from tfhub.tools.make_image_classifier import get_default_hparams, lib as mic_lib

image_dir = os.path.join(model_dir, "images")
for label in ("a", "b"):  # Listed, never decoded: the check comes before.
    os.makedirs(os.path.join(image_dir, label))
    open(os.path.join(image_dir, label, "1.jpg"), "wb").close()
try:
    mic_lib.make_image_classifier(model_dir, image_dir, get_default_hparams())
except errors.MissingDependencyError as err:
    results["make_image_classifier"] = [str(err), err.module, err.command, True]
out = io.StringIO()
try:
    run_demo(out=out)
except ImportError as err:
    results["demo"] = [str(err), type(err).__name__, out.getvalue()]
print(json.dumps(results))
"""


def test_missing_tensorflow_says_what_to_run_before_doing_anything(tmp_path) -> None:
    done = run_python(_SCRIPT, str(tmp_path))
    results = json.loads(done.stdout.strip().splitlines()[-1])
    command = f'pip install -e "{REPO_ROOT}[tf]"'  # a source checkout: not "tfhub[tf]"
    for name, module in [
        ("load", "tensorflow"),
        ("keras3", "tensorflow"),
        ("tf_keras", "tensorflow"),
        ("make_image_classifier", "tensorflow"),
    ]:
        message, got_module, got_command, pickles = results[name]
        assert (got_module, got_command, pickles) == (module, command, True), name
        assert message.endswith(command) and "blocked by the test" in message
    # Both are blocked: one error names both (tfhub.utils.lazy.require).
    assert results["keras3"][0].startswith(
        "hub.KerasLayer needs the packages 'tensorflow', 'keras'"
    )
    message, kind, printed = results["demo"]
    assert kind == "MissingDependencyError" and message.startswith("tfhub demo needs")
    assert printed == ""  # no step ran


_BACKEND_SCRIPT = r"""
import sys

sys.modules["jax"] = sys.modules["torch"] = None  # Not installed, whatever this machine has.
import tfhub as hub
from tfhub import errors

try:
    hub.KerasLayer(sys.argv[1])
except errors.MissingDependencyError as err:
    print(err)
"""


def test_a_keras_backend_that_is_not_installed_is_named_not_a_reinstall(tmp_path) -> None:
    """KERAS_BACKEND=jax (or "backend": "torch" in keras.json) without that package: `import
    keras` fails on it, and the error said to install TensorFlow, Keras and tf_keras (all
    there)."""
    model = str(REPO_ROOT / "tests/data/upstream/tf2_saved_model")
    env = child_env(KERAS_BACKEND="jax")
    done = run_python(_BACKEND_SCRIPT, model, env=env)
    assert "Keras 3 imports the backend it is set to, jax, which is not installed: " in done.stdout
    assert "KERAS_BACKEND=jax names it. tfhub runs SavedModels on TensorFlow: set " in done.stdout
    assert "pip install" not in done.stdout
    (tmp_path / "keras.json").write_text('{"backend": "torch"}')
    env = child_env(KERAS_HOME=str(tmp_path))
    env.pop("KERAS_BACKEND", None)
    done = run_python(_BACKEND_SCRIPT, model, env=env)
    assert f'torch, which is not installed: "backend" in {tmp_path}/keras.json names it' in (
        done.stdout
    )
