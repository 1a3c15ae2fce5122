"""Optional dependencies (TensorFlow, Keras, the hub server's, the tools'), imported on first use
with an install hint that names the extra providing them.

The convention for the whole package (Keras's `keras/src/utils/module_utils.py` pattern):

    from ..utils.lazy import tensorflow as tf

at the top of a module, then `tf.xxx` anywhere. `tf` is a `LazyModule`: the first attribute
access imports TensorFlow (or raises an ImportError that says how to install it), so importing
the module costs nothing. Modules that subclass TensorFlow or Keras classes at import time (the
Keras layers, the feature columns) import those packages directly and are themselves imported
only on first use (see `tfhub/__init__.py`). Private TensorFlow/Keras APIs are reached only
through `tfhub._tf_private`.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import json
import os
import sys

from .. import errors
from . import collector, native_stderr

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable, Iterator
    from types import ModuleType
    from typing import Any


def package_getattr(
    package: str, exports: dict[str, str], submodules: frozenset[str]
) -> Callable[[str], Any]:
    """A package's module `__getattr__` (PEP 562) that loads its names on first use: a name of
    `exports` from the submodule it maps to (then kept in the package, so asked once), a name
    of `submodules` as that submodule; AttributeError for any other name (Python's protocol).

    Args:
        package: the package's `__name__` (its module object exists while it runs).
        exports: public name -> the submodule (of `package`) that defines it.
        submodules: the submodules the package gives by name.
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name in exports:
            value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def install_command(extra: str = "tf") -> str:
    """Returns the pip command that installs tfhub's `extra`, for how tfhub was installed.

    A source checkout (`<root>/src/tfhub` next to `<root>/pyproject.toml`: an editable install
    or PYTHONPATH) gets `pip install -e "<root>[extra]"`, because `tfhub[extra]` names a
    distribution pip would look for on the index; an installed wheel gets `pip install
    "tfhub[extra]"`.
    """
    from pathlib import Path  # Only here, on the way to an error: `pathlib` costs ~4 ms.

    package_dir = Path(__file__).resolve().parents[1]
    root = package_dir.parents[1]
    if package_dir.parent.name == "src" and (root / "pyproject.toml").is_file():
        return f'pip install -e "{root}[{extra}]"'
    return f'pip install "tfhub[{extra}]"'


# Which extra of pyproject.toml installs each optional module (top-level name -> extra);
# tests/test_optional_dependencies.py checks this table against pyproject.toml.
EXTRA_OF_MODULE = {
    "tensorflow": "tf",
    "keras": "tf",
    "tf_keras": "tf",
    "starlette": "hub",
    "uvicorn": "hub",
    "granian": "hub",
    "jinja2": "hub",
    "markdown_it": "hub",
    "nh3": "hub",
    "yaml": "hub",
    "tensorboard": "make_image_classifier",
    "apache_beam": "tools",
    "annoy": "tools",
    "hnswlib": "tools",
}
# Optional modules no extra installs (measured alternatives): module -> pip distribution.
PIP_NAME_OF_MODULE = {"absl": "absl-py", "faiss": "faiss-cpu", "usearch": "usearch"}


def install_hint(module_name: str) -> tuple[str, str]:
    """Returns (the sentence that says how to install `module_name`, the command alone)."""
    top = module_name.split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        command = f"pip install {PIP_NAME_OF_MODULE.get(top, top.replace('_', '-'))}"
        return f"Install it with: {command}", command
    command = install_command(extra)
    if extra == "tf":
        return f"Install TensorFlow 2.21, Keras and tf_keras with: {command}", command
    return f"Install tfhub's {extra!r} extra with: {command}", command


_NATIVE_LOGGING = ("tensorflow", "keras", "tf_keras")
# What Python's `tempfile` says when no temporary folder is writable.
_NO_TEMP_FOLDER = "No usable temporary directory"
_quiet_native_logs = False


def quiet_native_logs(quiet: bool) -> None:
    """Asks that TensorFlow's C++ start-up messages be hidden when it is first imported.

    The `tfhub` command sets this unless `-v`: TensorFlow prints CUDA and CPU-feature lines to
    the process's stderr (file descriptor 2) while importing, before any Python logging.
    """
    global _quiet_native_logs
    _quiet_native_logs = quiet


@contextlib.contextmanager
def _native_stderr_silenced(module_name: str) -> Iterator[None]:
    if not _quiet_native_logs or module_name.split(".")[0] not in _NATIVE_LOGGING:
        yield
        return
    if "tensorflow" in sys.modules:
        yield
        return
    with open(os.devnull, "w") as devnull, native_stderr.redirected(devnull.fileno()):
        yield


def import_optional(module_name: str, *, purpose: str) -> ModuleType:
    """Imports `module_name`, or raises an ImportError that says how to install it.

    Args:
        module_name: dotted module name, e.g. "tensorflow".
        purpose: what the caller needs it for, quoted in the error.

    Returns:
        The imported module.

    Raises:
        tfhub.errors.MissingDependencyError: (an ImportError) if the module cannot be imported;
            the message says what to run (to raise the limit of open files, not to install,
            if its import failed for want of a file descriptor: `no_descriptor_errno`).
        tfhub.errors.TempFolderError: (a FileNotFoundError) its import needs a temporary folder
            and none is writable (TensorFlow's does); the message says to set TMPDIR.
    """
    try:
        with _native_stderr_silenced(module_name):
            return collector.paused(lambda: importlib.import_module(module_name))
    except FileNotFoundError as err:
        reason = str(err.strerror)
        if not reason.startswith(_NO_TEMP_FOLDER):
            raise
        # TensorFlow's import asks absl's test helpers for their folder, which asks Python.
        needer = f"{purpose} needs {module_name!r}, whose import"
        raise errors.TempFolderError.none_writable(needer, reason) from err
    except ImportError as err:
        if no_descriptor_errno(err) is not None:  # Installed; no descriptor to load it with.
            raise errors.MissingDependencyError(
                f"{purpose} needs the package {module_name!r}, whose import failed for want of "
                f"a file descriptor ({err}): {_no_descriptor_advice(err)}, then run again.",
                module=module_name,
            ) from err
        hint, command = install_hint(module_name)
        shadows = _shadowing_files(err)
        package = _keras_backend_missing(module_name, err)
        if package is not None:  # Keras is installed; the backend it was told to use is not.
            hint = (
                f"Keras 3 imports the backend it is set to, {_keras_backend_needing(package)}, "
                f"which is not installed: {_keras_backend_source()} names it. tfhub runs "
                "SavedModels on TensorFlow: set KERAS_BACKEND=tensorflow before Python starts "
                "(or in keras.json)."
            )
        elif shadows:  # Installed, but a file of the current folder hides a module it imports.
            hint = (
                f"The current folder holds {', '.join(shadows)}, named like Python's own "
                "module(s), which it hides: rename it, or run from another folder."
            )
        raise errors.MissingDependencyError(
            f"{purpose} needs the package {module_name!r}, which cannot be imported ({err}). "
            f"{hint}",
            module=module_name,
            command=command,
        ) from err


def no_descriptor_errno(err: BaseException) -> int | None:
    """EMFILE or ENFILE if `err` is an ImportError for want of a file descriptor (a C
    extension that the dynamic loader could not open: "cannot open shared object file: Too
    many open files"), else None."""
    if not isinstance(err, ImportError):
        return None
    text = str(err)
    if "Too many open files in system" in text:
        return errno.ENFILE
    return errno.EMFILE if "Too many open files" in text else None


def _no_descriptor_advice(err: ImportError) -> str:
    """Why no descriptor was left and what to do (`utils.open_files`'s wording, if that module
    is loaded: the CLI loads it at start; importing it now would need a descriptor too)."""
    open_files = sys.modules.get("tfhub.utils.open_files")
    err_no = no_descriptor_errno(err)
    if open_files is None:
        return (
            "this process (or the system) has as many files open as its limit allows. Raise "
            "that limit (`ulimit -n`) or close files the program leaves open"
        )
    return f"{open_files.no_descriptor_cause(err_no)}. {open_files.no_descriptor_remedy(err_no)}"


# The packages Keras 3 imports for its other backends (the numpy one imports jax): a missing
# one fails `import keras`.
_KERAS_BACKEND_PACKAGES = {"jax": "jax", "jaxlib": "jax", "torch": "torch", "openvino": "openvino"}


def _keras_backend_missing(module_name: str, err: ImportError) -> str | None:
    """The package of a Keras backend that `err` says is missing when importing Keras, or
    None."""
    if module_name.split(".")[0] != "keras" or not err.name:
        return None
    return _KERAS_BACKEND_PACKAGES.get(err.name.split(".")[0])


def _keras_backend_needing(package: str) -> str:
    """The backend Keras is set to, as the error names it: `package` itself ("jax"), or the
    backend and the package it needs ("numpy, which needs jax"). `package` alone if the
    setting cannot be read."""
    backend = _keras_backend_setting()
    if backend is None or backend == package:
        return package
    return f"{backend}, which needs {package}"


def _keras_backend_setting() -> str | None:
    """The backend Keras reads (as `_keras_backend_source` says where), or None if unreadable."""
    value = os.environ.get("KERAS_BACKEND")
    if value:
        return value
    try:
        with open(_keras_config_path(), encoding="utf-8") as file:
            config = json.load(file)
    except (OSError, ValueError):
        return None
    backend = config.get("backend") if isinstance(config, dict) else None
    return backend if isinstance(backend, str) else None


def _keras_backend_source() -> str:
    """Where Keras read its backend from: the environment variable, else its config file."""
    value = os.environ.get("KERAS_BACKEND")
    if value:
        return f"KERAS_BACKEND={value}"
    return f'"backend" in {_keras_config_path()}'


def _keras_config_path() -> str:
    """The keras.json Keras 3 reads (keras/src/backend/config.py): in KERAS_HOME if set, even
    to "" (the working directory), else in ~/.keras, or /tmp/.keras if home is not writable."""
    home = os.environ.get("KERAS_HOME")
    if home is None:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    return os.path.expanduser(os.path.join(home, "keras.json"))


def _shadowing_files(err: ImportError) -> list[str]:
    """The files of the current folder, named like a standard-library module (`http.py`), that
    hide it and took part in `err`: it names one, or its traceback runs through one. Only when
    the current folder comes first on sys.path (`python -c`, the REPL)."""
    first = sys.path[0] if sys.path else None
    try:
        cwd = os.getcwd()
        if first is None or (first and os.path.abspath(first) != cwd):
            return []
        names = os.listdir(cwd)
    except OSError:
        return []
    stdlib = sys.stdlib_module_names
    hiding = {name[:-3]: name for name in names if name.endswith(".py") and name[:-3] in stdlib}
    involved = {err.name.split(".")[0]} if err.name else set()  # "http.client": http.py.
    traceback = err.__traceback__
    while traceback is not None:
        path = traceback.tb_frame.f_code.co_filename
        if os.path.dirname(os.path.abspath(path)) == cwd:
            involved.add(os.path.basename(path)[:-3])
        traceback = traceback.tb_next
    if err.path and os.path.dirname(os.path.abspath(err.path)) == cwd:
        involved.add(os.path.basename(err.path)[:-3])
    return sorted(hiding[name] for name in involved if name in hiding)


def require(*module_names: str, purpose: str) -> None:
    """Imports each of `module_names` now, so a missing one is reported before any work starts.

    Once one is missing, the others are only looked for (not imported), so that one error
    names every missing module and one command installs them all.

    Raises:
        tfhub.errors.MissingDependencyError: for the first module that cannot be imported;
            its message and `command` cover the other missing ones too.
        tfhub.errors.TempFolderError: a module's import needs a temporary folder and none is
            writable (see `import_optional`).
    """
    first: errors.MissingDependencyError | None = None
    others: list[str] = []
    for name in module_names:
        if first is None:
            try:
                import_optional(name, purpose=purpose)
            except errors.MissingDependencyError as err:
                first = err
        elif not _findable(name):
            others.append(name)
    if first is None:
        return
    if not others:
        raise first
    missing = [first.module, *others]
    command = _install_all(missing)
    names = ", ".join(repr(name) for name in missing)
    raise errors.MissingDependencyError(
        f"{purpose} needs the packages {names}, which cannot be imported (the first: "
        f"{first.__cause__}). Install them with: {command}",
        module=first.module,
        command=command,
    ) from first


def _findable(module_name: str) -> bool:
    """Whether `module_name`'s top-level package could be imported (looked for, not imported:
    `find_spec` of a dotted name would import its parent)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module_name.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def _install_all(module_names: list[str]) -> str:
    """One command for the extras of `module_names` (and the pip packages of the others)."""
    tops = [name.split(".")[0] for name in module_names]
    extras = sorted({EXTRA_OF_MODULE[top] for top in tops if top in EXTRA_OF_MODULE})
    commands = [install_command(",".join(extras))] if extras else []
    commands += [install_hint(top)[1] for top in tops if top not in EXTRA_OF_MODULE]
    return " && ".join(commands)


def import_tensorflow(purpose: str = "This tfhub feature") -> ModuleType:
    """Returns the `tensorflow` module, imported on first use.

    Raises:
        ImportError: if TensorFlow is not installed.
    """
    return import_optional("tensorflow", purpose=purpose)


class LazyModule:
    """A module that is imported when one of its attributes is first read.

    Args:
        name: the module's dotted name.
        purpose: what tfhub needs it for, quoted in the ImportError if it is missing.
    """

    def __init__(self, name: str, *, purpose: str) -> None:
        self._name = name
        self._purpose = purpose
        self._module: ModuleType | None = None

    def initialize(self) -> ModuleType:
        """Imports the module (once) and returns it.

        Raises:
            ImportError: if the module is not installed (with an install hint).
        """
        if self._module is None:
            self._module = import_optional(self._name, purpose=self._purpose)
        return self._module

    def __getattr__(self, name: str) -> Any:
        return getattr(self.initialize(), name)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<LazyModule {self._name!r} ({state})>"


tensorflow = LazyModule("tensorflow", purpose="This tfhub feature")
tf_keras = LazyModule("tf_keras", purpose="tfhub's tf_keras support")
