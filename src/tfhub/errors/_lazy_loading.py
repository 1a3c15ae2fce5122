"""The errors of loading and calling a model that are also the error TensorFlow (`tf.errors.*`)
or protobuf raised and upstream let through, built on first use (`_lazy.lazy_error_class`):
damaged checkpoints and module files, missing ops, calls with refused inputs.

Each builder imports what its class subclasses, defines the class and returns it; its docstring
says when the class is raised and what upstream raised. A new class here is one builder plus one
line in `_lazy._BUILDERS`.
"""

from __future__ import annotations

from ..utils.redact import redact
from ._base import ArgumentTypeError
from ._loading import (
    CallInputSpecError,
    DamagedModelError,
    MissingModelFileError,
    MissingOpError,
    SignatureInputError,
    TFHubLoadError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import Any


def not_a_tf1_module_error() -> type:
    """`NotATF1ModuleError`: a path that is not in the TF1 Hub format (no `tfhub_module.pb`: a TF2
    SavedModel, an empty folder; the message says which) given to `hub.Module`,
    `hub.load_module_spec` or a text column; upstream let TensorFlow's
    `tf.errors.NotFoundError` (its read of `tfhub_module.pb`) through, so this class is both
    that and a `TFHubLoadError` (so a ValueError; TensorFlow is imported)."""
    import tensorflow as tf

    class NotATF1ModuleError(TFHubLoadError, tf.errors.NotFoundError):
        """A path that is not in the TF1 Hub format (the message says if it is a TF2
        SavedModel): `except tf.errors.NotFoundError` (what upstream raised) and `except
        TFHubLoadError` (so ValueError) both catch it."""

        def __init__(self, message: str) -> None:
            tf.errors.NotFoundError.__init__(self, None, None, redact(message))
            TFHubLoadError.__init__(self, message)

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else ""

    return NotATF1ModuleError


def module_missing_op_error() -> type:
    """`ModuleMissingOpError`: a TF1 Hub module given to `hub.Module` (in a graph or eagerly; or
    `ModuleSpec.export`, `eval_function_for_module`) that uses an op this process has not
    registered; upstream's `hub.Module` raised `tf.errors.NotFoundError` for it in both modes,
    so this class is both that and a `MissingOpError` (TensorFlow is imported). Also what
    `hub.load` and `hub.KerasLayer` raise for a TF1 SavedModel or Hub module (TensorFlow's TF1
    loader raises NotFoundError, which upstream let through; a TF2 model's is a RuntimeError,
    and its error a plain `MissingOpError`)."""
    import tensorflow as tf

    class ModuleMissingOpError(MissingOpError, tf.errors.NotFoundError):
        """An op this process has not registered, used by a TF1 Hub module: `except
        tf.errors.NotFoundError` (what upstream's hub.Module raised) and `except
        MissingOpError` (so RuntimeError, ValueError) both catch it (`.path`, `.op`,
        `.library`)."""

        def __init__(self, message: str, *, path: str, op: str, library: str | None) -> None:
            # OpError's read-only `.op` is then the op's name, as MissingOpError's `.op` is.
            tf.errors.NotFoundError.__init__(self, None, op, redact(message))
            TFHubLoadError.__init__(self, message)
            self.path = path
            self.library = library

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else ""

    return ModuleMissingOpError


def model_file_not_found_error() -> type:
    """`ModelFileNotFoundError`: a model folder without a file of its checkpoint (its
    `variables/` folder, index or a data file) or an asset file, where upstream let
    TensorFlow's `tf.errors.NotFoundError` through (for a TF1 Hub module; a bare
    `tf.errors.OpError` for a TF2 SavedModel's data file): both that and a
    `MissingModelFileError` (TensorFlow is imported)."""
    import tensorflow as tf

    return _damaged_op_error(
        "ModelFileNotFoundError",
        MissingModelFileError,
        tf.errors.NotFoundError,
        """A model folder without a file it needs: `except tf.errors.NotFoundError`
        (what upstream raised), `except MissingModelFileError` and `except FileNotFoundError`
        all catch it (`.path`, `.problem` as DamagedModelError's).""",
    )


def variables_mismatch_error() -> type:
    """`VariablesMismatchError`: a model folder whose checkpoint holds a variable in another
    dtype (or shape) than its graph's variable of that name, found after loading failed, or
    when `hub.Module` builds its graph; TensorFlow's restore raised
    `tf.errors.InvalidArgumentError`, which upstream let through: both that and a
    `DamagedModelError` (TensorFlow is imported)."""
    import tensorflow as tf

    return _damaged_op_error(
        "VariablesMismatchError",
        DamagedModelError,
        tf.errors.InvalidArgumentError,
        """A checkpoint whose variable has another dtype or shape than the graph's: `except
        tf.errors.InvalidArgumentError` (what upstream raised) and `except DamagedModelError`
        (so ValueError, OSError) both catch it (`.path`, `.problem`).""",
    )


def truncated_checkpoint_error() -> type:
    """`TruncatedCheckpointError`: a model whose checkpoint TensorFlow cannot read, cut short (it
    raised `tf.errors.OutOfRangeError` for a TF1 Hub module, an `IndexError` for a TF2
    SavedModel: the class is both), and a `DamagedModelError` (TensorFlow is imported)."""
    import tensorflow as tf

    return _damaged_op_error(
        "TruncatedCheckpointError",
        DamagedModelError,
        tf.errors.OutOfRangeError,
        """A checkpoint whose data file is cut short ("Read less bytes than requested"):
        `except tf.errors.OutOfRangeError` (what upstream raised for a TF1 Hub module), `except
        IndexError` (what it raised for a TF2 SavedModel) and `except DamagedModelError` all
        catch it (`.path`, `.problem`).""",
        also=(IndexError,),
    )


def corrupt_checkpoint_error() -> type:
    """`CorruptCheckpointError`: a model whose checkpoint TensorFlow cannot read, corrupt
    (`tf.errors.DataLossError`, or a bare `OpError` for an index that is no sstable or a
    checksum that does not match): both that and a `DamagedModelError` (TensorFlow is
    imported)."""
    import tensorflow as tf

    return _damaged_op_error(
        "CorruptCheckpointError",
        DamagedModelError,
        tf.errors.DataLossError,
        """A checkpoint whose index or data TensorFlow cannot read (a checksum that does not
        match, an index that is not an sstable): `except tf.errors.DataLossError` (so `except
        tf.errors.OpError`: what upstream raised) and `except DamagedModelError` both catch it
        (`.path`, `.problem`).""",
    )


def empty_asset_error() -> type:
    """`EmptyAssetError`: a model whose lookup table reads its vocabulary from an asset file of 0
    bytes; TensorFlow's table initializer raised `tf.errors.OutOfRangeError` ("Read less bytes
    than requested"), which upstream let through: both that and a `DamagedModelError` naming the
    asset (TensorFlow is imported)."""
    import tensorflow as tf

    return _damaged_op_error(
        "EmptyAssetError",
        DamagedModelError,
        tf.errors.OutOfRangeError,
        """A vocabulary asset of 0 bytes that a lookup table of the model reads: `except
        tf.errors.OutOfRangeError` (what upstream let through) and `except DamagedModelError`
        (so ValueError, OSError) both catch it (`.path`, `.problem`).""",
    )


def damaged_message_error() -> type:
    """`DamagedMessageError`: a TF1 Hub module whose `tfhub_module.pb` or attached message
    (`hub_module_attachments`) protobuf cannot parse; upstream let protobuf's
    `google.protobuf.message.DecodeError` through, so this class is both that and a
    `DamagedModelError` naming the module (protobuf is imported)."""
    from google.protobuf.message import DecodeError

    class DamagedMessageError(DamagedModelError, DecodeError):
        """A module file protobuf cannot parse (`tfhub_module.pb`, an attached message):
        `except google.protobuf.message.DecodeError` (what upstream raised) and `except
        DamagedModelError` (so ValueError, OSError) both catch it (`.path`, `.problem`)."""

    return DamagedMessageError


def attached_message_parse_error() -> type:
    """`AttachedMessageParseError`: an attached message (`ModuleSpec.get_attached_message`) whose
    bytes do not parse as the `message_type` given (most often another class than the one it
    was attached with); upstream let protobuf's `google.protobuf.message.DecodeError` through, so
    this class is both that and an `ArgumentTypeError` (so TypeError, ValueError) naming the key
    and the class (`.key`, `.message_type`; protobuf is imported)."""
    from google.protobuf.message import DecodeError

    class AttachedMessageParseError(ArgumentTypeError, DecodeError):
        """An attached message whose bytes do not parse as the `message_type` given: `except
        google.protobuf.message.DecodeError` (what upstream raised) and `except
        ArgumentTypeError` (so TypeError, ValueError) both catch it.

        Attributes:
            key: the key the message was attached under.
            message_type: the full name of the class it was parsed as.
        """

        def __init__(self, message: str, *, key: str = "", message_type: str = "") -> None:
            super().__init__(message)
            self.key = key
            self.message_type = message_type

    return AttachedMessageParseError


def call_input_argument_error() -> type:
    """`CallInputArgumentError`: inputs a hub.KerasLayer's function refused while running (an
    input of a signature in another dtype, called eagerly), where upstream let TensorFlow's
    `tf.errors.InvalidArgumentError` through: both that and a `CallInputSpecError` (so
    ValueError, TypeError), with its message naming what the function expects (TensorFlow is
    imported)."""
    import tensorflow as tf

    return _message_op_error(
        "CallInputArgumentError",
        CallInputSpecError,
        tf.errors.InvalidArgumentError,
        """Inputs a hub.KerasLayer's function refused while running: `except
        tf.errors.InvalidArgumentError` (what upstream raised) and `except CallInputSpecError`
        (so ValueError, TypeError) both catch it.""",
    )


def string_feed_error() -> type:
    """`StringFeedError`: values other than str or bytes (numbers, booleans, rows of other
    lengths) fed to a string input of `eval_function_for_module`'s function, named once the
    run refused them; upstream let the run fail with TensorFlow's `tf.errors.InternalError`
    ("Unsupported object type int"), so this class is both that and a `SignatureInputError`
    (so ValueError, TypeError), naming the input and the signature (TensorFlow is imported)."""
    import tensorflow as tf

    return _message_op_error(
        "StringFeedError",
        SignatureInputError,
        tf.errors.InternalError,
        """Values other than str or bytes fed to a string input of an eval function: `except
        tf.errors.InternalError` (what upstream raised) and `except SignatureInputError` (so
        ValueError, TypeError) both catch it.""",
    )


def _message_op_error(name: str, base: Any, op_error: Any, doc: str) -> type:
    """A class that is both `base` (a tfhub error built from a message alone) and TensorFlow's
    `op_error`, made from (message), or from (node_def, op, message, error_code) as TensorFlow
    builds an OpError (unpickling it, or Keras adding the layer's name to the message); its
    str() is the message."""

    def __init__(self: Any, *args: Any) -> None:
        message = args[2] if len(args) == 4 else args[0]
        op_error.__init__(self, None, None, redact(message))
        base.__init__(self, message)

    def __str__(self: Any) -> str:
        return str(self.args[0]) if self.args else ""

    namespace = {"__init__": __init__, "__str__": __str__, "__doc__": doc}
    return type(name, (base, op_error), namespace)


def _damaged_op_error(
    name: str, base: Any, op_error: Any, doc: str, *, also: tuple[type, ...] = ()
) -> type:
    """A class that is both `base` (a DamagedModelError) and TensorFlow's `op_error` (and the
    builtins `also`)."""

    def __init__(self: Any, message: str, *, path: str, problem: str) -> None:
        op_error.__init__(self, None, None, redact(message))  # Sets args to (): first.
        base.__init__(self, message, path=path, problem=problem)

    return type(name, (base, op_error, *also), {"__init__": __init__, "__doc__": doc})
