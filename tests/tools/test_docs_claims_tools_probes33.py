"""Claims of docs/tools.md that no other test checked (session 33), each test naming the claim
it checks. Real parts only: the tiny image modules and image folders of conftest.py, the tiny
text embedding's records, the tools' own parsers and libraries."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests.tools import _nn_support as nn


def test_the_projection_matrix_is_float64_gaussian_of_variance_one_over_projected_dim(
    tmp_path: Path,
) -> None:
    """Files: `random_projection.matrix.npy`: float64 `[module_dim, projected_dim]`, entries
    N(0, 1/projected_dim) (upstream's sklearn gaussian_random_matrix); `--seed` seeds it."""
    from tfhub.tools.make_nearest_neighbour_index import embedding_generator, files

    matrix = embedding_generator.generate_random_projection_weights(400, 100, str(tmp_path))
    assert matrix is not None and matrix.dtype == np.float64 and matrix.shape == (400, 100)
    stored = np.load(tmp_path / files.RANDOM_PROJECTION_NPY)
    assert stored.dtype == np.float64
    np.testing.assert_array_equal(stored, matrix)
    # 40,000 draws: the mean within ~8 standard errors of 0, the variance within 5% of 1/100.
    assert abs(float(matrix.mean())) < 8 * 0.1 / np.sqrt(matrix.size)
    assert float(matrix.var()) == pytest.approx(1 / 100, rel=0.05)

    seeded = embedding_generator.random_projection_matrix(400, 100, seed=7)
    again = embedding_generator.random_projection_matrix(400, 100, seed=7)
    assert seeded is not None and again is not None
    np.testing.assert_array_equal(seeded, again)
    assert not np.array_equal(seeded, embedding_generator.random_projection_matrix(400, 100))


def test_ann_index_json_says_library_dimensions_metric_items_params_and_build_time(
    tmp_path: Path,
) -> None:
    """Files: `ann.index.json` (build): library, dimensions, metric (angular), item count,
    parameters, build time. Which ANN library: hnswlib (M 16, ef_construction 200, ef 128) is
    the default; `ann.index.mapping.json`: the items as a JSON array, in id order."""
    from tfhub.tools.make_nearest_neighbour_index import index_builder

    embed = tmp_path / "embed"
    embed.mkdir()
    vectors = np.random.default_rng(0).normal(size=(12, 4))
    items = [f"item {i}" for i in range(12)]
    records = [(item.encode(), v.tolist()) for item, v in zip(items, vectors, strict=True)]
    nn.write_records(embed / "emb-00000-of-00001.tfrecords", records)

    index_builder.run(index_builder.BuildConfig(str(embed), str(tmp_path / "index")))
    info = json.loads((tmp_path / "index" / "ann.index.json").read_text())
    assert info["library"] == "hnswlib" and info["dimensions"] == 4
    assert info["metric"] == "angular" and info["items"] == 12
    assert info["params"] == {"M": 16, "ef_construction": 200, "ef": 128}
    assert isinstance(info["build_seconds"], float) and info["build_seconds"] >= 0
    mapping = json.loads((tmp_path / "index" / "ann.index.mapping.json").read_text())
    assert sorted(mapping) == sorted(items) and len(mapping) == 12


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["generate"], {"batch_size": 1028, "seed": None, "projected_dim": None}),
        (["query"], {"num_matches": 5, "query": None, "allow_pickle": False}),
        (["build"], {"num_trees": None, "index_library": None, "upstream_format": False}),
    ],
)
def test_nearest_neighbour_flag_defaults(argv: list[str], expected: dict[str, object]) -> None:
    """The flag table: `--batch_size` 1028 (upstream's), `--seed` random, `--projected_dim`
    none, `--num_matches` 5, `--allow_pickle` and `--upstream_format` off; `--num_trees` and
    `--index_library` unset mean annoy's 100 trees and hnswlib (checked below and in
    test_ann_index_json_...)."""
    from tfhub.tools.make_nearest_neighbour_index import ann, cli

    args, _ = cli.build_parser().parse_known_args(argv)
    assert {name: getattr(args, name) for name in expected} == expected
    assert ann.DEFAULT_LIBRARY == "hnswlib"
    assert ann.make_index("annoy", 4).params["num_trees"] == 100


def _summary_tags(folder: Path) -> set[tuple[str, str]]:
    """(tag, plugin) of every summary value in the TensorBoard event files of `folder`."""
    import tensorflow as tf

    tags = set()
    for events in folder.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(os.fspath(events)):
            tags.update((v.tag, v.metadata.plugin_data.plugin_name) for v in event.summary.value)
    return tags


@pytest.mark.tf
def test_each_epoch_is_one_line_and_a_strategy_may_be_given_by_its_flags_name(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    """make_image_classifier: "Each epoch prints one line with loss, accuracy, validation loss
    and accuracy, its duration and training images/s". Python API: the strategy may also be
    given by its flag's name ("" or "mirrored"); `history.history["val_accuracy"]`; the
    classes are the sub-folder names, sorted. Bottlenecks: TensorBoard summaries (`train/`,
    `validation/`) "of the head's training; histograms are of the head's weights" (the module,
    which has weights of its own, has none)."""
    from tfhub.tools import make_image_classifier as mic

    said: list[str] = []
    hparams = mic.get_default_hparams()._replace(train_epochs=1, batch_size=16)
    logs = tmp_path / "logs"
    _, labels, history = mic.make_image_classifier(
        image_modules["fixed"], str(shape_images), hparams, "", log_dir=str(logs), say=said.append
    )
    assert labels == ("circle", "square", "triangle")
    assert len(history.history["val_accuracy"]) == 1
    epochs = [line for line in said if line.startswith("Epoch ")]
    number = r"-?\d+\.\d{4}"
    assert len(epochs) == 1, said
    assert re.fullmatch(
        rf"Epoch 1/1: accuracy {number}, loss {number}, val_accuracy {number}, "
        rf"val_loss {number} \(\d+\.\d s, \d+ training images/s\)",
        epochs[0],
    ), epochs[0]

    train, validation = _summary_tags(logs / "train"), _summary_tags(logs / "validation")
    histograms = sorted(tag for tag, plugin in train if plugin == "histograms")
    assert len(histograms) == 2 and all("dense/" in tag for tag in histograms), histograms
    assert {"kernel", "bias"} == {tag.split("dense/")[1].split("/")[0] for tag in histograms}
    for tag in ("epoch_loss", "epoch_accuracy"):
        assert (tag, "scalars") in train and (tag, "scalars") in validation
    assert not any(tag.startswith("evaluation_") for tag, _ in validation)  # No test function.


@pytest.mark.tf
def test_module_search_ties_go_by_module_name_and_on_score_sees_each_score_at_once(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    """module_search: "It prints a table, best first (... a tie: by module name)" with the
    header and columns shown in the docs; `lib.rank_modules(..., on_score=...)` gets each score
    as soon as it is known (in scoring order, before the ranking)."""
    from tfhub.tools.module_search import lib

    later, earlier = tmp_path / "z_copy", tmp_path / "a_copy"
    shutil.copytree(image_modules["fixed"], later)
    shutil.copytree(image_modules["fixed"], earlier)
    spec = lib.DataSpec(str(shape_images), 9)
    dataset = lib.load_dataset(spec)
    seen: list[str] = []
    scores = lib.rank_modules(
        [os.fspath(later), os.fspath(earlier)], dataset, on_score=lambda s: seen.append(s.module)
    )
    assert seen == [os.fspath(later), os.fspath(earlier)]
    assert [s.module for s in scores] == [os.fspath(earlier), os.fspath(later)]
    assert scores[0].error == scores[1].error

    table = lib.format_table(scores, spec, len(dataset.labels)).splitlines()
    assert table[0] == (
        f"# Module ranking for {shape_images}#9 (9 images; lower 1-NN error is better)"
    )
    assert table[1] == "rank  1nn_error    dim  seconds  module"
    assert re.fullmatch(rf"   1      \d\.\d{{3}}      8 +\d+\.\d  {earlier}", table[2]), table[2]


def test_generate_reads_bz2_and_xz_files_decompressed(
    text_module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Errors table of make_nearest_neighbour_index: "files are read as Beam reads them: `.gz`,
    `.bz2`, `.xz` decompressed" (the `.gz` case: test_nearest_neighbour_inputs.py)."""
    pytest.importorskip("apache_beam", reason="generate is an Apache Beam pipeline")
    import bz2
    import lzma

    from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt.bz2").write_bytes(bz2.compress(b"hello world\nthe cat\n"))
    (data / "b.txt.xz").write_bytes(lzma.compress(b"sat mat\n"))
    embeds = tmp_path / "embeds"
    argv = ["generate", f"--data_file_pattern={data / '*'}", f"--module_url={text_module}",
            f"--embed_output_dir={embeds}"]  # fmt: skip
    assert tool_main(argv) == 0, capsys.readouterr().err
    items, vectors = nn.read_records(str(embeds))
    assert sorted(items) == ["hello world", "sat mat", "the cat"]
    assert vectors == pytest.approx(nn.text_embedding_expected(items, dim=nn.DIM), abs=1e-5)


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("validation_split", "1", "--validation_split must be in [0, 1)"),
        ("image_size", "0", "--image_size must be a positive number of pixels"),
        ("dropout_rate", "1", "--dropout_rate must be in [0, 1)"),
        ("assert_accuracy_at_least", "-0.1", "--assert_accuracy_at_least must be"),
    ],
)
def test_the_flag_values_the_docs_name_are_refused_first(
    flag: str, value: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """make_image_classifier's `ToolFlagError` (`.flag`, `.value`): "a flag value no run can
    use (e.g. `--validation_split 1`, ..., `--image_size 0`, ..., `--dropout_rate 1`, ...,
    or below 0, which every run passes ...), checked first": one line, nothing created."""
    from tfhub.tools.make_image_classifier import cli

    argv = [f"--image_dir={tmp_path / 'no_images'}", f"--tfhub_module={tmp_path / 'no_module'}"]
    argv += [f"--saved_model_dir={tmp_path / 'sm'}", f"--{flag}={value}"]
    assert cli.main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: {message}"), line
    assert line.endswith((f"Received: {flag}={value}", f"Received: {flag}={float(value)}")), line
    assert os.listdir(tmp_path) == []


def _documented_image_classifier_flags() -> dict[str, str]:
    """docs/tools.md's table "Flags (upstream's names and defaults)": flag -> its default."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "tools.md").read_text()
    section = text.split("## make_image_classifier", 1)[1].split("\n## ", 1)[0]
    table = section.split("### Flags", 1)[1].split("\nBoolean flags", 1)[0]
    return dict(re.findall(r"^\| `--(\w+)` \| ([^|]+) \|", table, re.MULTILINE))


_DOCUMENTED_NONE = {"TF Flowers", "none", "from the module"}


def test_the_image_classifier_flag_table_gives_the_parsers_flags_and_defaults() -> None:
    """make_image_classifier's flag table: every flag the command takes (besides -v), with
    its default, and no other."""
    from tfhub.tools.make_image_classifier import cli

    documented = _documented_image_classifier_flags()
    defaults = vars(cli.build_parser().parse_args([]))
    del defaults["verbose"]
    assert set(documented) == set(defaults)
    for flag, text in documented.items():
        text = text.strip().strip("`")
        if text in _DOCUMENTED_NONE:
            expected: object = None
        elif text in ("true", "false"):
            expected = text == "true"
        elif flag == "tfhub_module":
            expected = text
        else:
            expected = float(text)
        assert defaults[flag] == expected, (flag, text)


@pytest.mark.tf
def test_module_search_image_size_fixed_tf1_default_or_224(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    """module_search `--image_size`: "for modules that take any size (default 224 ...); a
    module with a fixed input size gets its own size, whatever `--image_size` says, and a TF1
    module that takes any size but names a default one (ImageModuleInfo) gets that when no
    `--image_size` is given"."""
    from tests._helpers import image_models

    from tfhub.tools import image_decoding
    from tfhub.tools.module_search import embedding, lib

    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 3))

    def features_at(size: int) -> np.ndarray:
        images = image_decoding.decode_images(dataset.files, (size, size)).images / 255.0
        return image_models.image_features(images)

    at_32, at_48 = features_at(32), features_at(48)
    assert not np.allclose(at_32, at_48, atol=1e-4)  # The sizes are told apart.
    checks = [
        ("fixed", 48, at_32),
        ("tf1", None, at_32),
        ("tf1", 48, at_48),
        ("variable", 48, at_48),
        ("variable", None, features_at(224)),
    ]
    for name, image_size, expected in checks:
        vectors = embedding.embed(image_modules[name], dataset, image_size)
        np.testing.assert_allclose(vectors, expected, atol=1e-4, err_msg=f"{name} {image_size}")


@pytest.mark.tf
def test_a_relative_path_in_the_module_list_is_relative_to_the_current_folder(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--module_list FILE`: "a relative path in it is relative to the current folder, as
    upstream, not to the list's folder"."""
    from tfhub.tools.module_search.cli import main as tool_main

    shutil.copytree(image_modules["fixed"], tmp_path / "mods" / "m")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "candidates.txt").write_text("# candidates\nmods/m\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    argv = [f"--dataset={shape_images}#6", "--module_list=lists/candidates.txt"]
    assert tool_main(argv) == 0, capsys.readouterr().err
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 3 and rows[2].startswith("   1 ") and rows[2].endswith("  mods/m")


def test_module_search_distances_take_about_64_mb_whatever_the_number_of_images() -> None:
    """module_search: "the distances are computed a block of images at a time, in about 64 MB
    whatever the number of images (besides the vectors themselves)". A whole matrix of 6,000
    images would take 288 MB."""
    import tracemalloc

    from tfhub.tools.module_search import lib

    rng = np.random.default_rng(0)
    peaks = []
    for count in (1500, 6000):
        vectors = rng.normal(size=(count, 16)).astype(np.float32)
        labels = rng.integers(0, 5, count)
        tracemalloc.start()
        try:
            lib.loo_1nn_error(vectors, labels)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    mb = 2**20
    assert all(
        peak < 80 * mb for peak in peaks
    )  # At most about 64 MB., [peak / mb for peak in peaks]


def test_system_volume_information_and_jupyters_checkpoints_are_not_classes(
    tmp_path: Path,
) -> None:
    """Input pipeline: hidden folders ("such as the `.ipynb_checkpoints` Jupyter makes") and
    system folders (`System Volume Information`, besides those test_image_folders.py checks)
    are neither classes nor images."""
    from tests._helpers import image_sets

    from tfhub.tools import image_folders

    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("square", "circle"), per_class=2)
    for folder in (".ipynb_checkpoints", "System Volume Information"):
        (root / folder).mkdir()
        shutil.copy(root / "circle" / "circle_000.jpg", root / folder / "x.jpg")
    (root / "square" / ".ipynb_checkpoints").mkdir()
    shutil.copy(root / "square" / "square_000.jpg", root / "square" / ".ipynb_checkpoints")
    files = image_folders.list_image_files(os.fspath(root))
    assert files.labels == ("circle", "square")
    assert len(files.paths) == 4
    assert not any("ipynb" in path or "Volume" in path for path in files.paths)


@pytest.mark.tf
def test_the_model_is_upstreams_module_dropout_softmax_dense_sgd_label_smoothing(
    image_modules: dict[str, str],
) -> None:
    """make_image_classifier: "The model is upstream's: the module as a `hub.KerasLayer`,
    Dropout, and a softmax Dense layer with L1/L2 regularization, trained with SGD and momentum
    on categorical cross-entropy with label smoothing", each from its flag."""
    from tfhub.keras import KerasLayer
    from tfhub.tools.image_modules import load_module_layer
    from tfhub.tools.make_image_classifier import build_model, get_default_hparams
    from tfhub.tools.make_image_classifier.model import compile_model

    hparams = get_default_hparams()._replace(
        dropout_rate=0.3,
        l1_regularizer=0.01,
        l2_regularizer=0.02,
        learning_rate=0.125,
        momentum=0.75,
        label_smoothing=0.25,
    )
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, hparams, (32, 32), 3)
    compile_model(model, hparams)
    module, dropout, dense = model.layers
    assert isinstance(module, KerasLayer) and not module.trainable
    assert type(dropout).__name__ == "Dropout" and dropout.rate == pytest.approx(0.3)
    assert dense.units == 3 and dense.activation.__name__ == "softmax"
    regularizer = dense.kernel_regularizer.get_config()
    assert regularizer == {"l1": pytest.approx(0.01), "l2": pytest.approx(0.02)}
    optimizer = model.optimizer
    assert type(optimizer).__name__ == "SGD"
    assert float(np.asarray(optimizer.learning_rate)) == pytest.approx(0.125)
    assert float(np.asarray(optimizer.momentum)) == pytest.approx(0.75)
    assert type(model.loss).__name__ == "CategoricalCrossentropy"
    assert model.loss.get_config()["label_smoothing"] == pytest.approx(0.25)


@pytest.mark.tf
def test_compute_score_with_no_number_of_examples_takes_them_all(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    """module_search.search: `compute_score(module_spec, {..., "num_examples": N})`, "N 0 or
    None: all the examples" (0: test_module_search_probes30.py)."""
    from tfhub.tools.module_search import lib, search

    spec = {"dataset": str(shape_images), "split": "train", "num_examples": None}
    score = float(search.compute_score(image_modules["fixed"], spec))
    every = lib.load_dataset(lib.DataSpec(str(shape_images)))
    assert len(every.labels) == 60
    assert score == lib.score_module(image_modules["fixed"], every).error
    assert score == 0.0
    # One image a class: each one's nearest is of another class (tells "all" apart from few).
    three = {**spec, "num_examples": 3}
    assert float(search.compute_score(image_modules["fixed"], three)) == 1.0


def test_a_missing_local_module_is_named_before_tf_flowers_are_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ModuleUnavailableError`: "the module path does not exist ... (all three tools; before
    loading)"; make_image_classifier without --image_dir checks it before it downloads TF
    Flowers (218 MB), not after. The Flowers URL is a closed port: a download would fail
    otherwise."""
    from tfhub import errors
    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "cache"))
    monkeypatch.setenv("TFHUB_FLOWERS_URL", "http://127.0.0.1:9/flower_photos.tgz")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    said: list[str] = []
    missing = os.fspath(tmp_path / "no_module")
    with pytest.raises(errors.ModuleUnavailableError) as caught:
        train_and_export(missing, None, get_default_hparams(), outputs=Outputs(), say=said.append)
    assert caught.value.handle == missing and caught.value.flag == "tfhub_module"
    assert said == [] and not (tmp_path / "cache").exists()
