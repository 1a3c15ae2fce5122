"""`tfhub pack`, `publish` and `mirror` without TensorFlow say "missing dependency" and exit 8, as
`inspect` does (review49b-F2: they said the model "does not load as a model ... fix or re-export
it", exit 1, of a model that was fine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "src" / "tfhub" / "data" / "half_plus_two_v1.tar.gz"
DOC = ["--task", "text-embedding", "--license", "apache-2.0", "--description", "x"]


@pytest.mark.parametrize(
    "argv",
    [
        ["pack", "{model}", "-o", "{tmp}/m.tar.gz"],
        ["publish", "{model}", "{tmp}/hub", "--handle", "a/b/1", *DOC],
        ["publish", str(ARCHIVE), "{tmp}/hub", "--handle", "a/b/1", *DOC],
        ["mirror", "{model}", "{tmp}/hub", "--as", "a/b/1", *DOC],
    ],
    ids=["pack", "publish-folder", "publish-archive", "mirror"],
)
def test_commands_that_check_a_model_need_tensorflow_and_say_so(argv, upstream_dir, tmp_path):
    code = (
        "import sys\nsys.modules['tensorflow'] = None  # As if not installed.\n"
        "from tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    model = upstream_dir / "tf2_saved_model"
    argv = [arg.format(model=model, tmp=tmp_path) for arg in argv]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=child_env(TFHUB_CACHE_DIR=str(tmp_path / "cache")),
        timeout=120,
    )
    assert done.returncode == 8, done.stderr
    assert done.stderr.startswith("tfhub: missing dependency: "), done.stderr
    assert "'tensorflow'" in done.stderr and "[tf]" in done.stderr, done.stderr
    assert "re-export" not in done.stderr and "no loadable model" not in done.stderr
    assert not (tmp_path / "m.tar.gz").exists()
    assert not list(tmp_path.glob("hub/**/saved_model.pb"))
