"""A Kaggle model URL whose owner, model, framework or variation is `.` or `..` is refused.

HTTP clients (urllib3) resolve dot segments before sending a URL, so such a handle was fetched
from another path than the one it names (`.../tensorflow2/../1` asked Kaggle for
`.../frameworks/tensorflow2/versions/1`, a model page with no variation) and cached under its
own name: a confusing 404 at best. Kaggle's slugs are letters, digits and dashes.
"""

from __future__ import annotations

import pytest

from tfhub import errors, handles

_GOOD = "https://www.kaggle.com/models/owner/model/tensorFlow2/variation/1"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.kaggle.com/models/../model/tensorFlow2/variation/1",
        "https://www.kaggle.com/models/owner/./tensorFlow2/variation/1",
        "https://www.kaggle.com/models/owner/model/../variation/1",
        "https://www.kaggle.com/models/owner/model/tensorFlow2/../1",
        "https://www.kaggle.com/models/owner/model/tensorFlow2/%2e%2E/1",
        "https://kaggle.com/models/owner/model/frameworks/tensorFlow2/variations/./versions/1",
    ],
    ids=["owner", "model", "framework", "variation", "encoded", "long-form"],
)
def test_dot_parts_are_refused(url: str) -> None:
    with pytest.raises(errors.InvalidHandleError, match=r"'\.'|'\.\.'") as caught:
        handles.parse(url)
    assert isinstance(caught.value, ValueError)
    assert "Kaggle" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [_GOOD, "https://www.kaggle.com/models/o.k/m..x/tensorFlow2/v.1/2"],
    ids=["plain", "dots-inside-names"],
)
def test_names_with_dots_inside_are_kept(url: str) -> None:
    parsed = handles.parse(url)
    assert isinstance(parsed, handles.KaggleModel)
    assert str(parsed) == url
