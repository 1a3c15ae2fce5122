"""Loaders registered with upstream's protocol (rf53a-F1, session 53).

tensorflow_hub 0.10.0's `registry.loader` calls `is_supported(path)` and `loader(path)`; a loader
written for it takes the path alone. tfhub passed `handle=` to every implementation, so one such
loader made every `hub.load_module_spec` and `hub.Module(handle)` fail with a bare TypeError,
native modules included.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors, registry  # noqa: E402

pytestmark = pytest.mark.tf


class PathOnlyLoader:
    """A loader as upstream's protocol has it: supports folders holding `my_marker`."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def is_supported(self, path: str) -> bool:
        return (Path(path) / "my_marker").exists()

    def __call__(self, path: str) -> Any:
        self.calls.append(path)
        return ("my spec", path)


@pytest.fixture
def path_only_loader() -> Iterator[PathOnlyLoader]:
    """Registers a PathOnlyLoader, then leaves the registry as it found it."""
    before = registry.loader.implementations
    loader = PathOnlyLoader()
    registry.loader.add_implementation(loader)
    yield loader
    registry.loader.clear_implementations()
    for impl in before:
        registry.loader.add_implementation(impl)


def test_native_modules_load_beside_a_loader_that_takes_only_the_path(
    path_only_loader: PathOnlyLoader,
) -> None:
    module_dir = upstream_path("tf1_multi_sig")
    spec = hub.load_module_spec(module_dir)
    assert sorted(spec.get_signature_names()) == ["default", "sum_pair"]
    with tf.Graph().as_default():
        assert "hidden/weights" in hub.Module(module_dir).variable_map
    with pytest.raises(errors.NotATF1ModuleError, match="TF2 SavedModel"):
        hub.load_module_spec(upstream_path("tf2_saved_model"))
    assert path_only_loader.calls == []


def test_a_loader_that_takes_only_the_path_loads_what_it_supports(
    path_only_loader: PathOnlyLoader, tmp_path: Path
) -> None:
    module_dir = tmp_path / "mine"
    shutil.copytree(upstream_path("tf1_multi_sig"), module_dir)
    (module_dir / "my_marker").touch()
    assert hub.load_module_spec(str(module_dir)) == ("my spec", str(module_dir))
    assert path_only_loader.calls == [str(module_dir)]
