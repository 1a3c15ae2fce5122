"""The tools run as `python -m` (where console scripts are not on PATH) under tfhub's names and
upstream's module names, and upstream's Python API module name gives the same objects."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests._helpers.python_process import child_env


@pytest.mark.parametrize(
    ("module", "usage"),
    [
        ("tfhub", "usage: tfhub "),
        ("tfhub.tools.make_image_classifier", "usage: make_image_classifier "),
        (
            "tfhub.tools.make_image_classifier.make_image_classifier",
            "usage: make_image_classifier ",
        ),
        ("tfhub.tools.make_nearest_neighbour_index", "usage: make_nearest_neighbour_index "),
        (
            "tfhub.tools.make_nearest_neighbour_index.make_nearest_neighbour_index",
            "usage: make_nearest_neighbour_index ",
        ),
        ("tfhub.tools.module_search", "usage: tfhub-module-search "),
        ("tfhub.tools.module_search.search", "usage: tfhub-module-search "),
    ],
)
def test_python_dash_m_runs_the_command(module: str, usage: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(usage)


@pytest.mark.tf
def test_upstreams_lib_module_gives_the_packages_objects() -> None:
    import tfhub.tools.make_image_classifier as package
    from tfhub.tools.make_image_classifier import make_image_classifier_lib as lib

    for name in lib.__all__:
        if name != "make_image_classifier":
            assert getattr(lib, name) is getattr(package, name), name
    # The package's name is upstream's module of that name (FLAGS, main), callable as the
    # function: the same training.
    assert callable(package.make_image_classifier) and hasattr(
        package.make_image_classifier, "FLAGS"
    )
    assert lib.make_image_classifier.__module__ == "tfhub.tools.make_image_classifier.lib"
