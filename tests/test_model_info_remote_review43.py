"""`tfhub inspect` of a model on a tf.io.gfile filesystem (gs://) said it held 0 bytes of
files: `model_info.describe` summed the sizes through `os.walk`, which sees no gs:// folder
(found by gcsread43). ram:// stands in for GCS here."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

_MODEL = Path(__file__).parent / "data" / "upstream" / "tf1_text_vocab"


def test_a_remote_models_files_are_counted() -> None:
    tf = pytest.importorskip("tensorflow")
    from tfhub import cache, model_info

    remote = f"ram://inspect-{uuid.uuid4().hex}/tf1_text_vocab"
    for top, _, names in os.walk(_MODEL):
        for name in names:
            rel = os.path.relpath(os.path.join(top, name), _MODEL).replace(os.sep, "/")
            tf.io.gfile.makedirs(os.path.dirname(f"{remote}/{rel}"))
            tf.io.gfile.copy(os.path.join(top, name), f"{remote}/{rel}")
    expected = sum(cache.list_files(str(_MODEL)).values())
    assert expected > 0
    assert model_info.describe(remote)["files_bytes"] == expected
