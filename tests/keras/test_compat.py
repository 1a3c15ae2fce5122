"""The Keras flavour pick and the flavour of objects (no TensorFlow needed, but for the check
that `hub.KerasLayer` and `tf.keras` agree, in fresh interpreters)."""

from __future__ import annotations

import json
import sys

import pytest
from tests._helpers.python_process import child_env, start_python

from tfhub.keras import _compat


@pytest.mark.parametrize(
    ("value", "flavour"),
    [
        ("1", "tf_keras"),
        ("true", "tf_keras"),
        ("True", "tf_keras"),
        # TensorFlow's rule is exact: no other case, no spaces (tf.keras is Keras 3 for these).
        ("TRUE", "keras3"),
        (" TRUE ", "keras3"),
        (" 1", "keras3"),
        ("yes", "keras3"),
        ("0", "keras3"),
        ("false", "keras3"),
        ("", "keras3"),
        (None, "keras3"),
    ],
)
def test_flavour_follows_tf_use_legacy_keras(monkeypatch, value, flavour) -> None:
    if value is None:
        monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    else:
        monkeypatch.setenv("TF_USE_LEGACY_KERAS", value)
    assert _compat.default_flavour() == flavour
    expected_class = {
        "keras3": "tfhub.keras.layer.KerasLayer",
        "tf_keras": "tfhub.keras.tf_keras_layer.KerasLayer",
    }[flavour]
    assert _compat.class_path(flavour) == expected_class


FLAVOURS_SCRIPT = """
    import json
    import tensorflow as tf
    import tfhub as hub
    print(json.dumps({
        "tf.keras": tf.keras.layers.Layer.__module__.split(".")[0],
        "hub.KerasLayer": hub.KerasLayer.__module__,
        "same_base": issubclass(hub.KerasLayer, tf.keras.layers.Layer),
    }))
"""


@pytest.mark.tf
@pytest.mark.slow
def test_hub_keras_layer_and_tf_keras_agree_on_each_spelling() -> None:
    """In fresh interpreters (TensorFlow reads the variable when it is imported), for
    spellings TensorFlow accepts and some it does not, `hub.KerasLayer` is a layer of the same
    Keras as `tf.keras`. The children run side by side."""
    spellings = {"True": "tf_keras", "TRUE": "keras", " 1": "keras"}
    layer_modules = {"tf_keras": "tfhub.keras.tf_keras_layer", "keras": "tfhub.keras.layer"}
    children = {
        value: start_python(FLAVOURS_SCRIPT, env=child_env(TF_USE_LEGACY_KERAS=value))
        for value in spellings
    }
    for value, child in children.items():
        stdout, stderr = child.communicate(timeout=240)
        assert child.returncode == 0, stderr[-4000:]
        result = json.loads(stdout.strip().splitlines()[-1])
        expected = {
            "tf.keras": spellings[value],
            "hub.KerasLayer": layer_modules[spellings[value]],
            "same_base": True,
        }
        assert result == expected, f"TF_USE_LEGACY_KERAS={value!r}"


def test_object_flavour_reads_the_class_module() -> None:
    keras_tensor = type("KerasTensor", (), {"__module__": "keras.src.backend.common"})()
    tf_keras_tensor = type("KerasTensor", (), {"__module__": "tf_keras.src.engine"})()
    assert _compat.object_flavour(keras_tensor) == "keras3"
    assert _compat.object_flavour(tf_keras_tensor) == "tf_keras"
    assert _compat.object_flavour(3.0) is None
    message = _compat.flavour_mismatch_message("keras3", tf_keras_tensor)
    assert "Use tfhub.keras.tf_keras_layer.KerasLayer" in message
    assert message.endswith("Received: tf_keras.src.engine.KerasTensor")
    assert _compat.flavour_mismatch_message("keras3", keras_tensor) is None


def test_registration_skips_keras3_on_another_backend(monkeypatch) -> None:
    """`import keras` on JAX/torch must not make tfhub import TensorFlow."""
    import types

    from tfhub.keras import _registration

    imported: list[str] = []
    fake_keras = types.SimpleNamespace(config=types.SimpleNamespace(backend=lambda: "jax"))
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    monkeypatch.setattr(_registration.importlib, "import_module", imported.append)
    assert _registration.register("keras") is False
    assert imported == []
    fake_keras.config.backend = lambda: "tensorflow"
    assert _registration.register("keras") is True
    assert imported == ["tfhub.keras.layer"]


def test_registration_never_breaks_the_keras_import(monkeypatch) -> None:
    from tfhub.keras import _registration

    def fail(name: str) -> None:
        raise ImportError(f"broken {name}")

    monkeypatch.setattr(_registration.importlib, "import_module", fail)
    assert _registration.register("tf_keras") is False
