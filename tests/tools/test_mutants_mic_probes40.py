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


def test_outputs_given_empty_are_not_asked_for() -> None:
    """An output flag given empty (`--saved_model_dir=`) is one not given, as upstream's
    `if FLAGS.saved_model_dir:`: nothing to check, nothing written."""
    from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable
    from tfhub.tools.make_image_classifier.outputs import Outputs, given_outputs

    empty = Outputs(
        saved_model_dir="", tflite_output_file="", labels_output_file="", summaries_dir=""
    )
    assert given_outputs(empty) == []
    check_outputs_writable(empty)


# --- strategy: what the Python API takes as a distribution strategy ------------------------------


def test_a_strategy_needs_both_a_scope_and_a_replica_count() -> None:
    """`distribution_strategy` is taken as a strategy when it has a callable `scope` and a
    `num_replicas_in_sync` (as every tf.distribute strategy), not one of them alone."""
    import contextlib

    from tfhub import errors
    from tfhub.tools.make_image_classifier.strategy import as_strategy

    class OnlyScope:
        def scope(self) -> contextlib.AbstractContextManager[None]:
            return contextlib.nullcontext()

    class OnlyReplicas:
        num_replicas_in_sync = 1

    class Both(OnlyScope, OnlyReplicas):
        pass

    for wrong in (OnlyScope(), OnlyReplicas()):
        with pytest.raises(errors.ArgumentTypeError, match="must be a tf.distribute strategy"):
            as_strategy(wrong)
    both = Both()
    assert as_strategy(both) is both


@pytest.mark.parametrize(
    ("outputs", "reason"),
    [
        (
            {"labels_output_file": "x", "tflite_output_file": "x"},
            "it is the same path as the labels output file x (one would overwrite the other)",
        ),
        (
            {"labels_output_file": "s/labels.txt", "summaries_dir": "s"},
            "it is inside the summaries dir s (the two would mix their files)",
        ),
        (
            {"tflite_output_file": "m/x", "labels_output_file": "m"},
            "it is inside the labels output file m (a file cannot hold another output)",
        ),
    ],
)
def test_outputs_at_one_path_or_one_inside_another_say_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outputs: dict[str, str], reason: str
) -> None:
    """Two outputs at one path, or one inside another, are refused saying which of the two:
    the same path, inside a folder, or inside a file."""
    from tfhub import errors
    from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable
    from tfhub.tools.make_image_classifier.outputs import Outputs

    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError) as raised:
        check_outputs_writable(Outputs(**outputs))
    assert reason in str(raised.value)


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


# --- callbacks: the images whose kept feature vectors are not finite -----------------------------


def _save_module_of_one_nan_feature_for_white_images(path: Path) -> str:
    """A TF2 module: float images -> 4 features, each the image's mean first channel, but for a
    white image (every pixel above 0.99) its first feature is NaN and the other three finite."""
    import tensorflow as tf

    class OneNaNFeature(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def __call__(self, images: tf.Tensor) -> tf.Tensor:
            mean = tf.reduce_mean(images, axis=[1, 2])[:, :1] * tf.ones([1, 4])
            white = tf.reduce_min(images, axis=[1, 2, 3])[:, None] > 0.99
            first = tf.constant([[True, False, False, False]])
            return tf.where(tf.logical_and(white, first), float("nan"), mean)

    tf.saved_model.save(OneNaNFeature(), os.fspath(path))
    return os.fspath(path)


@pytest.mark.tf
def test_an_image_whose_kept_feature_vector_has_one_nan_is_named(tmp_path: Path) -> None:
    """After an epoch whose loss is NaN, the images named are those whose kept feature vector
    holds a NaN anywhere, not only those whose every feature is NaN."""
    import numpy as np
    from tests._helpers import image_sets

    from tfhub import errors
    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    images = tmp_path / "images"
    image_sets.make_image_folder(
        images, classes=("circle", "square"), per_class=4, sizes=((32, 32),), formats=("png",)
    )
    white = images / "square" / "white.png"
    image_sets.write_image(white, np.full((32, 32, 3), 255, np.uint8))
    module = _save_module_of_one_nan_feature_for_white_images(tmp_path / "module")
    # No validation split and no dropout (which can drop the one NaN feature): the white
    # image's NaN always reaches the training loss.
    hparams = get_default_hparams()._replace(
        train_epochs=1, batch_size=4, validation_split=0.0, dropout_rate=0.0
    )
    with pytest.raises(errors.NotAnImageModuleError) as raised:
        train_and_export(
            module, os.fspath(images), hparams, outputs=Outputs(), image_size=32,
            say=lambda line: None,
        )  # fmt: skip
    assert "feature vectors of 1 image(s) hold NaN or infinity" in str(raised.value)
    assert os.fspath(white) in str(raised.value)


# --- cli: the flags make_image_classifier takes -------------------------------------------------


def test_distribution_strategy_may_be_given_empty_as_upstreams_default() -> None:
    """--distribution_strategy takes upstream's values: "" (its default: no strategy, as
    `--distribution_strategy=` in a script that always passes it) and "mirrored"."""
    from tfhub.tools.make_image_classifier import cli

    parser = cli.build_parser()
    for value in ("", "mirrored"):
        assert (
            parser.parse_args([f"--distribution_strategy={value}"]).distribution_strategy == value
        )


# --- lib: what train_and_export does only when asked --------------------------------------------


def _two_classes(root: Path) -> str:
    from tests._helpers import image_sets

    image_sets.make_image_folder(
        root, classes=("circle", "square"), per_class=2, sizes=((32, 32),), formats=("png",)
    )
    return os.fspath(root)


@pytest.mark.tf
def test_gpu_memory_growth_is_set_only_when_asked(tmp_path: Path) -> None:
    """--set_memory_growth (upstream's line "No GPUs found for set_memory_growth" on a CPU, or
    "All GPUs will scale memory steadily") happens before the module loads, and only when
    asked: here the module is missing, so the run stops right after."""
    from tfhub import errors
    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    images = _two_classes(tmp_path / "images")
    hparams = get_default_hparams()._replace(validation_split=0.0)
    for asked in (False, True):
        said: list[str] = []
        with pytest.raises(errors.ModuleUnavailableError):
            train_and_export(
                os.fspath(tmp_path / "no_module"), images, hparams,
                outputs=Outputs(), set_memory_growth=asked, say=said.append,
            )  # fmt: skip
        growth = [line for line in said if "GPU" in line]
        assert len(growth) == asked, said


@pytest.mark.tf
def test_an_accuracy_bound_of_0_checks_nothing_as_upstreams(
    tmp_path: Path, image_modules: dict[str, str]
) -> None:
    """--assert_accuracy_at_least=0 is upstream's "no check" (`if FLAGS.assert_accuracy_at_
    least:`): a run without validation (validation_split 0), which has no accuracy to check,
    ends done instead of with ACCURACY FAILED."""
    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=4, validation_split=0.0)
    said: list[str] = []
    train_and_export(
        image_modules["fixed"], _two_classes(tmp_path / "images"), hparams, outputs=Outputs(),
        assert_accuracy_at_least=0.0, say=said.append,
    )  # fmt: skip
    assert said[-1] == "Done with training." and not any("ACCURACY" in line for line in said)


@pytest.mark.tf
@pytest.mark.parametrize("fine_tuning", [False, True], ids=["bottlenecks", "whole_model"])
def test_training_on_images_of_unknown_count_warns_nothing(
    tmp_path: Path, image_modules: dict[str, str], fine_tuning: bool
) -> None:
    """The training images are counted as they are read (unreadable ones are dropped), so Keras
    3 learns the number of batches at the end of the first epoch, warning "Your input ran out
    of data" as it does: `train_model` keeps that warning from the user."""
    import warnings

    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    hparams = get_default_hparams()._replace(
        train_epochs=2, batch_size=2, validation_split=0.0, do_fine_tuning=fine_tuning
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_and_export(
            image_modules["fixed"], _two_classes(tmp_path / "images"), hparams,
            outputs=Outputs(), say=lambda line: None,
        )  # fmt: skip
    assert not [w for w in caught if "ran out of data" in str(w.message)]


# --- tfhub make-nearest-neighbour-index: tfhub's -v among the tool's arguments -------------------


def test_tfhubs_v_after_the_operation_is_tfhubs_but_not_after_a_double_dash() -> None:
    """`tfhub make-nearest-neighbour-index e2e -v` is verbose (tfhub's -v, taken out of the
    tool's arguments); a `-v` after `--` is left to the tool (Beam's pipeline arguments)."""
    from tfhub.cli.main import build_parser

    parser = build_parser(["make-nearest-neighbour-index"])
    args = parser.parse_args(["make-nearest-neighbour-index", "e2e", "--", "-v"])
    assert (args.verbose, args.tool_args) == (False, ["e2e", "--", "-v"])
    args = parser.parse_args(["make-nearest-neighbour-index", "e2e", "-v", "--", "-v"])
    assert (args.verbose, args.tool_args) == (True, ["e2e", "--", "-v"])


def test_tfhub_make_nearest_neighbour_index_alone_shows_the_tools_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With no operation, as with -h: the tool's help on stdout, exit 0."""
    from tests._helpers.cli import run_tfhub

    for argv in ([], ["-h"]):
        code, out, err = run_tfhub(capsys, "make-nearest-neighbour-index", *argv)
        assert (code, err) == (0, "")
        assert out.startswith("usage: tfhub make-nearest-neighbour-index ")


@pytest.mark.tf
def test_a_validation_set_of_only_unreadable_images_gives_no_validation_metrics(
    tmp_path: Path, image_modules: dict[str, str]
) -> None:
    """With bottlenecks the head is validated on the kept features of the readable validation
    images: when none is readable, the epoch has no val_loss or val_accuracy (not NaN from a
    mean over no image), and training goes on (each class has readable training images)."""
    from tests._helpers import image_sets

    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    images = tmp_path / "images"
    image_sets.make_image_folder(
        images, classes=("circle", "square"), per_class=4, sizes=((32, 32),), formats=("png",)
    )
    for name in ("circle", "square"):  # Each class' first image in file order: validation's.
        image_sets.write_corrupt_image(images / name / f"{name}_000.png")
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=2, validation_split=0.25)
    said: list[str] = []
    _, _, history = train_and_export(
        image_modules["fixed"], os.fspath(images), hparams, outputs=Outputs(), say=said.append
    )
    assert "run through the module once" in "\n".join(said)  # Bottlenecks.
    assert sorted(history.history) == ["accuracy", "loss"]


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
