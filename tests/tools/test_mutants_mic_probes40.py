"""Tests that kill mutants of make_image_classifier's modules and the tools' `tfhub` commands
that the other tests let live (session 40's hand mutation pass over tflite, saving, fit,
flowers, callbacks, export, outputs, output_checks, strategy, cli, lib, and the `tfhub`
commands make-image-classifier, make-nearest-neighbour-index, module-search and demo): each
test names the decision it pins down."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

# --- flowers: which folder of the downloaded archive holds the classes ------------------------


def _serve_archive(served_dir: Path, tmp_path: Path, tops: dict[str, list[str]]) -> str:
    """Packs folders `tops` (top folder -> its class folders, each with one file) as
    served_dir/flowers.tgz; returns its name."""
    staging = tmp_path / "staging"
    with tarfile.open(served_dir / "flowers.tgz", "w:gz") as tar:
        for top, classes in tops.items():
            for name in classes:
                folder = staging / top / name
                folder.mkdir(parents=True)
                (folder / "a.txt").write_text("x")
            tar.add(staging / top, arcname=top)
    return "flowers.tgz"


@pytest.mark.parametrize(
    ("tops", "classes"),
    [
        ({"flower_photos": ["daisy"], "extra": ["rose"]}, ["daisy"]),  # Upstream's name.
        ({"my_flowers": ["daisy", "tulip"]}, ["daisy", "tulip"]),  # Its one top folder.
        ({"daisy": ["a"], "rose": ["b"]}, ["daisy", "rose"]),  # Classes at the top.
    ],
)
def test_the_default_images_are_the_archives_flower_photos_its_one_folder_or_its_top(
    served_dir: Path,
    server: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tops: dict[str, list[str]],
    classes: list[str],
) -> None:
    """TFHUB_FLOWERS_URL may name another archive than upstream's: the class folders are its
    `flower_photos` folder's if it has one, else its single top folder's, else its top's."""
    from tfhub.tools.make_image_classifier import flowers

    url = server.url(_serve_archive(served_dir, tmp_path, tops))  # type: ignore[attr-defined]
    monkeypatch.setenv("TFHUB_FLOWERS_URL", url)
    said: list[str] = []
    folder = flowers.default_image_dir(said.append)
    assert len(said) == 1 and url in said[0]
    assert sorted(os.listdir(folder)) == classes


# --- outputs: what --saved_model_dir may hold, since it is replaced whole -----------------------


@pytest.mark.parametrize("name", ["keras_metadata.pb", "assets.extra", "fingerprint.pb"])
def test_a_saved_model_dir_holding_an_earlier_saved_models_files_may_be_replaced(
    tmp_path: Path, name: str
) -> None:
    """--saved_model_dir is replaced whole, so it may hold only a SavedModel (and the outputs
    written after it): a tf_keras SavedModel's keras_metadata.pb, TF Serving's assets.extra and
    the fingerprint are a SavedModel's; any other file is refused."""
    from tfhub import errors
    from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable
    from tfhub.tools.make_image_classifier.outputs import Outputs

    folder = tmp_path / "sm"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"")
    if name.endswith(".pb"):
        (folder / name).write_bytes(b"")
    else:
        (folder / name).mkdir()
    check_outputs_writable(Outputs(saved_model_dir=os.fspath(folder)))
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(errors.OutputNotWritableError, match=r"holds other files \(notes\.txt\)"):
        check_outputs_writable(Outputs(saved_model_dir=os.fspath(folder)))


# --- export: a .tflite file without a SavedModel ----------------------------------------------


@pytest.mark.tf
def test_a_tflite_export_failing_for_another_reason_than_a_write_raises_that_error(
    tmp_path: Path,
) -> None:
    """A .tflite file without --saved_model_dir is converted from a temporary SavedModel beside
    it; when saving that fails for another reason than a refused write (here, a model never
    built), the error is Keras' own, not one about the disk, and the scratch folder is gone."""
    import keras

    from tfhub.tools.make_image_classifier.export import Outputs, export

    model = keras.Sequential([keras.layers.Dense(2)])
    target = tmp_path / "out"
    target.mkdir()
    outputs = Outputs(tflite_output_file=os.fspath(target / "model.tflite"))
    with pytest.raises(ValueError, match="has not yet been built"):
        export(model, ["a", "b"], outputs, say=lambda line: None)
    assert os.listdir(target) == []


# --- tfhub demo: its exit code, and the check of what each way computed ----------------------


@pytest.mark.tf  # `tfhub demo` imports TensorFlow and Keras first (its dependencies' check).
def test_tfhub_demo_exits_0_when_its_steps_pass_and_not_when_one_computes_a_wrong_result(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tfhub demo` runs `STEPS` (here the first two, serving and resolving the bundled model,
    then one that checks a wrong result as the model-running steps check theirs): 0 when all
    pass; a step whose result is not the model's known output stops the demo with an error
    naming both, not a success."""
    from tests._helpers.cli import run_tfhub

    from tfhub.cli import demo

    first_two = demo.STEPS[:2]
    monkeypatch.setattr(demo, "STEPS", first_two)
    code, out, err = run_tfhub(capsys, "demo")
    assert (code, err) == (0, "")
    assert "resolved folder: " in out and "\ndemo OK: " in out

    def wrong(ctx: demo.DemoContext) -> None:
        demo._check_result("hub.load", [[2.5], [3.0], [7.5]])

    monkeypatch.setattr(demo, "STEPS", [*first_two, ("a wrong result", wrong)])
    code, out, err = run_tfhub(capsys, "demo")
    assert code != 0 and "demo OK" not in out
    assert "hub.load computed [[2.5], [3.0], [7.5]], expected [[2.5], [3.0], [7.0]]" in err
