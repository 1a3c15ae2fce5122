"""`FrozenRecord`: small immutable value objects that cost nothing to define.

The parsed handles and an extraction's result sit on the start path of every process that
resolves a handle or extracts an archive. As `@dataclass(frozen=True)` classes they cost
`import dataclasses` (which imports `inspect`, `ast`, `dis` and `tokenize`: 5-7 ms) and, on
Python 3.11, the compiling of six generated methods per class (0.5-1 ms each class). A subclass
of `FrozenRecord` instead names its fields in `_fields`, stores them from a typed `__init__` with
`_init_fields`, and gets what the frozen dataclass gave:

- equality with records of the same class and equal fields, and a hash of the fields' tuple;
- a `ClassName(field=value, ...)` repr, and `__match_args__` for `match` statements;
- assignment and deletion refused with `tfhub.errors.FrozenInstanceError` (an AttributeError,
  as `dataclasses.FrozenInstanceError` is);
- `pickle` and `copy` (the fields live in the instance's `__dict__`).
"""

from __future__ import annotations

from ..errors import FrozenInstanceError


class FrozenRecord:
    """Base class of immutable records compared, hashed and shown by their fields.

    Example:

        class Point(FrozenRecord):
            _fields = ("x", "y")
            x: int
            y: int

            def __init__(self, x: int, y: int = 0) -> None:
                self._init_fields(x, y)
    """

    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.__match_args__ = cls._fields  # type: ignore[attr-defined, misc]  # As dataclasses.

    def _init_fields(self, *values: object) -> None:
        """Stores `values` as the fields named by `_fields`, in that order (from `__init__`)."""
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined, no-any-return]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        """The class and its fields; a URL's password shown as `***` (a repr goes into
        tracebacks and logs: a handle keeps its credentials for the download only)."""
        from .redact import redact

        def shown(value: object) -> str:
            return repr(redact(value) if isinstance(value, str) else value)

        fields = ", ".join(f"{name}={shown(getattr(self, name))}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}", field=name)

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}", field=name)
