"""The public API of tensorflow_hub 0.10.0 is all there (lazy imports: test_import_is_lazy.py)."""

from __future__ import annotations

import pytest

import tfhub as hub

# tensorflow_hub 0.10.0's public functions and classes (the package overview in the seed docs).
UPSTREAM_0_10_NAMES = [
    "KerasLayer",
    "LatestModuleExporter",
    "Module",
    "ModuleSpec",
    "ImageModuleInfo",
    "add_signature",
    "attach_image_module_info",
    "attach_message",
    "create_module_spec",
    "create_module_spec_from_saved_model",
    "eval_function_for_module",
    "get_expected_image_size",
    "get_num_image_channels",
    "image_embedding_column",
    "load",
    "load_module_spec",
    "register_module_for_export",
    "resolve",
    "sparse_text_embedding_column",
    "text_embedding_column",
    "text_embedding_column_v2",
]


def test_version_is_a_string() -> None:
    assert isinstance(hub.__version__, str)
    assert hub.__version__.count(".") == 2


def test_every_name_is_exported() -> None:
    missing = [name for name in UPSTREAM_0_10_NAMES if name not in hub.__all__]
    assert missing == []


@pytest.mark.tf
@pytest.mark.parametrize("name", UPSTREAM_0_10_NAMES)
def test_every_name_resolves(name: str) -> None:
    value = getattr(hub, name)
    assert value is not None
    assert callable(value)


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        hub.no_such_name  # noqa: B018
