"""hub.KerasLayer over a TF1 module with a vocabulary table in tf_keras graph mode (review50d).

tf_keras runs no table initializer in graph mode: tensorflow_hub 0.16.1's layer failed at
`predict` with "Table not initialized" unless the user ran `tf.compat.v1.tables_initializer()`
in Keras' session. tfhub's layer has tf_keras run its model's table initializers once, as its
`DenseFeatures` columns do (docs/feature_columns.md); the user's own run of them still works.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python
from tests.feature_column._support import EXPECTED_TEXT, SENTENCES, TEXT_V1

pytestmark = [pytest.mark.tf]

_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
import tf_keras
import tfhub as hub
sentences = np.array(json.loads(sys.argv[2]))
results = {}
for trainable in (False, True):
    for users_init in (False, True):
        inputs = tf_keras.Input(shape=(), dtype=tf.string)
        layer = hub.KerasLayer(sys.argv[1], trainable=trainable)
        model = tf_keras.Model(inputs, layer(inputs))
        if users_init:
            tf.compat.v1.keras.backend.get_session().run(tf.compat.v1.tables_initializer())
        first = model.predict(sentences, verbose=0).tolist()
        second = model.predict(sentences, verbose=0).tolist()
        results[f"{trainable} {users_init}"] = [first, second, [w.name for w in layer.weights]]
print(json.dumps(results))
"""


def test_a_keras_layer_over_a_tf1_text_module_predicts_in_tf_keras_graph_mode():
    done = run_warm_python(
        _SCRIPT, TEXT_V1, json.dumps(SENTENCES), env=child_env(TF_USE_LEGACY_KERAS="1")
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(results) == ["False False", "False True", "True False", "True True"]
    for case, (first, second, names) in results.items():
        np.testing.assert_allclose(first, EXPECTED_TEXT, atol=1e-5, err_msg=case)
        np.testing.assert_allclose(second, EXPECTED_TEXT, atol=1e-5, err_msg=case)
        # One weight, the module's (the flag that runs the initializers is none); four layers in
        # one graph get unique names (embeddings, embeddings_1, ...).
        assert len(names) == 1 and names[0].split("/")[-1].startswith("embeddings"), (case, names)
