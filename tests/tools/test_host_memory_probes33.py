"""host_memory measures a module's activations the same in a process whose allocators kept
memory from earlier runs at that size: by TensorFlow's count of its CPU allocator's peak, not by
the resident set's, which such reuse does not grow."""

from __future__ import annotations

import numpy as np
import pytest

from tfhub.tools import host_memory


@pytest.mark.tf
def test_activations_are_counted_after_runs_at_the_same_size(tmp_path) -> None:
    """The wide module's conv output is 91 MB an image at 600x600 (300 x 300 x 253 floats).
    After runs of one and two images (their memory freed, kept by the allocators), the resident
    set's measure gave about 0 an image; each repeat must still count the activations."""
    from tests._helpers.image_models import save_image_feature_vector

    import tfhub as hub

    layer = hub.KerasLayer(save_image_feature_vector(tmp_path / "wide", image_size=None, dim=256))
    images = np.random.default_rng(0).random((2, 600, 600, 3), dtype=np.float32)
    measured = []
    for _ in range(3):
        layer(images[:1]), layer(images)  # The allocators now hold what both sizes took.
        measured.append(host_memory.bytes_per_image(layer, images))
    assert all(per_image and 91e6 <= per_image < 400e6 for per_image in measured), measured


def test_without_tensorflow_the_resident_set_is_measured(monkeypatch) -> None:
    """No TensorFlow imported (a call that needs none): the resident set's peak measures it."""
    import sys

    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    (grown,) = host_memory.peak_growths([lambda: bytearray(64 << 20)])  # Touched: zero-filled.
    assert grown >= 60 << 20, grown
