"""Upstream's module name for the Python API (`tensorflow_hub.tools.make_image_classifier.
make_image_classifier_lib`): the same objects as `tfhub.tools.make_image_classifier` (its whole
`__all__`: upstream's names and tfhub's `train_and_export`, `assert_accuracy`, `Outputs`), so
code that names the module keeps working. Importing it imports TensorFlow, as upstream's did."""

from .export import Outputs
from .flowers import get_default_image_dir
from .hparams import HParams, get_default_hparams
from .lib import assert_accuracy, make_image_classifier, train_and_export, train_model
from .model import build_model
from .strategy import NoStrategy, get_distribution_strategy

__all__ = [
    "HParams",
    "NoStrategy",
    "Outputs",
    "assert_accuracy",
    "build_model",
    "get_default_hparams",
    "get_default_image_dir",
    "get_distribution_strategy",
    "make_image_classifier",
    "train_and_export",
    "train_model",
]
