"""The hyperparameters of make_image_classifier (upstream's `HParams`, same fields and defaults).

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import NamedTuple

from ... import errors


class HParams(NamedTuple):
    """The hyperparameters for make_image_classifier.

    Attributes:
        train_epochs: Training does this many passes over the training images.
        do_fine_tuning: If true, the Hub module is trained together with the classifier on top.
        batch_size: Each training step uses a batch of this many images.
        learning_rate: The learning rate of the SGD optimizer.
        momentum: The momentum of the SGD optimizer.
        dropout_rate: The fraction of the feature vector dropped in training (Dropout layer).
        l1_regularizer: Coefficient of the L1 regularization of the classifier's weights.
        l2_regularizer: Coefficient of the L2 regularization of the classifier's weights.
        label_smoothing: Label smoothing of the categorical cross-entropy loss.
        validation_split: The fraction of each class's images held out for validation.
        do_data_augmentation: Randomly distort the training images (the fields below).
        rotation_range: Random rotation in degrees, in [-rotation_range, rotation_range].
        horizontal_flip: Randomly flip images horizontally.
        width_shift_range: Random horizontal shift: a fraction of the width if < 1, else pixels.
        height_shift_range: Random vertical shift: a fraction of the height if < 1, else pixels.
        shear_range: Random shear angle in degrees, in [-shear_range, shear_range].
        zoom_range: Random zoom in [1 - zoom_range, 1 + zoom_range].
    """

    train_epochs: int = 5
    do_fine_tuning: bool = False
    batch_size: int = 32
    learning_rate: float = 0.005
    momentum: float = 0.9
    dropout_rate: float = 0.2
    l1_regularizer: float = 0.0
    l2_regularizer: float = 0.0001
    label_smoothing: float = 0.1
    validation_split: float = 0.2
    do_data_augmentation: bool = False
    rotation_range: float = 40
    horizontal_flip: bool = True
    width_shift_range: float = 0.2
    height_shift_range: float = 0.2
    shear_range: float = 0.2
    zoom_range: float = 0.2


def get_default_hparams() -> HParams:
    """Returns a fresh HParams object initialized to upstream's default values."""
    return HParams()


# The fields that must be integers or booleans; every other field, and an accuracy bound, must be
# a real number (numpy's count). The command's flags have these types; a Python caller's
# HParams may come from a config file (batch_size=4.0, learning_rate="0.1", a "no" that would
# be true), which Keras or tf.data refused only after the module loaded, as a builtin TypeError.
_INTEGERS = frozenset({"train_epochs", "batch_size", "image_size"})
_BOOLEANS = frozenset({"do_fine_tuning", "do_data_augmentation", "horizontal_flip"})


def _type_wanted(name: str, value: object) -> str | None:
    """What the value of `name` must be if `value`'s type is wrong for it; None if it is right."""
    if name in _BOOLEANS:
        # numpy's bool (`bool` in numpy 2, `bool_` before) is not an Integral.
        boolean = isinstance(value, numbers.Integral) or type(value).__name__ in ("bool", "bool_")
        return None if boolean and value in (0, 1) else "True or False"
    if isinstance(value, bool):  # An int, but never meant as a number here.
        return "an integer" if name in _INTEGERS else "a number"
    if name in _INTEGERS:
        return None if isinstance(value, numbers.Integral) else "an integer"
    return None if isinstance(value, numbers.Real) else "a number"


def _check_types(values: dict[str, object]) -> None:
    """Refuses the first value whose type cannot be used (None means "not given" for
    image_size and assert_accuracy_at_least only).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) naming the field.
    """
    for name, value in values.items():
        given = name not in ("image_size", "assert_accuracy_at_least") or value is not None
        wanted = _type_wanted(name, value) if given else None
        if wanted is not None:
            where = f"hparams.{name}" if name in HParams._fields else name
            raise errors.ArgumentTypeError(
                f"{where} must be {wanted}, not {type(value).__name__}. Received: {name}={value!r}"
            )


# (field, the test its value must pass, what the value must be); checked in this order.
_CHECKS: tuple[tuple[str, Callable[[float], bool], str], ...] = (
    ("train_epochs", lambda v: v >= 1, "a positive number of passes"),
    ("batch_size", lambda v: v >= 1, "a positive number of images"),
    ("learning_rate", lambda v: v > 0, "positive"),
    ("momentum", lambda v: 0 <= v <= 1, "in [0, 1]"),  # Keras' SGD refuses more, later.
    ("dropout_rate", lambda v: 0 <= v < 1, "in [0, 1)"),
    ("l1_regularizer", lambda v: v >= 0, "at least 0"),
    ("l2_regularizer", lambda v: v >= 0, "at least 0"),
    ("label_smoothing", lambda v: 0 <= v <= 1, "in [0, 1]"),
    ("validation_split", lambda v: 0 <= v < 1, "in [0, 1)"),
)

# The distortions the input pipeline can make (checked with --do_data_augmentation only:
# upstream ignored them otherwise). RandomRotation turns by at most a full circle, and
# RandomZoom's factor must stay in (-1, 1]: a zoom by 1 would scale an image to nothing. The shear
# is ImageDataGenerator's own transform (data.shear_images), which takes any finite angle, as
# upstream's did.
_AUGMENTATION_CHECKS: tuple[tuple[str, Callable[[float], bool], str], ...] = (
    ("rotation_range", lambda v: abs(v) <= 360, "in [-360, 360] degrees"),
    ("shear_range", math.isfinite, "a finite angle in degrees"),
    ("zoom_range", lambda v: abs(v) < 1, "in (-1, 1)"),
)


def check_hparams(
    hparams: HParams,
    *,
    image_size: int | None = None,
    assert_accuracy_at_least: float | None = None,
) -> None:
    """Checks, before any work, the values that Keras or TensorFlow would reject only later
    (with a message that names neither the flag nor the value), --image_size, and an accuracy
    bound that no run can reach (e.g. 90 meant as 90%: upstream failed after training) or that
    every run passes (below 0), and an accuracy bound with no validation set to check it on
    (validation_split 0).

    Raises:
        tfhub.errors.ArgumentTypeError: first, naming a value of the wrong type (a str, a
            float batch size: only the Python API can pass them).
        tfhub.errors.ToolFlagError: naming the first value out of its range.
    """
    _check_types(
        {
            # Any object with HParams' attributes, as upstream's lib took (not only a NamedTuple).
            **{name: getattr(hparams, name) for name in HParams._fields if hasattr(hparams, name)},
            "image_size": image_size,
            "assert_accuracy_at_least": assert_accuracy_at_least,
        }
    )
    named = _CHECKS + (_AUGMENTATION_CHECKS if hparams.do_data_augmentation else ())
    checks = [(name, getattr(hparams, name), test, what) for name, test, what in named]
    checks.append(("image_size", image_size, lambda v: v >= 1, "a positive number of pixels"))
    bound = assert_accuracy_at_least
    checks.append(("assert_accuracy_at_least", bound, lambda v: v <= 1, "at most 1"))
    checks.append(("assert_accuracy_at_least", bound, lambda v: v >= 0, "at least 0"))
    for name, value, test, what in checks:
        if value is not None and not (math.isfinite(value) and test(value)):  # No inf, NaN.
            raise errors.ToolFlagError(
                f"--{name} must be {what}. Received: {name}={value!r}", flag=name, value=value
            )
    if assert_accuracy_at_least and hparams.validation_split == 0:
        raise errors.ToolFlagError(
            "--assert_accuracy_at_least checks the final validation accuracy, but "
            "--validation_split 0 holds out no image to validate on. Give --validation_split "
            f"above 0 (default: {HParams().validation_split}) or leave out "
            "--assert_accuracy_at_least. Received: validation_split=0, "
            f"assert_accuracy_at_least={assert_accuracy_at_least!r}",
            flag="assert_accuracy_at_least",
            value=assert_accuracy_at_least,
        )
