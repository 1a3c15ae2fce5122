"""`tfhub demo`: the main job, offline, on the small model that ships with the package.

Steps (each prints what it did; append more to `STEPS`):
  1. serve the bundled TF1 Hub module from a temporary folder over HTTP on 127.0.0.1,
     speaking the hosting protocol (`?tf-hub-format=compressed`);
  2. resolve its URL into a fresh, temporary cache and show the cache entry;
  3. inspect it (format, signatures, variables);
  4. `hub.load` it and run its `default` signature on [[1], [2], [10]];
  5. wrap it in `hub.KerasLayer` inside a Keras 3 model, predict, save the model to `.keras`,
     load it back with `keras.saving.load_model` (no custom_objects) and predict again;
  6. apply it with `hub.Module` in a TF1 graph and run it in a Session.
The server is stopped and every temporary file removed at the end, even after an error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TextIO

from .. import cache, constants, errors
from ..help_text import environment
from ..hub import APP_MODULES
from ..utils.lazy import import_optional, import_tensorflow, require
from ._parsers import add_documented_parser

BUNDLED_MODEL = "half_plus_two_v1.tar.gz"
MODEL_URL_PATH = "models/tfhub-demo/half_plus_two/1"
DEMO_INPUT = [[1.0], [2.0], [10.0]]
DEMO_EXPECTED = [[2.5], [3.0], [7.0]]
INTRO = (
    "tfhub demo: the model bundled with tfhub, half_plus_two (y = x/2 + 2; upstream's TF1 Hub\n"
    "test module), served by a local HTTP server on 127.0.0.1 and used the ways a TensorFlow\n"
    "Hub user would. No network needed. Each way must turn the input\n"
    f"{DEMO_INPUT} into {DEMO_EXPECTED}."
)


@dataclass
class DemoContext:
    """What the steps share: the output stream, folders, the server, and results so far."""

    out: TextIO
    workdir: str
    stack: contextlib.ExitStack
    handle: str = ""
    module_path: str = ""
    results: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


Step = tuple[str, Callable[[DemoContext], None]]


# What the steps import beyond tfhub: the hub server (step 1), TensorFlow and Keras; checked in
# this order (the light ones first). `./run demo` installs the extras that provide them
# (tests/test_optional_dependencies.py).
REQUIRED_MODULES = (*APP_MODULES, "uvicorn", "tensorflow", "keras")


def bundled_model_path() -> str:
    """Returns the path of the model archive shipped in the package."""
    return str(resources.files("tfhub") / "data" / BUNDLED_MODEL)


def step_serve(ctx: DemoContext) -> None:
    """Copies the bundled archive into a served folder and starts the server."""
    from ..server import serve_models

    served = os.path.join(ctx.workdir, "served")
    target = os.path.join(served, MODEL_URL_PATH + ".tar.gz")
    os.makedirs(os.path.dirname(target))
    shutil.copyfile(bundled_model_path(), target)
    server = ctx.stack.enter_context(serve_models(served))
    ctx.handle = server.url(MODEL_URL_PATH)
    ctx.say(f"serving {served} at {server.url()} (hosting protocol)")
    ctx.say(f"handle: {ctx.handle}")


def step_resolve(ctx: DemoContext) -> None:
    """Resolves the handle into the fresh cache and shows the entry."""
    import tfhub as hub

    ctx.module_path = hub.resolve(ctx.handle)
    ctx.say(f"resolved folder: {ctx.module_path}")
    item = cache.entry(ctx.module_path)
    ctx.say(f"cache entry: {item.name} ({item.size} bytes) in {os.path.dirname(item.path)}")
    ctx.say(f"  handle in descriptor: {item.handle}; downloaded at {item.download_time}")
    ctx.say(f"  files: {sorted(cache.list_files(ctx.module_path))}")


def step_inspect(ctx: DemoContext) -> None:
    """Prints what `tfhub inspect` prints for the resolved model."""
    from .inspect import describe, format_text

    ctx.say(format_text(describe(ctx.module_path)))


def step_load_and_run(ctx: DemoContext) -> None:
    """Loads the model with hub.load and runs its `default` signature."""
    import tfhub as hub

    tf = import_tensorflow("tfhub demo")
    model = hub.load(ctx.handle)
    outputs = model.signatures["default"](default=tf.constant(DEMO_INPUT))
    result = outputs["default"].numpy().tolist()
    ctx.results["load"] = result
    ctx.say(f"hub.load(handle).signatures['default'](default={DEMO_INPUT}) -> {result}")
    _check_result("hub.load", result)


def _check_result(what: str, result: list[list[float]]) -> None:
    """Raises if a step computed something other than the demo model's known outputs."""
    if result != DEMO_EXPECTED:
        raise errors.TFHubError(f"{what} computed {result}, expected {DEMO_EXPECTED}.")


def step_keras_layer(ctx: DemoContext) -> None:
    """Runs the model as a hub.KerasLayer in Keras 3, saves to .keras, reloads, predicts again.

    The layer is the Keras 3 one (`tfhub.keras.layer.KerasLayer`) whatever TF_USE_LEGACY_KERAS
    says: set to 1 (for other code), it makes `hub.KerasLayer` the tf_keras layer, which a
    Keras 3 model refuses.
    """
    import numpy as np

    from ..keras import keras_layer_class

    keras = import_optional("keras", purpose="tfhub demo")
    inputs = keras.Input(shape=(1,), dtype="float32")
    outputs = keras_layer_class("keras3")(ctx.handle, output_shape=[1])(inputs)
    model = keras.Model(inputs, outputs)
    result = np.round(model.predict(np.array(DEMO_INPUT), verbose=0), 6).tolist()
    ctx.results["keras"] = result
    ctx.say(f"keras.Model(hub.KerasLayer(handle)).predict({DEMO_INPUT}) -> {result}")
    _check_result("hub.KerasLayer", result)
    saved = os.path.join(ctx.workdir, "half_plus_two.keras")
    model.save(saved)
    reloaded = keras.saving.load_model(saved)
    again = np.round(reloaded.predict(np.array(DEMO_INPUT), verbose=0), 6).tolist()
    ctx.results["keras_reloaded"] = again
    ctx.say(f"saved to {os.path.basename(saved)}, keras.saving.load_model(...).predict -> {again}")
    _check_result("The reloaded .keras model", again)


def step_tf1_module(ctx: DemoContext) -> None:
    """Applies the model with hub.Module in a TF1 graph and runs it in a Session."""
    import tfhub as hub

    tf = import_tensorflow("tfhub demo")
    with tf.Graph().as_default():
        module = hub.Module(ctx.handle)
        outputs = module(tf.constant(DEMO_INPUT))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            result = session.run(outputs).tolist()
    ctx.results["module"] = result
    ctx.say(f"hub.Module(handle)({DEMO_INPUT}) in a tf.Graph + Session -> {result}")
    _check_result("hub.Module", result)


STEPS: list[Step] = [
    ("serve the bundled model over HTTP", step_serve),
    ("resolve it into a fresh cache", step_resolve),
    ("inspect it", step_inspect),
    ("hub.load it and run it", step_load_and_run),
    ("hub.KerasLayer in a Keras 3 model: predict, save .keras, reload", step_keras_layer),
    ("hub.Module in a TF1 graph", step_tf1_module),
]


def _fresh_cache(path: str) -> contextlib.AbstractContextManager[None]:
    """Makes tfhub use the cache `path`, with TFHUB_OFFLINE off and the default load format
    (the demo serves archives), in this thread while the block runs.

    `os.environ` is left alone: other threads and subprocesses keep the user's settings.
    """
    return constants.overrides(
        {
            constants.TFHUB_CACHE_DIR: path,
            constants.TFHUB_OFFLINE: None,
            constants.TFHUB_MODEL_LOAD_FORMAT: "AUTO",
        }
    )


def _check_temp_folder() -> None:
    """Refuses a temporary folder whose path is not UTF-8 before the demo makes anything there.

    TensorFlow opens files by UTF-8 names only, so the demo's model folder there could not be
    read (the demo ended at its third step with "surrogates not allowed").

    Raises:
        tfhub.errors.SettingError: the temporary folder's path is not UTF-8.
        tfhub.errors.TempFolderError: there is no writable temporary folder (a read-only root
            file system).
    """
    try:
        folder = tempfile.gettempdir()
    except FileNotFoundError as err:  # Python tried TMPDIR, /tmp, /var/tmp, ... and the cwd.
        raise errors.TempFolderError.none_writable(
            "tfhub demo", err.args[-1], then="TMPDIR=~/tmp tfhub demo"
        ) from err
    try:
        folder.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(folder).decode("utf-8", "backslashreplace")
        raise errors.SettingError(
            f"The temporary folder {shown} has a path that is not UTF-8, and TensorFlow opens "
            "files by UTF-8 names only: the demo's model could not be read there. Set TMPDIR to "
            f"a folder whose path is UTF-8 (`TMPDIR=/tmp tfhub demo`). Received: TMPDIR={shown}",
            name="TMPDIR",
        ) from None


def run_demo(*, steps: list[Step] | None = None, out: TextIO | None = None) -> DemoContext:
    """Runs the demo steps in order, then stops the server and removes every temporary file.

    Args:
        steps: the steps to run (default: `STEPS`).
        out: where to print (default: stdout).

    Returns:
        The context, with `handle`, `module_path` and `results` filled in.

    Raises:
        tfhub.errors.MissingDependencyError: a module the default steps import is missing:
            the hub server's (`APP_MODULES`), uvicorn, TensorFlow or Keras (checked before
            any step; one error names every missing one).
        tfhub.errors.SettingError: the temporary folder's path (TMPDIR) is not UTF-8.
        tfhub.errors.TempFolderError: no temporary folder is writable.
    """
    _check_temp_folder()  # First: TensorFlow's import itself needs a temporary folder.
    if steps is None:  # Every dependency the steps need, checked before the first step.
        require(*REQUIRED_MODULES, purpose="tfhub demo")
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="tfhub-demo-"))
        stack.enter_context(_fresh_cache(os.path.join(workdir, "cache")))
        ctx = DemoContext(out=out or sys.stdout, workdir=workdir, stack=stack)
        ctx.say(INTRO)
        for number, (title, step) in enumerate(steps or STEPS, start=1):
            ctx.say(f"\n[{number}] {title}")
            step(ctx)
        ctx.say(
            f"\ndemo OK: hub.load, hub.KerasLayer (saved and reloaded) and hub.Module all "
            f"computed {DEMO_EXPECTED};\n"
            "stopping the server and removing the temporary cache."
        )
    return ctx


def add_commands(commands: Any) -> None:
    """Adds `tfhub demo` to the `tfhub` parser."""
    parser = add_documented_parser(
        commands,
        "demo",
        description="Serve the model shipped with tfhub (half_plus_two, TF1 Hub format) over "
        "HTTP on 127.0.0.1, resolve it into a temporary cache, inspect it, run it with "
        "hub.load, hub.KerasLayer in Keras 3 (saved to .keras and loaded back) and hub.Module "
        "in a TF1 graph; then stop the server and remove every temporary file. Offline.",
        examples="  tfhub demo\n  tfhub demo -v      # TensorFlow's start-up lines too",
        environment=environment(
            constants.TF_CPP_MIN_LOG_LEVEL,
            constants.TFHUB_DEBUG,
            note="(TFHUB_CACHE_DIR, TFHUB_OFFLINE and TFHUB_MODEL_LOAD_FORMAT do not apply: "
            "the demo\nuses its own temporary cache.)",
        ),
    )
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Runs the demo."""
    run_demo()
    return 0
