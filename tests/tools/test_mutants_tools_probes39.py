"""Tests that kill mutants of the tools' modules the other tests let live (session 39's hand
mutation pass over image_store, image_folders, make_image_classifier and the nearest-neighbour
index's build and query): each test names the decision it pins down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers import image_sets
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools import image_folders, image_store


def _image_folder(root: Path, per_class: int = 3) -> image_folders.ImageFiles:
    image_sets.make_image_folder(
        root, classes=("circle", "square"), per_class=per_class, formats=("png",)
    )
    return image_folders.list_image_files(os.fspath(root))


# --- image_store ----------------------------------------------------------------------------------


@pytest.mark.tf
def test_the_first_pass_yields_only_full_batches_and_the_short_last_one(tmp_path: Path) -> None:
    """The decoding pass ends with an empty marker batch (it marks the images tried): it is
    dropped, so the first pass yields the same batches as a later one (image_store's filter of
    `tf.size(batch) > 0`)."""
    store = image_store.ImageStore(_image_folder(tmp_path / "imgs"), (8, 8))
    for _ in range(2):  # Decoded, then kept.
        sizes = [int(index.shape[0]) for index, _ in store.batches(np.arange(6), 4)]
        assert sizes == [4, 2]


@pytest.mark.tf
def test_a_pass_over_more_images_than_an_ended_one_decodes_them_all(tmp_path: Path) -> None:
    """A pass is read from the kept copy only when every image it asks for was tried by an
    ended pass (`tf.reduce_all`): after a pass over 3 of 6 images, a pass over all 6 decodes
    them, instead of yielding the 3 kept ones only."""
    store = image_store.ImageStore(_image_folder(tmp_path / "imgs"), (8, 8))
    part = [int(i) for index, _ in store.batches(np.arange(3), 4) for i in index]
    assert part == [0, 1, 2]
    every = [int(i) for index, _ in store.batches(np.arange(6), 4) for i in index]
    assert sorted(every) == list(range(6))
    assert sorted(int(i) for i in store.kept(np.arange(6))[0]) == list(range(6))


# --- make_nearest_neighbour_index: the ANN back-ends --------------------------------------------


def _vectors(count: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(count, dim)).astype(np.float32)


@pytest.mark.parametrize("library", ["annoy", "hnswlib", "faiss", "usearch"])
def test_a_query_for_more_matches_than_items_gives_each_item_once(library: str) -> None:
    """k above the item count: faiss pads its answer with id -1 (dropped: `ids >= 0`); every
    library gives each of the items once, nearest first."""
    pytest.importorskip("usearch.index" if library == "usearch" else library)
    from tfhub.tools.make_nearest_neighbour_index import ann

    vectors = _vectors(5)
    index = ann.make_index(library, 8)
    index.build(vectors)
    ids, distances = index.query(vectors[2], 9)
    assert sorted(ids.tolist()) == [0, 1, 2, 3, 4]
    assert ids[0] == 2 and distances[0] == pytest.approx(0.0, abs=1e-3)
    assert list(distances) == sorted(distances)


def test_an_unknown_index_library_is_the_flags_error() -> None:
    """`make_index` and `require_installed` refuse a library they do not know by the flag
    (a ToolFlagError, a ValueError), not with a KeyError."""
    from tfhub.tools.make_nearest_neighbour_index import ann

    for call in (lambda: ann.make_index("scann", 8), lambda: ann.require_installed("scann")):
        with pytest.raises(errors.ToolFlagError, match="index_library='scann'") as caught:
            call()
        assert caught.value.flag == "index_library" and caught.value.value == "scann"


# --- make_nearest_neighbour_index: build and query --------------------------------------------

_EMBEDS = Path(__file__).resolve().parents[1] / "data" / "nearest_neighbour" / "embeds"


def _embeds(tmp_path: Path, *, matrix: bool = False) -> str:
    """A copy of upstream's embedding folder (its records; its pickled matrix if asked)."""
    folder = tmp_path / "embeds"
    folder.mkdir()
    for each in _EMBEDS.iterdir():
        if each.suffix == ".tfrecords" or matrix:
            (folder / each.name).write_bytes(each.read_bytes())
    return os.fspath(folder)


def _build(tmp_path: Path, **config: object) -> tuple[str, dict[str, Any]]:
    from tfhub.tools.make_nearest_neighbour_index import index_builder

    index_dir = os.fspath(tmp_path / "index")
    embeds = _embeds(tmp_path, matrix=bool(config.pop("matrix", False)))
    built = index_builder.BuildConfig(embeds, index_dir, **config)
    return index_dir, index_builder.run(built)


@pytest.mark.tf
def test_an_index_and_a_mapping_of_different_counts_are_refused(tmp_path: Path) -> None:
    """`LoadedIndex` compares the index's count with the mapping's (`count != len(items)`):
    a mapping of one item fewer is refused, not read with the last item's id unmapped."""
    import json

    from tfhub.tools.make_nearest_neighbour_index import similarity_finder

    index_dir, info = _build(tmp_path, library="hnswlib")
    mapping = Path(index_dir) / "ann.index.mapping.json"
    items = json.loads(mapping.read_text(encoding="utf-8"))
    mapping.write_text(json.dumps(items[:-1]), encoding="utf-8")
    with pytest.raises(errors.IndexFilesError, match="do not belong together") as caught:
        similarity_finder.LoadedIndex(index_dir, query_dim=int(info["dimensions"]))
    assert caught.value.problem == "count mismatch"


@pytest.mark.tf
def test_a_projection_matrix_the_module_does_not_fit_is_refused_on_load(
    tmp_path: Path, text_module: str
) -> None:
    """The module's embeddings (8 dimensions) must fit the matrix's rows (`matrix.shape[0]`):
    a matrix of 7 rows is an IndexDimensionError when the finder loads, not a NumPy error at
    the first query."""
    from tfhub.tools.make_nearest_neighbour_index import similarity_finder

    index_dir, info = _build(tmp_path, library="annoy")
    matrix = np.ones((7, int(info["dimensions"])), np.float32)
    np.save(Path(index_dir) / "random_projection.matrix.npy", matrix)
    with pytest.raises(errors.IndexDimensionError, match="projection matrix takes 7"):
        similarity_finder.SimilarityFinder(text_module, index_dir)


def test_a_folder_and_upstreams_index_file_together_are_refused(tmp_path: Path) -> None:
    """Upstream's form names the index file instead of the folder: both at once are an
    ArgumentError before anything is read (`index_file_path and index_dir`)."""
    from tfhub.tools.make_nearest_neighbour_index import similarity_finder

    with pytest.raises(errors.ArgumentError, match="SimilarityFinder takes the index folder"):
        similarity_finder.SimilarityFinder(
            os.fspath(tmp_path / "no-module"),
            os.fspath(tmp_path / "index"),
            os.fspath(tmp_path / "ann.index.mapping"),
            index_file_path=os.fspath(tmp_path / "ann.index"),
        )


@pytest.mark.tf
def test_upstream_format_with_annoy_named_builds_upstreams_files(tmp_path: Path) -> None:
    """upstream_format allows annoy, named or not (`library not in (None, "annoy")`): the
    folder holds the annoy index and the pickled mapping beside the JSON one."""
    index_dir, info = _build(tmp_path, library="annoy", upstream_format=True)
    assert info["library"] == "annoy"
    names = set(os.listdir(index_dir))
    assert {"ann.index", "ann.index.mapping", "ann.index.mapping.json"} <= names


# --- make_image_classifier: the input pipeline ----------------------------------------------


@pytest.mark.tf
def _only_distortion(**distortion: float) -> Any:
    """The default hparams with augmentation on and every distortion off but `distortion`."""
    from tfhub.tools.make_image_classifier.hparams import get_default_hparams

    off = dict.fromkeys(
        ("rotation_range", "shear_range", "zoom_range", "height_shift_range", "width_shift_range"),
        0,
    )
    return get_default_hparams()._replace(
        do_data_augmentation=True, horizontal_flip=False, **{**off, **distortion}
    )


def test_a_shift_of_one_pixel_moves_the_images_by_at_most_one_pixel() -> None:
    """A shift of 1 is in pixels, as ImageDataGenerator took it (a fraction is below 1:
    `abs(value) < 1`), not the whole image: on a horizontal ramp each pixel changes by at
    most one step."""
    from tfhub.tools.make_image_classifier import data

    ramp = np.tile(np.linspace(0.0, 1.0, 48, dtype=np.float32)[None, :, None], (32, 1, 3))
    images = np.stack([ramp] * 8)
    one_pixel = _only_distortion(width_shift_range=1)
    augment = data.make_augmenter(one_pixel, (32, 48), seed=3)
    assert augment is not None
    for _ in range(3):
        moved = np.asarray(augment(images))
        assert np.abs(moved - images).max() <= 1.0 / 47 + 1e-5
        assert not np.allclose(moved, images)  # It does shift.


@pytest.mark.tf
def test_build_refuses_a_projection_matrix_of_another_size_than_the_embeddings(
    tmp_path: Path,
) -> None:
    """The .npy matrix beside the embeddings must give their size (`matrix.shape[1] != dim`):
    one of another run is refused before any index is written, not copied beside it."""
    from tfhub.tools.make_nearest_neighbour_index import index_builder

    embeds = _embeds(tmp_path)
    (tmp_path / "first").mkdir()
    _, info = _build(tmp_path / "first", library="annoy")
    wrong = np.ones((8, int(info["dimensions"]) + 1), np.float32)
    np.save(Path(embeds) / "random_projection.matrix.npy", wrong)
    index_dir = tmp_path / "index"
    config = index_builder.BuildConfig(embeds, os.fspath(index_dir), library="annoy")
    with pytest.raises(errors.EmbeddingFilesError, match="the projection matrix has shape"):
        index_builder.run(config)
    assert not index_dir.exists()


def test_a_split_of_classes_of_one_image_says_to_add_images(tmp_path: Path) -> None:
    """No fraction below 1 holds out an image of a class of one image (`smallest >= 1`): the
    error says to add images or pass 0, not to pass --validation_split 1.0 (refused)."""
    from tfhub.tools.make_image_classifier import data

    files = _image_folder(tmp_path / "imgs", per_class=1)
    with pytest.raises(errors.ToolFlagError, match="Add images, or pass --validation_split 0"):
        data.check_split_holds_out(files, 0.5)
    with pytest.raises(errors.ToolFlagError, match="Pass --validation_split 0.5 or more"):
        data.check_split_holds_out(_image_folder(tmp_path / "two", per_class=2), 0.4)


def test_an_accuracy_equal_to_the_bound_passes() -> None:
    """--assert_accuracy_at_least is a lower bound that the last epoch's accuracy may equal
    (`>=`); below it is an AccuracyError."""
    import keras

    from tfhub.tools.make_image_classifier import lib

    history = keras.callbacks.History()
    history.history = {"val_accuracy": [0.25, 0.75]}
    said: list[str] = []
    lib.assert_accuracy(history, 0.75, say=said.append)
    assert said == ["ACCURACY PASSED: found 0.750000, expected at least 0.750000"]
    with pytest.raises(errors.AccuracyError, match="ACCURACY FAILED: found 0.750000"):
        lib.assert_accuracy(history, 0.7500001, say=said.append)


# --- make_nearest_neighbour_index: the embedding records ----------------------------------------


@pytest.mark.tf
def test_a_hidden_records_file_is_not_read(tmp_path: Path) -> None:
    """Hidden names are skipped, as a glob skips them (`not name.startswith(".")`): a damaged
    `.partial.tfrecords` beside the records is not read."""
    from tfhub.tools.make_nearest_neighbour_index import embedding_records

    nn.write_records(tmp_path / "emb-00000-of-00001.tfrecords", [(b"a", [1.0, 0.0])])
    (tmp_path / ".partial.tfrecords").write_bytes(b"not a record")
    items, vectors = embedding_records.read_embeddings(os.fspath(tmp_path), batch=8)
    assert items == ["a"] and vectors.tolist() == [[1.0, 0.0]]


@pytest.mark.tf
def test_the_first_bad_record_is_named_by_its_file_and_number(tmp_path: Path) -> None:
    """Of several bad records, the first is named (`min`), counted in its own file: the first
    record of the second file (`index < count` in `_locate`), not the last of the first."""
    from tfhub.tools.make_nearest_neighbour_index import embedding_records

    good = [(b"a", [1.0, 0.0]), (b"b", [0.0, 1.0]), (b"c", [1.0, 1.0])]
    nn.write_records(tmp_path / "emb-00000-of-00002.tfrecords", good)
    bad = [(b"d", []), (b"e", [1.0, 2.0]), (b"f", [float("nan"), 0.0])]
    second = nn.write_records(tmp_path / "emb-00001-of-00002.tfrecords", bad)
    with pytest.raises(
        errors.EmbeddingFilesError, match="record 1 \\(counting from 1\\)"
    ) as caught:
        embedding_records.read_embeddings(os.fspath(tmp_path), batch=16)
    assert caught.value.path == second and caught.value.record == 1


@pytest.mark.tf
def test_num_trees_reaches_annoy(tmp_path: Path) -> None:
    """build gives annoy the trees asked for (`{"num_trees": ...}`), as ann.index.json says."""
    import json

    index_dir, info = _build(tmp_path, library="annoy", num_trees=3)
    assert info["params"]["num_trees"] == 3
    recorded = json.loads((Path(index_dir) / "ann.index.json").read_text(encoding="utf-8"))
    assert recorded["params"]["num_trees"] == 3


# --- make_image_classifier: the export ------------------------------------------------------


@pytest.mark.tf
def test_a_failed_export_names_neither_the_summaries_nor_a_pipe_as_an_earlier_output(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    """The note of a partial export lists the outputs it writes (`what != "summaries dir"`:
    training wrote the summaries), and a named pipe at an output holds no earlier run's
    output (`special_kind(path) is None`): it was not written."""
    from tfhub.tools.image_modules import load_module_layer
    from tfhub.tools.make_image_classifier import build_model, get_default_hparams
    from tfhub.tools.make_image_classifier.export import Outputs, export

    model = build_model(
        load_module_layer(image_modules["fixed"], trainable=False),
        get_default_hparams(),
        (32, 32),
        2,
    )
    (tmp_path / "summaries").mkdir()
    (tmp_path / "summaries" / "events.out.tfevents.1").write_bytes(b"an earlier run's")
    (tmp_path / "a_file").write_text("not a folder")
    os.mkfifo(tmp_path / "pipe")
    outputs = Outputs(
        saved_model_dir=os.fspath(tmp_path / "saved_model"),
        labels_output_file=os.fspath(tmp_path / "a_file" / "labels.txt"),
        tflite_output_file=os.fspath(tmp_path / "pipe"),
        summaries_dir=os.fspath(tmp_path / "summaries"),
    )
    with pytest.raises(errors.OutputNotWritableError) as caught:
        export(model, ("a", "b"), outputs, say=lambda line: None)
    message = str(caught.value)
    assert f"This run wrote only the saved model dir {tmp_path / 'saved_model'};" in message
    labels = tmp_path / "a_file" / "labels.txt"
    pending = f"the tflite output file {tmp_path / 'pipe'} and the labels output file {labels}"
    assert f"{pending} were not written." in message
    assert "summaries" not in message and "earlier run" not in message


@pytest.mark.tf
def test_records_files_of_no_record_are_the_embedding_folders_error(tmp_path: Path) -> None:
    """Files that hold no record are an EmbeddingFilesError (`if not items`), not NumPy's
    error for concatenating nothing."""
    from tfhub.tools.make_nearest_neighbour_index import embedding_records

    nn.write_records(tmp_path / "emb-00000-of-00001.tfrecords", [])
    with pytest.raises(errors.EmbeddingFilesError, match="the files hold no records"):
        embedding_records.read_embeddings(os.fspath(tmp_path), batch=8)


# --- make_nearest_neighbour_index: reading the index files --------------------------------------


def test_a_matrix_named_by_its_npy_file_is_read_from_it(tmp_path: Path) -> None:
    """A path ending in .npy is that file (`path.endswith(safe_suffix)`), not `x.npy.npy`."""
    from tfhub.tools.make_nearest_neighbour_index import readers

    np.save(tmp_path / "m.npy", np.eye(3, 2, dtype=np.float32))
    matrix = readers.read_matrix_file(os.fspath(tmp_path / "m.npy"), allow_pickle=False)
    assert matrix is not None and matrix.tolist() == np.eye(3, 2).tolist()


def test_a_matrix_of_strings_is_refused(tmp_path: Path) -> None:
    """A .npy matrix must hold floats (`np.issubdtype(..., np.floating)`)."""
    from tfhub.tools.make_nearest_neighbour_index import readers

    np.save(tmp_path / "m.npy", np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(errors.IndexFilesError, match="not a matrix of numbers") as caught:
        readers.read_matrix_file(os.fspath(tmp_path / "m.npy"), allow_pickle=False)
    assert caught.value.problem == "dtype"


def test_mappings_that_are_not_ids_0_to_n_or_not_strings_are_refused(tmp_path: Path) -> None:
    """A pickled mapping must map ids 0..n-1 (`sorted(mapping) != list(range(...))`), and
    every item of a mapping must be a string (`all(isinstance(item, str) ...)`)."""
    import json
    import pickle

    from tfhub.tools.make_nearest_neighbour_index import readers

    (tmp_path / "gaps").write_bytes(pickle.dumps({1: "a", 2: "b"}))
    with pytest.raises(errors.IndexFilesError, match="not a mapping of ids 0..n-1") as caught:
        readers.read_mapping_file(os.fspath(tmp_path / "gaps"), allow_pickle=True, received="r")
    assert caught.value.problem == "not a mapping"
    (tmp_path / "numbers.json").write_text(json.dumps(["a", 2]), encoding="utf-8")
    with pytest.raises(errors.IndexFilesError, match="not a list of strings") as caught:
        readers.read_mapping_file(os.fspath(tmp_path / "numbers"), allow_pickle=False, received="r")
    assert caught.value.problem == "mapping"


@pytest.mark.parametrize(
    ("library", "dimensions", "problem"),
    [("annoy", 0, "dimensions 0"), ("scann", 8, "library 'scann'")],
)
def test_an_index_description_of_no_dimension_or_an_unknown_library_is_refused(
    tmp_path: Path, library: str, dimensions: int, problem: str
) -> None:
    """ann.index.json must name a library tfhub knows (`library not in LIBRARIES`) and
    dimensions of at least 1 (`dimensions < 1`)."""
    import json

    from tfhub.tools.make_nearest_neighbour_index import readers

    info = {"library": library, "dimensions": dimensions}
    (tmp_path / "ann.index.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(errors.IndexFilesError, match=f"describes an index of {problem}"):
        readers.read_index_info(os.fspath(tmp_path / "ann.index"))


# --- make_image_classifier: hyperparameters that reach the model and the datasets ----------------


def test_zoom_alone_is_an_augmentation() -> None:
    """Each distortion counts (`hparams.zoom_range` in `augments`): zoom alone is augmented."""
    from tfhub.tools.make_image_classifier import data

    zoom = _only_distortion(zoom_range=0.5)
    assert data.augments(zoom)
    assert not data.augments(zoom._replace(zoom_range=0))


@pytest.mark.tf
def test_the_head_takes_the_dropout_rate_and_each_regularizer(
    image_modules: dict[str, str],
) -> None:
    """The head's Dropout gets --dropout_rate and its Dense gets --l1_regularizer as L1 and
    --l2_regularizer as L2."""
    from tfhub.tools.image_modules import load_module_layer
    from tfhub.tools.make_image_classifier import build_model, get_default_hparams

    hparams = get_default_hparams()._replace(
        dropout_rate=0.35, l1_regularizer=0.25, l2_regularizer=0.0
    )
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, hparams, (32, 32), 2)
    dropout, dense = model.layers[-2], model.layers[-1]
    assert dropout.rate == pytest.approx(0.35)
    kernel = np.asarray(dense.kernel)
    assert float(sum(model.losses)) == pytest.approx(0.25 * np.abs(kernel).sum(), rel=1e-5)


@pytest.mark.tf
def test_no_validation_set_without_a_split(tmp_path: Path) -> None:
    """validation_split 0 holds out nothing: no validation set (`if len(valid_idx)`)."""
    from tfhub.tools.make_image_classifier import data
    from tfhub.tools.make_image_classifier.hparams import get_default_hparams

    store = image_store.ImageStore(_image_folder(tmp_path / "imgs"), (8, 8))
    hparams = get_default_hparams()._replace(validation_split=0.0, do_data_augmentation=False)
    sets = data.make_datasets(store, hparams=hparams)
    assert sets.valid is None and (sets.train_size, sets.valid_size) == (6, 0)


@pytest.mark.tf
def test_a_repeated_dataset_of_fewer_images_than_a_batch_takes_one_batch() -> None:
    """Upstream's `size // batch_size` is at least 1 (`max(1, ...)`): an epoch of 0 steps
    would never end."""
    import tensorflow as tf

    from tfhub.tools.make_image_classifier import data

    repeated = tf.data.Dataset.from_tensors(0).repeat()
    assert data.steps_per_epoch(repeated, 3, 8, what="train_data_and_size") == 1
    assert data.steps_per_epoch(repeated, 17, 8, what="train_data_and_size") == 2


@pytest.mark.tf
def test_keras3_counts_the_chief_among_the_workers() -> None:
    """A cluster of a chief and one worker trains on two workers (`("chief", "worker")`):
    Keras 3 refuses it as it refuses two workers. The strategy's stand-in carries a real
    cluster resolver (a real strategy of several workers waits for the others)."""
    import contextlib

    import tensorflow as tf

    from tfhub.tools.make_image_classifier.strategy import check_keras_can_train

    spec = tf.train.ClusterSpec({"chief": ["127.0.0.1:1"], "worker": ["127.0.0.1:2"]})
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(spec, "chief", 0)
    fields = {
        "cluster_resolver": resolver,
        "num_replicas_in_sync": 2,
        "scope": lambda self: contextlib.nullcontext(),
    }
    strategy = type("MultiWorkerMirroredStrategy", (), fields)()
    with pytest.raises(errors.UnsupportedStrategyError, match="over 2 workers") as caught:
        check_keras_can_train(strategy, "keras")
    assert caught.value.workers == 2
    check_keras_can_train(strategy, "tf_keras")  # tf_keras trains with it.


# --- make_nearest_neighbour_index: the text embedding --------------------------------------------


def _save_embedding_module(path: Path, *, callable_dict: bool) -> str:
    """A string -> floats module: a callable one returning {"default": [n, 3], "tokens":
    [n, 5]}, or one whose signatures "default" gives [n, 3] and "serving_default" [n, 5]."""
    import tensorflow as tf

    spec = tf.TensorSpec([None], tf.string)

    def width(sentences: tf.Tensor, size: int) -> tf.Tensor:
        lengths = tf.cast(tf.strings.length(sentences), tf.float32)[:, None]
        return tf.tile(lengths + 1.0, [1, size])

    module = tf.Module()
    if callable_dict:
        module.__call__ = tf.function(
            lambda sentences: {"default": width(sentences, 3), "tokens": width(sentences, 5)},
            input_signature=[spec],
        )
        tf.saved_model.save(module, os.fspath(path))
    else:

        def signature(size: int) -> object:
            return tf.function(lambda text: {"out": width(text, size)}, input_signature=[spec])

        signatures = {"serving_default": signature(5), "default": signature(3)}
        tf.saved_model.save(module, os.fspath(path), signatures=signatures)
    return os.fspath(path)


@pytest.mark.tf
@pytest.mark.parametrize("callable_dict", [True, False], ids=["outputs", "signatures"])
def test_the_default_signature_and_output_are_the_embedding(
    tmp_path: Path, callable_dict: bool
) -> None:
    """A module's "default" signature comes before "serving_default", and its "default"
    output before the others (as upstream's TF1 modules name the embedding)."""
    from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

    embedder = TextEmbedder(_save_embedding_module(tmp_path / "m", callable_dict=callable_dict))
    assert embedder.dim == 3
    assert embedder(["ab"]).tolist() == [[3.0, 3.0, 3.0]]
