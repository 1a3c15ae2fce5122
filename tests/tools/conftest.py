"""Fixtures for the tools' tests: generated image folders and tiny image modules, built once per
test session (per xdist worker). Builders live in tests/_helpers/image_sets.py and
tests/_helpers/image_models.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers import image_models, image_sets
from tests.tools._one_child import ForkServer


@pytest.fixture(scope="session")
def shape_images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes (circle, square, triangle) x 20 images, 32x32 to 96x96, JPEG/PNG/BMP/GIF.

    Read-only: tests that add or break files copy it first.
    """
    root = tmp_path_factory.mktemp("shape_images") / "images"
    image_sets.make_image_folder(root, per_class=20, seed=1)
    return root


class _Modules(dict):
    """Builds each module on first use (building all of them costs seconds)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, name: str) -> str:
        path = os.fspath(self.root / name)
        if name == "fixed":
            built = image_models.save_image_feature_vector(path, image_size=(32, 32))
        elif name == "variable":
            built = image_models.save_image_feature_vector(path, image_size=None)
        elif name == "tf1":
            built = image_models.save_tf1_image_module(path, image_size=(32, 32))
        else:
            raise KeyError(name)
        self[name] = built
        return built


@pytest.fixture(scope="session")
def image_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Folders of tiny image feature-vector modules (8 features), built on first use, by name:

    "fixed": TF2, 32x32 input; "variable": TF2, any input size; "tf1": TF1 Hub module with an
    ImageModuleInfo of 32x32 and a variable-size input.
    """
    return _Modules(tmp_path_factory.mktemp("image_modules"))


@pytest.fixture(scope="session")
def text_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny TF2 text embedding (8 dimensions) for the nearest-neighbour tool's tests."""
    from tests.tools import _nn_support as nn

    return nn.save_text_embedding(str(tmp_path_factory.mktemp("te") / "text8"), dim=nn.DIM)


@pytest.fixture(scope="session")
def private_hub_root(
    tmp_path_factory: pytest.TempPathFactory, image_modules: dict[str, str], text_module: str
) -> Path:
    """A hub folder holding the tiny image module (`_private_hub.IMAGE`) and the text
    embedding (`_private_hub.TEXT`), by `tfhub publish`; serve it, never write into it."""
    from tests.tools._private_hub import publish_tiny_models

    root = tmp_path_factory.mktemp("private_hub") / "hub"
    return publish_tiny_models(root, image_modules["fixed"], text_module)


@pytest.fixture(scope="session")
def hub_tool_images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes x 5 PNGs of 32x32 (one of each class held out for validation); read only."""
    root = tmp_path_factory.mktemp("hub_tool_images") / "images"
    image_sets.make_image_folder(root, per_class=5, sizes=((32, 32),), formats=("png",), seed=1)
    return root


@pytest.fixture(scope="session")
def forks() -> ForkServer:
    """Runs a test's programs each in a process forked from a server that imported TensorFlow
    without starting it (tests/tools/_one_child.py)."""
    return ForkServer()
