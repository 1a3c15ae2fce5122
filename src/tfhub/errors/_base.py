"""The base of every tfhub error (pickling, redaction, Keras re-raises) and the errors of
settings and arguments."""

from __future__ import annotations

from ..utils.redact import redact

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import Any, TypeVar

    _AnyError = TypeVar("_AnyError", bound=BaseException)

# OSError's fields, kept in the exception object itself, not in its `__dict__`.
_OS_ERROR_FIELDS = ("errno", "strerror", "filename", "filename2")


def _rebuild(
    cls: type[BaseException],
    args: tuple[Any, ...],
    state: dict[str, Any],
    os_fields: tuple[Any, ...] = (),
) -> Any:
    """Recreates a pickled tfhub error without calling `__init__` (its keywords are in `state`;
    an OSError's errno, strerror, filename and filename2 in `os_fields`)."""
    builtin: Any = cls  # The builtin whose memory layout `cls` has: its `__new__` is safe.
    while builtin.__module__ != "builtins":
        builtin = builtin.__base__ or BaseException  # Only `object` has no base.
    err = builtin.__new__(cls)
    err.args = args
    for name, value in zip(_OS_ERROR_FIELDS, os_fields, strict=False):
        if value is not None:  # Set to None, they would change OSError's str().
            setattr(err, name, value)
    err.__dict__.update(state)
    return err


class TFHubError(Exception):
    """Base class of every tfhub error.

    Every subclass survives `pickle.loads(pickle.dumps(err))` with its message and attributes
    (multiprocessing, Beam and `concurrent.futures` pickle exceptions), even when its `__init__`
    takes keyword-only data. Credentials in URLs (`https://user:secret@host`) are redacted from
    every message.

    Raised as itself only where no subclass fits: Keras 3 on a backend other than TensorFlow
    (`hub.KerasLayer`), a hub server that did not start or whose settings are missing, a
    `tfhub demo` step that computed a wrong result.
    """

    # AutoGraph (Keras's `fit`, `tf.function`) re-raises an exception whose class has its own
    # `__init__` as a `StagingError`, which is no longer the builtin its caller catches
    # (`except ValueError`); with this attribute, it lets tfhub's errors through as they are.
    ag_pass_through = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling (and `copy.copy`) keeps the message, the data and OSError's fields."""
        os_fields = ()
        if isinstance(self, OSError):
            os_fields = tuple(getattr(self, name) for name in _OS_ERROR_FIELDS)
        return (_rebuild, (type(self), self.args, dict(self.__dict__), os_fields))


def restore_data_after_keras(err: BaseException) -> None:
    """Puts back the attributes (`.available`, ...) of an error Keras re-created.

    Keras (both flavours) re-raises an exception from a layer's `call` as `type(e)(message)`,
    the layer's arguments added to the message (and marks it `_keras_call_info_injected`): the
    new error keeps the class but not the original's data. The original is its `__context__`.
    """
    original = original_before_keras(err)
    if original is not None:
        err.__dict__.update(original.__dict__)


def original_before_keras(err: BaseException) -> BaseException | None:
    """The exception Keras re-created as `err` (see `restore_data_after_keras`), or None if
    Keras did not re-create it."""
    original = err.__context__
    if getattr(err, "_keras_call_info_injected", False) and type(original) is type(err):
        return original
    return None


def reworded(err: _AnyError, message: str) -> _AnyError:
    """A copy of `err` whose message is `message` (credentials redacted): same class and data,
    so `except` clauses that caught `err` catch it too."""
    import copy

    copied = copy.copy(err)
    copied.args = (redact(message),)
    return copied


class FrozenInstanceError(TFHubError, AttributeError):
    """An assignment to (or deletion of) a field of an immutable record (`utils/records.py`: a
    parsed handle, an extraction's result); an AttributeError, as
    `dataclasses.FrozenInstanceError` for a frozen dataclass.

    Attributes:
        field: the name of the field.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class SettingError(TFHubError, ValueError):
    """An environment variable (TFHUB_*, or a TMPDIR whose path is not UTF-8 for `tfhub demo`)
    or absl flag whose value tfhub cannot use; a ValueError. The message names the variable,
    says what to set it to, and ends with what was received (a token's length, never the
    token).

    Attributes:
        name: the variable's (or flag's) name.
    """

    def __init__(self, message: str, *, name: str) -> None:
        super().__init__(message)
        self.name = name


class TempFolderError(TFHubError, FileNotFoundError):
    """No writable temporary folder where something needs one (TensorFlow's import asks Python
    for it); a FileNotFoundError, as Python's `tempfile` raised. The message says what needed
    it and to set TMPDIR.

    Attributes:
        name: the variable that helps ("TMPDIR").
    """

    def __init__(self, message: str, *, name: str = "TMPDIR") -> None:
        super().__init__(message)
        self.name = name

    @classmethod
    def none_writable(
        cls, needer: str, reason: str, *, then: str = "export TMPDIR=~/tmp"
    ) -> TempFolderError:
        """The error for `needer` ("tfhub demo"), which needs a temporary folder, when Python
        found none writable (`reason`: what it said); `then` completes the suggested command."""
        return cls(
            f"{needer} needs a writable temporary folder, and there is none: {reason}. Set "
            f"TMPDIR to a writable folder that exists (`mkdir -p ~/tmp && {then}`: Python "
            "passes over a TMPDIR that does not exist)."
        )


class ArgumentError(TFHubError, ValueError):
    """An argument of a public function or class (`hub.KerasLayer`, a feature column, ...)
    whose value, or whose combination with another argument, cannot be used; the message ends
    with what was received. Upstream raised ValueError."""


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of a type that cannot be used (upstream raised TypeError): a TypeError, and
    a ValueError as every ArgumentError."""
