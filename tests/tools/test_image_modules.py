"""tfhub.tools.image_modules: image feature-vector module checks and image sizes (shared by
make_image_classifier and module_search)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers import image_models, models

from tfhub import errors

# --- The module ---------------------------------------------------------------------------------


def _layer(handle: str):
    from tfhub.tools import image_modules

    return image_modules.load_module_layer(handle, trainable=False)


@pytest.mark.tf
def test_image_size_from_the_module_or_the_flag(image_modules: dict[str, str]) -> None:
    from tfhub.tools.image_modules import check_feature_vector, image_size_for_module

    fixed = _layer(image_modules["fixed"])
    assert image_size_for_module(fixed, "fixed") == (32, 32)
    assert image_size_for_module(fixed, "fixed", 32) == (32, 32)
    with pytest.raises(errors.ImageSizeError, match=r"expects images of size \(32, 32\)") as e:
        image_size_for_module(fixed, "fixed", 48)
    assert e.value.requested == 48 and isinstance(e.value, ValueError)
    variable = _layer(image_modules["variable"])
    with pytest.raises(errors.ImageSizeError, match="pass --image_size"):
        image_size_for_module(variable, "variable")
    assert image_size_for_module(variable, "variable", 40) == (40, 40)
    assert check_feature_vector(variable, "variable", (40, 40)) == 8
    tf1 = _layer(image_modules["tf1"])  # Variable input; ImageModuleInfo says 32x32.
    assert image_size_for_module(tf1, image_modules["tf1"]) == (32, 32)
    assert image_size_for_module(tf1, image_modules["tf1"], 24) == (24, 24)
    assert check_feature_vector(tf1, "tf1", (24, 24)) == 8


@pytest.mark.tf
@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("rank", r"input has shape \(None, 64\) \(rank 2\), not 4"),
        ("dtype", "input has dtype uint8, not float32"),
        ("map", r"output has shape \(2, 16, 16, 5\), not \[batch, dim\]"),
    ],
)
def test_not_an_image_feature_vector_module(tmp_path: Path, kind: str, match: str) -> None:
    from tfhub.tools.image_modules import check_feature_vector, image_size_for_module

    path = os.fspath(tmp_path / kind)
    if kind == "rank":
        models.save_mlp(path, inputs=64, hidden=8, outputs=4)
    else:
        dtype, output = ("uint8", "vector") if kind == "dtype" else ("float32", "map")
        image_models.save_image_feature_vector(path, dim=8, input_dtype=dtype, output=output)
    with pytest.raises(errors.NotAnImageModuleError, match=match) as caught:
        layer = _layer(path)
        check_feature_vector(layer, path, image_size_for_module(layer, path))
    assert caught.value.handle == path and "Received: tfhub_module=" in str(caught.value)


@pytest.mark.tf
def test_a_module_with_damaged_files_is_one_error_naming_the_flag(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    import shutil

    from tfhub.tools.image_modules import load_module_layer

    copy = tmp_path / "cut"
    shutil.copytree(image_modules["fixed"], copy)
    data = copy / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:10])  # A copy or download cut short.
    with pytest.raises(errors.ModuleUnavailableError, match="cannot be loaded") as caught:
        load_module_layer(os.fspath(copy), trainable=False, flag="module")
    assert str(caught.value).endswith(f"Received: module={os.fspath(copy)!r}")
    assert isinstance(caught.value, OSError) and "\n" not in str(caught.value)
