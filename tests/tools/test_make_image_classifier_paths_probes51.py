"""make_image_classifier's Python API takes its paths as tfhub's handles take them (rf51a-F2):
a `pathlib.Path` module (docs/resolving.md: "wherever a handle is taken"; `tfhub.resolve` and
`hub.KerasLayer` take it) loaded, then training failed on its progress line ("TypeError:
argument of type 'PosixPath' is not iterable"); an `image_dir` of bytes and an `Outputs` path
given as a `pathlib.Path` failed with raw TypeError / AttributeError."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, lib

pytestmark = [pytest.mark.tf]

HPARAMS = get_default_hparams()._replace(train_epochs=1, batch_size=8)


def test_a_path_module_and_a_bytes_image_dir_train(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    lines: list[str] = []
    _, labels, history = lib.make_image_classifier(
        Path(image_modules["fixed"]), bytes(shape_images), HPARAMS, say=lines.append
    )
    assert labels == ("circle", "square", "triangle")
    assert len(history.history["val_accuracy"]) == 1
    assert f"Using module {image_modules['fixed']} with image size (32, 32)" in lines[0]


def test_train_and_export_takes_paths_for_its_module_and_outputs(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    outputs = Outputs(labels_output_file=tmp_path / "out" / "labels.txt")  # type: ignore[arg-type]
    assert outputs.labels_output_file == str(tmp_path / "out" / "labels.txt")
    lib.train_and_export(Path(image_modules["fixed"]), shape_images, HPARAMS, outputs=outputs)  # type: ignore[arg-type]
    assert (tmp_path / "out" / "labels.txt").read_text() == "circle\nsquare\ntriangle\n"


@pytest.mark.parametrize("field", ["saved_model_dir", "labels_output_file", "summaries_dir"])
def test_an_output_path_that_is_no_path_is_a_type_error(field: str) -> None:
    with pytest.raises(errors.ArgumentTypeError) as caught:
        Outputs(**{field: 3})  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)
    assert f"Received: {field}=3" in str(caught.value)


def test_an_image_dir_that_is_no_path_is_a_type_error(image_modules: dict[str, str]) -> None:
    with pytest.raises(errors.ArgumentTypeError, match="Received: image_dir=3"):
        lib.make_image_classifier(image_modules["fixed"], 3, HPARAMS)  # type: ignore[arg-type]


@pytest.mark.parametrize("outputs", [None, {"labels_output_file": "labels.txt"}])
def test_outputs_that_are_no_outputs_are_a_type_error(
    image_modules: dict[str, str], shape_images: Path, outputs: object
) -> None:
    """rf51a-F3: `train_and_export(..., outputs=None)` (or a dict) failed with AttributeError:
    'NoneType' object has no attribute 'saved_model_dir'."""
    with pytest.raises(errors.ArgumentTypeError, match="Received: outputs="):
        lib.train_and_export(image_modules["fixed"], shape_images, HPARAMS, outputs=outputs)  # type: ignore[arg-type]
