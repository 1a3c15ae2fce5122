"""make_image_classifier's command leaves the objects alive at its exit uncollected (`gc.freeze`
as its last exit handler: TensorFlow's and Keras' objects made the exit's collections cost
~1 s of CPU after a run), however the run ends; the library's functions leave the process's
garbage collector alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf]

# The observer is registered first, so it runs last (atexit runs its handlers in reverse):
# it sees what the interpreter's collections at exit would then see.
PROGRAM = """
    import atexit, gc, json, sys
    started = gc.get_freeze_count()
    atexit.register(lambda: print(json.dumps([code == 0, gc.get_freeze_count() > started])))
    from tfhub.tools.make_image_classifier import cli, get_default_hparams, lib
    from tfhub.tools.make_image_classifier.export import Outputs
    how, images, module, out = sys.argv[1:5]
    if how == "library":
        lib.train_and_export(module, images, get_default_hparams()._replace(train_epochs=1),
                             outputs=Outputs(saved_model_dir=out))
        code = 0
    else:
        code = cli.main(["--image_dir", images, "--tfhub_module", module, "--train_epochs", "1",
                         "--saved_model_dir", out])
"""


def _run(forks: ForkServer, *args: str) -> list[object]:
    """PROGRAM run with `args` in a forked process: what its exit handler printed last,
    [whether the run succeeded, whether objects were frozen at exit]."""
    done = forks.run(PROGRAM, *args, env=child_env())
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("how", "module", "expected"),
    [
        ("command", "fixed", [True, True]),  # Trained and exported, then frozen at exit.
        ("command", "missing", [False, True]),  # A failed run's exit is frozen too.
        ("library", "fixed", [True, False]),  # The library leaves the collector alone.
    ],
)
def test_command_exit_skips_collecting_objects(
    forks: ForkServer,
    hub_tool_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    how: str,
    module: str,
    expected: list[object],
) -> None:
    handle = image_modules["fixed"] if module == "fixed" else str(tmp_path / "no-such-module")
    out = tmp_path / "model"
    assert _run(forks, how, str(hub_tool_images), handle, str(out)) == expected
    assert (out / "saved_model.pb").is_file() == (module == "fixed")


def test_no_collection_at_exit_registers_once() -> None:
    """Called twice in one process, `gc.freeze` runs once at exit (a fresh interpreter)."""
    code = (
        "import atexit, gc\n"
        "from tfhub.tools.make_image_classifier import cli\n"
        "gc.freeze = lambda real=gc.freeze: (print('frozen'), real())\n"
        "cli.no_collection_at_exit()\n"
        "cli.no_collection_at_exit()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.splitlines() == ["frozen"]
