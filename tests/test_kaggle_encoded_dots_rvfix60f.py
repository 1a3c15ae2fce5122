"""A Kaggle URL with `..` behind an encoded slash (rvfix60f): it went to the mirror as is."""

from __future__ import annotations

import pytest

from tfhub import errors
from tfhub.handle_kaggle import kaggle_mirror_url


@pytest.mark.parametrize(
    "path",
    [
        "a%2F..%2F..%2F..%2Fetc/passwd",
        "a%2f..%2f..%2fetc/passwd",
        "a%5C..%5Cetc/passwd",
        "owner/m/x/%2E%2E%2Fetc",
    ],
)
def test_a_kaggle_url_with_dots_behind_an_encoded_slash_is_refused(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", "http://127.0.0.1:9/mirror")
    with pytest.raises(errors.InvalidHandleError):
        kaggle_mirror_url(f"https://www.kaggle.com/models/{path}")


def test_a_kaggle_url_with_an_encoded_character_that_is_no_slash_still_goes_to_the_mirror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", "http://127.0.0.1:9/mirror")
    url = kaggle_mirror_url("https://www.kaggle.com/models/o/m%20x/tf2/v")
    assert url == "http://127.0.0.1:9/mirror/models/o/m%20x/tf2/v"
