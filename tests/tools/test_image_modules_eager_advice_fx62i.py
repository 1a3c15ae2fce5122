"""tools/image_modules._NoEagerRunAdvice drops TensorFlow's "Using <strategy> eagerly has
significant overhead" warning for every strategy class mirrored_run names, not only
MirroredStrategy: under MultiWorkerMirroredStrategy TF 2.21 names CollectiveAllReduceStrategy.
The record carries the text mirrored_run.py builds (read from the installed TensorFlow)."""

from __future__ import annotations

import logging

import pytest

from tfhub.tools.image_modules import _NoEagerRunAdvice


def _eager_warning(strategy_class: str) -> logging.LogRecord:
    """A tensorflow-logger record with mirrored_run's warning, already %-formatted (as
    mirrored_run does before calling log_first_n)."""
    text = (
        f"Using {strategy_class} eagerly has significant "
        "overhead currently. We will be working on improving "
        "this in the future, but for now please wrap "
        "`call_for_each_replica` or `experimental_run` or "
        "`run` inside a tf.function to get "
        "the best performance."
    )
    return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, text, None, None)


@pytest.mark.parametrize("strategy_class", ["MirroredStrategy", "CollectiveAllReduceStrategy"])
def test_eager_run_advice_is_dropped_for_each_mirrored_strategy(strategy_class: str) -> None:
    assert _NoEagerRunAdvice().filter(_eager_warning(strategy_class)) is False


def test_other_tensorflow_warnings_pass() -> None:
    record = logging.LogRecord(
        "tensorflow", logging.WARNING, __file__, 1, "Using %s eagerly", ("x",), None
    )
    assert _NoEagerRunAdvice().filter(record) is True


def test_warning_text_matches_installed_tensorflow() -> None:
    """The matched words are in the installed mirrored_run.py (a TensorFlow upgrade that
    rewords the warning fails here rather than letting it through silently)."""
    import importlib.util

    spec = importlib.util.find_spec("tensorflow.python.distribute.mirrored_run")
    if spec is None or spec.origin is None:
        pytest.skip("TensorFlow is not installed: no mirrored_run.py to read")
    source = open(spec.origin, encoding="utf-8").read()
    assert '"Using %s eagerly has significant "' in source
    assert "strategy.__class__.__name__" in source
