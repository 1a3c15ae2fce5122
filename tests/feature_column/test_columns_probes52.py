"""Feature columns over odd TF1 modules and odd text batches (review rf52b).

F1: a TF1 module without a default (empty-tag) graph variant: upstream's columns failed with
    `KeyError` (its ModuleSpec's `get_meta_graph`), as tfhub's own `ModuleSpec` does
    (`UnknownGraphVariantError`); the columns must raise that class too, naming the column, the
    handle, the module's tag sets and what to do.
F2: a text column over a ModuleSpec loaded from a folder that is no text embedding named the
    spec as "<NativeModuleSpec object at 0x...>"; it must name the folder, as the image
    column's errors do (tests/feature_column/test_image_probes49.py).
F3: a text feature whose width is known only when the graph runs was checked to hold at most
    one string per example: a batch of 3 examples without any string gave 0 embeddings, no
    error. It must hold exactly one string per example.
F4: text_embedding_column_v2 over a TF1 Hub module that is no text embedding (an image module)
    said "use hub.text_embedding_column for it", which refuses it too.
F5: a TF1 column over a TF1 SavedModel (no tfhub_module.pb) suggested
    hub.create_module_spec_from_saved_model(path), which works only for a SavedModel whose graph
    has no tags and a 'default' signature: for the usual ['serve'] / 'serving_default' one the
    spec fails too. The remedy must say so, and what this SavedModel has.
F6: an attached ImageModuleInfo of a negative size: hub.get_expected_image_size returned it
    ([-1, 5]; upstream's docstring: "Raises ValueError: If the size information is missing or
    malformed"), and the image column failed with TensorFlow's bare "Dimension -1 must be >= 0".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1


def _text_module_fn() -> None:
    """A text module: string [None] -> float32 [None, 3] zeros."""
    text = v1.placeholder(tf.string, [None])
    hub.add_signature(inputs=text, outputs=tf.zeros([tf.shape(text)[0], 3]))


@pytest.fixture(scope="module")
def train_only_module(tmp_path_factory) -> str:
    """A TF1 text module exported with one graph variant, tagged {"train"}: no default one."""
    path = tmp_path_factory.mktemp("modules") / "train_only"
    spec = hub.create_module_spec(_text_module_fn, tags_and_args=[({"train"}, {})])
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"train"})
        with v1.Session() as session:
            module.export(str(path), session)
    return str(path)


COLUMNS = {
    "text_embedding_column": lambda spec: hub.text_embedding_column("t", spec),
    "sparse_text_embedding_column": lambda spec: hub.sparse_text_embedding_column(
        "t", spec, "sum", None
    ),
    "image_embedding_column": lambda spec: hub.image_embedding_column("t", spec),
}


@pytest.mark.parametrize("column", sorted(COLUMNS))
@pytest.mark.parametrize("given", ["handle", "loaded spec"])
def test_a_module_without_a_default_graph_variant_is_a_key_error(
    train_only_module, column, given
) -> None:
    spec = train_only_module if given == "handle" else hub.load_module_spec(train_only_module)
    with pytest.raises(KeyError) as raised:  # Upstream's class.
        COLUMNS[column](spec)
    error = raised.value
    assert isinstance(error, errors.UnknownGraphVariantError)  # Also a ValueError.
    message = str(error)
    assert f"hub.{column}" in message
    assert train_only_module in message and "['train']" in message
    assert "tags_and_args" in message and "tags=" in message  # What to do.
    assert error.available == [["train"]]
    assert "object at 0x" not in message


@pytest.mark.parametrize("column", sorted(COLUMNS))
def test_an_in_memory_spec_without_a_default_graph_variant_is_a_key_error(column) -> None:
    spec = hub.create_module_spec(_text_module_fn, tags_and_args=[({"train"}, {})])
    with pytest.raises(errors.UnknownGraphVariantError, match=f"hub.{column} uses") as raised:
        COLUMNS[column](spec)
    assert isinstance(raised.value, KeyError) and "built in memory" in str(raised.value)


def test_the_default_variant_is_still_found_among_others(tmp_path: Path) -> None:
    path = tmp_path / "two_variants"
    spec = hub.create_module_spec(_text_module_fn, tags_and_args=[({"train"}, {}), (set(), {})])
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with v1.Session() as session:
            module.export(str(path), session)
    assert hub.text_embedding_column("t", str(path)).variable_shape == [3]


def _export(module_fn, path: Path) -> str:
    """Exports the TF1 module of `module_fn` to `path`; returns the path as a string."""
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with v1.Session() as session:
            module.export(str(path), session)
    return str(path)


def _int_module_fn() -> None:
    """Not a text module: int64 [None] -> float32 [None, 3]."""
    ids = v1.placeholder(tf.int64, [None])
    hub.add_signature(inputs=ids, outputs=tf.zeros([tf.shape(ids)[0], 3]))


NOT_A = {
    "text_embedding_column": "Module is not a text-embedding",
    "sparse_text_embedding_column": "Module is not a text-embedding",
    "image_embedding_column": "Module is not usable as image embedding",
}


@pytest.mark.parametrize("column", sorted(NOT_A))
def test_a_loaded_spec_of_another_kind_of_module_is_named_by_its_folder(tmp_path, column) -> None:
    path = _export(_int_module_fn, tmp_path / "int_module")
    with pytest.raises(errors.ModuleSpecError, match=NOT_A[column]) as raised:
        COLUMNS[column](hub.load_module_spec(path))
    message = str(raised.value)
    assert "object at 0x" not in message
    assert message.endswith(f"Received: module_spec=(the module spec loaded from {path})")


def test_the_config_error_of_a_loaded_spec_names_its_folder(tmp_path) -> None:
    """A column over a spec has no config; for a loaded spec the remedy is its folder."""
    path = _export(_text_module_fn, tmp_path / "text_module")
    column = hub.text_embedding_column("t", hub.load_module_spec(path))
    with pytest.raises(NotImplementedError, match="pass its path") as raised:  # Upstream's.
        column.get_config()
    assert "object at 0x" not in str(raised.value)
    assert str(raised.value).endswith(f"(the module spec loaded from {path})")


DENSE_TEXT = {
    "text_embedding_column": lambda: hub.text_embedding_column(
        "t", str(upstream_path("tf1_text_vocab"))
    ),
    "text_embedding_column_v2": lambda: hub.text_embedding_column_v2(
        "t", str(upstream_path("tf2_text_embedding"))
    ),
}


@pytest.mark.parametrize("column", sorted(DENSE_TEXT))
def test_a_width_known_when_run_must_give_one_string_per_example(column) -> None:
    with tf.Graph().as_default():
        text = v1.placeholder(tf.string, [None, None])
        output = v1.feature_column.input_layer({"t": text}, [DENSE_TEXT[column]()])
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            assert session.run(output, {text: [["cat"], ["hello"], [""]]}).shape == (3, 4)
            with pytest.raises(tf.errors.InvalidArgumentError, match="one string per example"):
                session.run(output, {text: np.zeros([3, 0], object)})


def test_text_v2_over_a_tf1_image_module_does_not_point_to_the_tf1_text_column() -> None:
    handle = str(upstream_path("tf1_image_info"))
    with pytest.raises(errors.TFHubLoadError, match="TF1 Hub format") as raised:
        hub.text_embedding_column_v2("images", handle)
    message = str(raised.value)
    assert "use hub.text_embedding_column for it" not in message
    assert "not a text embedding" in message and "hub.image_embedding_column" in message
    assert message.endswith(f"Received: module_path={handle!r}")


def test_text_v2_over_a_tf1_text_module_still_points_to_the_tf1_text_column() -> None:
    with pytest.raises(errors.TFHubLoadError, match="use hub.text_embedding_column for it"):
        hub.text_embedding_column_v2("text", str(upstream_path("tf1_text_vocab")))


def _tf1_saved_model(path: Path, tags: list[str], signature: str) -> str:
    """A TF1 SavedModel (no tfhub_module.pb): `signature` maps text [None] to [None, 3]."""
    with tf.Graph().as_default():
        text = v1.placeholder(tf.string, [None])
        weights = v1.get_variable("w", initializer=tf.ones([3]))
        lengths = tf.cast(tf.strings.length(text), tf.float32)
        outputs = {"default": tf.expand_dims(lengths, 1) * weights}
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            signature_def = v1.saved_model.predict_signature_def({"text": text}, outputs)
            builder.add_meta_graph_and_variables(session, tags, {signature: signature_def})
            builder.save()
    return str(path)


def test_a_serving_tf1_saved_model_is_told_what_the_spec_needs(tmp_path) -> None:
    path = _tf1_saved_model(tmp_path / "serving", ["serve"], "serving_default")
    with pytest.raises(errors.NotATF1ModuleError) as raised:
        hub.text_embedding_column("t", path)
    message = str(raised.value)
    assert "whose graph has no tags and a 'default' signature" in message
    assert "['serve']" in message and "'serving_default'" in message
    assert "hub.KerasLayer(handle, signature=" in message


def test_a_tf1_saved_model_that_fits_gets_the_spec_and_it_works(tmp_path) -> None:
    path = _tf1_saved_model(tmp_path / "fits", [], "default")
    with pytest.raises(
        errors.NotATF1ModuleError, match="create_module_spec_from_saved_model"
    ) as raised:
        hub.text_embedding_column("t", path)
    assert "this one has" not in str(raised.value)
    column = hub.text_embedding_column("t", hub.create_module_spec_from_saved_model(path))
    assert column.variable_shape == [3]


def test_a_tf2_saved_model_gets_no_tf1_details() -> None:
    with pytest.raises(errors.NotATF1ModuleError, match="text_embedding_column_v2") as raised:
        hub.text_embedding_column("t", str(upstream_path("tf2_text_embedding")))
    assert "this one has" not in str(raised.value)


def _negative_size_module_fn() -> None:
    """An image module of any size whose attached ImageModuleInfo says height -1, width 5."""
    images = v1.placeholder(tf.float32, [None, None, None, 3])
    hub.add_signature(inputs={"images": images}, outputs=tf.reduce_mean(images, [1, 2]))
    info = hub.ImageModuleInfo()
    info.default_image_size.height = -1
    info.default_image_size.width = 5
    hub.attach_image_module_info(info)


def test_a_negative_attached_image_size_is_malformed() -> None:
    spec = hub.create_module_spec(_negative_size_module_fn)
    with pytest.raises(errors.InputSpecError, match="height=-1, width=5") as raised:
        hub.get_expected_image_size(spec)
    assert isinstance(raised.value, ValueError)  # Upstream's docstring's class.
    with pytest.raises(errors.ModuleSpecError, match="image_size=") as raised:
        hub.image_embedding_column("images", spec)
    assert "height=-1, width=5" in str(raised.value)
    column = hub.image_embedding_column("images", spec, image_size=(4, 5))
    assert column.parse_example_spec["images"].shape == [4, 5, 3]
