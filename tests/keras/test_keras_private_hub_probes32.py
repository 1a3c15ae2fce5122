"""Keras models over a private hub, end to end (session 32 probes), in both Keras flavours.

Tiny SavedModels are published with `tfhub publish` into one ROOT (once per run). Each flavour
runs in processes of its own (forked by run_warm_python, TensorFlow imported, nothing loaded):
one fine-tunes `hub.KerasLayer`s over the URLs of a `tfhub serve` of that ROOT, saves the models
and probes the layer's options, re-export, nesting and TFLite; a second, with the server out of
reach, loads the saved files with a copy of the first's cache (another machine, offline) and
with an empty cache. Each flavour's train run has a server of its own, stopped when the run
ends, so that flavour's URLs are out of reach from then on; the run is made once per test run
(`computed_once`), whichever xdist workers its tests go to.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import urllib.request
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from tests._helpers import image_models, models
from tests._helpers._across_workers import computed_once
from tests._helpers.hub_server import serve_hub
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

pytestmark = [pytest.mark.tf, pytest.mark.slow]

# Model name -> (builder, tfhub.dev task of its doc).
PUBLISHED = {
    "text": (models.save_text_embedding, "text-embedding"),
    "image": (image_models.save_image_feature_vector, "image-feature-vector"),
    "dict": (models.save_dict_io_model, "text-classification"),
    "tf2": (models.save_tf2_module, "text-classification"),
    "scaled": (models.save_scaled_model, "text-classification"),
}
# What each flavour saves a fine-tuned model as ("" is a SavedModel folder).
SUFFIXES = {"keras3": (".keras",), "tf_keras": (".h5", "")}
# The models the train child fine-tunes; the hub URL each one wraps.
FINE_TUNED = {
    "text": "pub/text/1",
    "tf2": "pub/tf2/1",
    "image": "pub/image/1",
    "dict": "pub/dict/1",
    "signature": "pub/tf2/1",
    "arguments": "pub/scaled/1",
}

TRAIN_SCRIPT = """
    import json, os, sys
    import numpy as np
    import tensorflow as tf
    import tfhub as hub
    if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
        import tf_keras as keras
    else:
        import keras
    from tests._helpers.image_models import tflite_predictions

    base, out, suffixes = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    rng = np.random.RandomState(0)
    x3 = rng.rand(8, 3).astype("float32")

    def hub_layer(model):
        return next(layer for layer in model.layers if isinstance(layer, hub.KerasLayer))

    def values(layer):
        return [np.asarray(w.numpy()).tolist() for w in layer.weights]

    def functional(handle, inputs, **kwargs):
        layer = hub.KerasLayer(base + handle, trainable=True, **kwargs)
        return keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))

    def dict_model():
        a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
        outputs = hub.KerasLayer(base + "pub/dict/1", trainable=True)({"a": a, "b": b})
        joined = keras.layers.Concatenate()([outputs["sum"], outputs["prod"]])
        return keras.Model({"a": a, "b": b}, keras.layers.Dense(1)(joined))

    def text_model():
        layer = hub.KerasLayer(base + "pub/text/1", input_shape=[], dtype=tf.string,
                               trainable=True)
        return keras.Sequential([layer, keras.layers.Dense(1)])

    BUILDS = {
        "text": (text_model, ["hello world", "the cat sat", "mat", "zzz"]),
        "tf2": (lambda: functional("pub/tf2/1", keras.Input((3,))), x3),
        "image": (lambda: functional("pub/image/1", keras.Input((32, 32, 3))),
                  rng.rand(4, 32, 32, 3).astype("float32")),
        "dict": (dict_model, {k: rng.rand(8, 2).astype("float32") for k in "ab"}),
        "signature": (lambda: functional("pub/tf2/1", keras.Input((3,)), signature="features",
                                         output_key="logits"), x3),
        "arguments": (lambda: functional("pub/scaled/1", keras.Input((2,)),
                                         arguments={"scale": 3.0}),
                      rng.rand(8, 2).astype("float32")),
    }

    def as_input(x):
        return tf.constant(x) if isinstance(x, list) else x

    def as_json(x):
        return {k: v.tolist() for k, v in x.items()} if isinstance(x, dict) else (
            x if isinstance(x, list) else x.tolist())

    def save(model, name):
        for suffix in suffixes:
            model.save(os.path.join(out, name + suffix))

    def fine_tune(name):
        build, x = BUILDS[name]
        model = build()
        layer = hub_layer(model)
        before = values(layer)
        model.compile(keras.optimizers.SGD(0.1), "mse")
        rows = len(x["a"]) if isinstance(x, dict) else len(x)
        model.fit(as_input(x), rng.rand(rows, 1).astype("float32"), epochs=2, verbose=0)
        save(model, name)
        record = {"x": as_json(x), "before": before, "after": values(layer),
                  "trainable": [w.trainable for w in layer.weights],
                  "losses": len(model.losses),
                  "pred": model.predict(as_input(x), verbose=0).tolist()}
        return model, record

    def probe(fn):
        try:
            return {"ok": fn()}
        except Exception as err:
            return {"error": type(err).__name__,
                    "mro": [c.__name__ for c in type(err).__mro__],
                    "message": str(err), "available": list(getattr(err, "available", ()))}

    def layer_options():
        ones = np.ones((2, 3), "float32")
        tf2 = base + "pub/tf2/1"
        device = lambda name: tf.saved_model.LoadOptions(experimental_io_device=name)
        return {
            "as_dict": probe(lambda: {k: v.numpy().tolist() for k, v in hub.KerasLayer(
                tf2, signature="features", signature_outputs_as_dict=True)(ones).items()}),
            "output_key": probe(lambda: hub.KerasLayer(
                tf2, signature="serving_default", output_key="output_0")(ones).numpy().tolist()),
            "arguments": probe(lambda: hub.KerasLayer(
                base + "pub/scaled/1", arguments={"scale": 3.0})(np.ones((1, 2), "float32"))
                .numpy().tolist()),
            "load_options": probe(lambda: hub.KerasLayer(
                tf2, load_options=device("/job:localhost"))(ones).numpy().tolist()),
            "load_options_used": probe(lambda: hub.KerasLayer(
                tf2, load_options=device("/job:nowhere/device:CPU:0"))(ones).numpy().tolist()),
            "wrong_signature": probe(lambda: hub.KerasLayer(
                tf2, signature="nope", output_key="logits")(ones).numpy().tolist()),
            "wrong_output_key": probe(lambda: hub.KerasLayer(
                tf2, signature="features", output_key="nope")(ones).numpy().tolist()),
        }

    def diff(a, b):
        return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))

    def nest(path, loaded, ref):
        kwargs = {} if callable(loaded) else {"signature": "serving_default",
                                                "output_key": "output_0"}
        layer = hub.KerasLayer(path, trainable=True, **kwargs)
        inputs = keras.Input((3,))
        model = keras.Model(inputs, layer(inputs))
        same = diff(model.predict(x3, verbose=0), ref)
        before = [w.numpy().copy() for w in layer.trainable_weights]
        model.compile(keras.optimizers.SGD(0.1), "mse")
        model.fit(x3, np.zeros((8, 1), "float32"), epochs=1, verbose=0)
        changed = [bool(np.any(a != w.numpy())) for a, w in zip(before, layer.trainable_weights)]
        model.save(os.path.join(out, "nested" + suffixes[0]))
        again = keras.models.load_model(os.path.join(out, "nested" + suffixes[0]))
        return {"same": same, "changed": changed, "losses": len(model.losses),
                "reloaded": diff(again.predict(x3, verbose=0), model.predict(x3, verbose=0))}

    def reexport(model):
        path = os.path.join(out, "reexported")
        ref = model.predict(x3, verbose=0)
        tf.saved_model.save(model, path)
        loaded, via_hub = tf.saved_model.load(path), hub.load(path)
        serve = loaded.signatures["serving_default"]
        result = {"signature": diff(next(iter(serve(tf.constant(x3)).values())), ref),
                  "callable": callable(loaded), "hub_callable": callable(via_hub)}
        if callable(via_hub):
            result["hub_call"] = diff(via_hub(x3), ref)
            result["hub_losses"] = len(via_hub.regularization_losses)
        else:
            result["no_signature"] = probe(lambda: hub.KerasLayer(path))
        result["nested"] = probe(lambda: nest(path, via_hub, ref))
        return result

    def tflite(model, x):
        lite = os.path.join(out, "model.tflite")
        with open(lite, "wb") as f:
            f.write(tf.lite.TFLiteConverter.from_keras_model(model).convert())
        return diff(tflite_predictions(lite, x), model.predict(x, verbose=0))

    tuned = {name: fine_tune(name) for name in BUILDS}
    results = {"records": {name: record for name, (_, record) in tuned.items()},
               "options": layer_options(), "reexport": reexport(tuned["tf2"][0])}
    if not hasattr(keras, "__internal__"):  # Keras 3 only
        results["tflite"] = {name: probe(lambda name=name: tflite(tuned[name][0], BUILDS[name][1]))
                             for name in ("tf2", "image")}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f)
"""

LOAD_SCRIPT = """
    import json, os, sys
    import numpy as np
    import tensorflow as tf
    import tfhub as hub
    if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
        import tf_keras as keras
    else:
        import keras

    out, caches, suffixes = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    records = json.load(open(os.path.join(out, "results.json")))["records"]

    def as_input(x):
        if isinstance(x, dict):
            return {k: np.asarray(v, "float32") for k, v in x.items()}
        return tf.constant(x) if isinstance(x[0], str) else np.asarray(x, "float32")

    def hub_layer(model):
        return next(layer for layer in model.layers if "KerasLayer" in type(layer).__name__)

    def load(path, record):
        try:
            model = keras.models.load_model(path)
        except Exception as err:
            return {"error": type(err).__name__, "module": type(err).__module__,
                    "message": str(err), "handle": getattr(err, "handle", None)}
        layer = hub_layer(model)
        return {"pred": model.predict(as_input(record["x"]), verbose=0).tolist(),
                "weights": [np.asarray(w.numpy()).tolist() for w in layer.weights],
                "handle": getattr(layer, "handle", None)}

    results = {}
    for cache, folder in caches.items():
        os.environ["TFHUB_CACHE_DIR"] = folder
        results[cache] = {name + suffix: load(os.path.join(out, name + suffix), record)
                          for name, record in records.items() for suffix in suffixes}
    print(json.dumps(results))
"""


def _refuses(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` any more (the hub is out of reach)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def _serves_the_handles(port: int) -> bool:
    """Whether 127.0.0.1:`port` answers 200 to a handle of FINE_TUNED (a hub of this ROOT: a
    port closed earlier may have been given to another test's server since, which is out of
    reach all the same if it does not serve these handles)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for handle in sorted(set(FINE_TUNED.values())):
        url = f"http://127.0.0.1:{port}/{handle}?tf-hub-format=compressed"
        try:
            with opener.open(url, timeout=5) as answer:
                if answer.status == 200:
                    return True
        except OSError:  # Refused, an HTTP error status, a reset: not served here.
            continue
    return False


class Trained(NamedTuple):
    """One flavour's fine-tuning run: its results, its folders, the port its hub was on and
    whether that port refused connections right after the hub stopped."""

    flavour: str
    results: dict[str, Any]
    out: Path
    cache: Path
    port: int
    refused_when_stopped: bool


def _publish(root: Path, work: Path) -> None:
    from tfhub.cli.main import main

    for name, (build, task) in PUBLISHED.items():
        folder = build(os.fspath(work / name))
        handle = f"pub/{name}/1"
        assert main(["publish", folder, os.fspath(root), "--handle", handle, "--task", task]) == 0


@pytest.fixture(scope="module")
def published_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A ROOT holding the published tiny models, made once per run (the servers only read it)."""

    def publish() -> str:
        work = tmp_path_factory.mktemp("probes32_hub")
        _publish(work / "ROOT", work)
        return os.fspath(work / "ROOT")

    return computed_once(tmp_path_factory, "keras_probes32_root", publish)


def _flavour_env(flavour: str, **extra: str) -> dict[str, str]:
    return child_env(TF_USE_LEGACY_KERAS="1" if flavour == "tf_keras" else "0", **extra)


def _train(flavour: str, root: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the train child of `flavour` against a `tfhub serve` of `root` of its own, stopped
    when the child is done (so its URLs are out of reach from then on); returns the child's
    results, the folders it wrote (the saved models and its cache), the hub's port and whether
    it refused connections right after the hub stopped (checked here: later, the OS may have
    given the port to another server)."""
    work = tmp_path_factory.mktemp(f"probes32_{flavour}")
    out, cache = work / "out", work / "cache"
    out.mkdir()
    suffixes = json.dumps(SUFFIXES[flavour])
    env = _flavour_env(flavour, TFHUB_CACHE_DIR=os.fspath(cache))
    with serve_hub(Path(root), work / "serve.log") as server:
        run_warm_python(TRAIN_SCRIPT, server.url(), os.fspath(out), suffixes, env=env, timeout=300)
    refused = _refuses(server.port)
    results = json.loads((out / "results.json").read_text())
    return {
        "results": results,
        "out": os.fspath(out),
        "cache": os.fspath(cache),
        "port": server.port,
        "refused": refused,
    }


@pytest.fixture(scope="module", params=["keras3", "tf_keras"])
def trained(
    request: pytest.FixtureRequest, published_root: str, tmp_path_factory: pytest.TempPathFactory
) -> Trained:
    """One flavour's train run, made once per run (shared by the xdist workers: the tests read
    its results and files, and copy its cache before they use it)."""
    flavour = request.param
    done = computed_once(
        tmp_path_factory,
        f"keras_probes32_trained_{flavour}",
        lambda: _train(flavour, published_root, tmp_path_factory),
    )
    return Trained(
        flavour,
        done["results"],
        Path(done["out"]),
        Path(done["cache"]),
        done["port"],
        done["refused"],
    )


def _changed(before: list, after: list) -> list[bool]:
    return [not np.allclose(a, b) for a, b in zip(before, after, strict=True)]


def test_fit_trains_the_hub_variables_in_place(trained: Trained) -> None:
    for name, record in trained.results["records"].items():
        changed = _changed(record["before"], record["after"])
        assert changed == record["trainable"], (name, changed, record["trainable"])
    # save_tf2_module has a non-trainable moving_mean and two regularization losses.
    assert trained.results["records"]["tf2"]["trainable"].count(False) == 1
    assert trained.results["records"]["tf2"]["losses"] == 2


def test_layer_options_over_the_hub(trained: Trained) -> None:
    options = trained.results["options"]
    ones = np.ones((2, 3), np.float32)
    expected = models.tf2_module_expected(ones)
    np.testing.assert_allclose(options["as_dict"]["ok"]["hidden"], expected["hidden"], rtol=1e-6)
    np.testing.assert_allclose(options["output_key"]["ok"], expected["logits"], rtol=1e-6)
    np.testing.assert_allclose(options["load_options"]["ok"], expected["logits"], rtol=1e-6)
    assert options["arguments"]["ok"] == [[6.0, 6.0]]
    assert "unknown device" in options["load_options_used"]["message"]


def test_wrong_signature_or_output_key_lists_the_available_ones(trained: Trained) -> None:
    options = trained.results["options"]
    signature, key = options["wrong_signature"], options["wrong_output_key"]
    assert signature["error"] == "UnknownSignatureError", signature
    assert signature["available"] == ["features", "serving_default"]
    assert "pub/tf2/1" in signature["message"] and "'nope'" in signature["message"]
    assert key["error"] == "UnknownOutputKeyError", key
    assert key["available"] == ["hidden", "logits"]
    assert "TFHubError" in signature["mro"] and "TFHubError" in key["mro"]


def test_reexported_model_loads_and_nests(trained: Trained) -> None:
    reexport = trained.results["reexport"]
    assert reexport["signature"] <= 1e-6
    nested = reexport["nested"]["ok"]
    assert nested["same"] <= 1e-6 and nested["reloaded"] <= 1e-6
    assert nested["changed"] and all(nested["changed"]), nested
    if trained.flavour == "tf_keras":
        # tf_keras saves the model's __call__, variables and regularization losses.
        assert reexport["hub_callable"] and reexport["hub_call"] <= 1e-6
        assert reexport["hub_losses"] == 2 and nested["losses"] == 2
    else:
        # Keras 3's tf.saved_model.save keeps only signatures (a plain Keras 3 model too).
        assert not reexport["callable"]
        assert reexport["no_signature"]["error"] == "SignatureRequiredError"
        assert (
            "signature='serving_default', output_key='output_0'"
            in (reexport["no_signature"]["message"])
        )


def test_tflite_conversion_matches_keras(trained: Trained) -> None:
    if trained.flavour != "keras3":
        pytest.skip("TFLiteConverter.from_keras_model is probed with Keras 3")
    for name, result in trained.results["tflite"].items():
        assert "ok" in result, (name, result)
        assert result["ok"] <= 1e-5, name


def _load_offline(trained: Trained, tmp_path: Path) -> dict[str, Any]:
    """Loads every saved file in a new process, the hub unreachable: a copy of the cache of
    the train run (another machine), then an empty cache."""
    assert trained.refused_when_stopped
    assert _refuses(trained.port) or not _serves_the_handles(trained.port)
    copied = shutil.copytree(trained.cache, tmp_path / "copied_cache")
    caches = {"fresh": os.fspath(tmp_path / "fresh_cache"), "copied": os.fspath(copied)}
    env = _flavour_env(trained.flavour, TFHUB_HTTP_RETRIES="0")
    args = (os.fspath(trained.out), json.dumps(caches), json.dumps(SUFFIXES[trained.flavour]))
    done = run_warm_python(LOAD_SCRIPT, *args, env=env, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_saved_models_load_offline_with_the_fine_tuned_weights(
    trained: Trained, tmp_path: Path
) -> None:
    loaded = _load_offline(trained, tmp_path)
    records = trained.results["records"]
    for file, result in loaded["copied"].items():
        name = file.split(".")[0]
        assert "error" not in result, (file, result)
        np.testing.assert_allclose(result["pred"], records[name]["pred"], rtol=1e-6, atol=1e-6)
        for got, tuned, original, trainable in zip(
            result["weights"],
            records[name]["after"],
            records[name]["before"],
            records[name]["trainable"],
            strict=True,
        ):
            np.testing.assert_allclose(got, tuned, rtol=1e-6)
            assert not trainable or not np.allclose(got, original), (file, "hub's own weights")
    _check_fresh_cache(trained.flavour, loaded["fresh"], records)


def _check_fresh_cache(flavour: str, fresh: dict[str, Any], records: dict[str, Any]) -> None:
    """An empty cache and no server: a tfhub error naming the handle. A tf_keras SavedModel
    folder loads all the same: tf_keras revives the layer from the functions it saved."""
    for file, result in fresh.items():
        name = file.split(".")[0]
        if flavour == "tf_keras" and "." not in file:
            assert "error" not in result, (file, result)
            np.testing.assert_allclose(result["pred"], records[name]["pred"], rtol=1e-6)
            continue
        assert result.get("error") == "ConnectionFailedError", (file, result)
        assert result["module"] == "tfhub.errors"
        handle = FINE_TUNED[name]
        assert f"/{handle}'" in result["message"] and "load_weights" in result["message"]
        assert "Traceback" not in result["message"]


def test_layer_over_a_resaved_keras3_model_trains_every_trainable_weight(tmp_path: Path) -> None:
    """A Keras 3 model saved with tf.saved_model.save after `fit` holds a second copy of the
    hub model's variables (its optimizer's Keras variables), which no function reads: a layer
    over it listed them as trainable weights that never trained (10 instead of 6)."""
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    x = np.random.RandomState(0).rand(8, 3).astype("float32")
    inputs = keras.Input((3,))
    model = keras.Model(
        inputs,
        keras.layers.Dense(1)(
            KerasLayer(models.save_tf2_module(os.fspath(tmp_path / "tf2")), trainable=True)(inputs)
        ),
    )
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(x, np.zeros((8, 1), "float32"), epochs=1, verbose=0)
    tf.saved_model.save(model, os.fspath(tmp_path / "resaved"))
    nested = KerasLayer(
        os.fspath(tmp_path / "resaved"),
        signature="serving_default",
        output_key="output_0",
        trainable=True,
    )
    assert len(nested.trainable_weights) == 6  # The Dense layer's 2 and the hub model's 4.
    assert "moving_mean" in [w.name for w in nested.non_trainable_weights]
    np.testing.assert_allclose(nested(x).numpy(), model.predict(x, verbose=0), rtol=1e-6)
