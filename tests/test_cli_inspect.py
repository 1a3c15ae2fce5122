"""`tfhub inspect` of TF2 reusable SavedModels shows how to call them (issue 10, item 17).

The models are built here: an image feature vector whose `__call__` was traced for
training=False/True (no signatures at all), and a text embedding whose only SavedModel
signature is TensorFlow's automatic export of a no-argument function.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers._across_workers import computed_once

from tfhub.cli.main import main

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tf

KERNEL = np.arange(12, dtype=np.float32).reshape(3, 4) / 10.0
L2 = 0.01


def _image_feature_vector(path: Path) -> str:
    class ImageFeatures(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable(KERNEL, name="kernel")
            self.moving_mean = tf.Variable(tf.zeros([4]), trainable=False, name="moving_mean")

        def __call__(self, images: Any, training: bool = False) -> Any:
            features = tf.matmul(tf.reduce_mean(images, axis=[1, 2]), self.kernel)
            return features if training else features - self.moving_mean

    model = ImageFeatures()
    root = tf.train.Checkpoint(model=model)
    root.__call__ = tf.function(model.__call__)
    for training in (False, True):
        root.__call__.get_concrete_function(tf.TensorSpec([None, 8, 8, 3], tf.float32), training)
    root.variables = [model.kernel, model.moving_mean]
    root.trainable_variables = [model.kernel]
    root.regularization_losses = [
        tf.function(lambda: L2 * tf.reduce_sum(tf.square(model.kernel)), input_signature=[])
    ]
    tf.saved_model.save(root, str(path))
    return str(path)


def _text_embedding(path: Path) -> str:
    embeddings = tf.Variable(np.ones([5, 2], np.float32), name="embeddings")
    root = tf.train.Checkpoint(embeddings=embeddings)

    def embed(sentences: Any) -> Any:
        ids = tf.strings.to_hash_bucket_fast(sentences, 5)
        return tf.nn.embedding_lookup(embeddings, ids)

    root.__call__ = tf.function(embed)
    root.__call__.get_concrete_function(tf.TensorSpec([None], tf.string, name="sentences"))
    root.variables = [embeddings]
    root.trainable_variables = [embeddings]
    root.regularization_losses = []
    # A no-argument function with an input signature: TensorFlow exports it as serving_default.
    root.dimension = tf.function(lambda: tf.constant(2), input_signature=[])
    tf.saved_model.save(root, str(path))
    return str(path)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("inspect")
    return {
        "image": _image_feature_vector(base / "image"),
        "text": _text_embedding(base / "text"),
    }


def _inspect(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["inspect", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_image_feature_vector_shows_call_variables_and_losses(
    capsys: pytest.CaptureFixture[str], models: dict[str, str]
) -> None:
    info = json.loads(_inspect(capsys, "--json", models["image"]))
    reusable = info["reusable"]
    assert reusable["call"] == [
        {
            "inputs": [{"name": "images", "dtype": "float32", "shape": [None, 8, 8, 3]}],
            "training": [False, True],
        }
    ]
    assert reusable["trainable_variables"] == {"count": 1, "bytes": 12 * 4}
    assert reusable["non_trainable_variables"] == {"count": 1, "bytes": 4 * 4}
    np.testing.assert_allclose(reusable["regularization_losses"], [L2 * np.sum(KERNEL**2)])
    text = _inspect(capsys, models["image"])
    assert "  (images: float32 shape=[None, 8, 8, 3], training=False|True)" in text
    assert "trainable variables: 1 (48 bytes)" in text
    assert "non-trainable variables: 1 (16 bytes)" in text
    assert f"regularization losses: 1 ({L2 * np.sum(KERNEL**2):.6g})" in text


def test_text_embedding_call_is_shown_and_no_argument_signature_flagged(
    capsys: pytest.CaptureFixture[str], models: dict[str, str]
) -> None:
    info = json.loads(_inspect(capsys, "--json", models["text"]))
    assert info["reusable"]["call"] == [
        {"inputs": [{"name": "sentences", "dtype": "string", "shape": [None]}], "training": None}
    ]
    assert info["reusable"]["regularization_losses"] == []
    serving = info["meta_graphs"][0]["signatures"]["serving_default"]
    assert serving["inputs"] == {} and "not how to call the model" in serving["note"]
    text = _inspect(capsys, models["text"])
    call_line = text.index("  (sentences: string shape=[None], (no training argument))")
    assert call_line < text.index("signature 'serving_default'")
    assert "(takes no inputs: TensorFlow exported a no-argument function" in text


def test_inspect_reads_a_model_on_a_gfile_url(
    capsys: pytest.CaptureFixture[str], models: dict[str, str]
) -> None:
    url = "ram://tfhub-inspect-test/image"
    for source in tf.io.gfile.glob(models["image"] + "/**") + tf.io.gfile.glob(
        models["image"] + "/*/*"
    ):
        if not tf.io.gfile.isdir(source):
            target = url + source[len(models["image"]) :]
            tf.io.gfile.makedirs(target.rsplit("/", 1)[0])
            tf.io.gfile.copy(source, target, overwrite=True)
    info = json.loads(_inspect(capsys, "--json", url))
    assert info["variables"] == json.loads(_inspect(capsys, "--json", models["image"]))["variables"]
    assert info["variables"]["count"] > 0  # Read from ram://, not silently skipped.
    assert info["reusable"]["trainable_variables"]["count"] == 1


def test_a_plain_module_and_a_model_that_needs_an_op_library(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A `tf.Module` saved as is lists no variables: inspect showed 0 trainable, while
    hub.KerasLayer trains its tracked ones. A model with ops of a library (tensorflow_io, not
    installed here) said only "cannot be loaded: RuntimeError: Op type not registered ..."."""
    from tensorflow.core.protobuf import saved_model_pb2

    class Scale(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable(tf.ones([3, 2]), name="kernel")
            self.steps = tf.Variable(0, trainable=False, name="steps")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: Any) -> Any:
            return tf.matmul(tf.math.abs(x), self.kernel)

    path = tmp_path / "scale"
    tf.saved_model.save(Scale(), str(path))
    reusable = json.loads(_inspect(capsys, "--json", str(path)))["reusable"]
    assert reusable["trainable_variables"] == {"count": 1, "bytes": 6 * 4}
    assert reusable["non_trainable_variables"] == {"count": 1, "bytes": 4}
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    for function in proto.meta_graphs[0].graph_def.library.function:
        for node in function.node_def:
            if node.op == "Abs":
                node.op = "IO>AudioDecodeMP3"
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    info = json.loads(_inspect(capsys, "--json", str(path)))
    assert info["op_libraries"] == ["tensorflow_io"]
    assert "uses the TensorFlow op 'IO>AudioDecodeMP3'" in info["reusable"]["error"]
    assert "pip install tensorflow-io" in info["reusable"]["error"]
    text = _inspect(capsys, str(path))
    assert "uses ops of: tensorflow_io (imported by tfhub when installed)" in text.splitlines()[2]


def test_a_model_that_is_not_callable_says_how_hub_keras_layer_takes_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A Keras 3 `model.export` has signatures and no `__call__`: inspect printed no `__call__`
    line, and hub.KerasLayer(handle) then failed."""
    import keras

    import tfhub as hub

    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).export(
        str(tmp_path / "exported"), verbose=False
    )
    text = _inspect(capsys, str(tmp_path / "exported"))
    line = next(line for line in text.splitlines() if line.startswith("__call__"))
    assert line == (
        "__call__: none (not callable): hub.KerasLayer(handle, signature='serving_default', "
        "output_key='output_0') calls a signature"
    )
    layer = hub.KerasLayer(
        str(tmp_path / "exported"), signature="serving_default", output_key="output_0"
    )
    assert layer(np.ones((1, 3), np.float32)).shape == (1, 2)


# Each model whose file is not a file: (name, what it is instead, what the message calls it).
NOT_A_FILE = [
    ("saved_model.pb", "fifo", "FIFO"),
    ("saved_model.pb", "/dev/zero", "character device"),
    ("saved_model.pb", "folder", "folder"),
    ("variables/variables.index", "fifo", "FIFO"),
    ("assets/vocab.txt", "/dev/zero", "character device"),
]

# `tfhub inspect MODEL` of each model (sys.argv[1:]) in turn, in one child: its exit code and
# what it wrote on descriptor 2 (Python's and native writes), one JSON line per model.
_INSPECT_EACH = """
import json, os, sys, tempfile
from tfhub.cli.main import main

for model in sys.argv[1:]:
    with tempfile.TemporaryFile() as err:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            code = main(["inspect", model])
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        err.seek(0)
        print(json.dumps([code, err.read().decode()]), flush=True)
"""


def _not_a_file_model(base: Path, source: str, name: str, make: str) -> Path:
    """A copy of the model `source` (one that loads) in `base/model` whose file `name` is
    `make` instead: a named pipe ("fifo"), a folder, or a link to that path."""
    import os
    import shutil

    model = base / "model"
    shutil.copytree(source, model)
    if (model / name).is_dir():
        shutil.rmtree(model / name)
    (model / name).unlink(missing_ok=True)
    (model / name).parent.mkdir(exist_ok=True)
    if make == "fifo":
        os.mkfifo(model / name)
    elif make == "folder":
        (model / name).mkdir()
    else:
        (model / name).symlink_to(make)
    return model


@pytest.fixture(scope="module")
def not_a_file_inspected(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str, str], tuple[Path, int | None, str]]:
    """Each NOT_A_FILE row's model, and `tfhub inspect`'s exit code and stderr for it. One child
    inspects them all (a fresh one each cost a TensorFlow import more), in a child still: what
    it guards against is reading for ever, or until memory ran out. "For ever" is what the bound
    catches: 240 s for the five, as the command imports TensorFlow (~5 s idle) and a CI machine
    shared with other jobs made that take more than 30 s (each had 120 s). Computed once per
    test run, by the first pytest worker that asks (`computed_once`)."""
    found = computed_once(
        tmp_path_factory,
        f"{__name__}.not_a_file_inspected",
        lambda: _inspect_not_a_file(request.getfixturevalue("models"), tmp_path_factory),
    )
    return {tuple(row): (Path(model), code, stderr) for row, model, code, stderr in found}


def _inspect_not_a_file(
    models: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[tuple[str, str, str], str, int | None, str]]:
    """Makes each NOT_A_FILE row's model and runs `_INSPECT_EACH` over them in one child;
    `not_a_file_inspected`'s rows (row, model, exit code, stderr)."""
    from tests._helpers.warm_python import run_warm_python

    made = {
        row: _not_a_file_model(tmp_path_factory.mktemp("not-a-file"), models["image"], *row[:2])
        for row in NOT_A_FILE
    }
    done = run_warm_python(  # Forked after TensorFlow's import: a child still, capped.
        _INSPECT_EACH, *map(str, made.values()), timeout=240, check=False, max_memory=8 << 30
    )
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("[")]
    reports += [[None, done.stderr[-4000:]]] * (len(made) - len(reports))  # The child died.
    return [
        (row, str(model), *report)
        for (row, model), report in zip(made.items(), reports, strict=True)
    ]


@pytest.mark.parametrize(("name", "make", "kind"), NOT_A_FILE)
def test_a_model_file_that_is_not_a_file_is_refused_not_read_for_ever(
    not_a_file_inspected: dict[tuple[str, str, str], tuple[Path, int | None, str]],
    name: str,
    make: str,
    kind: str,
) -> None:
    """`tfhub inspect` of a folder whose saved_model.pb (or checkpoint, or fingerprint.pb) is a
    named pipe waited for a writer for ever; a link to /dev/zero was read until memory ran out.
    A saved_model.pb folder was a bare `tfhub: OS error: [Errno 21] Is a directory: '...'`."""
    model, code, stderr = not_a_file_inspected[(name, make, kind)]
    assert code == 1, stderr  # None: the child ended before this model (its stderr).
    assert stderr == (
        f"tfhub: error: The model {model} cannot be loaded: {name} is a {kind}, not a file. "
        "Check the path, or copy or export the model there again.\n"
    )
