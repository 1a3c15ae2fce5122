"""module_search with tensorflow_datasets names (issue 8, section 3): upstream passed `--dataset`
to `tfds.load`, so `name/config` names (`imagenette/320px`) are tensorflow_datasets names too.

tensorflow_datasets is not a dependency and its data needs the internet, so a stand-in module
with its interface (`builder_cls`, `load`, `DatasetNotFoundError`) plays it here: what is tested
is tfhub's choice between a folder and tensorflow_datasets, its reading of the examples and its
errors. Checked by hand with tensorflow_datasets 4.9.10 installed and no network: the same
errors, and no connection tried."""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tfhub import errors
from tfhub.tools import image_decoding, image_folders
from tfhub.tools.module_search import lib
from tfhub.tools.module_search.cli import main as tool_main


class DatasetNotFoundError(ValueError):
    """As tensorflow_datasets' own (a ValueError of that name)."""


def _stand_in(images: Any, labels: Any, calls: list[dict[str, Any]]) -> types.ModuleType:
    """A `tensorflow_datasets` knowing "shapes" (configs "small": on disk, "big": not)."""

    def builder_cls(name: str) -> type:
        if name != "shapes":
            raise DatasetNotFoundError(f"Dataset {name} not found.")
        return object

    def load(name: str, **kwargs: Any) -> list[dict[str, Any]]:
        calls.append({"name": name, **kwargs})
        logging.getLogger("absl").warning("Variant folder %s has no dataset_info.json", name)
        builder_cls(name.split("/")[0])
        if name != "shapes/small":
            raise AssertionError(f"Dataset {name}: could not find data in ~/tensorflow_datasets")
        count = int(kwargs["split"].partition("[:")[2].rstrip("]") or len(labels))
        split = _Split(images[:count], labels[:count])
        module.loaded.append(split)  # type: ignore[attr-defined]
        return split

    module = types.ModuleType("tensorflow_datasets")
    module.builder_cls = builder_cls  # type: ignore[attr-defined]
    module.load = load  # type: ignore[attr-defined]
    module.loaded = []  # type: ignore[attr-defined]
    return module


class _Split:
    """A split as `tfds.load` returns it: iterable again and again, each pass making its
    examples anew (dicts of eager tensors); counts the passes."""

    def __init__(self, images: Any, labels: Any) -> None:
        self._images, self._labels = images, labels
        self.passes = 0

    def __iter__(self) -> Any:
        import tensorflow as tf

        self.passes += 1
        for image, label in zip(self._images, self._labels, strict=True):
            yield {"image": tf.constant(image), "label": tf.constant(label)}


@pytest.mark.tf
def test_tfds_names_with_a_config_are_loaded_offline_and_errors_say_why(
    shape_images: Path,
    image_modules: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    decoded = image_decoding.decode_images(
        image_folders.list_image_files(str(shape_images)), (40, 40)
    )
    order = [i for rank in range(20) for i in (rank, 20 + rank, 40 + rank)]  # Classes in turn.
    calls: list[dict[str, Any]] = []
    fake = _stand_in(decoded.images[order], decoded.label_ids[order], calls)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)

    assert tool_main(["--dataset=shapes/small#12", f"--module={image_modules['fixed']}"]) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith("# Module ranking for shapes/small#12 (12 images")
    assert calls == [
        {"name": "shapes/small", "split": "train[:12]", "shuffle_files": False, "download": False}
    ]
    assert "Variant folder" not in printed.err  # tensorflow_datasets' absl noise stays off.

    for dataset, why in [
        ("shapes/big", "it is not downloaded (AssertionError)"),
        ("nosuch", "tensorflow_datasets has no dataset of that name"),
    ]:
        assert tool_main([f"--dataset={dataset}", "--module=m"]) != 0
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert f"cannot be used: {why}." in line and f"Received: dataset='{dataset}'" in line
    assert tool_main(["--dataset=data/flowers", "--module=m"]) != 0  # No such builder: a path.
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "Cannot use the image folder data/flowers: it is not a folder" in line
    with pytest.raises(errors.DatasetUnavailableError):
        lib.load_dataset(lib.DataSpec.parse("shapes/big#3"))


@pytest.mark.tf
def test_a_tfds_split_is_read_again_per_size_not_kept_decoded(
    shape_images: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every decoded example was kept at its own size for the whole run (Oxford Flowers 102:
    ~6 GB); now the labels, and the images resized to the size in use as uint8, as for a
    folder. A grey dataset's one channel (MNIST's) is given to the module as three."""
    import numpy as np

    decoded = image_decoding.decode_images(
        image_folders.list_image_files(str(shape_images)), (40, 40)
    )
    grey = decoded.images[:, :, :, :1]
    fake = _stand_in(grey, decoded.label_ids, [])
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    dataset = lib.load_dataset(lib.DataSpec.parse("shapes/small"))
    (split,) = fake.loaded
    assert split.passes == 1  # The labels.
    np.testing.assert_array_equal(dataset.labels, decoded.label_ids)
    batches = list(dataset.batches((40, 40), 7))
    assert [len(batch) for batch in batches] == [7] * 8 + [4] and split.passes == 2
    np.testing.assert_allclose(
        np.concatenate(batches), np.repeat(grey, 3, axis=-1) / 255.0, atol=1e-6
    )
    list(dataset.batches((40, 40), 7))  # The next module of that size: kept, not read again.
    assert split.passes == 2
    assert np.concatenate(list(dataset.batches((20, 20), 7))).shape == (60, 20, 20, 3)
    assert split.passes == 3
