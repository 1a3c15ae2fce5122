"""Class folders that are one folder, or one inside another, through links (session 45): each
image was listed in two classes, so module_search scored every module 0.0 (each image's nearest
other image its own copy) and make_image_classifier trained on contradicting labels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from tfhub import errors
from tfhub.tools.image_folders import list_image_files


def _images(folder: Path, colour: tuple[int, int, int], count: int = 2) -> None:
    folder.mkdir(parents=True)
    for index in range(count):
        Image.new("RGB", (8, 8), colour).save(folder / f"{index}.png")


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    _images(tmp_path / "images" / "cats", (255, 0, 0))
    _images(tmp_path / "images" / "dogs", (0, 0, 255))
    return tmp_path / "images"


def test_two_class_folders_linked_to_one_folder_are_refused_naming_both(image_dir: Path) -> None:
    os.symlink("cats", image_dir / "kittens")
    with pytest.raises(errors.ImageFolderError) as caught:
        list_image_files(str(image_dir))
    message = str(caught.value)
    assert "'cats'" in message and "'kittens'" in message, message
    assert "one folder" in message, message


def test_a_class_folder_linked_to_the_image_folder_is_refused(image_dir: Path) -> None:
    os.symlink(".", image_dir / "all")
    with pytest.raises(errors.ImageFolderError) as caught:
        list_image_files(str(image_dir))
    message = str(caught.value)
    assert "'all'" in message and "inside" in message, message


def test_a_class_folder_linked_to_a_folder_inside_another_class_is_refused(
    image_dir: Path,
) -> None:
    _images(image_dir / "cats" / "tabby", (255, 128, 0))
    os.symlink(os.path.join("cats", "tabby"), image_dir / "tabbies")
    with pytest.raises(errors.ImageFolderError, match="'tabbies'"):
        list_image_files(str(image_dir))


def test_a_class_folder_linked_to_a_folder_elsewhere_is_a_class(
    image_dir: Path, tmp_path: Path
) -> None:
    # A link is a class (upstream's follow_links=False applies inside class folders only).
    _images(tmp_path / "elsewhere" / "birds", (0, 255, 0))
    os.symlink(tmp_path / "elsewhere" / "birds", image_dir / "birds")
    listed = list_image_files(str(image_dir))
    assert listed.labels == ("birds", "cats", "dogs")
    assert len(listed.paths) == len(set(map(os.path.realpath, listed.paths))) == 6
