"""benchmarks/bench_image_classifier.py's tfhub side still runs the tool's own code and reads
what it reports: one time per epoch from the tool's progress lines, the set-up mark, the
training-set size. No timing is asserted (speed is the benchmark's job, not a test's)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests._helpers import image_sets
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf, pytest.mark.slow]

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "bench_image_classifier.py"
# `python SCRIPT ARGS...` for `-c` code given SCRIPT ARGS...: argv and sys.path[0] as Python sets.
_AS_SCRIPT = """
import os, runpy, sys
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(sys.argv[0])
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_the_tfhub_side_reports_every_epoch_of_the_tools_own_training(
    forks: ForkServer, tmp_path: Path, image_modules: dict[str, str]
) -> None:
    images = tmp_path / "images"
    image_sets.make_image_folder(
        images, classes=("circle", "square"), per_class=10, sizes=((40, 40),), formats=("jpg",)
    )
    module = image_modules["fixed"]  # The session's (32x32, 8 features), read only.
    # The script's child side as `python BENCHMARK --child ...` runs it, in a process forked
    # from the tools' warm server (TensorFlow imported): its timings start after its module
    # loads, so they do not include TensorFlow's import either way.
    argv = [os.fspath(BENCHMARK), "--child", "tfhub", os.fspath(images), module, "3"]
    done = forks.run(_AS_SCRIPT, *argv, env=child_env(TF_USE_LEGACY_KERAS="0"), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["epoch_seconds"]) == len(result["epoch_cpu_seconds"]) == 3
    assert all(seconds > 0 for seconds in result["epoch_seconds"])
    # The set-up mark ("Found ... classes") comes before the first epoch ends.
    assert 0 < result["setup_seconds"] < result["epoch_seconds"][0]
    assert result["train_images"] == 16  # 2 classes x 10 images, 20% of each held out.
    assert result["bottlenecks"] is True
    assert 0.0 <= result["val_accuracy"] <= 1.0
