"""review49d-F1: the files of a class with nested folders are listed in upstream's order, which
decides the validation split (each class's first `validation_split` fraction of files): keras'
DirectoryIterator, which upstream's make_image_classifier used, walks the folders sorted by their
whole path (`sorted(os.walk(directory), key=lambda x: x[0])`), then each folder's files by name,
so "x y" and "x-y" come before "x/z" (' ' and '-' sort before '/'); tfhub listed each folder's
sub-folders right after it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub.tools import image_folders

_NESTED = {
    "c1": ["top.png", "x/in_x.png", "x/z/in_xz.png", "x-y/in_xy.png", "x y/in_x_space.png",
           "X/upper.png"],
    "c2": ["a.png", "b.png", "c.png", "d.png", "e.png"],
}  # fmt: skip


def _nested(root: Path) -> Path:
    pixels = np.zeros((8, 8, 3), np.uint8)
    for label, names in _NESTED.items():
        for name in names:
            (root / label / name).parent.mkdir(parents=True, exist_ok=True)
            image_sets.write_image(root / label / name, pixels)
    return root


def _listed(root: Path) -> list[str]:
    files = image_folders.list_image_files(os.fspath(root))
    return [os.path.relpath(path, root) for path in files.paths]


def test_a_class_of_nested_folders_lists_its_folders_by_their_whole_path(tmp_path: Path) -> None:
    assert _listed(_nested(tmp_path / "nest")) == [
        "c1/top.png", "c1/X/upper.png", "c1/x/in_x.png", "c1/x y/in_x_space.png",
        "c1/x-y/in_xy.png", "c1/x/z/in_xz.png",
        "c2/a.png", "c2/b.png", "c2/c.png", "c2/d.png", "c2/e.png",
    ]  # fmt: skip


@pytest.mark.tf
def test_the_order_is_keras_directory_iterators(tmp_path: Path) -> None:
    """The reference: tf_keras' DirectoryIterator, the code upstream's ImageDataGenerator ran."""
    image = pytest.importorskip("tf_keras.preprocessing.image")
    root = _nested(tmp_path / "nest")
    iterator = image.ImageDataGenerator().flow_from_directory(
        os.fspath(root), shuffle=False, target_size=(8, 8)
    )
    assert _listed(root) == [name.replace(os.sep, "/") for name in iterator.filenames]
