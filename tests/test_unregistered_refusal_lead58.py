"""`gfile_io.refuse_unregistered`: a scheme registered while it asks, and a local path.

Its check asks TensorFlow's registry first, then `tf.io.gfile.stat` for TensorFlow's own words;
a file system registered between the two (another thread importing tensorflow-io) made the
stat succeed, and the refusal then raised a bare UnboundLocalError. A local path asked
TensorFlow's registry (importing TensorFlow) though its docstring promised it asks nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.tf
def test_a_scheme_registered_meanwhile_is_not_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    tf = pytest.importorskip("tensorflow")
    from tfhub.gfile_io import _requests

    path = "ram://lead58/registered-meanwhile.txt"
    with tf.io.gfile.GFile(path, "w") as file:
        file.write("x")
    asked = []
    # The registry's first answer says "not registered", as it did before the race.
    monkeypatch.setattr(_requests, "_is_registered", lambda scheme: asked.append(scheme) or False)
    assert _requests.refuse_unregistered(path) is None
    assert asked == ["ram"]


def test_a_local_path_imports_no_tensorflow() -> None:
    code = (
        "import sys\n"
        "from tfhub.gfile_io._requests import refuse_unregistered\n"
        "refuse_unregistered('/tmp/some/local/path')\n"
        "refuse_unregistered('relative/path')\n"
        "print('tensorflow' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False", done.stderr[-2000:]
