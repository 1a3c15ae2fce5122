"""make_image_classifier's refusal to run inside a strategy's scope ends with STYLE's
`Received: x=...`: `Received: strategy=<class>` (it said `strategy scope=<class>`, a key
with a space that names no argument)."""

from __future__ import annotations

import pytest

from tfhub import errors

tf = pytest.importorskip("tensorflow")


def test_refusal_inside_a_scope_ends_with_received_strategy() -> None:
    from tfhub.tools.make_image_classifier.strategy import check_outside_strategy_scope

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope(), pytest.raises(errors.UnsupportedStrategyError) as caught:
        check_outside_strategy_scope()

    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "inside the scope of a tf.distribute strategy (OneDeviceStrategy)" in message
    assert message.endswith("Received: strategy=OneDeviceStrategy"), message
