"""Errors of loading models (TF2 SavedModels, TF1 Hub modules), calling them, and exports."""

from __future__ import annotations

from ..utils.redact import redact
from ._base import ArgumentError, ArgumentTypeError, TFHubError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterable
    from typing import Any

# --- Loading models -------------------------------------------------------------------------------


class TFHubLoadError(TFHubError, ValueError):
    """A model folder that cannot be loaded as requested: a ValueError (upstream's loaders
    raised ValueError). Subclasses say why (damaged, unknown tags or signature, ...)."""


class DamagedModelError(TFHubLoadError, OSError):
    """A model folder whose `saved_model.pb` or checkpoint is truncated or damaged.

    Also an OSError and a ValueError: TensorFlow raised either for such files (an IndexError or
    an OpError for some damaged checkpoints; that error is kept as `__cause__`).

    Attributes:
        path: the model's folder.
        problem: which file and how, e.g. "saved_model.pb (0 bytes) holds no MetaGraph".
    """

    def __init__(self, message: str, *, path: str, problem: str) -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem


class MissingModelFileError(DamagedModelError, FileNotFoundError):
    """A model folder without a file it needs: `saved_model.pb`, the variables' index or data,
    or an asset file its graphs name; also a FileNotFoundError (`.path`, `.problem` as
    DamagedModelError's)."""


class UnsafeAssetError(DamagedModelError):
    """A model whose `saved_model.pb` names an asset file outside its `assets/` folder (an
    absolute path, a name that climbs out with `..`, a name holding a NUL), refused before
    TensorFlow reads it (upstream's `hub.load` read the file); a DamagedModelError (`.path`,
    `.problem`), so a ValueError and an OSError."""


class SignatureTensorError(DamagedModelError, KeyError):
    """A model whose `saved_model.pb` has a signature naming a tensor its graph lacks (a damaged
    or hand-edited file). A KeyError, as TensorFlow's graph lookup, which upstream let through,
    raised; also a DamagedModelError (`.path`, `.problem`)."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class ModelPathEncodingError(TFHubLoadError, UnicodeEncodeError):
    """A model folder whose path is not UTF-8 (e.g. a folder named in Latin-1): TensorFlow
    opens files by UTF-8 names only. Upstream let Python's UnicodeEncodeError through: this is
    one too, with its fields (`encoding` "utf-8", `object` the path, `start`/`end` the first
    character that does not encode), and tfhub's message as its str().

    Attributes:
        path: the model's folder (its undecodable bytes surrogate-escaped, as `os.fsdecode`).
    """

    def __init__(self, message: str, *, path: str) -> None:
        start = next((i for i, char in enumerate(path) if not _encodes(char)), 0)
        UnicodeEncodeError.__init__(self, "utf-8", path, start, start + 1, "not UTF-8")
        self.args = (redact(message),)  # TFHubError's, as its __init__ would (it takes 1 arg).
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its message, path and other attributes (`__notes__`...); the encode
        error's fields are made again."""
        return (_path_encoding_error, (str(self), self.path), dict(self.__dict__))


def _encodes(char: str) -> bool:
    try:
        char.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _path_encoding_error(message: str, path: str) -> ModelPathEncodingError:
    return ModelPathEncodingError(message, path=path)


class MissingOpError(TFHubLoadError, RuntimeError):
    """A model that uses a TensorFlow op this process has not registered: an op of a library
    that registers its ops when imported (tensorflow_text's tokenizers, in BERT preprocessors
    and multilingual sentence encoders), or of a newer TensorFlow. A RuntimeError, as
    TensorFlow's "Op type not registered" error for TF2 SavedModels (TF1 modules raised its
    NotFoundError; that error is kept as `__cause__`).

    Attributes:
        path: the model's folder ("" for a module spec built in memory).
        op: the op's name, e.g. "SentencepieceOp".
        library: the Python module that registers it, e.g. "tensorflow_text", if known.
    """

    def __init__(self, message: str, *, path: str, op: str, library: str | None) -> None:
        super().__init__(message)
        self.path = path
        self.op = op
        self.library = library


class _AvailableMixin:
    """Keeps `available`: what could have been asked for instead."""

    available: list[Any]

    def _keep_available(self, available: Iterable[Any]) -> None:
        self.available = list(available)


class UnknownTagsError(_AvailableMixin, TFHubLoadError):
    """The requested tag set is not one of the model's tag sets (the message lists them).

    Attributes:
        available: the model's tag sets.
    """

    def __init__(self, message: str, *, available: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self._keep_available(available)


class UnknownTF1TagsError(UnknownTagsError, RuntimeError):
    """The requested tag set is not one of a TF1-format SavedModel's tag sets (one without a TF2
    object graph, such as a TF1 Hub module). Also a RuntimeError, as TensorFlow's TF1 loader,
    which upstream's `hub.load` reached, raised; an UnknownTagsError (a ValueError) like any.

    Attributes:
        available: the model's tag sets.
    """


class UnknownSignatureError(_AvailableMixin, TFHubLoadError):
    """The requested signature does not exist (the message lists the available ones).

    Attributes:
        available: the names of the signatures there are.
    """

    def __init__(self, message: str, *, available: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self._keep_available(available)


class UnknownEvalSignatureError(UnknownSignatureError, KeyError):
    """`eval_function_for_module`'s function called with a signature the module lacks
    (upstream looked it up in a dict, so raised KeyError); also a ValueError.

    Attributes:
        available: the names of the module's signatures.
    """

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class SignatureRequiredError(_AvailableMixin, TFHubLoadError):
    """A model that is not callable (a Keras model exported with `model.export`, say): a
    signature, and the output to return, must be named (the message suggests them).

    Attributes:
        available: the names of the model's signatures.
        suggested: (signature, output_key) of its serving signature (else the first) when that
            has a single output, else None.
    """

    def __init__(
        self,
        message: str,
        *,
        available: Iterable[Any] = (),
        suggested: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self._keep_available(available)
        self.suggested = suggested


class UnknownOutputKeyError(_AvailableMixin, TFHubLoadError, KeyError):
    """The requested output key does not exist (the message lists the available ones).

    Attributes:
        available: the output keys there are.
    """

    def __init__(self, message: str, *, available: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self._keep_available(available)

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class DeletedModelError(TFHubError, AssertionError):
    """A function of a loaded model called after the model object was garbage collected
    (`hub.KerasLayer(hub.load(handle).serve)` keeps the function, not the object that owns its
    variables). An AssertionError, as TensorFlow's "Called a function referencing variables
    which have been deleted"."""


class InputSpecError(TFHubError, ValueError):
    """Inputs whose keys, dtype or shape do not match the signature (expected vs given): a
    feature column's features, or an image module whose signature lacks the image input
    `image_util` reads (`get_expected_image_size`, `get_num_image_channels`); a ValueError,
    as upstream."""


class CallInputSpecError(InputSpecError, TypeError):
    """Inputs a hub.KerasLayer's function does not accept, or features a feature column cannot
    read (a missing key, a SparseTensor or several strings per example for a text column,
    images of another shape than its module takes for an image column): also a TypeError,
    as upstream's errors there were (TensorFlow's binding inputs to a tf.function; for images,
    the module's "Can't convert 'images'")."""


class XlaStringInputError(TFHubError, ValueError):
    """A hub.KerasLayer called on strings inside a function that XLA compiles (Keras's
    `jit_compile=True`, `tf.function(jit_compile=True)`): XLA has no string tensors. Raised
    while tracing, instead of TensorFlow's "Detected unsupported operations ... DT_STRING" at
    the first step."""


class KerasFlavourError(TFHubError, TypeError):
    """A KerasLayer of one Keras flavour used in a model of the other flavour."""


class LayerNotCalledError(TFHubError, AttributeError, RuntimeError):
    """A Keras 2 accessor of a layer's calls (`get_input_at(0)`, ...) on a Keras 3 KerasLayer
    never called on a keras.Input: a RuntimeError, as Keras 2 raised, and an AttributeError,
    as tfhub raised before (and Keras raises for `layer.input`)."""


class MissingDependencyError(TFHubError, ImportError):
    """An optional dependency (TensorFlow and Keras, the hub server's or the tools' packages) is
    not installed or fails to import; the message names the extra (or package) to install.

    Attributes:
        module: the module that could not be imported.
        command: the install command that works for how tfhub was installed.
    """

    def __init__(self, message: str, *, module: str = "", command: str = "") -> None:
        super().__init__(message)
        self.module = module
        self.command = command

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_missing_dependency, (type(self), str(self), self.module, self.command))


def _rebuild_missing_dependency(
    cls: type[MissingDependencyError], message: str, module: str, command: str
) -> MissingDependencyError:
    return cls(message, module=module, command=command)


class SerializationError(TFHubError, ValueError):
    """A layer or module that cannot be saved as requested (e.g. built from a Python callable)."""


class ConfigNotSupportedError(SerializationError, NotImplementedError):
    """`get_config()` of a KerasLayer over a Python callable or a column over a ModuleSpec object.

    Upstream raised NotImplementedError, which `tf.saved_model.save` and Keras take as "no
    config" and fall back from; it is also a SerializationError (ValueError), as before.
    """


# --- The TF1 Hub format ---------------------------------------------------------------------------


class ModuleSpecError(TFHubError, ValueError):
    """A module_fn or module spec that breaks the TF1 Hub format's rules, or a module that does
    not fit where it is used (a feature column's signature rules, a message other than
    ImageModuleInfo to attach); a ValueError, as upstream."""


class NotAMessageError(ArgumentTypeError, AttributeError):
    """An argument that must be a protocol message (`hub.attach_image_module_info`'s
    `hub.ImageModuleInfo`) and is no message at all (a dict, a string, None): an
    AttributeError, as upstream's serialization ("'dict' object has no attribute
    'SerializeToString'") raised; a TypeError and a ValueError as every ArgumentTypeError."""


class NotAModuleOrSpecError(ArgumentTypeError, AttributeError):
    """An argument that must be a hub.Module or hub.ModuleSpec (the image helpers'
    `module_or_spec`) and is neither (e.g. a handle string): an AttributeError, as upstream's
    "'str' object has no attribute 'get_attached_message'"; a TypeError and a ValueError as
    every ArgumentTypeError."""


class NotASparseTensorError(InputSpecError, AttributeError):
    """A dense tensor given to a column that takes a tf.SparseTensor of tokens
    (`hub.sparse_text_embedding_column`): an AttributeError, as upstream's "'Tensor' object
    has no attribute 'values'"; a ValueError as every InputSpecError."""


class AssetNodeError(ModuleSpecError, TypeError):
    """A tensor of the ASSET_FILEPATHS collection that is not one constant string, found at
    export (upstream's `_check_asset_node_def` raised TypeError)."""


class PartitionedVariablesError(ModuleSpecError, RuntimeError):
    """Partitioned variables whose parts do not fit together (upstream raised RuntimeError)."""


class SignatureInputError(InputSpecError, TypeError):
    """Inputs to hub.Module (or to `eval_function_for_module`'s function) that do not fit its
    signature (upstream raised TypeError here); also a ValueError, as every InputSpecError."""


class SignatureValueTypeError(ModuleSpecError, TypeError):
    """A signature value that is not a Tensor or composite tensor (upstream raised TypeError)."""


class EagerSignatureValueError(SignatureValueTypeError, AttributeError):
    """A signature value made eagerly, outside the module_fn (a module-level `tf.constant`):
    an AttributeError, as upstream's `Tensor.name` raised for it, and a TypeError and
    ValueError as every SignatureValueTypeError."""


class EagerValueInModuleFnError(ModuleSpecError, RuntimeError):
    """A module_fn that reads an eager tensor or `tf.Variable` made outside it: a
    RuntimeError, as TensorFlow's "Attempting to capture an EagerTensor" (which upstream let
    through) is; also a ValueError as every ModuleSpecError."""


class NoDefaultOutputError(UnknownOutputKeyError, TypeError):
    """hub.Module called without as_dict=True on a signature with no "default" output.

    Upstream raised TypeError; the KeyError/ValueError bases keep tfhub's earlier contract.
    """


class UnknownGraphVariantError(UnknownTagsError, KeyError):
    """A ModuleSpec asked for a graph variant (tag set) it lacks (upstream raised KeyError);
    also a ValueError, as UnknownTagsError.

    Attributes:
        available: the module's tag sets.
    """

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class MissingAttachedMessageError(TFHubError, KeyError):
    """get_attached_message(..., required=True) for a key the module lacks (as upstream)."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class ExportFolderError(TFHubError, RuntimeError):
    """No unique timestamped export folder could be made (upstream raised RuntimeError)."""


class ModuleGraphError(TFHubError, RuntimeError):
    """A hub.Module used with another graph or session than the one it was created in."""


class ControlFlowModuleError(ModuleGraphError):
    """A hub.Module created inside a tf.cond branch or tf.while_loop body (its variables would
    join the outer graph's collections from inside the branch), or a trainable one applied there
    with update ops (they would be listed in the outer graph's UPDATE_OPS, out of its reach).
    A RuntimeError, as upstream's "Module must be applied in the graph it was instantiated for"."""


class ModuleScopeTakenError(ArgumentError):
    """hub.Module(name=...) whose variable scope already holds a variable that is not the
    module's (e.g. the user's `tf.compat.v1.Variable(0, name="module/step")`): a ValueError, as
    upstream's "Tensor step is not found in checkpoint"."""


class ForeignAssetError(DamagedModelError):
    """A module folder whose graph lists, among its asset file paths, a constant that is not one
    of the module's own assets (it names a file anywhere on the machine, which an export would
    copy into the new module). A DamagedModelError (`.path`, `.problem`), so a ValueError."""


class FunctionCollectionsError(TFHubError, NotImplementedError):
    """A hub.Module applied in a TPU function while its graph has collections: a
    NotImplementedError, as upstream's."""


class EagerNotSupportedError(TFHubError, RuntimeError):
    """A TF1 feature that cannot work in eager mode (the message says what to do instead)."""


class EvalFunctionClosedError(TFHubError, AttributeError, RuntimeError):
    """The function of `eval_function_for_module` called after its `with` block closed its
    session: call it inside the block. An AttributeError, as upstream's ("'NoneType' object
    has no attribute 'run'"), and a RuntimeError, as TensorFlow's closed-session error."""


class ExportError(TFHubError, ValueError):
    """An export that cannot be done (bad arguments, checkpoint not matching the graph, ...)."""


class ExportNameTypeError(ExportError, ArgumentTypeError):
    """A `name_transform_fn` of `ModuleSpec.export` that returned something other than a str
    for a variable's name: an ExportError, and a TypeError as upstream's (sorting the names)."""


class ExportWriteError(ExportError, OSError):
    """An export whose files the file system refused (a full disk or quota, no permission):
    nothing was written to the export folder.

    Attributes:
        path: the export folder.
        problem: why, e.g. "no space left on the device (the disk or quota is full)".
        tmpdir: the temporary folder (TMPDIR) whose disk was full, where an export to gs:// is
            written before its upload; "" when the export folder's own write was refused.
    """

    def __init__(self, message: str, *, path: str, problem: str, tmpdir: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem
        self.tmpdir = tmpdir


class AssetSourceError(ExportError):
    """An asset file that a module's graph names (a constant of its ASSET_FILEPATHS
    collection, e.g. a vocabulary file) and that an export cannot copy: a folder, no file name,
    a name that is not UTF-8 (`AssetNotFoundError`: a missing file). Nothing is left in the
    export folder.

    Attributes:
        path: the export folder.
        source: the asset file as the graph names it.
    """

    def __init__(self, message: str, *, path: str, source: str) -> None:
        super().__init__(message)
        self.path = path
        self.source = source


class EagerInputError(SignatureInputError, RuntimeError):
    """An input made eagerly (a tensor, sparse or ragged tensor, or tf.Variable made outside
    any graph) passed to a hub.Module made in a graph: a RuntimeError, as TensorFlow's
    "Attempting to capture an EagerTensor without building a function." that upstream let
    through, and a TypeError and ValueError as every SignatureInputError."""


class TrainingModeError(TFHubError, ValueError):
    """A trainable hub.KerasLayer asked a model to run in training mode (`fit`, or
    `training=True`) that was saved for inference only: its `__call__` was traced for no
    `training=True`. A ValueError, as TensorFlow's "Could not find matching concrete function"
    that upstream let through.

    Attributes:
        handle: the model's handle (or the callable the layer was built from).
    """

    def __init__(self, message: str, *, handle: Any = None) -> None:
        super().__init__(message)  # `handle` defaults: Keras re-creates errors from messages.
        self.handle = handle


class NotASessionError(ArgumentTypeError, AttributeError):
    """`Module.export(path, session)` in a graph given a `session` that is no session (a
    string, a number, ...): an AttributeError, as upstream's ("'str' object has no attribute
    'graph'"), and an ArgumentTypeError (TypeError, ValueError)."""


class AttachedMessageKeyTypeError(ModuleSpecError, TypeError):
    """`hub.attach_message` given a key that is not a string (bytes, a number, None): a
    TypeError, as upstream's key check raised for it, and a ModuleSpecError (so ValueError),
    as every malformed key."""
