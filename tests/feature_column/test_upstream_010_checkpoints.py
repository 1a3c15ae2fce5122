"""TF1 graph code with feature columns: checkpoints move between tensorflow_hub 0.10.0 and tfhub.

Upstream's TF1 columns built a `hub.Module` in the variable scope `input_layer` gives each column,
so a checkpoint of a graph using them (an Estimator's, a `tf.compat.v1.train.Saver`'s) holds
`input_layer/<key>_hub_module_embedding/module/<variable>`. The same script runs with 0.10.0's
own feature columns (tests/_helpers/upstream_010.py) and with tfhub's: each fine-tunes a text
column and a sparse text column for one step and saves; the other library's graph restores the
checkpoint and must compute the same embeddings (the fine-tuned ones), with the same variables.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.upstream_010 import upstream_env, upstream_package
from tests._helpers.upstream_records import upstream_path
from tests.feature_column._columns_checkpoint import columns_seen
from tests.keras._child_parts import result_of, run_parts

pytestmark = [pytest.mark.tf, pytest.mark.slow]

UPSTREAM_INIT = """\
from tensorflow_hub.module import Module, load_module_spec
from tensorflow_hub.feature_column import (
    image_embedding_column, sparse_text_embedding_column, text_embedding_column)
from tensorflow_hub.version import __version__
from tensorflow_hub.config import _run

_run()
"""

# Upstream's part of the test, in one child: it trains and saves into argv[1], then restores
# what tfhub saved in argv[2].
UPSTREAM_SCRIPT = """
    import sys
    import tensorflow_hub as hub
    from tests.feature_column._columns_checkpoint import columns_seen

    modules = TEXT_MODULE, IMAGE_MODULE

    @part
    def trained():
        return columns_seen(hub, *modules, sys.argv[1], "train")

    @part
    def restored():
        return columns_seen(hub, *modules, sys.argv[2], "restore")
"""


@pytest.fixture(scope="module")
def upstream_010(tmp_path_factory) -> Path:
    """0.10.0's package with its TF1 feature columns, importable on TensorFlow 2.21."""
    return upstream_package(tmp_path_factory.mktemp("tensorflow_hub_010"), UPSTREAM_INIT)


def test_checkpoints_of_tf1_columns_restore_in_the_other_library(upstream_010, tmp_path) -> None:
    """tfhub's side runs in the test's process (it needs no environment of its own)."""
    import tfhub

    modules = [os.fspath(upstream_path(name)) for name in ("tf1_text_vocab", "tf1_image_info")]
    folders = {saver: tmp_path / f"saved_by_{saver}" for saver in ("upstream", "tfhub")}
    for folder in folders.values():
        folder.mkdir()
    ours_trained = columns_seen(tfhub, *modules, os.fspath(folders["tfhub"]), "train")
    code = UPSTREAM_SCRIPT.replace("TEXT_MODULE", repr(modules[0]))
    code = code.replace("IMAGE_MODULE", repr(modules[1]))
    upstream = run_parts(code, *map(os.fspath, folders.values()), env=upstream_env(upstream_010))
    ours_restored = columns_seen(tfhub, *modules, os.fspath(folders["upstream"]), "restore")
    runs = {
        "upstream": (result_of(upstream, "trained"), ours_restored),
        "tfhub": (ours_trained, result_of(upstream, "restored")),
    }
    for saver, (trained, restored) in runs.items():
        assert restored["variables"] == trained["variables"], saver
        assert restored["trainable"] == trained["trainable"], saver
        np.testing.assert_allclose(restored["output"], trained["output"], atol=1e-6)
        # The step changed the text embeddings: restoring them is what is checked.
        np.testing.assert_allclose(restored["before"], trained["before"], atol=1e-6)
        assert not np.allclose(restored["before"], restored["output"], atol=1e-3)
    assert "input_layer/title_hub_module_embedding/module/embeddings" in trained["trainable"]
    assert "input_layer/tags_hub_module_embedding/module/embeddings" in trained["trainable"]
    assert any(
        name.startswith("input_layer/photo_hub_module_embedding/module/")
        for name in trained["variables"]
    )
