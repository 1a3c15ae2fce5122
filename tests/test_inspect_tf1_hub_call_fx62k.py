"""`tfhub inspect` shows the hub.KerasLayer call of a TF1 Hub module that the handle alone
does not call, as the model page and starter doc do (hub/keras_call.py: "they never disagree"),
and that call is chosen among the signatures of the default (empty) tag set, the graph
hub.KerasLayer loads without `tags=` (fx62k, finding 11).

Before: inspect gave no hint for any TF1 Hub module, and keras_call merged the signatures of
all tag sets, so a `default` signature with a `default` output in the {"train"} graph only
made it say "the handle alone", which loads the default graph, without that signature.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests._helpers.python_process import run_tfhub
from tests._helpers.tf1_modules import export_module_spec

pytestmark = [pytest.mark.tf]


def _export(path: Path, *, train_default: bool) -> str:
    """A TF1 Hub module: its default tag set has signature 'tokens' (output 'emb' only); with
    `train_default`, its {"train"} tag set also has 'default' with a 'default' output."""
    import tensorflow as tf

    import tfhub as hub

    def module_fn(train: bool) -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        w = tf.compat.v1.get_variable("w", [2, 1], initializer=tf.compat.v1.ones_initializer())
        hub.add_signature("tokens", inputs=x, outputs={"emb": tf.matmul(x, w)})
        if train:
            hub.add_signature("default", inputs=x, outputs={"default": tf.matmul(x, w)})

    tags = [(set(), {"train": False})]
    if train_default:
        tags.append(({"train"}, {"train": True}))
    return export_module_spec(hub.create_module_spec(module_fn, tags_and_args=tags), path)


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("tf1_hub_call")
    return {
        "one_tag_set": _export(work / "one", train_default=False),
        "train_default": _export(work / "two", train_default=True),
    }


CALL = "hub.KerasLayer(handle, signature='tokens', output_key='emb') calls a signature"


@pytest.mark.parametrize("name", ["one_tag_set", "train_default"])
def test_inspects_text_and_json_show_the_signature_call(modules, name) -> None:
    from tfhub.cli.inspect import format_text, with_call_fields
    from tfhub.model_info import describe

    info = describe(modules[name])
    assert CALL in format_text(info)
    hints = with_call_fields(info)["hints"]
    assert len(hints) == 1 and CALL in hints[0]


def test_the_command_prints_it(modules) -> None:
    done = run_tfhub("inspect", "--json", modules["train_default"], timeout=120)
    assert done.returncode == 0, done.stderr
    assert CALL in json.loads(done.stdout)["hints"][0]


def test_the_starter_call_comes_from_the_default_tag_set(modules) -> None:
    from tfhub.hub import keras_call, signatures

    summary = signatures.compute_summary(modules["train_default"])
    assert keras_call.keras_call(summary) == keras_call.KerasCall(
        signature="tokens", output_key="emb", outputs=("emb",)
    )


def test_the_call_is_one_keras_layer_makes(modules) -> None:
    """The call inspect prints builds and runs (the handle alone would not)."""
    import numpy as np

    import tfhub as hub

    layer = hub.KerasLayer(modules["train_default"], signature="tokens", output_key="emb")
    assert np.allclose(np.asarray(layer(np.ones([1, 2], np.float32))), [[2.0]])
