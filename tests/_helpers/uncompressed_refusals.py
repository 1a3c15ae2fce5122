"""What tfhub raises when a hub answers `?tf-hub-format=uncompressed` with an error status
(shared by the tests of that error's advice: tests/test_resolvers_probes48.py,
tests/test_uncompressed_refusals_p62r.py).

API (stable):
    refused_uncompressed(server, status, text) -> message: the server answers that status,
        the resolve fails as upstream's did; returns the error's message.
"""

from __future__ import annotations

import pytest
from tests._helpers.http_server import LocalServer, answer_body, answer_status

import tfhub as hub
from tfhub import errors


def refused_uncompressed(server: LocalServer, status: int, text: bytes | None) -> str:
    """Makes `server` answer `/m/1` with `status`, then resolves it in the uncompressed format.

    The caller sets TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED (and any retry setting) first.

    Args:
        server: the test server (the `server` fixture).
        status: the HTTP status of the answer.
        text: the answer's text/plain body, or None for the server's small HTML error page.

    Returns:
        The message of the InvalidHandleError raised, after checking that it is upstream's:
        also a ValueError, starting with upstream's sentence naming `status` and the URL.
    """
    if text is None:
        server.state.behaviours.append(answer_status("/m/1", status))
    else:
        server.state.behaviours.append(answer_body("/m/1", status, "text/plain", text))
    with pytest.raises(errors.InvalidHandleError) as info:
        hub.resolve(server.url("/m/1"))
    message = str(info.value)
    assert isinstance(info.value, ValueError)  # Upstream's class, its message first.
    assert message.startswith(
        f"Expected 303 See other HTTP response but received code {status} from "
        f"{server.url('/m/1')}?tf-hub-format=uncompressed."
    ), message
    return message
