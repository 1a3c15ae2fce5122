"""make_image_classifier probed through its options and flows (session 30): a split that holds
out no image, hyperparameters of the wrong type given to the Python API, an accuracy bound
below 0. Each is refused before the module loads, in one line naming the value and the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers import image_sets

from tfhub import errors
from tfhub.tools.make_image_classifier import cli, get_default_hparams
from tfhub.tools.make_image_classifier.hparams import check_hparams


def _small_folder(root: Path, *, per_class: tuple[int, ...]) -> Path:
    """Classes circle, square, ... of `per_class` 32x32 PNGs each."""
    for name, count in zip(image_sets.DEFAULT_CLASSES, per_class, strict=False):
        image_sets.make_image_folder(
            root, classes=(name,), per_class=count, sizes=((32, 32),), formats=("png",)
        )
    return root


def test_a_split_that_holds_out_no_image_is_refused_before_the_module_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """4 images a class and the default --validation_split 0.2: floor(4 x 0.2) = 0 held out of
    each class. The tool loaded (or downloaded) the module first, then said "The validation set
    is empty", naming neither the folder nor a split that works."""
    images = _small_folder(tmp_path / "images", per_class=(4, 3))
    missing_module = tmp_path / "no_module"  # Loading it would fail: the check comes first.
    out = tmp_path / "out"
    argv = [f"--image_dir={images}", f"--tfhub_module={missing_module}", f"--saved_model_dir={out}"]
    assert cli.main(argv) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tfhub: error: --validation_split 0.2 holds out no image")
    assert str(images) in line and "4 images" in line and "--validation_split 0.25" in line
    assert line.endswith("Received: validation_split=0.2")
    assert not out.exists()

    from tfhub.tools.make_image_classifier import make_image_classifier

    hparams = get_default_hparams()._replace(validation_split=0.1)
    with pytest.raises(errors.ToolFlagError) as caught:  # The Python API checks the same.
        make_image_classifier(os.fspath(missing_module), os.fspath(images), hparams)
    assert caught.value.flag == "validation_split" and caught.value.value == 0.1
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("batch_size", 4.0, "an integer"),
        ("train_epochs", 1.5, "an integer"),
        ("train_epochs", True, "an integer"),
        ("learning_rate", "0.1", "a number"),
        ("validation_split", None, "a number"),
        ("do_fine_tuning", "no", "True or False"),
    ],
)
def test_hparams_of_the_wrong_type_are_refused_before_anything_is_read(
    field: str, value: object, expected: str
) -> None:
    """HParams built from a config file (a str, a float batch size) failed deep inside Keras or
    tf.data after the module loaded, with a builtin TypeError ("Cannot convert 4.0 to
    EagerTensor of dtype int64"); a "no" string fine-tuned the module."""
    bad = get_default_hparams()._replace(**{field: value})
    with pytest.raises(errors.ArgumentTypeError, match=f"hparams.{field} must be {expected}"):
        check_hparams(bad)
    with pytest.raises(TypeError, match=f"Received: {field}={value!r}$"):
        check_hparams(bad)
    with pytest.raises(errors.ArgumentTypeError, match="image_size must be an integer"):
        check_hparams(get_default_hparams(), image_size="224")  # type: ignore[arg-type]
    check_hparams(get_default_hparams()._replace(do_fine_tuning=1, learning_rate=1))  # Fine.
    import numpy as np

    numpy_values = {"do_fine_tuning": np.True_, "batch_size": np.int64(8)}
    check_hparams(get_default_hparams()._replace(**numpy_values, momentum=np.float32(0.5)))


def test_an_accuracy_bound_below_0_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any accuracy passes a bound below 0 (the help says "between 0 and 1"): -0.9 asserted
    nothing."""
    argv = [f"--image_dir={tmp_path / 'no_images'}", f"--tfhub_module={tmp_path / 'no_module'}"]
    assert cli.main([*argv, "--assert_accuracy_at_least=-0.9"]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "tfhub: error: --assert_accuracy_at_least must be at least 0. "
        "Received: assert_accuracy_at_least=-0.9"
    )
    check_hparams(get_default_hparams(), assert_accuracy_at_least=0.0)  # 0 asserts nothing.


@pytest.mark.tf
@pytest.mark.parametrize("fine_tuning", [False, True])
def test_a_batch_size_above_the_image_count_is_measured_as_the_images_it_holds(
    fine_tuning: bool, tmp_path: Path
) -> None:
    """A batch holds at most every image: --batch_size 10**9 on 6 images trains as upstream
    did (one batch of 6 a step), but the memory check counted 10**9 images at 224x224 as float
    ("cannot fit in memory ... Pass a smaller --image_size (224, ...)"). Now the run goes on to
    load the module (missing here: the next error)."""
    from tfhub.tools.make_image_classifier import make_image_classifier

    images = _small_folder(tmp_path / "images", per_class=(3, 3))
    hparams = get_default_hparams()._replace(
        batch_size=10**9, validation_split=0.0, do_fine_tuning=fine_tuning
    )
    with pytest.raises(errors.ModuleUnavailableError):
        make_image_classifier(
            os.fspath(tmp_path / "no_module"), os.fspath(images), hparams, requested_image_size=224
        )


@pytest.mark.parametrize("flag", ["labels_output_file", "tflite_output_file"])
def test_a_file_output_spelled_as_a_folder_is_refused_before_training(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--labels_output_file out/labels/` (a folder meant to hold the labels) trained, then
    wrote a file named `labels` and said "Labels written to out/labels/"; upstream's GFile
    failed after training."""
    images = _small_folder(tmp_path / "images", per_class=(5, 5))
    given = os.fspath(tmp_path / "out" / "labels") + os.sep
    argv = [f"--image_dir={images}", f"--tfhub_module={tmp_path / 'no_module'}"]
    assert cli.main([*argv, f"--{flag}={given}"]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: Cannot write the {flag.replace('_', ' ')} {given}: ")
    assert "ends with a slash" in line and line.endswith(f"Received: {flag}={given!r}")
    assert not (tmp_path / "out").exists()


@pytest.mark.tf
def test_the_python_api_takes_a_strategy_its_name_or_none_and_refuses_anything_else(
    tmp_path: Path,
) -> None:
    """`make_image_classifier(..., "mirrored")`, the CLI's name for the strategy, failed with a
    builtin AttributeError ('str' object has no attribute 'num_replicas_in_sync') after the
    folder was listed; so did any other object."""
    from tfhub.tools.make_image_classifier import make_image_classifier

    images = os.fspath(_small_folder(tmp_path / "images", per_class=(5, 5)))
    missing = os.fspath(tmp_path / "no_module")  # Reached once the strategy is accepted.
    hparams = get_default_hparams()
    for name in ("", "mirrored"):
        with pytest.raises(errors.ModuleUnavailableError):
            make_image_classifier(missing, images, hparams, name)
    with pytest.raises(errors.UnknownStrategyError, match="Received: distribution_strategy='tpu'"):
        make_image_classifier(missing, images, hparams, "tpu")
    with pytest.raises(errors.ArgumentTypeError, match="Received: distribution_strategy=3$"):
        make_image_classifier(missing, images, hparams, 3)


def test_hparams_may_be_any_object_with_the_fields() -> None:
    """Upstream's lib read hparams by attribute, so code passes its own objects (a dataclass,
    a SimpleNamespace); the type check must not need a NamedTuple's `_asdict`."""
    import types

    fields = get_default_hparams()._asdict()
    check_hparams(types.SimpleNamespace(**fields))  # type: ignore[arg-type]
    with pytest.raises(errors.ArgumentTypeError, match="hparams.batch_size must be an integer"):
        check_hparams(types.SimpleNamespace(**{**fields, "batch_size": "32"}))  # type: ignore[arg-type]
