"""The hub.KerasLayer call shown for a TF1 Hub module whose signatures are only in a
non-default tag set ({"train"}) names that tag set (`tags=`): without it hub.KerasLayer loads
the empty tag set, which this module lacks (fx62l, L2).

Before: keras_call fell back to the signatures of all tag sets but its hint left `tags=` out,
so the hinted `hub.KerasLayer(handle, signature=...)` failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.tf1_modules import export_module_spec

pytestmark = [pytest.mark.tf]


def _export(path: Path, *, default_output: bool) -> str:
    """A TF1 Hub module with one tag set, {"train"}: signature 'default' whose output is
    'default' (`default_output`) or 'emb' (a call hub.KerasLayer needs a signature for)."""
    import tensorflow as tf

    import tfhub as hub

    output = "default" if default_output else "emb"

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        w = tf.compat.v1.get_variable("w", [2, 1], initializer=tf.compat.v1.ones_initializer())
        hub.add_signature("default", inputs=x, outputs={output: tf.matmul(x, w)})

    spec = hub.create_module_spec(module_fn, tags_and_args=[({"train"}, {})])
    return export_module_spec(spec, path, tags={"train"})


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("tf1_train_only")
    return {
        "emb": _export(work / "emb", default_output=False),
        "default": _export(work / "default", default_output=True),
    }


KEYWORDS = {
    "emb": "signature='default', output_key='emb', tags={'train'}",
    "default": "signature='default', output_key='default', tags={'train'}",
}


@pytest.mark.parametrize("name", ["emb", "default"])
def test_the_hinted_call_names_the_tag_set_and_runs(modules, name) -> None:
    import numpy as np

    import tfhub as hub
    from tfhub.cli.inspect import with_call_fields
    from tfhub.hub import keras_call, signatures
    from tfhub.model_info import describe

    call = keras_call.keras_call(signatures.compute_summary(modules[name]))
    assert call is not None and ", ".join(call.keywords()) == KEYWORDS[name]
    (hint,) = with_call_fields(describe(modules[name]))["hints"]
    line = f"hub.KerasLayer(handle, {KEYWORDS[name]})"
    assert line in hint
    layer = eval(line, {"hub": hub, "handle": modules[name]})  # The line as printed.
    assert np.allclose(np.asarray(layer(np.ones([1, 2], np.float32))), [[2.0]])


def test_the_starter_snippet_shows_it(modules) -> None:
    from tfhub.hub import signatures, starter

    lines = starter._usage_lines("m/1", signatures.compute_summary(modules["default"]))
    assert "    tags={'train'}," in lines
    assert "    signature='default'," in lines
