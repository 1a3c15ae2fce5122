"""make_image_classifier starts reading the validation images before the module's output is
checked and the training set is made (bottlenecks: the early validation pass fills the core the
set-up leaves idle); a validation set read once (`once`) sets up no pipeline of kept values,
and every pass over it decodes."""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub.tools import image_folders, image_store
from tfhub.tools.make_image_classifier import callbacks, data, get_default_hparams, lib, training
from tfhub.tools.make_image_classifier.module_setup import module_features

pytestmark = [pytest.mark.tf]


def _folder(tmp_path):
    image_sets.make_image_folder(tmp_path / "images", per_class=10, sizes=((40, 40),))
    return image_folders.list_image_files(str(tmp_path / "images"))


def _module(image_modules, hparams):
    """The session's 32x32 module (tests/tools/conftest.py; read only), loaded as the tool does."""
    return lib.load_module(image_modules["fixed"], hparams, lib.NoStrategy(), bottlenecks=True)


def _count(dataset) -> int:
    return sum(len(features) for features, _ in dataset)


@pytest.mark.parametrize("once", [True, False], ids=["once", "kept"])
def test_a_validation_set_read_once_decodes_on_every_pass(tmp_path, image_modules, once) -> None:
    # A file gone after the first pass: a set made `once` decodes again (and drops it); any
    # other set's second pass reads the values kept on the first.
    hparams = get_default_hparams()._replace(batch_size=4)
    module = _module(image_modules, hparams)
    files = _folder(tmp_path)
    store = image_store.ImageStore(
        files, module.image_size, features=module_features(module.layer, module.dim)
    )
    valid, indices = data.make_validation_set(store, hparams=hparams, once=once)
    assert _count(valid) == len(indices)
    os.remove(files.paths[indices[0]])
    assert _count(valid) == (len(indices) - 1 if once else len(indices))
    readable, features = store.kept(indices)
    present = [k for k, i in enumerate(readable) if os.path.exists(files.paths[i])][:2]
    pixels = np.stack([_pixels(files.paths[readable[k]]) for k in present])
    want = module.layer(pixels, training=False).numpy()
    np.testing.assert_allclose(np.asarray(features)[present], want, rtol=1e-5, atol=1e-6)


def _pixels(path: str) -> np.ndarray:
    """The image at `path` as the store's features take it: float32 [32, 32, 3] in [0, 1]."""
    from tfhub.tools.image_decoding import decode_one, path_tensor

    return decode_one(path_tensor((path,))[0], (32, 32), as_float=True).numpy()


def test_the_validation_pass_runs_after_the_checks_before_the_training_set(
    tmp_path, image_modules, monkeypatch
) -> None:
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=4)
    module = _module(image_modules, hparams)
    files = _folder(tmp_path)
    events: list[str] = []
    started: list[bool] = []
    passes: list[object] = []
    real_ahead = callbacks.reading_ahead
    real_check = training.check_module_output
    real_sets = data.make_datasets
    real_valid = data.make_validation_set

    @contextlib.contextmanager
    def reading_ahead(own):
        passes.extend(c for c in own if hasattr(c, "stopping"))
        with real_ahead(own):
            events.append("reading")
            yield

    def check_module_output(*args, **kwargs):
        events.append("check")
        started.append(bool(passes))  # No pass made yet: the check measures memory alone.
        return real_check(*args, **kwargs)

    def make_datasets(*args, **kwargs):
        events.append("training set")
        return real_sets(*args, **kwargs)

    def make_validation_set(*args, **kwargs):
        events.append(f"validation set, once={kwargs.get('once')}")
        return real_valid(*args, **kwargs)

    monkeypatch.setattr(callbacks, "reading_ahead", reading_ahead)
    monkeypatch.setattr(training, "check_module_output", check_module_output)
    monkeypatch.setattr(data, "make_datasets", make_datasets)
    monkeypatch.setattr(data, "make_validation_set", make_validation_set)
    _, _, history = training.train_on_module(module, files, hparams, lib.NoStrategy(), seed=0)
    # The checks first (their memory measure must see the module alone), then one validation
    # set, read once (by the early pass), while the training set is made.
    assert events == ["check", "validation set, once=True", "reading", "training set"]
    assert started == [False]
    assert np.isfinite(history.history["val_loss"][-1])


def test_a_failed_check_stops_the_validation_pass(tmp_path, image_modules, monkeypatch) -> None:
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=4)
    module = _module(image_modules, hparams)
    files = _folder(tmp_path)

    def check_module_output(*args, **kwargs):
        raise ZeroDivisionError("the module's output is broken")

    monkeypatch.setattr(training, "check_module_output", check_module_output)
    with pytest.raises(ZeroDivisionError):
        training.train_on_module(module, files, hparams, lib.NoStrategy(), seed=0)
    alive = [t for t in threading.enumerate() if t.name == "tfhub-validation-pass"]
    assert not [t for t in alive if t.is_alive()]
