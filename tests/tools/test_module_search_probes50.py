"""Session 50's fix of review50c-F2: without tensorflow_datasets, a `name/config` dataset (the
docs' `imagenette/320px`) is a tensorflow_datasets name that needs the package, as `cifar10` is,
not a missing image folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.module_search import datasets
from tfhub.tools.module_search.dataset_spec import DataSpec


@pytest.mark.parametrize("name", ["cifar10", "imagenette/320px", "imagenette/320px:1.*"])
def test_a_tfds_name_without_the_package_says_to_install_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`imagenette/320px` was "Cannot use the image folder ...: it does not exist" (the
    ImportError of the missing package was swallowed)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # Its import fails.
    with pytest.raises(errors.DatasetUnavailableError) as caught:
        datasets.load_dataset(DataSpec.parse(name))
    assert "tensorflow_datasets package is not installed" in str(caught.value)
    assert "tensorflow-datasets" in str(caught.value)


def test_a_path_that_exists_or_is_spelt_as_one_is_still_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file at the name, or `./x/y`, stays the folder error (nothing tensorflow_datasets)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cats").write_text("a file")
    for name in ("photos/cats", "./imagenette/320px"):
        with pytest.raises(errors.ImageFolderError):
            datasets.load_dataset(DataSpec.parse(name))
