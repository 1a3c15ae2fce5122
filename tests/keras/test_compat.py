"""The Keras flavour pick and the flavour of objects (no TensorFlow needed)."""

from __future__ import annotations

import sys

import pytest

from tfhub.keras import _compat


@pytest.mark.parametrize(
    ("value", "flavour"),
    [
        ("1", "tf_keras"),
        ("true", "tf_keras"),
        (" TRUE ", "tf_keras"),
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
