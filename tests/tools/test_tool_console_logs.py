"""The tools' console scripts keep TensorFlow's C++ start-up lines (CUDA, cuInit, CPU features)
off stderr, as the `tfhub` command does: an error is one line, progress is tfhub's own lines."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfhub.utils import lazy

# (the console script's module, its arguments, whether TensorFlow's lines are hidden)
CASES = [
    ("tfhub.tools.make_image_classifier.cli", ["--image_dir", "images"], True),
    ("tfhub.tools.make_image_classifier.cli", ["-v", "--image_dir", "images"], False),
    (
        "tfhub.tools.make_nearest_neighbour_index.cli",
        ["query", "--module_url", "m", "--index_output_dir", "i"],
        True,
    ),
    ("tfhub.tools.module_search.cli", ["--dataset", "images", "--module", "m"], True),
]


@pytest.mark.parametrize(("module", "argv", "quiet"), CASES)
def test_console_scripts_hide_tensorflow_start_up_lines_while_they_run(
    module: str, argv: list[str], quiet: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = importlib.import_module(module)
    seen = {}

    def run(*args: object) -> int:
        seen["level"] = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
        seen["native"] = lazy._quiet_native_logs
        return 0

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.setattr(cli, "run", run)
    assert cli.main(argv) == 0
    assert seen == ({"level": "3", "native": True} if quiet else {"level": None, "native": False})
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ and not lazy._quiet_native_logs


def test_the_users_log_level_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from tfhub.tools.module_search import cli

    seen = []
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    monkeypatch.setattr(cli, "run", lambda args: seen.append(os.environ["TF_CPP_MIN_LOG_LEVEL"]))
    assert cli.main(["--dataset", "images", "--module", "m"]) == 0
    assert seen == ["0"] and os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


@pytest.mark.tf
def test_an_error_after_tensorflow_loads_is_one_line(shape_images: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    missing = tmp_path / "no_module"
    argv = ["--image_dir", str(shape_images), "--tfhub_module", str(missing)]
    done = subprocess.run(
        [sys.executable, "-m", "tfhub.tools.make_image_classifier.cli", *argv],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfhub: "), done.stderr
    assert str(missing) in lines[0] and "tfhub_module" in lines[0]
