"""make_image_classifier: train an image classifier on top of an image feature-vector module.

Python API (upstream's `make_image_classifier_lib`)::

    from tfhub.tools import make_image_classifier as mic

    hparams = mic.get_default_hparams()._replace(train_epochs=3)
    model, labels, history = mic.make_image_classifier(handle, "photos/", hparams)

Command line: `make_image_classifier --image_dir photos/ ...` or `tfhub make-image-classifier`.
`make_image_classifier` is also upstream's program module (`FLAGS`, `main`, `run_main`), callable
as the function.
Modules: `hparams` (HParams), `data` (tf.data input pipeline), `export` (outputs), `model`
(the classifier and its compilation), `strategy` (distribution and GPU memory), `flowers` (the
default images), `module_setup` (the module: loaded and checked, bottlenecks, the whole model),
`lib` (train, then export), `training` (`train_on_module`), `fit` (`train_model`),
`callbacks` (Keras callbacks), `cli` (flags); image folders, their
decoding and the module checks are shared with module_search in `tfhub.tools.image_folders`,
`image_decoding`, `image_store`, `host_memory` and `tfhub.tools.image_modules`. Importing
this package does not import TensorFlow; the names below are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .hparams import HParams, get_default_hparams

if TYPE_CHECKING:  # pragma: no cover
    from .export import Outputs
    from .flowers import get_default_image_dir
    from .lib import (
        assert_accuracy,
        make_image_classifier,
        train_and_export,
        train_model,
    )
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

# `make_image_classifier` is upstream's module of that name, callable as `lib`'s function.
_LAZY = {
    name: ".lib"
    for name in __all__
    if name not in ("HParams", "get_default_hparams", "make_image_classifier")
}
_LAZY.update(
    Outputs=".export",
    build_model=".model",
    get_default_image_dir=".flowers",
    NoStrategy=".strategy",
    get_distribution_strategy=".strategy",
)

_SUBMODULES = (
    "callbacks",
    "cli",
    "data",
    "export",
    "flowers",
    "hparams",
    "lib",
    "model",
    "strategy",
)


def __getattr__(name: str) -> Any:
    """Loads the library's names on first use (PEP 562).

    Raises:
        AttributeError: for names this package does not define.
    """
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    if name in _SUBMODULES or name == "make_image_classifier":
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
