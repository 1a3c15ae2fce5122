"""The classes built on first use (`errors/_lazy.py`'s table, builders in `_lazy_*.py` by family):
every builder is in the table, every class is built once under its own name, and pickles."""

from __future__ import annotations

import inspect
import pickle
import types

import pytest

from tfhub import errors
from tfhub.errors import _lazy, _lazy_export, _lazy_loading, _lazy_resolving

pytestmark = pytest.mark.tf  # Most builders import TensorFlow.

_FAMILIES = (_lazy_resolving, _lazy_loading, _lazy_export)
_NAMES = sorted(_lazy._BUILDERS)
# A value for each keyword a lazy class's __init__ takes.
_DATA = {
    "path": "/models/x",
    "problem": "variables/variables.index is missing",
    "tmpdir": "/scratch/tmp",
    "source": "/assets/vocab.txt",
    "status": 503,
    "url": "https://h/m.tar.gz",
    "target": "gs://bucket/m.tar.gz",
    "redirects": 31,
    "cause": "the connection was refused",
    "seconds": 60.0,
    "limit": 30.0,
    "attempts": 4,
    "reason": "The URL names no host",
    "op": "SentencepieceOp",
    "library": "tensorflow_text",
    "key": "numbers",
    "message_type": "tensorflow.Example",
    "scheme": "s3",
}


def _functions_reached(builder: types.FunctionType) -> set[object]:
    """The builder and the functions its closure holds (`_subclassing`'s `build`)."""
    cells = builder.__closure__ or ()
    return {builder} | {
        cell.cell_contents for cell in cells if inspect.isfunction(cell.cell_contents)
    }


def test_every_builder_of_a_family_module_has_its_line_in_the_table() -> None:
    reached = set().union(*(_functions_reached(b) for b in _lazy._BUILDERS.values()))
    for family in _FAMILIES:
        for name, function in inspect.getmembers(family, inspect.isfunction):
            if function.__module__ != family.__name__ or name.startswith("_"):
                continue
            if name == "export_op_error_builder":  # Makes the builders of EXPORT_OP_ERRORS.
                assert all(n in _lazy._BUILDERS for n in _lazy_export.EXPORT_OP_ERRORS)
                continue
            assert function in reached, f"{family.__name__}.{name} has no line in _BUILDERS"


@pytest.mark.parametrize("name", _NAMES)
def test_each_class_is_built_once_under_its_name_and_pickles(name: str) -> None:
    cls = _lazy.lazy_error_class(name)
    assert cls is getattr(errors, name) is _lazy.lazy_error_class(name)
    assert (cls.__name__, cls.__qualname__, cls.__module__) == (name, name, "tfhub.errors")
    params = inspect.signature(cls.__init__).parameters.values()
    kwargs = {p.name: _DATA[p.name] for p in params if p.kind is p.KEYWORD_ONLY}
    err = cls("what went wrong at https://user:s3cret@h/m", **kwargs)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and str(again) == str(err) and vars(again) == vars(err)
    assert "s3cret" not in str(again) and "https://***@h/m" in str(again)


def test_a_subclass_of_a_lazy_class_subclasses_its_one_class_object() -> None:
    status_error = errors.HTTPStatusError
    for name in ("RetryTimeoutStatusError", "UnfollowableRedirectError", "RedirectLoopError"):
        assert status_error in getattr(errors, name).__mro__


def test_a_name_without_a_builder_is_a_missing_attribute() -> None:
    with pytest.raises(
        AttributeError, match="module 'tfhub.errors' has no attribute 'NoSuchError'"
    ):
        _lazy.lazy_error_class("NoSuchError")
    assert not hasattr(errors, "NoSuchError")
