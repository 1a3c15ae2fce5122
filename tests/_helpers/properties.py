"""The suite's Hypothesis settings, in one place, for the property tests (`test_*_properties.py`).

Importing this module points Hypothesis's caches at one folder of the machine's temporary folder
(not ./.hypothesis in the checkout). `property_settings(n)` runs n examples per test (or
TFHUB_PROPERTY_EXAMPLES, to search harder by hand), with no deadline (a first example that
imports TensorFlow is slow), no example database (each run draws afresh), and fixtures shared by
the examples of a test (each example sets up what it needs).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck

hypothesis.configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir(), "tfhub-hypothesis"))


def property_settings(examples: int) -> Any:
    """Hypothesis settings running `examples` examples (TFHUB_PROPERTY_EXAMPLES overrides it)."""
    return hypothesis.settings(
        max_examples=int(os.environ.get("TFHUB_PROPERTY_EXAMPLES", examples)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
