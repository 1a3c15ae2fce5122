"""The request target's names have one home, `hub.request_target` (review fx61e F7): a copy
in `hub.middleware` let a test patch `middleware.MAX_TARGET_BYTES`, which `TargetLength`
never reads."""

from __future__ import annotations

import pytest

from tfhub.hub import middleware, request_target

MOVED = (
    "MAX_TARGET_BYTES",
    "SENT_QUERY_LENGTH",
    "AbsoluteForm",
    "PathPrefix",
    "TargetLength",
    "Utf8Query",
)


@pytest.mark.parametrize("name", MOVED)
def test_the_name_lives_only_in_request_target(name: str) -> None:
    assert hasattr(request_target, name)
    assert not hasattr(middleware, name)
