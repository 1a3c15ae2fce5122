"""make_image_classifier's Python API as upstream's callers use it and what it returns, in one
training run (bottlenecks: the frozen module's features kept, the head trained on them):

- the History's `.model` is the model returned (upstream's `model.fit` History), where it was
  the head alone, whose input is the feature vector, not images;
- a `log_dir` given as bytes (as `image_dir` may be) gets the summaries, where TensorBoard
  wrote them into a folder named "b'...'"; one that is no path is refused before any work."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools import image_decoding, image_folders
from tfhub.tools.make_image_classifier import get_default_hparams, make_image_classifier

pytestmark = [pytest.mark.tf, pytest.mark.slow]


@pytest.fixture(scope="module")
def trained(
    shape_images: Path, image_modules: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, tuple[str, ...], Any, Path, Path]:
    """One run: (model, labels, history, the log_dir given as bytes, the working folder)."""
    work = tmp_path_factory.mktemp("work_cls60")
    logs = work / "logs"
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=8)
    here = os.getcwd()
    os.chdir(work)  # A relative folder named "b'logs'" would land here.
    try:
        model, labels, history = make_image_classifier(
            image_modules["fixed"],
            os.fspath(shape_images),
            hparams,
            log_dir=os.fsencode(logs),
            seed=0,
        )
    finally:
        os.chdir(here)
    return model, labels, history, logs, work


def test_the_historys_model_is_the_model_returned(
    trained: tuple[Any, tuple[str, ...], Any, Path, Path], shape_images: Path
) -> None:
    model, labels, history, _, _ = trained
    assert history.model is model  # Upstream: History.model is the model fit trained.
    assert model.history is history  # And the model's `.history`, as fit leaves it.
    images = image_decoding.decode_images(
        image_folders.list_image_files(os.fspath(shape_images)), (32, 32)
    ).images[:5]
    predicted = history.model.predict(images.astype(np.float32) / 255.0, verbose=0)
    assert predicted.shape == (5, len(labels))
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_a_log_dir_given_as_bytes_gets_the_summaries(
    trained: tuple[Any, tuple[str, ...], Any, Path, Path],
) -> None:
    _, _, _, logs, work = trained
    assert sorted(path.name for path in work.iterdir()) == ["logs"]
    for split in ("train", "validation"):
        assert any(path.name.startswith("events.out.tfevents") for path in (logs / split).iterdir())


def test_a_log_dir_that_is_no_path_is_refused_before_any_work(tmp_path: Path) -> None:
    hparams = get_default_hparams()
    missing = os.fspath(tmp_path / "no_images")  # Listing it would be an ImageFolderError.
    with pytest.raises(errors.ArgumentTypeError, match=r"Received: log_dir=7 of type int"):
        make_image_classifier("no/module", missing, hparams, log_dir=7)  # type: ignore[arg-type]


def test_a_summaries_dir_given_empty_is_not_given_not_the_working_folder(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--summaries_dir=$LOGS` with LOGS unset is an output not given, as every output flag
    given empty (tests/tools/test_mutants_mic_probes40.py): TensorBoard wrote `train/` and
    `validation/` into the working folder, unchecked; run from the image folder, they became
    two empty classes of the next run."""
    from tfhub.tools.make_image_classifier import Outputs, train_and_export

    monkeypatch.chdir(tmp_path)
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=16)
    labels = tmp_path / "labels.txt"
    outputs = Outputs(summaries_dir="", labels_output_file=os.fspath(labels))
    train_and_export(image_modules["fixed"], os.fspath(shape_images), hparams, outputs=outputs)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["labels.txt"]
    assert labels.read_text() == "circle\nsquare\ntriangle\n"
