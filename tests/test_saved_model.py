"""hub.load: TF2 SavedModels and TF1 Hub modules, tags, options, graph mode, the server path."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
from tests._helpers import models
from tests._helpers.upstream_records import assert_matches_record, record, record_array

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


@pytest.mark.parametrize(
    "name",
    ["tf2_saved_model", "tf2_text_embedding", "tf1_multi_sig", "tf1_train_tags", "tf1_text_vocab"],
)
def test_load_replays_upstream_runs(upstream_dir, name: str) -> None:
    import tensorflow as tf

    runs = [r for r in record(name)["runs"] if r["api"] == "hub.load"]
    assert runs
    for run in runs:
        obj = hub.load(str(upstream_dir / name), tags=run.get("tags"))
        inputs = {k: tf.constant(record_array(v).tolist()) for k, v in run["inputs"].items()}
        if run.get("signature"):
            outputs = obj.signatures[run["signature"]](**inputs)
        else:
            (x,) = inputs.values()
            training = run.get("training")
            outputs = obj(x) if training is None else obj(x, training=training)
        assert_matches_record(outputs, run["outputs"])
        if "loaded_variables" in run:
            assert [v.name for v in obj.variables] == [v["name"] for v in run["loaded_variables"]]
        if "signature_keys" in run:
            assert sorted(obj.signatures) == sorted(run["signature_keys"])
        assert obj._is_hub_module_v1 == name.startswith("tf1_")


def test_unknown_tags_list_the_tag_sets(upstream_dir) -> None:
    with pytest.raises(errors.UnknownTagsError, match=r"Its tag sets are: \[\]\. ") as info:
        hub.load(str(upstream_dir / "tf1_multi_sig"), tags=["train"])
    assert isinstance(info.value, ValueError)
    with pytest.raises(errors.UnknownTagsError, match=r"\[\], \['train'\]"):
        hub.load(str(upstream_dir / "tf1_train_tags"), tags=["serve"])


def test_a_string_tags_is_one_tag_as_tensorflow_takes_it(upstream_dir) -> None:
    # Upstream passed `tags` to tf.saved_model.load, which reads a string as one tag.
    path = str(upstream_dir / "tf2_saved_model")
    assert hub.load(path, tags="serve").variables[0].shape == (3, 4)
    with pytest.raises(errors.UnknownTagsError, match=r"has no MetaGraph with tags \['train'\]"):
        hub.load(path, tags="train")


def test_options_are_passed_through(upstream_dir) -> None:
    import tensorflow as tf

    path = str(upstream_dir / "tf2_saved_model")
    skipped = hub.load(path, options=tf.saved_model.LoadOptions(experimental_skip_checkpoint=True))
    restored = hub.load(path, options=tf.saved_model.LoadOptions())
    assert skipped.variables[0].numpy().size == 0  # The checkpoint was not read.
    assert restored.variables[0].numpy().shape == (3, 4)


def test_load_inside_a_graph(upstream_dir) -> None:
    import tensorflow as tf

    with tf.Graph().as_default():
        tf2 = hub.load(str(upstream_dir / "tf2_saved_model"))
        tf1 = hub.load(str(upstream_dir / "tf1_multi_sig"))
        x = tf.constant([[1.0, 2.0, 3.0]])
        outputs = [tf2(x), tf1.signatures["default"](x=x)["default"]]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            got2, got1 = session.run(outputs)
    np.testing.assert_allclose(got2, [[1.3012499, 4.2306256]], atol=1e-5)
    np.testing.assert_allclose(got1, [[1.3949999, 4.9650006]], atol=1e-5)


def test_two_loads_never_share_variables(upstream_dir) -> None:
    path = str(upstream_dir / "tf2_saved_model")
    first, second = hub.load(path), hub.load(path)
    first.variables[0].assign(np.zeros((3, 4), np.float32))
    assert np.abs(second.variables[0].numpy()).sum() > 0


def test_handle_to_cache_to_load_through_the_server(tmp_path, served_dir, server) -> None:
    model_dir = models.save_tf2_module(os.fspath(tmp_path / "tf2"))
    models.make_tarball(model_dir, os.fspath(served_dir / "tf2.tar.gz"))
    handle = server.url("tf2.tar.gz")
    obj = hub.load(handle)
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.testing.assert_allclose(obj(x).numpy(), models.tf2_module_expected(x)["logits"], atol=1e-5)
    cache_dir = os.environ["TFHUB_CACHE_DIR"]
    key = hashlib.sha1(handle.encode("utf-8")).hexdigest()
    assert os.path.isfile(os.path.join(cache_dir, key, "saved_model.pb"))
    from tfhub.keras.layer import KerasLayer

    layer = KerasLayer(handle, signature="features", signature_outputs_as_dict=True)
    np.testing.assert_allclose(
        layer(x)["hidden"].numpy(), models.tf2_module_expected(x)["hidden"], atol=1e-5
    )


def test_non_string_handle_is_refused() -> None:
    with pytest.raises(ValueError, match="Received: handle=42"):
        hub.load(42)


def test_a_model_folder_whose_path_is_not_utf8_is_a_clear_error(upstream_dir, tmp_path) -> None:
    """TensorFlow opens files by UTF-8 names only: a model copied to a folder named in Latin-1
    failed in TensorFlow's path conversion with a bare UnicodeEncodeError (or, for hub.load,
    in the damage check run after it)."""
    import shutil

    for name in ("tf2_saved_model", "tf1_multi_sig"):
        folder = os.path.join(os.fsencode(tmp_path), b"mod\xe8le-" + name.encode())
        shutil.copytree(os.fsencode(upstream_dir / name), folder)
        handle = os.fsdecode(folder)
        assert hub.resolve(handle) == handle  # Resolving needs no TensorFlow: it works.
        loads = [hub.load, hub.KerasLayer]
        if name.startswith("tf1_"):
            loads.append(hub.load_module_spec)
        for load in loads:
            with pytest.raises(errors.ModelPathEncodingError, match="not UTF-8") as info:
                load(handle)
            assert isinstance(info.value, UnicodeError) and isinstance(info.value, ValueError)
            assert "mod\\xe8le" in str(info.value) and info.value.path == handle


@pytest.mark.parametrize(
    ("model", "name", "kind", "call"),
    [
        ("tf2_saved_model", "saved_model.pb", "FIFO", "hub.load"),
        ("tf2_saved_model", "variables/variables.index", "FIFO", "hub.load"),
        ("tf2_saved_model", "saved_model.pb", "folder", "hub.load"),
        ("tf1_multi_sig", "saved_model.pb", "FIFO", "hub.load_module_spec"),
    ],
)
def test_a_model_file_that_is_a_named_pipe_is_refused_not_waited_on(
    upstream_dir, tmp_path, model: str, name: str, kind: str, call: str
) -> None:
    """hub.load of a folder whose saved_model.pb or checkpoint is a named pipe waited for a
    writer for ever (TensorFlow's reads, and tfhub's own of saved_model.pb); a saved_model.pb
    folder was a bare IsADirectoryError."""
    import shutil

    from tests._helpers.python_process import run_python

    folder = tmp_path / "model"
    shutil.copytree(upstream_dir / model, folder)
    (folder / name).unlink()
    if kind == "FIFO":
        os.mkfifo(folder / name)
    else:
        (folder / name).mkdir()
    code = (
        "import sys, tfhub as hub\n"
        "try:\n"
        f"    {call}(sys.argv[1])\n"
        "except hub.errors.DamagedModelError as err:\n"
        "    print(type(err).__name__, err)\n"
    )
    done = run_python(code, os.fspath(folder), timeout=60, check=False)
    assert done.stdout.startswith(
        f"DamagedModelError The model {folder} cannot be loaded: {name} is a {kind}, not a file."
    ), done.stdout + done.stderr


def test_a_saved_model_pb_larger_than_a_protobuf_is_refused_unread(upstream_dir, tmp_path) -> None:
    """A saved_model.pb over 2 GiB cannot be one (protobuf's limit): hub.load read all 2.5 GB
    of it, peaking at 8 GB of memory after 28 s, before calling it "truncated or damaged"."""
    import shutil

    from tests._helpers.warm_python import run_warm_python

    folder = tmp_path / "model"
    shutil.copytree(upstream_dir / "tf1_multi_sig", folder)
    size = 2**31  # One byte over the limit; sparse, so no disk is used.
    os.truncate(folder / "saved_model.pb", size)
    code = (
        "import sys, tfhub as hub\n"
        "from tfhub.cli.main import main\n"
        "for load in (hub.load, hub.KerasLayer, hub.load_module_spec):\n"
        "    try:\n"
        "        load(sys.argv[1])\n"
        "    except hub.errors.DamagedModelError as err:\n"
        "        print(type(err).__name__, err, flush=True)\n"
        "sys.exit(main(['inspect', sys.argv[1]]))\n"
    )
    # A child capped in memory (forked after TensorFlow's import): reading it all would not fit.
    done = run_warm_python(code, os.fspath(folder), timeout=300, check=False, max_memory=8 << 30)
    problem = (
        f"The model {folder} cannot be loaded: saved_model.pb ({size} bytes) is larger than the "
        "2 GiB a protobuf can hold, so TensorFlow did not write it. Check the path, or copy or "
        "export the model there again."
    )
    assert done.stdout == f"DamagedModelError {problem}\n" * 3, done.stdout + done.stderr
    assert done.returncode == 1 and done.stderr.endswith(f"tfhub: error: {problem}\n")
