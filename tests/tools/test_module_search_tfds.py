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
from tfhub.tools import image_folders
from tfhub.tools.module_search import lib
from tfhub.tools.module_search.cli import main as tool_main


class DatasetNotFoundError(ValueError):
    """As tensorflow_datasets' own (a ValueError of that name)."""


def _stand_in(images: Any, labels: Any, calls: list[dict[str, Any]]) -> types.ModuleType:
    """A `tensorflow_datasets` knowing "shapes" (configs "small": on disk, "big": not)."""
    import tensorflow as tf

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
        return [
            {"image": tf.constant(images[i]), "label": tf.constant(labels[i])} for i in range(count)
        ]

    module = types.ModuleType("tensorflow_datasets")
    module.builder_cls = builder_cls  # type: ignore[attr-defined]
    module.load = load  # type: ignore[attr-defined]
    return module


@pytest.mark.tf
def test_tfds_names_with_a_config_are_loaded_offline_and_errors_say_why(
    shape_images: Path,
    image_modules: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    decoded = image_folders.decode_images(
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
