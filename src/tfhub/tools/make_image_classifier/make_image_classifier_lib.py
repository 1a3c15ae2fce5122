"""Upstream's module name for the Python API (`tensorflow_hub.tools.make_image_classifier.
make_image_classifier_lib`): the same objects as `tfhub.tools.make_image_classifier` (its whole
`__all__`: upstream's names and tfhub's `train_and_export`, `assert_accuracy`, `Outputs`), so
code that names the module keeps working. Importing it imports TensorFlow, as upstream's did."""

from . import __all__ as _package_names
from .export import Outputs as Outputs
from .flowers import get_default_image_dir as get_default_image_dir
from .hparams import HParams as HParams
from .hparams import get_default_hparams as get_default_hparams
from .lib import assert_accuracy as assert_accuracy
from .lib import make_image_classifier as make_image_classifier
from .lib import train_and_export as train_and_export
from .lib import train_model as train_model
from .model import build_model as build_model
from .strategy import NoStrategy as NoStrategy
from .strategy import get_distribution_strategy as get_distribution_strategy

# The package's list (one copy): each of its names is imported above, as the package's object
# (its `make_image_classifier`, upstream's program module, is here the function).
__all__ = list(_package_names)
