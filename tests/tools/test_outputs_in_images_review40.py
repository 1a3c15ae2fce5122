"""An output below a hidden folder inside --image_dir is allowed (hidden folders are not read),
but only if writing it makes no new visible folder at the level of the class folders: a
--summaries_dir of `<image_dir>/runs/.logs` made an empty class folder `runs`, and the next run
on those images was refused ("class folder(s) ['runs'] hold no image"). Found by session 40's
mutation pass of the classifier's output checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.make_image_classifier.output_checks import check_outputs_apart_from_images
from tfhub.tools.make_image_classifier.outputs import Outputs


@pytest.fixture
def images(tmp_path: Path) -> Path:
    (tmp_path / "images" / "cats").mkdir(parents=True)
    return tmp_path / "images"


def test_a_hidden_folder_below_a_new_visible_one_is_refused(images: Path) -> None:
    summaries = os.fspath(images / "runs" / ".logs")
    with pytest.raises(errors.OutputNotWritableError) as info:
        check_outputs_apart_from_images(Outputs(summaries_dir=summaries), os.fspath(images))
    assert "would make the folder 'runs' in the image folder" in str(info.value)
    assert not (images / "runs").exists()


@pytest.mark.parametrize(
    "below", [(".logs",), (".runs", "today"), ("cats", ".logs"), ("cats", "new", ".logs")]
)
def test_a_hidden_folder_at_the_top_or_inside_an_existing_class_is_allowed(
    images: Path, below: tuple[str, ...]
) -> None:
    check_outputs_apart_from_images(
        Outputs(summaries_dir=os.fspath(images.joinpath(*below))), os.fspath(images)
    )


@pytest.mark.parametrize("flag", ["labels_output_file", "tflite_output_file"])
def test_a_file_in_a_new_visible_folder_is_refused(images: Path, flag: str) -> None:
    """The parent folders of a file output are made when it is written."""
    path = os.fspath(images / "new" / "out.file")
    with pytest.raises(errors.OutputNotWritableError) as info:
        check_outputs_apart_from_images(Outputs(**{flag: path}), os.fspath(images))
    assert "would make the folder 'new' in the image folder" in str(info.value)
    assert f"Received: {flag}=" in str(info.value)


@pytest.mark.parametrize(
    "below", [("labels.txt",), ("cats", "m.tflite"), (".out", "x", "m.tflite")]
)
def test_a_file_beside_or_in_a_class_folder_or_below_a_hidden_one_is_allowed(
    images: Path, below: tuple[str, ...]
) -> None:
    path = os.fspath(images.joinpath(*below))
    check_outputs_apart_from_images(
        Outputs(labels_output_file=path, tflite_output_file=path + ".tflite"), os.fspath(images)
    )
