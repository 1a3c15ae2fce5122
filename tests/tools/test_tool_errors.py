"""Every tools error (tfhub.errors.ToolError) carries the data its docstring names as attributes,
subclasses the builtin upstream raised, and survives pickling with that data."""

from __future__ import annotations

import inspect
import pickle
import re

import pytest

from tfhub import errors

TOOL_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.ToolError) and cls is not errors.ToolError
]


def test_every_tool_error_is_listed() -> None:
    assert len(TOOL_ERRORS) >= 15 and errors.ToolFlagError in TOOL_ERRORS


@pytest.mark.parametrize("cls", TOOL_ERRORS, ids=lambda cls: cls.__name__)
def test_tool_error_carries_its_data_and_pickles(cls: type[errors.ToolError]) -> None:
    names = re.findall(r"`\.(\w+)`", cls.__doc__ or "")
    assert names, f"{cls.__name__}'s docstring names no attribute (`.name`)"
    builtins = [base for base in cls.__mro__ if base.__module__ == "builtins"]
    assert builtins[0] is not Exception, f"{cls.__name__} subclasses no specific builtin"
    data = {name: f"value of {name}" for name in names}
    error = cls("what went wrong, where, and what to do", **data)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and str(copy) == str(error)
    assert {name: getattr(copy, name) for name in names} == data
