"""A tfhub_module.pb that names no format (rf53a-F5, session 53).

An empty (or cut) `tfhub_module.pb` parses as a ModuleDef of format 0, FORMAT_UNSPECIFIED: older
than any format, not newer. tfhub said it "was written by a newer tensorflow_hub or tfhub than
this one: upgrade tfhub", which cannot help; the file is damaged and must be copied again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests._helpers.upstream_records import upstream_path

pytest.importorskip("tensorflow")
import tfhub as hub
from tfhub import errors, protos

pytestmark = pytest.mark.tf


def _module_with_marker(tmp_path: Path, content: bytes) -> Path:
    module_dir = tmp_path / "module"
    shutil.copytree(upstream_path("tf1_multi_sig"), module_dir)
    (module_dir / "tfhub_module.pb").write_bytes(content)
    return module_dir


def test_an_empty_marker_is_damaged_not_newer(tmp_path: Path) -> None:
    module_dir = _module_with_marker(tmp_path, b"")
    with pytest.raises(errors.DamagedModelError) as info:
        hub.load_module_spec(str(module_dir))
    err = info.value
    assert isinstance(err, ValueError)  # As upstream's ValueError.
    message = str(err)
    assert message.startswith("Unsupported module def format: 0.")  # Upstream's words first.
    assert "tfhub_module.pb (0 bytes)" in message and str(module_dir) in message
    assert "copy or export the model there again" in message
    assert "newer" not in message and "upgrade" not in message
    assert err.path == str(module_dir)


def test_a_newer_format_still_says_to_upgrade(tmp_path: Path) -> None:
    module_dir = _module_with_marker(tmp_path, protos.ModuleDef(format=4).SerializeToString())
    with pytest.raises(errors.TFHubLoadError, match="newer tensorflow_hub or tfhub") as info:
        hub.load_module_spec(str(module_dir))
    assert not isinstance(info.value, errors.DamagedModelError)
