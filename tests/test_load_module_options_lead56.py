"""`hub.keras_layer.load_module(handle, load_options=X)` (upstream's helper) names the argument
the user gave, `load_options`, when X is not a LoadOptions (it said `options`, hub.load's name,
after hub.load's own error stopped naming KerasLayer's argument)."""

from __future__ import annotations

import pytest

from tfhub import errors


def test_load_module_names_load_options() -> None:
    pytest.importorskip("tensorflow")
    from tfhub.keras_layer import load_module

    with pytest.raises(errors.ArgumentTypeError) as raised:
        load_module("/no/such/model", load_options=3)
    assert str(raised.value).startswith("load_options must be a tf.saved_model.LoadOptions")
    assert "Received: load_options=3" in str(raised.value)
