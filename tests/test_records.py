"""`FrozenRecord` behaves as the frozen dataclasses it replaced (handles, extraction results)."""

from __future__ import annotations

import copy
import pickle

import pytest

from tfhub import _archive, errors, handles
from tfhub.utils.records import FrozenRecord


class Point(FrozenRecord):
    _fields = ("x", "y")
    x: int
    y: int

    def __init__(self, x: int, y: int = 0) -> None:
        self._init_fields(x, y)


class Other(FrozenRecord):
    _fields = ("x", "y")
    x: int
    y: int

    def __init__(self, x: int, y: int) -> None:
        self._init_fields(x, y)


def test_equality_and_hash_follow_the_class_and_fields():
    assert Point(1, 2) == Point(1, 2) and hash(Point(1, 2)) == hash(Point(1, 2))
    assert Point(1, 2) != Point(2, 1)
    assert Point(1, 2) != Other(1, 2)  # Same fields, another class.
    assert Point(1, 2) != (1, 2)
    assert len({Point(1), Point(1, 0), Point(2)}) == 2


def test_repr_names_the_fields():
    assert repr(Point(1, y=2)) == "Point(x=1, y=2)"
    assert repr(handles.LocalPath("/m")) == "LocalPath(path='/m')"


def test_fields_cannot_be_assigned_or_deleted():
    point = Point(1, 2)
    with pytest.raises(errors.FrozenInstanceError, match="'x'") as caught:
        point.x = 3  # type: ignore[misc]
    assert isinstance(caught.value, AttributeError) and caught.value.field == "x"
    with pytest.raises(AttributeError):
        del point.y
    with pytest.raises(AttributeError):
        point.z = 1  # type: ignore[attr-defined]
    assert (point.x, point.y) == (1, 2)


def test_records_pickle_and_copy():
    kaggle = handles.KaggleModel("o", "m", "tensorFlow2", "v", 1)
    for record in (Point(1, 2), kaggle, handles.HttpModel("https://h/m.tar.gz")):
        for again in (pickle.loads(pickle.dumps(record)), copy.copy(record), copy.deepcopy(record)):
            assert again == record and type(again) is type(record)
    result = _archive.ExtractResult(files={"a": (1, "00")}, algorithm="sha256", members=2)
    assert pickle.loads(pickle.dumps(result)) == result and result.by_worker == 0


def test_match_takes_the_fields_positionally():
    match handles.parse("gs://bucket/model"):
        case handles.GcsPath(url):
            assert url == "gs://bucket/model"
        case _:
            pytest.fail("not a GcsPath")


def test_handles_of_different_kinds_with_the_same_text_differ():
    assert handles.LocalPath("x") != handles.GcsPath("x")
    assert handles.HttpModel("x") != handles.GcsPath("x")
