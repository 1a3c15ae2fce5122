"""tensorflow_hub 0.10.0, the contract, run on TensorFlow 2.21 in a child process.

The wheel comes from PyPI (fetched once into the user's cache, sha256-pinned; a test skips,
saying so, where PyPI cannot be reached). Its package `__init__` imports `tf.estimator`, which
TensorFlow 2.21 no longer has, so a test imports its modules through an `__init__` of its own;
its generated protobuf modules predate protobuf 4, so the child runs them with the pure-Python
protobuf implementation. The rest is upstream's code, unchanged (not kept in this repository).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env, run_python

UPSTREAM_VERSION = "0.10.0"
UPSTREAM_WHEEL = f"tensorflow_hub-{UPSTREAM_VERSION}-py2.py3-none-any.whl"
# PyPI's sha256 of that wheel: its code runs in the test, so only that file is accepted.
UPSTREAM_WHEEL_SHA256 = "6b0f4a5e4250445de352e4b171eaf1230df8d7be256f72cce0e5ce1268b4c335"

# What `import tensorflow_hub as hub` would import: `hub.__version__` and `hub.__file__`.
FOUND_VERSION = """
import importlib.util, os, runpy
spec = importlib.util.find_spec("tensorflow_hub")
version = runpy.run_path(os.path.join(spec.submodule_search_locations[0], "version.py"))
print(version["__version__"], spec.origin)
"""


def upstream_wheel() -> Path:
    """tensorflow_hub 0.10.0's wheel, downloaded from PyPI once into the user's cache."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tfhub-tests"
    wheel = cache / UPSTREAM_WHEEL
    if not wheel.is_file():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            + ["--only-binary=:all:", "--disable-pip-version-check", "-d", os.fspath(cache)]
            + [f"tensorflow-hub=={UPSTREAM_VERSION}"],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if done.returncode != 0 or not wheel.is_file():
            pytest.skip(
                f"needs {UPSTREAM_WHEEL} from PyPI once (into {cache}), and pip could not "
                f"fetch it: {done.stderr.strip()[-300:]}"
            )
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert digest == UPSTREAM_WHEEL_SHA256, (
        f"{wheel} is not PyPI's file (sha256 {digest}): remove it"
    )
    return wheel


def upstream_package(folder: Path, init: str) -> Path:
    """Extracts 0.10.0's `tensorflow_hub` package into `folder`, with `init` as its
    `__init__.py` (what a user of 0.10.0 imported, less what does not import on TF 2.21)."""
    with zipfile.ZipFile(upstream_wheel()) as wheel:
        members = [n for n in wheel.namelist() if n.startswith("tensorflow_hub/")]
        wheel.extractall(folder, members)
    (folder / "tensorflow_hub" / "__init__.py").write_text(init)
    return folder


def upstream_env(folder: Path, **extra: str) -> dict[str, str]:
    """A child's environment importing 0.10.0 from `folder` as `tensorflow_hub` (checked: a
    child finds the package there, and its version.py, which gives `hub.__version__`, says
    0.10.0; found, not imported, as importing it imports TensorFlow, ~5 s of CPU)."""
    env = child_env(PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="python", **extra)
    env["PYTHONPATH"] = os.pathsep.join([os.fspath(folder), env["PYTHONPATH"]])
    check = run_python(FOUND_VERSION, env=env)
    assert check.stdout.split()[0] == UPSTREAM_VERSION
    assert check.stdout.split()[1].startswith(os.fspath(folder))
    return env
