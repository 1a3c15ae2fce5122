"""Why a model folder did not load: a missing, truncated or damaged `saved_model.pb` or
checkpoint, or an op this TensorFlow process has not registered.

Loading asks TensorFlow first and diagnoses only after it failed, so a model that loads pays
nothing. TensorFlow's own errors for damaged files are a ValueError ("0 MetaGraphs"), an OSError
("Cannot parse file"), an IndexError ("Read less bytes than requested") or an OpError ("not an
sstable", "expected dtype float does not equal original" for a variable of another dtype than
its graph: `model_graph_checks.variables_mismatch`); none says which file is at fault or what to do.
`diagnosed` replaces them with a `DamagedModelError` that names the file and says what to do:
remove a damaged cache entry so the next load downloads it anew, or copy or export a local
folder again (the message is built in one place, `saved_model_proto.damaged_model_error`).
"Op type not registered 'X'" becomes a `MissingOpError` naming the library that registers X
(`missing_op_error`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from . import cache, errors, gfile_io, model_folder_checks, op_libraries, saved_model_proto
from .asset_names import ASSETS_DIR, asset_filenames, shown_asset_name
from .model_graph_checks import (
    VARIABLE_OPS,
    VARIABLES_DIR,
    missing_signature_tensor,
    signature_tensor_error,
    variables_mismatch,
    variables_mismatch_error,
)
from .saved_model_proto import damaged_model_error
from .saved_model_proto import file_not_found_error as file_not_found_error  # tf1's.
from .utils.lazy import tensorflow as tf
from .utils.paths import is_url
from .utils.printable import escaped
from .utils.redact import redact

VARIABLES_INDEX = "variables/variables.index"
VARIABLES_DATA_PREFIX = "variables.data-"
T = TypeVar("T")


@contextlib.contextmanager
def diagnosed(module_path: str, *, handle: str | None = None) -> Iterator[None]:
    """Runs the load in its body; if it fails because a file of the folder is damaged, or the
    model uses an op this process lacks, says so.

    Args:
        module_path: the folder being loaded.
        handle: the handle the user loaded, if it differs from the folder.

    Raises:
        tfhub.errors.DamagedModelError: (`MissingModelFileError` for a missing file) if the
            load failed and `diagnose` finds the damaged file; the failure is its `__cause__`,
            and its class too where that is TensorFlow's (`as_upstream_raised`).
        tfhub.errors.EmptyAssetError: (a DamagedModelError and TensorFlow's OutOfRangeError) if
            the load failed with an OutOfRangeError and an asset file the graphs name is empty
            (`vocabulary_assets.empty_vocabulary`).
        tfhub.errors.MissingOpError: if the model uses an op this process has not registered.
            Any other failure is raised unchanged.
    """
    try:
        with missing_ops_named(module_path, handle=handle):
            yield
    except errors.TFHubError:
        raise  # tfhub's own errors (a missing op, named above) already say what is wrong.
    except Exception as err:
        cause = diagnose(module_path, handle=handle)
        if cause is None and isinstance(err, tf.errors.OutOfRangeError):
            from .vocabulary_assets import empty_vocabulary

            cause = empty_vocabulary(module_path, handle=handle)
        if cause is None:
            raise
        raise as_upstream_raised(cause, err) from err


def as_upstream_raised(
    cause: errors.DamagedModelError, err: BaseException
) -> errors.DamagedModelError:
    """`cause`, or, where the load failed with an error `cause` is not (TensorFlow's OpError,
    the IndexError of a TF2 checkpoint cut short), which upstream let through, the same error
    as a class that is also that error: `ModelFileNotFoundError` (a NotFoundError) for a
    missing file, `TruncatedCheckpointError` (OutOfRangeError, IndexError) or
    `CorruptCheckpointError` (DataLossError) for an unreadable checkpoint. Old `except`
    clauses written for upstream keep catching it, for TF1 Hub modules and TF2 SavedModels
    alike (tests/tf1/test_damaged_modules_probes44.py, tests/test_tf2_damage_probes45.py)."""
    name = _upstream_class_name(cause, err)
    if name is None:
        return cause
    error: errors.DamagedModelError = getattr(errors, name)(
        str(cause), path=cause.path, problem=cause.problem
    )
    return error


# TensorFlow's errors that say the file system could not be asked (no access, a network
# failure, a server busy or gone), not that the model's bytes are damaged.
_ACCESS_ERRORS = (
    "PermissionDeniedError",
    "UnauthenticatedError",
    "UnavailableError",
    "DeadlineExceededError",
    "ResourceExhaustedError",
    "AbortedError",
    "CancelledError",
)


def is_access_error(err: BaseException) -> bool:
    """True if TensorFlow's `err` says the file system could not be asked (a 403, a network
    failure: retrying or fixing access helps), not that the model is damaged."""
    return isinstance(err, tuple(getattr(tf.errors, name) for name in _ACCESS_ERRORS))


def _upstream_class_name(cause: errors.DamagedModelError, err: BaseException) -> str | None:
    """The name of the class of `as_upstream_raised`, or None to keep `cause`: a class is
    named only if it is also `err`'s, so `except type(err)` still catches what is raised."""
    if isinstance(cause, type(err)):
        return None  # `cause` is already what upstream raised (a FileNotFoundError, say).
    name = _damage_class_name(cause, err)
    if name is None or not issubclass(getattr(errors, name), type(err)):
        return None
    return name


def _damage_class_name(cause: errors.DamagedModelError, err: BaseException) -> str | None:
    """The class that says `cause` and may also be `err`'s (a missing file, a checkpoint cut
    short or corrupt), or None for another damage."""
    if isinstance(cause, errors.MissingModelFileError):
        return "ModelFileNotFoundError"
    if type(cause) is not errors.DamagedModelError or f"{VARIABLES_DIR}/" not in cause.problem:
        return None  # A SignatureTensorError, or a saved_model.pb TensorFlow could not read.
    if isinstance(err, (tf.errors.OutOfRangeError, IndexError)):
        return "TruncatedCheckpointError"  # "Read less bytes than requested".
    return "CorruptCheckpointError"


def load_diagnosed(load: Callable[[], T], module_path: str, *, handle: str | None = None) -> T:
    """Returns `load()`, a load of the folder `module_path`, its failure diagnosed as
    `diagnosed` does; a model that uses ops of a library that is installed but not imported is
    loaded once more after importing it (`op_libraries.loaded_with_op_libraries`).

    Raises:
        The errors of `diagnosed`.
    """

    def load_once() -> T:
        with diagnosed(module_path, handle=handle):
            return load()

    return op_libraries.loaded_with_op_libraries(load_once)


@contextlib.contextmanager
def missing_ops_named(
    module_path: str | None, *, handle: str | None = None, tf1_module: bool = False
) -> Iterator[None]:
    """Runs a graph import in its body; "Op type not registered" becomes a `MissingOpError`.

    Args:
        module_path: the model's folder, if it has one.
        handle: the handle the user loaded, if it differs from the folder.
        tf1_module: True for `hub.Module`'s import of a TF1 Hub module's graph, whose error
            upstream let through as TensorFlow's `NotFoundError`.

    Raises:
        tfhub.errors.MissingOpError: (a RuntimeError) naming the op and the library to import;
            TensorFlow's error is its `__cause__`. With `tf1_module`, or where TensorFlow's
            error was a `tf.errors.NotFoundError` (its TF1 loader's), a `ModuleMissingOpError`
            (also that `tf.errors.NotFoundError`). Any other failure is raised unchanged.
    """
    try:
        yield
    except errors.TFHubError:
        raise
    except Exception as err:
        missing = missing_op_error(err, module_path, handle=handle)
        if missing is None:
            raise
        # TensorFlow's own class kept: its TF1 loader (a TF1 SavedModel or Hub module loaded by
        # hub.load or hub.KerasLayer) raises NotFoundError, which upstream let through.
        if tf1_module or isinstance(err, tf.errors.NotFoundError):
            raise errors.ModuleMissingOpError(
                str(missing), path=missing.path, op=missing.op, library=missing.library
            ) from err
        raise missing from err


_NOT_REGISTERED = re.compile(r"Op type not registered '([^']+)'")


def missing_op_error(
    err: BaseException, module_path: str | None, *, handle: str | None = None
) -> errors.MissingOpError | None:
    """The error to raise for a load or graph import that failed with "Op type not registered
    'X'", or None for any other failure.

    Args:
        err: what TensorFlow raised.
        module_path: the model's folder, if it has one.
        handle: the handle the user loaded, if it differs from the folder.
    """
    found = _NOT_REGISTERED.search(str(err))
    if found is None:
        return None
    op = found.group(1)
    named = redact(handle) if handle else module_path
    model = f"The model {named}" if named else "The module"
    library = op_libraries.library_of(op)
    if library is None:
        todo = (
            f"It comes from a library the model's author imported when saving it, or from a "
            f"TensorFlow newer than this one ({tf.__version__}): import that library before "
            "loading the model, or load it with the TensorFlow it was made with."
        )
    elif not library.maintained:
        instead = f" ({library.instead})" if library.instead else ""
        todo = (
            f"It comes from {library.module}, which no longer installs on current TensorFlow: "
            f"use a newer version of the model{instead}, or the TensorFlow the model was made "
            "with."
        )
    else:
        version = ".".join(tf.__version__.split(".")[:2])
        pin = (
            f"'{library.package}=={version}.*'"
            if library.versioned_with_tensorflow
            else library.package
        )
        todo = (
            f"It comes from {library.module}, which registers its ops when imported: install "
            f"it (pip install {pin}); tfhub then imports it for the models that need it "
            f"(other code must `import {library.module}` before loading such a model)."
            f"{op_libraries.failure_note(library)}"
        )
    return errors.MissingOpError(
        f"{model} uses the TensorFlow op {op!r}, which this process has not registered. {todo}",
        path=module_path or "",
        op=op,
        library=None if library is None else library.module,
    )


def diagnose(module_path: str, *, handle: str | None = None) -> errors.DamagedModelError | None:
    """Finds the damaged file of a model folder that TensorFlow failed to load.

    Checks, in order: `saved_model.pb` (present, parses, holds a MetaGraph), the checkpoint in
    `variables/` (present, every tensor readable with its length and checksum), the asset files
    the graphs name (present in `assets/`) and, for a cache
    entry whose manifest records content hashes, every file against what was installed. Reads
    the whole checkpoint: call it only after loading failed.

    Args:
        module_path: the model's folder (local, or a `scheme://` folder read via tf.io.gfile).
        handle: the handle the user loaded, named in the error.

    Returns:
        The error to raise, or None if the files look whole (the failure has another cause).
    """
    try:
        saved_model = saved_model_proto.read_saved_model_proto(module_path)
    except errors.DamagedModelError as damaged:
        missing = isinstance(damaged, errors.MissingModelFileError)
        return damaged_model_error(
            module_path,
            damaged.problem,
            missing=missing,
            handle=handle,
            todo=model_folder_checks.no_pb_problem(module_path)[1] if missing else None,
        )
    problem, missing = _checkpoint_damage(module_path, saved_model)
    if problem is None:
        problem = missing_asset(module_path, saved_model.meta_graphs)
        missing = problem is not None
    if problem is None:
        problem = missing_signature_tensor(saved_model.meta_graphs)
        if problem is not None:
            return signature_tensor_error(module_path, problem, handle=handle)
    if problem is None:
        prefix = os.path.join(module_path, VARIABLES_DIR, VARIABLES_DIR)
        problem = variables_mismatch(prefix, saved_model.meta_graphs)
        if problem is not None:
            return variables_mismatch_error(module_path, problem, handle=handle)
    if problem is None:
        problem = _installed_content_damage(module_path)
    if problem is None:
        return None
    return damaged_model_error(module_path, problem, missing=missing, handle=handle)


def missing_checkpoint_file(module_path: str, saved_model: Any) -> str | None:
    """Which file of the checkpoint in `variables/` a model with variables lacks ("variables/
    is missing", its index, its data), if any: a few lookups, no tensor read."""
    return _checkpoint_files(module_path, saved_model)[0]


def _checkpoint_files(module_path: str, saved_model: Any) -> tuple[str | None, bool]:
    """Returns (`missing_checkpoint_file`'s answer, whether `variables/` holds the checkpoint's
    index), from one lookup of the index."""
    variables = os.path.join(module_path, VARIABLES_DIR)
    if not gfile_io.exists(os.path.join(variables, "variables.index")):
        if not _expects_variables(variables, saved_model):
            return None, False
        if not gfile_io.is_dir(variables):
            return f"{VARIABLES_DIR}/ is missing", False
        return f"{VARIABLES_INDEX} is missing", False
    if not any(name.startswith(VARIABLES_DATA_PREFIX) for name in gfile_io.listdir(variables)):
        return f"{VARIABLES_DIR}/{VARIABLES_DATA_PREFIX}* is missing", True
    return None, True


def _checkpoint_damage(module_path: str, saved_model: Any) -> tuple[str | None, bool]:
    """Returns (what is wrong with the checkpoint or None, whether a file is missing)."""
    missing, has_index = _checkpoint_files(module_path, saved_model)
    if missing is not None:
        return missing, True
    if not has_index:
        return None, False  # A model without variables.
    variables = os.path.join(module_path, VARIABLES_DIR)
    try:
        reader = gfile_io.checkpoint_reader(os.path.join(variables, VARIABLES_DIR))
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)  # Checks the tensor's length and crc32c.
    except errors.RetryTimeoutError:  # Its files' lookup: the server does not answer.
        raise
    except Exception as err:  # TensorFlow's OpError, IndexError, ValueError.
        if is_access_error(err):  # No access, a network failure: not the checkpoint's bytes.
            return None, False
        lines = str(err).strip().splitlines()
        reason = lines[0] if lines else type(err).__name__
        return f"its checkpoint in {VARIABLES_DIR}/ cannot be read ({escaped(reason)})", False
    return None, False


def missing_asset(module_path: str, meta_graphs: Iterable[Any]) -> str | None:
    """Which asset file the graphs `meta_graphs` name (a vocabulary, a tokenizer model) is not
    in the model's `assets/`, if any ("assets/vocab.txt is missing"): TensorFlow fails in the
    graph's initializer, naming a node rather than the model. The name comes from the model (a
    hostile archive's graph may name "x\\n\\x1b[2J"): it is shown escaped and cut short."""
    for meta_graph in meta_graphs:
        for filename in asset_filenames(meta_graph):
            if not gfile_io.exists(os.path.join(module_path, ASSETS_DIR, filename)):
                return f"{ASSETS_DIR}/{shown_asset_name(filename)} is missing"
    return None


def _expects_variables(variables: str, saved_model: Any) -> bool:
    """True if the model has variables: a file in `variables/`, a Saver, a variable of its
    object graph (TF2) or a variable op of its graph (a TF1 Hub module, which has no Saver)."""
    if gfile_io.is_dir(variables) and gfile_io.listdir(variables):
        return True
    for meta_graph in saved_model.meta_graphs:
        if meta_graph.saver_def.filename_tensor_name:
            return True
        if any(node.HasField("variable") for node in meta_graph.object_graph_def.nodes):
            return True
        if any(node.op in VARIABLE_OPS for node in meta_graph.graph_def.node):
            return True
    return False


def _installed_content_damage(module_path: str) -> str | None:
    """What differs from the install, for a cache entry whose manifest has content hashes."""
    if is_url(module_path) or cache.read_descriptor_handle(module_path) is None:
        return None
    problem, _ = cache.deep_damage(module_path)
    return None if problem is None else escaped(problem)  # It names the archive's files.
