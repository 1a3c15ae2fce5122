"""A model that uses an op this process has not registered (tensorflow_text's tokenizers, in BERT
preprocessors and multilingual sentence encoders): one `MissingOpError` naming the op, the
library that registers it and how to get it, from every loader.

TensorFlow said "Op type not registered 'SentencepieceOp' in binary running on <host>. Make
sure the Op and Kernel are registered in the binary running in this process. Note that if you
are loading a saved graph which used ops from tf.contrib ..." (a RuntimeError for TF2
SavedModels, a NotFoundError for TF1 modules): the most asked question about hub text models.
The models here are real SavedModels whose `saved_model.pb` names an op TensorFlow lacks, as a
model saved with tensorflow_text imported does in a process without it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.warm_python import run_warm_python

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


def _rename_op(model: Path, old: str, new: str) -> None:
    """Renames every node of op `old` to `new` in the model's graph and functions."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((model / "saved_model.pb").read_bytes())
    renamed = 0
    for meta_graph in proto.meta_graphs:
        graph = meta_graph.graph_def
        nodes = [*graph.node, *(n for f in graph.library.function for n in f.node_def)]
        for node in nodes:
            if node.op == old:
                node.op, renamed = new, renamed + 1
    assert renamed
    (model / "saved_model.pb").write_bytes(proto.SerializeToString())


@pytest.fixture(scope="module")
def tf2_model(tmp_path_factory) -> Path:
    import tensorflow as tf

    class Lowered(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            return tf.strings.length(tf.strings.lower(text))

    path = tmp_path_factory.mktemp("tf2") / "model"
    tf.saved_model.save(Lowered(), str(path))
    return path


@pytest.fixture(scope="module")
def tf1_module(tmp_path_factory) -> Path:
    import tensorflow as tf

    def module_fn():
        text = tf.compat.v1.placeholder(tf.string, [None])
        hub.add_signature(inputs=text, outputs=tf.strings.length(tf.strings.lower(text)))

    path = tmp_path_factory.mktemp("tf1") / "module"
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            module.export(str(path), session)
    return path


def _with_op(model: Path, tmp_path: Path, op: str) -> Path:
    copy = tmp_path / model.name
    shutil.copytree(model, copy)
    _rename_op(copy, "StringLower", op)
    return copy


def _version() -> str:
    import tensorflow as tf

    return ".".join(tf.__version__.split(".")[:2])


def test_hub_load_and_keras_layer_name_the_library(tf2_model, tmp_path):
    """An op of TensorFlow Decision Forests (not installed here: nothing can import it)."""
    model = _with_op(tf2_model, tmp_path, "SimpleMLInferenceOpWithHandle")
    for load in (hub.load, hub.KerasLayer):
        with pytest.raises(errors.MissingOpError) as caught:
            load(str(model))
        assert str(caught.value) == (
            f"The model {model} uses the TensorFlow op 'SimpleMLInferenceOpWithHandle', which "
            "this process has not registered. It comes from tensorflow_decision_forests, which "
            "registers its ops when imported: install it (pip install "
            f"'tensorflow-decision-forests=={_version()}.*'); tfhub then imports it for the "
            "models that need it (other code must `import tensorflow_decision_forests` before "
            "loading such a model)."
        )
        assert isinstance(caught.value, RuntimeError)  # As TensorFlow's error was.
        assert "Op type not registered" in str(caught.value.__cause__)
        err = caught.value
        library = "tensorflow_decision_forests"
        assert (err.op, err.library, err.path) == (
            "SimpleMLInferenceOpWithHandle",
            library,
            str(model),
        )


def test_tf1_module_in_a_graph_eagerly_and_loaded(tf1_module, tmp_path):
    import tensorflow as tf

    module = _with_op(tf1_module, tmp_path, "IO>AudioDecodeMP3")
    spec = hub.load_module_spec(str(module))  # Reading the spec needs no op.

    def in_a_graph():
        with tf.Graph().as_default():
            hub.Module(spec)

    for build in (in_a_graph, lambda: hub.Module(str(module)), lambda: hub.load(str(module))):
        with pytest.raises(errors.MissingOpError, match="pip install tensorflow-io\\)") as caught:
            build()
        assert caught.value.library == "tensorflow_io"
        assert str(caught.value).startswith(f"The model {module} uses the TensorFlow op ")


@pytest.mark.parametrize(
    ("op", "library", "advice"),
    [
        ("SentencepieceEncodeSparse", "tf_sentencepiece", "no longer installs on current"),
        ("Addons>ImageProjectiveTransformV2", "tensorflow_addons", "use a newer version of the"),
        ("NoSuchOpAnywhere", None, "or from a TensorFlow newer than this one"),
    ],
)
def test_other_libraries_and_unknown_ops(tf2_model, tmp_path, op, library, advice):
    model = _with_op(tf2_model, tmp_path, op)
    with pytest.raises(errors.MissingOpError, match=advice) as caught:
        hub.load(str(model))
    assert (caught.value.op, caught.value.library) == (op, library)


needs_tensorflow_text = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow_text") is None,
    reason="tensorflow-text is not installed (it is in the test extra: pip install -e '.[test]')",
)

# A model made with tensorflow_text, as BERT preprocessors are: its ops are tensorflow_text's.
SAVE_WITH_TENSORFLOW_TEXT = """
import sys
import tensorflow as tf
import tensorflow_text as text
import tfhub as hub

class Tokens(tf.Module):
    def __init__(self):
        self.tokenizer = text.WhitespaceTokenizer()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, sentences):
        return self.tokenizer.tokenize(text.case_fold_utf8(sentences)).row_lengths()

tf.saved_model.save(Tokens(), sys.argv[1])

def module_fn():
    sentences = tf.compat.v1.placeholder(tf.string, [None])
    folded = text.case_fold_utf8(sentences)
    hub.add_signature(inputs=sentences, outputs=tf.strings.length(folded))

with tf.Graph().as_default():
    module = hub.Module(hub.create_module_spec(module_fn))
    with tf.compat.v1.Session() as session:
        module.export(sys.argv[2], session)
"""

# A process that never imports tensorflow_text itself (forked by `run_warm_python` from a server
# that imported TensorFlow, not tensorflow_text), loading the models in each case
# (sys.argv[3:], in this order): "blocked" (as if imported already, without its ops), "broken"
# (a tensorflow_text that fails to import, in the folder sys.argv[4]), "installed" (the real one,
# which tfhub imports: last, as an import cannot be undone). One process for the three cases: a
# fresh one each cost ~5 CPU-s more for TensorFlow's import; no case imports tensorflow_text
# before "installed", which tfhub's retry after a failed load is made for.
LOAD_WITHOUT_IMPORTING = """
import importlib, json, sys
import tensorflow as tf
import tfhub as hub

def run_case(case):
    results = {}
    texts = ["One two  three", "FOUR"]
    sentences = tf.constant(texts)
    for name, use in [
        ("load", lambda: hub.load(sys.argv[1])(sentences).numpy().tolist()),
        ("keras", lambda: hub.KerasLayer(sys.argv[1])(sentences).numpy().tolist()),
        ("tf1_eager", lambda: hub.Module(sys.argv[2])(sentences).numpy().tolist()),
    ]:
        try:
            results[name] = use()
        except hub.errors.MissingOpError as err:
            results[name] = [err.op, err.library, str(err)]
    with tf.Graph().as_default():
        try:
            lengths = hub.Module(sys.argv[2])(tf.constant(texts))
            with tf.compat.v1.Session() as session:
                results["tf1_graph"] = session.run(lengths).tolist()
        except hub.errors.MissingOpError as err:
            results["tf1_graph"] = [err.op, err.library, str(err)]
    results["imported"] = sys.modules.get("tensorflow_text") is not None
    return results

reports = {}
for case in sys.argv[3].split(","):
    assert sys.modules.get("tensorflow_text") is None, case  # Never imported before.
    sys.modules.pop("tensorflow_text", None)
    if sys.argv[4] in sys.path:
        sys.path.remove(sys.argv[4])
    if case == "blocked":
        sys.modules["tensorflow_text"] = None  # As if imported already, without its ops.
    elif case == "broken":
        sys.path.insert(0, sys.argv[4])  # A tensorflow_text that fails to import.
    importlib.invalidate_caches()
    reports[case] = run_case(case)
print(json.dumps(reports))
"""

LOAD_CASES = ("blocked", "broken", "installed")


@pytest.fixture(scope="module")
def text_models(tmp_path_factory) -> tuple[Path, Path]:
    """The TF2 and TF1 models saved with tensorflow_text (read only): saved once per test
    run, by the first pytest worker that asks (`computed_once`)."""
    tf2, tf1 = computed_once(
        tmp_path_factory, f"{__name__}.text_models", lambda: _save_text_models(tmp_path_factory)
    )
    return Path(tf2), Path(tf1)


def _save_text_models(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Runs SAVE_WITH_TENSORFLOW_TEXT in a child; `text_models`' folders."""
    folder = tmp_path_factory.mktemp("tensorflow_text_models")
    tf2, tf1 = folder / "tokens", folder / "tf1_tokens"
    run_warm_python(SAVE_WITH_TENSORFLOW_TEXT, str(tf2), str(tf1))
    return [str(tf2), str(tf1)]


@pytest.fixture(scope="module")
def loaded_without_importing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict]:
    """Each case's results of LOAD_WITHOUT_IMPORTING (one child for all), by case: computed
    once per test run, by the first pytest worker that asks (`computed_once`)."""
    return computed_once(
        tmp_path_factory,
        f"{__name__}.loaded_without_importing",
        lambda: _load_without_importing(request.getfixturevalue("text_models"), tmp_path_factory),
    )


def _load_without_importing(
    text_models: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict]:
    """Runs LOAD_WITHOUT_IMPORTING in a child; `loaded_without_importing`'s result. The broken
    tensorflow_text was built for another TensorFlow: its import fails ("undefined symbol")."""
    broken = tmp_path_factory.mktemp("site") / "tensorflow_text"
    broken.mkdir()
    (broken / "__init__.py").write_text(
        "raise ImportError('_regex_split_ops.so: undefined symbol: _ZN10tensorflow8OpKernel')\n"
    )
    tf2, tf1 = text_models
    cases = ",".join(LOAD_CASES)
    out = run_warm_python(LOAD_WITHOUT_IMPORTING, str(tf2), str(tf1), cases, str(broken.parent))
    return json.loads(out.stdout.strip().splitlines()[-1])


@needs_tensorflow_text
def test_an_installed_op_library_is_imported_for_the_model(loaded_without_importing):
    """A BERT preprocessor loaded without `import tensorflow_text`: tensorflow_text is
    installed, so tfhub imports it and the model runs, in every loader."""
    results = loaded_without_importing["installed"]
    assert results == {
        "load": [3, 1],
        "keras": [3, 1],
        "tf1_eager": [14, 4],
        "tf1_graph": [14, 4],
        "imported": True,
    }


@needs_tensorflow_text
def test_an_op_library_that_cannot_be_imported_is_named(loaded_without_importing):
    results = dict(loaded_without_importing["blocked"])
    assert results.pop("imported") is False
    for name, (op, library, message) in results.items():
        assert library == "tensorflow_text", name
        assert op in ("CaseFoldUTF8", "TFText>WhitespaceTokenizeWithOffsetsV2"), name
        assert "pip install 'tensorflow-text==" in message, name


@needs_tensorflow_text
def test_an_installed_library_that_does_not_import_says_why(loaded_without_importing):
    """A tensorflow_text built for another TensorFlow fails to import ("undefined symbol"): the
    error said to install it, which it is; it now says it did not import, and why."""
    results = dict(loaded_without_importing["broken"])
    assert results.pop("imported") is False
    for name, (_, library, message) in results.items():
        assert library == "tensorflow_text", name
        assert message.endswith(
            "tensorflow_text is installed but did not import (ImportError: _regex_split_ops.so: "
            "undefined symbol: _ZN10tensorflow8OpKernel): install the release built for this "
            "TensorFlow."
        ), (name, message)


@needs_tensorflow_text
def test_a_published_model_names_its_op_library_on_its_page(text_models, tmp_path):
    """`tfhub publish` loads such a model (importing tensorflow_text), records the library in
    the signature summary, and the model's page puts `import tensorflow_text` in its snippet, as
    tfhub.dev's pages of BERT preprocessors said to."""
    import requests
    from tests._helpers.hub_server import serve_hub

    tf2, _ = text_models
    root = tmp_path / "root"
    publish = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    run_warm_python(
        publish,
        "publish", str(tf2), str(root), "--handle", "lab/tokens/1",
        "--task", "text-embedding", "--description", "Token counts.",
    )  # fmt: skip
    summary = json.loads(
        (root / "assets/docs/lab/models/tokens/1.signatures.json").read_text(encoding="utf-8")
    )
    assert summary["op_libraries"] == ["tensorflow_text"]
    with serve_hub(root, tmp_path / "serve.log") as hub_server:
        page = requests.get(hub_server.url("lab/tokens/1"), timeout=10).text
    assert "import tensorflow_text  # the model uses its ops" in page
