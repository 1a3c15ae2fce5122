"""Module.export(path, session) given something that is no session (rf55a-F3, session 55).

Upstream (and tfhub before) raised a bare AttributeError ("'str' object has no attribute
'graph'"); tfhub raises NotASessionError: an ArgumentTypeError (TypeError, ValueError) and the
AttributeError upstream raised, naming `session` and what to pass, before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("session", ["notasession", 3, object()])
def test_a_value_that_is_no_session_is_named(tmp_path: Path, session: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(str(UPSTREAM_DIR / "tf1_multi_sig"))
        with pytest.raises(errors.NotASessionError) as info:
            module.export(str(tmp_path / "out"), session)
    assert isinstance(info.value, AttributeError)  # As upstream.
    assert isinstance(info.value, TypeError) and isinstance(info.value, errors.ArgumentTypeError)
    message = str(info.value)
    assert "tf.compat.v1.Session" in message and "MonitoredSession" in message
    assert f"Received: session={session!r}" in message
    assert not (tmp_path / "out").exists()
