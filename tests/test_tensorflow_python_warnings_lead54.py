"""TensorFlow's Python warnings (its "tensorflow" logger, e.g. load_v1_in_v2's "Unable to create
a python object for variable ... because it is a reference variable", printed once per load by
`tfhub pack` of a TF1 module) stay off stderr unless -v, as its C++ lines do (docs/cli.md)."""

import logging

import pytest

from tfhub.program.runner import run_reported

_LINE = "Unable to create a python object for variable w:0 because it is a reference variable"


def _warn_as_tensorflow() -> int:
    logging.getLogger("tensorflow").warning(_LINE)
    return 0


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "-v"])
def test_tensorflows_python_warnings_show_only_with_v(verbose, capfd):
    logger = logging.getLogger("tensorflow")
    level = logger.level
    handler = logging.StreamHandler()  # TensorFlow's own: tf_logging adds one to stderr.
    logger.addHandler(handler)
    try:
        code = run_reported(
            _warn_as_tensorflow, prog="tfhub", verbose=verbose, tensorflow_logs=verbose
        )
    finally:
        logger.removeHandler(handler)
    assert code == 0
    assert (_LINE in capfd.readouterr().err) is verbose
    assert logger.level == level  # Restored for the rest of the process.
