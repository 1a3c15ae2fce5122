"""TF1 Hub modules that tfhub exports load in tensorflow_hub 0.10.0's own `hub.Module`.

The other direction of tests/tf1/test_upstream_fixtures.py (modules upstream exported, loaded by
tfhub): tfhub builds and exports modules of each kind a publisher makes (several signatures
with dict inputs and outputs, a fine-tuned export, a vocabulary asset and table, a partitioned
variable, control flow, a sparse input, batch norm in a `train` graph variant with image-module
info, a TF1 SavedModel made into a module by `create_module_spec_from_saved_model`, upstream's
own text module fine-tuned and exported again), then the same script loads them with tfhub's
`hub.Module` and with 0.10.0's, and everything either reports must be equal: outputs, variables
and their names, trainable variables, regularization losses, UPDATE_OPS, table initializers,
asset paths, signatures.

0.10.0 is the wheel from PyPI (fetched once into the user's cache; the test skips, saying so,
where PyPI cannot be reached). Its package `__init__` imports `tf.estimator`, which TensorFlow
2.21 no longer has, so the test imports its modules through an `__init__` of its own that leaves
the estimator and feature columns out; its generated protobuf modules predate protobuf 4, so
the child runs them with the pure-Python protobuf implementation. The rest is upstream's code,
unchanged (not kept in this repository).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env
from tests._helpers.upstream_010 import upstream_env, upstream_package
from tests._helpers.upstream_records import upstream_path
from tests._helpers.warm_python import run_warm_python
from tests.tf1._upstream_010_loads import modules_seen

pytestmark = [pytest.mark.tf, pytest.mark.slow]

# Imports what a TF1 user of 0.10.0 imported, without `estimator` and the feature columns.
UPSTREAM_INIT = """\
from tensorflow_hub.module import Module, load_module_spec
from tensorflow_hub.module_spec import ModuleSpec
from tensorflow_hub.native_module import add_signature, attach_message, create_module_spec
from tensorflow_hub.saved_model_module import create_module_spec_from_saved_model
from tensorflow_hub.image_util import ImageModuleInfo, get_expected_image_size
from tensorflow_hub.version import __version__
from tensorflow_hub.config import _run

_run()
"""

BUILD_SCRIPT = """
    import os, sys
    import numpy as np, tensorflow as tf
    import tfhub as hub

    v1 = tf.compat.v1
    out = sys.argv[1]

    def multi_fn():
        x = v1.placeholder(tf.float32, [None, 3])
        w = v1.get_variable(
            "w", [3, 2], initializer=v1.constant_initializer([[1., 2.], [3., 4.], [5., 6.]]),
            regularizer=lambda t: 0.01 * tf.reduce_sum(t * t))
        h = tf.matmul(x, w)
        hub.add_signature(inputs=x, outputs={"default": h, "hidden": tf.nn.relu(h - 25.0)})
        a, b = v1.placeholder(tf.float32, [None]), v1.placeholder(tf.float32, [None])
        hub.add_signature(
            "sum_pair", inputs={"a": a, "b": b}, outputs=a + 2 * b + tf.reduce_sum(w))

    def vocab_fn():
        path = os.path.join(out, "vocab.txt")
        with open(path, "w") as f:
            f.write("a\\ngood\\nfilm\\nbad\\n")
        sentences = v1.placeholder(tf.string, [None])
        table = tf.lookup.StaticVocabularyTable(tf.lookup.TextFileInitializer(
            path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
            tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), 1)
        embeddings = v1.get_variable(
            "emb", [5, 2], initializer=v1.constant_initializer(np.arange(10.).reshape(5, 2)))
        tokens = v1.string_split(sentences)
        ids = tf.SparseTensor(tokens.indices, table.lookup(tokens.values), tokens.dense_shape)
        hub.add_signature(
            inputs=sentences,
            outputs=v1.nn.embedding_lookup_sparse(embeddings, ids, None, combiner="sqrtn"))

    def partitioned_fn():
        ids = v1.placeholder(tf.int64, [None])
        embeddings = v1.get_variable(
            "emb", [10, 3], initializer=v1.random_normal_initializer(seed=1),
            partitioner=v1.fixed_size_partitioner(3))
        hub.add_signature(inputs=ids, outputs=v1.nn.embedding_lookup(embeddings, ids))

    def control_flow_fn():
        x = v1.placeholder(tf.float32, [None])
        w = v1.get_variable("w", [], initializer=v1.constant_initializer(2.0))
        _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * w), [0, x])
        hub.add_signature(
            inputs=x, outputs=tf.cond(tf.reduce_sum(y) > 0, lambda: y + 1.0, lambda: y - 1.0))

    def sparse_fn():
        x = v1.sparse_placeholder(tf.float32, [None, 4])
        w = v1.get_variable(
            "w", [4, 2], initializer=v1.constant_initializer(np.arange(8.).reshape(4, 2)))
        hub.add_signature(inputs=x, outputs=tf.sparse.sparse_dense_matmul(x, w))

    def image_fn(is_training=False):
        images = v1.placeholder(tf.float32, [None, None, None, 3])  # Any size: see the info.
        normed = v1.layers.batch_normalization(images, training=is_training, momentum=0.5)
        hub.add_signature(
            inputs={"images": images}, outputs=tf.reduce_mean(normed, axis=[1, 2]))
        info = hub.ImageModuleInfo()
        info.default_image_size.height, info.default_image_size.width = 6, 7
        hub.attach_image_module_info(info)

    def fine_tune(module, sess):
        loss = tf.reduce_sum(module(tf.constant([[1., 1., 1.]])))
        loss += tf.add_n(v1.losses.get_regularization_losses())
        step = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        sess.run(v1.variables_initializer(v1.global_variables()))
        sess.run(step)

    def export(name, module_fn, tags_and_args=None, train=None):
        spec = hub.create_module_spec(module_fn, tags_and_args=tags_and_args or [(set(), {})])
        with tf.Graph().as_default():
            module = hub.Module(spec, trainable=train is not None)
            with v1.Session() as sess:
                sess.run([v1.global_variables_initializer(), v1.tables_initializer()])
                if train:
                    train(module, sess)
                module.export(os.path.join(out, name), sess)

    export("multi", multi_fn)
    export("multi_fine_tuned", multi_fn, train=fine_tune)
    export("vocab", vocab_fn)
    export("partitioned", partitioned_fn)
    export("control_flow", control_flow_fn)
    export("sparse", sparse_fn)
    export("image", image_fn, [(set(), {"is_training": False}), ({"train"}, {"is_training": True})])

    # Upstream's text module (vocabulary asset) loaded from its folder, fine-tuned, exported.
    with tf.Graph().as_default():
        module = hub.Module(sys.argv[2], trainable=True)
        loss = tf.reduce_sum(module(tf.constant(["a good film"])))
        step = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        with v1.Session() as sess:
            sess.run([v1.global_variables_initializer(), v1.tables_initializer()])
            sess.run(step)
            module.export(os.path.join(out, "re_exported"), sess)

    # A TF1 SavedModel (two signatures, a hash table) made into a module.
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 3])
        w = v1.get_variable("w", initializer=np.arange(6.0, dtype=np.float32).reshape(3, 2))
        keys = v1.placeholder(tf.string, [None])
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2], tf.string, tf.int64), -1)
        with v1.Session() as sess:
            sess.run([v1.global_variables_initializer(), v1.tables_initializer()])
            builder = v1.saved_model.Builder(os.path.join(out, "tf1_saved_model"))
            builder.add_meta_graph_and_variables(
                sess, ["serve"], main_op=v1.tables_initializer(), signature_def_map={
                    "serving_default": v1.saved_model.predict_signature_def(
                        {"x": x}, {"y": tf.matmul(x, w)}),
                    "lookup": v1.saved_model.predict_signature_def(
                        {"keys": keys}, {"ids": table.lookup(keys)}),
                })
            builder.save()
    spec = hub.create_module_spec_from_saved_model(os.path.join(out, "tf1_saved_model"))
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        with v1.Session() as sess:
            sess.run([v1.global_variables_initializer(), v1.tables_initializer()])
            module.export(os.path.join(out, "from_saved_model"), sess)
"""

# 0.10.0's side of the loads, in a child of its own environment; tfhub's runs in the worker.
LOAD_SCRIPT = """
    import json, sys
    import tensorflow_hub as hub
    from tests.tf1._upstream_010_loads import modules_seen

    print(json.dumps(modules_seen(hub, sys.argv[1]), sort_keys=True))
"""


@pytest.fixture(scope="module")
def upstream_010(tmp_path_factory) -> Path:
    """A folder holding 0.10.0's `tensorflow_hub` package, importable on TensorFlow 2.21."""
    return upstream_package(tmp_path_factory.mktemp("tensorflow_hub_010"), UPSTREAM_INIT)


def test_tensorflow_hub_010_loads_modules_exported_by_tfhub(upstream_010, tmp_path) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    # tf.compat.v1.layers needs tf_keras (Keras 3 has no batch_normalization layer function;
    # TensorFlow picks on first access, so a program forked from its warm server gets tf_keras).
    # Both children run forked by run_warm_python: 0.10.0's from a server of its own
    # environment (pure-Python protobuf), shared with feature_column/test_upstream_010_checkpoints.
    run_warm_python(
        BUILD_SCRIPT,
        os.fspath(modules),
        os.fspath(upstream_path("tf1_text_vocab")),
        env=child_env(TF_USE_LEGACY_KERAS="1"),
    )

    import tfhub

    # tfhub's loads need no environment of their own: they run in the worker (JSON-normalised
    # as the child's are).
    ours = json.loads(json.dumps(modules_seen(tfhub, os.fspath(modules))))
    done = run_warm_python(LOAD_SCRIPT, os.fspath(modules), env=upstream_env(upstream_010))
    theirs = json.loads(done.stdout.strip().splitlines()[-1])

    assert sorted(theirs) == sorted(ours)
    assert len(ours) == 20
    for case, seen in ours.items():
        assert seen == theirs[case], case
    # The cases are what they claim to be (so that equal is not trivially equal); two instances
    # each, the first one applied.
    assert ours["image trainable=True tags=['train']"]["update_ops"] == 2  # Moving mean, var.
    assert ours["image trainable=False tags=[]"]["outputs"]["size"] == [6, 7]  # The info's.
    assert ours["multi trainable=True tags=[]"]["losses"] == pytest.approx([0.91, 0.91])
    assert ours["multi trainable=True tags=[]"]["trainable"] == ["module/w:0", "module_1/w:0"]
    vocab = ours["vocab trainable=False tags=[]"]
    assert vocab["tables"] == 2 and vocab["assets"]
    assert set(vocab["assets"]) == {os.path.join("vocab", "assets", "vocab.txt")}
    partitioned = [name for name, _ in ours["partitioned trainable=False tags=[]"]["variables"]]
    assert partitioned[:3] == [f"module/emb/part_{i}:0" for i in range(3)]
    re_exported = ours["re_exported trainable=False tags=[]"]
    assert set(re_exported["assets"]) == {os.path.join("re_exported", "assets", "tokens.txt")}
    from_saved_model = ours["from_saved_model trainable=False tags=['serve']"]
    assert from_saved_model["outputs"] == {"ids": {"ids": [1, -1, 2]}, "y": {"y": [[16.0, 22.0]]}}
    fine_tuned = ours["multi_fine_tuned trainable=False tags=[]"]["outputs"]["default"]["default"]
    assert fine_tuned != ours["multi trainable=False tags=[]"]["outputs"]["default"]["default"]
