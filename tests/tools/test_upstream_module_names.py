"""The tools run as `python -m` (where console scripts are not on PATH) under tfhub's names and
upstream's module names, and upstream's Python API module name gives the same objects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


TOOLS_DOC = Path(__file__).parents[2] / "docs" / "tools.md"
# The public names of tensorflow_hub 0.10.0's make_image_classifier_lib.py.
UPSTREAM_LIB_NAMES = (
    "HParams",
    "NoStrategy",
    "build_model",
    "get_default_hparams",
    "get_default_image_dir",
    "get_distribution_strategy",
    "make_image_classifier",
    "train_model",
)
# Names in backquotes in the doc's "Python API" prose that are not the library's.
NOT_LIBRARY_NAMES = {
    "make_image_classifier_lib": "the module itself",
    "say": "a parameter",
    "tfhub": "the logger",
    "AccuracyError": "tfhub.errors",
}


@pytest.mark.tf
def test_upstreams_lib_module_gives_the_packages_objects() -> None:
    import tfhub.tools.make_image_classifier as package
    from tfhub.tools.make_image_classifier import make_image_classifier_lib as lib

    assert sorted(lib.__all__) == sorted(package.__all__)  # As docs/tools.md says.
    for name in package.__all__:
        if name != "make_image_classifier":
            assert getattr(lib, name) is getattr(package, name), name
    for name in UPSTREAM_LIB_NAMES:
        assert hasattr(lib, name), name
    # The package's name is upstream's module of that name (FLAGS, main), callable as the
    # function: the same training.
    assert callable(package.make_image_classifier) and hasattr(
        package.make_image_classifier, "FLAGS"
    )
    assert lib.make_image_classifier.__module__ == "tfhub.tools.make_image_classifier.lib"


def _python_api_names(doc: str) -> tuple[set[str], set[str]]:
    """The names docs/tools.md gives as make_image_classifier's Python API: those used as
    `mic.NAME` (the package) or `make_image_classifier_lib.NAME` anywhere, and those in
    backquotes (`NAME` or `NAME(...)`) in the "Python API" prose; then the `lib.NAME` there."""
    start = doc.index("### Python API")
    prose = doc[start : doc.index("Upstream's program module works", start)]
    used = set(re.findall(r"\b(?:mic|make_image_classifier_lib)\.(\w+)", doc))
    quoted = set(re.findall(r"`(\w+)(?:\([^`]*\))?`", prose)) - set(NOT_LIBRARY_NAMES)
    return used | quoted, set(re.findall(r"`lib\.(\w+)`", prose))


@pytest.mark.tf
def test_every_name_the_docs_give_the_lib_module_exists() -> None:
    """docs/tools.md says `make_image_classifier_lib` holds the package's objects and described
    `train_and_export(...)` among them; the module lacked it (an AttributeError)."""
    from tfhub.tools.make_image_classifier import lib as tfhub_lib
    from tfhub.tools.make_image_classifier import make_image_classifier_lib as lib

    names, tfhub_lib_names = _python_api_names(TOOLS_DOC.read_text(encoding="utf-8"))
    assert {"train_and_export", "Outputs", "assert_accuracy", "HParams"} <= names
    assert sorted(name for name in names if not hasattr(lib, name)) == []
    assert tfhub_lib_names == {"load_module", "train_on_module"}
    assert all(hasattr(tfhub_lib, name) for name in tfhub_lib_names)
