"""make_nearest_neighbour_index: the Beam pipeline, the index libraries and queries, on real
modules (TF2 SavedModel served over 127.0.0.1 and from a folder, TF1 Hub module) and on
upstream's own files."""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.models import make_tarball, save_tf2_module
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import ann, files, index_builder, similarity_finder
from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

pytestmark = pytest.mark.tf

generator = pytest.importorskip(
    "tfhub.tools.make_nearest_neighbour_index.embedding_generator",
    reason="apache-beam is not installed (pip install 'tfhub[tools]')",
)


@pytest.fixture(scope="module")
def upstream_vectors() -> tuple[list[str], np.ndarray]:
    return nn.read_records(str(nn.UPSTREAM_EMBEDS))


def test_generate_on_direct_runner_with_two_workers_over_http(
    text_module, tmp_path, served_dir, server, monkeypatch
):
    loads: list[str] = []

    class CountedEmbedder(TextEmbedder):  # The module is loaded once per worker, not per batch.
        def __init__(self, module_url: str) -> None:
            loads.append(module_url)
            super().__init__(module_url)

    monkeypatch.setattr(generator, "TextEmbedder", CountedEmbedder)
    make_tarball(text_module, str(served_dir / "text8.tar.gz"))
    items = nn.lines(40)
    assert len(items) >= 20
    config = generator.GenerateConfig(
        data_file_pattern=nn.write_lines(tmp_path / "lines.txt", items),
        module_url=server.url("text8.tar.gz"),
        embed_output_dir=str(tmp_path / "embeds"),
        projected_dim=4,
        batch_size=2,
        seed=3,
    )
    beam_args = ["--direct_num_workers=2", "--direct_running_mode=multi_threading"]
    assert generator.run(config, beam_args) == 4
    assert 2 <= len(loads) <= 1 + 2  # Its size, before the pipeline; then one per worker.
    assert len(loads) < len(items) // config.batch_size  # Than batches (10 or more).

    written = sorted(os.listdir(tmp_path / "embeds"))
    written.remove(files.MODULE_RECORD_JSON)  # Which module made them (module_record).
    assert written[-1] == files.RANDOM_PROJECTION_NPY and all(
        name.startswith("emb-") and name.endswith(".tfrecords") for name in written[:-1]
    )
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".embeds")]  # No temp folder.
    matrix = np.load(tmp_path / "embeds" / files.RANDOM_PROJECTION_NPY)
    assert matrix.shape == (nn.DIM, 4)
    got_items, got_vectors = nn.read_records(str(tmp_path / "embeds"))
    assert sorted(got_items) == sorted(items)
    expected = nn.text_embedding_expected(got_items, dim=nn.DIM) @ matrix
    np.testing.assert_allclose(got_vectors, expected, rtol=1e-5, atol=1e-5)

    info = index_builder.run(
        index_builder.BuildConfig(str(tmp_path / "embeds"), str(tmp_path / "index"))
    )
    assert (info["library"], info["dimensions"], info["items"]) == (
        ann.DEFAULT_LIBRARY,
        4,
        len(items),
    )
    finder = similarity_finder.SimilarityFinder(text_module, str(tmp_path / "index"))
    best = finder.find_matches(items[5], num_matches=3)
    assert len(best) == 3 and best[0].distance < 1e-3
    assert [m.distance for m in best] == sorted(m.distance for m in best)
    assert finder.find_similar_items(items[5], 1) == [best[0].item]
    # A query of bytes that are not UTF-8 (read with surrogateescape) is named, not TF's error.
    with pytest.raises(errors.ArgumentError, match=r"not UTF-8 text.*query=b'caf\\xe9'"):
        finder.find_matches(b"caf\xe9".decode("utf-8", "surrogateescape"))


def test_pipeline_options_default_to_direct_runner_and_quiet_workers():
    """Beam's worker processes (--direct_running_mode=multi_processing, a cluster's SDK
    harness) log ~20 INFO lines each about their channels unless told a level. The
    DirectRunner's pipelines run on the FnApiRunner, which downloads nothing."""
    options = generator.pipeline_options([]).get_all_options()
    assert (options["runner"], options["default_sdk_harness_log_level"]) == (
        "FnApiRunner",
        "WARNING",
    )
    for given in ("--runner=DirectRunner", "--runner=direct", "--runner=PrismRunner"):
        expected = "PrismRunner" if "Prism" in given else "FnApiRunner"
        assert generator.pipeline_options([given]).get_all_options()["runner"] == expected
    given = ["--runner=FlinkRunner", "--default_sdk_harness_log_level=DEBUG"]
    options = generator.pipeline_options(given).get_all_options()
    assert (options["runner"], options["default_sdk_harness_log_level"]) == ("FlinkRunner", "DEBUG")


@pytest.mark.parametrize("library", sorted(ann.LIBRARIES))
def test_recall_at_10_against_exact_search(library, upstream_vectors, tmp_path):
    _, vectors = upstream_vectors
    index = ann.make_index(library, 64, {"num_trees": 100} if library == "annoy" else {})
    index.build(vectors)
    index.save(str(tmp_path / "ann.index"))
    loaded = ann.make_index(library, 64, index.params)
    assert loaded.load(str(tmp_path / "ann.index")) == len(vectors)

    rng = np.random.default_rng(0)
    queries = vectors[rng.choice(len(vectors), 60, replace=False)] + rng.normal(0, 0.05, (60, 64))
    exact = nn.exact_neighbours(vectors, queries, 10)
    hits = 0
    for query, truth in zip(queries, exact, strict=True):
        ids, distances = loaded.query(query.astype(np.float32), 10)
        hits += len(set(ids.tolist()) & set(truth.tolist()))
        unit = vectors[ids] / np.linalg.norm(vectors[ids], axis=1, keepdims=True)
        cosine = unit @ (query / np.linalg.norm(query))
        np.testing.assert_allclose(distances, np.sqrt(2 - 2 * cosine), atol=2e-3)
    assert hits / exact.size >= 0.9, f"{library} recall@10 = {hits / exact.size:.3f}"


def test_upstream_files_build_and_query(tmp_path, upstream_vectors):
    embeds = nn.copy_upstream_embeds(tmp_path / "embeds")
    index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    module = nn.save_text_embedding(str(tmp_path / "text128"), dim=128)  # upstream's 128 -> 64
    with pytest.raises(errors.UnsafeFileError, match="--allow_pickle"):
        similarity_finder.SimilarityFinder(module, str(tmp_path / "index"))
    finder = similarity_finder.SimilarityFinder(module, str(tmp_path / "index"), allow_pickle=True)
    with open(nn.UPSTREAM_EMBEDS / files.RANDOM_PROJECTION_FILENAME, "rb") as handle:
        matrix = pickle.load(handle)  # The test's own trusted reading of upstream's file.
    np.testing.assert_array_equal(finder.matrix, matrix)

    query = "the cat sat on the mat"
    vector = nn.text_embedding_expected([query], dim=128) @ matrix
    items, vectors = upstream_vectors
    exact = [items[i] for i in nn.exact_neighbours(vectors, vector, 10)[0]]
    found = finder.find_similar_items(query, 10)
    assert len(set(found) & set(exact)) >= 9


def test_upstream_format_is_readable_as_upstream_reads_it(tmp_path, upstream_vectors):
    import annoy

    embeds = nn.copy_upstream_embeds(tmp_path / "embeds")
    os.remove(embeds / files.RANDOM_PROJECTION_FILENAME)
    np.save(embeds / files.RANDOM_PROJECTION_NPY, np.eye(128, 64))
    config = index_builder.BuildConfig(
        str(embeds), str(tmp_path / "index"), num_trees=10, upstream_format=True
    )
    assert index_builder.run(config)["library"] == "annoy"
    index_dir = tmp_path / "index"
    with open(index_dir / files.MAPPING_FILENAME, "rb") as handle:
        mapping = pickle.load(handle)  # As upstream's similarity_finder does.
    with open(index_dir / files.RANDOM_PROJECTION_FILENAME, "rb") as handle:
        np.testing.assert_array_equal(pickle.load(handle), np.eye(128, 64))
    items, vectors = upstream_vectors
    assert mapping == dict(enumerate(items))
    upstream_index = annoy.AnnoyIndex(64, "angular")
    upstream_index.load(str(index_dir / files.INDEX_FILENAME))
    assert upstream_index.get_nns_by_vector(vectors[7], 1) == [7]

    for name in (files.INDEX_INFO_JSON, files.MAPPING_JSON, files.RANDOM_PROJECTION_NPY):
        os.remove(index_dir / name)  # Now it is a folder as upstream's tool writes it.
    loaded = similarity_finder.LoadedIndex(str(index_dir), query_dim=64, allow_pickle=True)
    assert loaded.search(vectors[7], 1)[0].item == items[7]
    with pytest.raises(errors.IndexDimensionError) as caught:
        similarity_finder.LoadedIndex(str(index_dir), query_dim=32, allow_pickle=True)
    assert caught.value.query_dim == 32


def test_tf1_text_module_from_a_folder_and_over_http(tmp_path, served_dir, server, monkeypatch):
    sentences = ["the cat sat", "hello world", "", "mat mat unknown"]
    module = nn.save_tf1_text_module(str(tmp_path / "tf1"))
    embedder = TextEmbedder(module)
    assert embedder.dim == nn.DIM
    np.testing.assert_allclose(
        embedder(sentences), nn.text_embedding_expected(sentences, dim=nn.DIM), atol=1e-6
    )
    make_tarball(module, str(served_dir / "tf1.tar.gz"))
    items = nn.lines(12)
    config = generator.GenerateConfig(
        nn.write_lines(tmp_path / "lines.txt", items), server.url("tf1.tar.gz"), str(tmp_path / "e")
    )
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert generator.run(config) == nn.DIM  # DirectRunner, default options.
    # Beam's DirectRunner would try Prism (a download from GitHub), leaving a beam-temp folder.
    assert not [name for name in os.listdir(temp) if name.startswith("beam-temp")]
    got_items, got_vectors = nn.read_records(str(tmp_path / "e"))
    assert sorted(got_items) == sorted(items)
    np.testing.assert_allclose(
        got_vectors, nn.text_embedding_expected(got_items, dim=nn.DIM), atol=1e-6
    )


def test_glob_characters_in_folder_names_are_their_own(text_module, tmp_path, monkeypatch):
    """Beam and build found the embedding files with a glob of the folder's path: `emb[1]`
    then matched `emb1` (generate failed, build read another folder's files or none)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    os.mkdir(tmp_path / "tmp")
    items = nn.lines(12)
    # What a glob of "a*b/emb[1]" matches instead: other records in "axb/emb1".
    os.makedirs(tmp_path / "axb" / "emb1")
    nn.write_records(tmp_path / "axb" / "emb1" / "emb-x.tfrecords", [(b"other", [1.0] * nn.DIM)])
    embeds = tmp_path / "a*b" / "emb[1]"
    config = generator.GenerateConfig(
        nn.write_lines(tmp_path / "lines.txt", items), text_module, str(embeds)
    )
    assert generator.run(config) == nn.DIM
    assert os.listdir(tmp_path / "tmp") == []  # Beam's link to the folder is gone.
    assert sorted(nn.read_records(str(embeds))[0]) == sorted(items)

    index = tmp_path / "a*b" / "index[1]?"
    info = index_builder.run(index_builder.BuildConfig(str(embeds), str(index)))
    assert info["items"] == len(items)
    finder = similarity_finder.SimilarityFinder(text_module, str(index))
    assert finder.find_similar_items(items[3], 1) == [items[3]]


def _assert_one_line_and_picklable(err: errors.TFHubError, *fields: str) -> None:
    assert "\n" not in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err)
    for name in fields:
        assert getattr(again, name) == getattr(err, name)


def test_bad_module_and_projection_leave_no_output(text_module, tmp_path):
    data = nn.write_lines(tmp_path / "lines.txt", nn.lines(5))
    not_text = save_tf2_module(str(tmp_path / "float_model"))
    out = tmp_path / "embeds"
    with pytest.raises(errors.NotATextEmbeddingError) as caught:
        generator.run(generator.GenerateConfig(data, not_text, str(out)))
    assert not_text in str(caught.value) and isinstance(caught.value, ValueError)
    assert "it takes float32 [None, 3], not strings" in str(caught.value)  # TF's input spec.
    _assert_one_line_and_picklable(caught.value, "handle", "problem")
    with pytest.raises(errors.ProjectedDimError) as too_big:
        generator.run(generator.GenerateConfig(data, text_module, str(out), projected_dim=9))
    assert (too_big.value.projected_dim, too_big.value.embedding_dim) == (9, nn.DIM)
    _assert_one_line_and_picklable(too_big.value, "projected_dim", "embedding_dim")
    with pytest.raises(errors.EmbeddingFilesError, match="No file matches"):
        generator.run(generator.GenerateConfig(str(tmp_path / "*.csv"), text_module, str(out)))
    assert sorted(os.listdir(tmp_path)) == ["float_model", "lines.txt"]


def test_unwritable_output_folder(text_module, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    data = nn.write_lines(tmp_path / "lines.txt", nn.lines(5))
    with pytest.raises(errors.OutputNotWritableError) as caught:
        generator.run(generator.GenerateConfig(data, text_module, str(blocker / "embeds")))
    assert str(blocker / "embeds") in str(caught.value) and isinstance(caught.value, OSError)
    _assert_one_line_and_picklable(caught.value, "path")
    with pytest.raises(errors.OutputNotWritableError):
        index_builder.run(
            index_builder.BuildConfig(str(nn.UPSTREAM_EMBEDS), str(blocker / "index"))
        )
    with pytest.raises(errors.OutputNotWritableError, match="not a folder"):
        index_builder.run(index_builder.BuildConfig(str(nn.UPSTREAM_EMBEDS), str(blocker)))
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("library", ["annoy", "hnswlib"])
def test_num_matches_below_one_is_an_argument_error(text_module, tmp_path, library):
    """The command refuses --num_matches 0; the API did not (0 returned [], and -1 every item
    with annoy, hnswlib's own TypeError with hnswlib)."""
    items = nn.lines(6)
    vectors = nn.text_embedding_expected(items, dim=nn.DIM)
    records = [
        (item.encode(), vector.tolist()) for item, vector in zip(items, vectors, strict=True)
    ]
    os.mkdir(tmp_path / "embeds")
    nn.write_records(tmp_path / "embeds" / "emb-00000-of-00001.tfrecords", records)
    config = index_builder.BuildConfig(str(tmp_path / "embeds"), str(tmp_path / "index"))
    index_builder.run(dataclasses.replace(config, library=library))
    finder = similarity_finder.SimilarityFinder(text_module, str(tmp_path / "index"))
    for bad in (0, -1, np.int64(0)):
        with pytest.raises(errors.ArgumentError, match=rf"positive.*Received: num_matches={bad}$"):
            finder.find_matches(items[0], bad)
        with pytest.raises(errors.ArgumentError, match="num_matches"):
            finder.find_similar_items(items[0], bad)
    for bad in (2.5, True, "3"):
        with pytest.raises(errors.ArgumentTypeError, match=r"integer.*Received: num_matches="):
            finder.find_matches(items[0], bad)
    assert finder.find_similar_items(items[0], np.int64(1)) == [items[0]]


def test_a_blank_query_is_an_argument_error_as_the_command_refuses_it(text_module, tmp_path):
    """`query --query ""` is refused (an empty query finds arbitrary items); the API answered
    "", "  " and "\\n" with arbitrary items."""
    embeds = tmp_path / "embeds"
    os.mkdir(embeds)
    items = nn.lines(3)
    vectors = nn.text_embedding_expected(items, dim=nn.DIM)
    nn.write_records(
        embeds / "emb-00000-of-00001.tfrecords",
        [(item.encode(), vector.tolist()) for item, vector in zip(items, vectors, strict=True)],
    )
    index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    finder = similarity_finder.SimilarityFinder(text_module, str(tmp_path / "index"))
    for blank in ("", "  ", "\n\t"):
        with pytest.raises(
            errors.ArgumentError, match="blank.*" + re.escape(f"Received: query={blank!r}")
        ):
            finder.find_matches(blank)
        with pytest.raises(errors.ArgumentError, match="blank"):
            finder.find_similar_items(blank, 1)
    assert finder.find_similar_items(items[0], 1) == [items[0]]


def test_query_with_another_dimension(text_module, tmp_path):
    embeds = nn.copy_upstream_embeds(tmp_path / "embeds")
    os.remove(embeds / files.RANDOM_PROJECTION_FILENAME)
    index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    with pytest.raises(errors.IndexDimensionError) as caught:
        similarity_finder.SimilarityFinder(text_module, str(tmp_path / "index"))
    assert (caught.value.index_dim, caught.value.query_dim) == (64, nn.DIM)
    _assert_one_line_and_picklable(caught.value, "index_dim", "query_dim", "index_dir")


def test_bad_embedding_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.EmbeddingFilesError, match="generate"):
        index_builder.run(index_builder.BuildConfig(str(tmp_path / "empty"), str(tmp_path / "i")))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "emb-00000-of-00001.tfrecords").write_bytes(b"not a record at all")
    with pytest.raises(errors.EmbeddingFilesError, match="cannot be indexed") as damaged:
        index_builder.run(index_builder.BuildConfig(str(tmp_path / "bad"), str(tmp_path / "i")))
    assert "emb-00000-of-00001.tfrecords is damaged (corrupted record" in str(damaged.value)
    assert "{{function_node" not in str(damaged.value) and "[Op:" not in str(damaged.value)
    assert not (tmp_path / "i").exists()
    with pytest.raises(errors.EmbeddingFilesError, match=r"nope, which does not exist: run"):
        index_builder.run(index_builder.BuildConfig(str(tmp_path / "nope"), str(tmp_path / "i")))
    with pytest.raises(errors.IndexFilesError, match="build the index first"):
        similarity_finder.LoadedIndex(str(tmp_path / "empty"), query_dim=4)
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / files.MAPPING_JSON).write_text('["a", "b', encoding="utf-8")
    with pytest.raises(errors.IndexFilesError, match="Build the index again") as caught:
        similarity_finder.LoadedIndex(str(tmp_path / "cut"), query_dim=4)
    assert pickle.loads(pickle.dumps(caught.value)).path.endswith(files.MAPPING_JSON)


_GOOD = [(b"tea", [2.0, 1.0]), (b"milk", [1.0, 2.0]), (b"juice", [1.0, 1.0])]


@pytest.mark.parametrize(
    "record, problem",
    [
        ((b"caf\xe9", [1.0, 2.0]), r"has an item that is not UTF-8 text \(b'caf\\xe9'\): "),
        ((b"water", []), r"has an empty embedding \(no floats\): "),
        ((b"water", [1.0, float("nan")]), r"has nan in its embedding: an index cannot place"),
        ((b"water", [float("-inf"), 1.0]), r"has -inf in its embedding: an index cannot place"),
        ((b"water", [1.0, 2.0, 3.0]), r"has 3 floats in its embedding where the first .* 2: "),
    ],
    ids=["not utf-8", "0 dimensions", "nan", "inf", "another size"],
)
@pytest.mark.parametrize("batch", [2, 4096], ids=["batches across files", "one batch"])
def test_a_record_that_cannot_be_indexed_is_named_and_the_old_index_stays(
    tmp_path, monkeypatch, record, problem, batch
):
    monkeypatch.setattr(index_builder, "_READ_BATCH", batch)
    embeds, index = tmp_path / "embeds", tmp_path / "index"
    embeds.mkdir()
    nn.write_records(embeds / "emb-00000-of-00002.tfrecords", _GOOD)
    second = nn.write_records(embeds / "emb-00001-of-00002.tfrecords", _GOOD)
    index_builder.run(index_builder.BuildConfig(str(embeds), str(index)))
    before = {name: (index / name).read_bytes() for name in os.listdir(index)}
    nn.write_records(embeds / "emb-00001-of-00002.tfrecords", [_GOOD[0], record, _GOOD[1]])
    with pytest.raises(errors.EmbeddingFilesError) as caught:
        index_builder.run(index_builder.BuildConfig(str(embeds), str(index)))
    message = str(caught.value)
    assert message.startswith(f"The embeddings in {embeds} cannot be indexed: record 2 ")
    assert "of emb-00001-of-00002.tfrecords has" in message
    assert re.search(problem, message) and "generate` again" in message
    assert (caught.value.path, caught.value.record) == (second, 2)
    _assert_one_line_and_picklable(caught.value, "path", "record", "problem")
    assert {name: (index / name).read_bytes() for name in os.listdir(index)} == before
    assert sorted(os.listdir(tmp_path)) == ["embeds", "index"]  # No temporary folder left.


def test_zero_dimensional_embeddings_write_no_index(tmp_path):
    embeds = tmp_path / "embeds"
    embeds.mkdir()
    path = nn.write_records(embeds / "emb-00000-of-00001.tfrecords", [(b"a", []), (b"b", [])])
    with pytest.raises(errors.EmbeddingFilesError, match="record 1 .* has an empty embedding"):
        index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    assert sorted(os.listdir(tmp_path)) == ["embeds"]
    assert os.listdir(embeds) == [os.path.basename(path)]


def test_pickles_are_refused_or_restricted(tmp_path):
    (tmp_path / files.RANDOM_PROJECTION_FILENAME).write_bytes(
        pickle.dumps(Path("/etc/passwd"))  # Any global but NumPy's is refused.
    )
    with pytest.raises(errors.UnsafeFileError):
        files.read_matrix(str(tmp_path), allow_pickle=False)
    with pytest.raises(errors.IndexFilesError, match="refusing"):
        files.read_matrix(str(tmp_path), allow_pickle=True)


def test_pipeline_failure_on_the_runner_is_one_error(text_module, tmp_path):
    data = tmp_path / "latin1.txt"
    data.write_bytes("caf\xe9 au lait\nthe cat\n".encode("latin-1"))  # Not UTF-8.
    with pytest.raises(errors.PipelineError) as caught:
        generator.run(generator.GenerateConfig(str(data), text_module, str(tmp_path / "out")))
    assert caught.value.runner == "DirectRunner (FnApiRunner)"
    assert "UnicodeDecodeError" in caught.value.cause
    assert f"Line 1 of {data} is not UTF-8 text: convert the file" in str(caught.value)
    _assert_one_line_and_picklable(caught.value, "runner", "cause")
    assert sorted(os.listdir(tmp_path)) == ["latin1.txt"]


@pytest.mark.parametrize("recorded", [True, False], ids=["ann.index.json", "upstream folder"])
def test_a_cut_annoy_index_is_damaged_not_of_another_dimension(tmp_path, recorded):
    pytest.importorskip("annoy", reason="annoy is not installed (pip install 'tfhub[tools]')")
    index = ann.make_index("annoy", 8, {"num_trees": 4})
    index.build(np.random.default_rng(0).normal(size=(50, 8)))
    index.save(str(tmp_path / files.INDEX_FILENAME))
    files.write_mapping(str(tmp_path), [f"item {i}" for i in range(50)], upstream_pickle=False)
    if recorded:
        info = {"library": "annoy", "dimensions": 8, "params": index.params}
        files.write_json(str(tmp_path / files.INDEX_INFO_JSON), info)
    path = tmp_path / files.INDEX_FILENAME
    path.write_bytes(path.read_bytes()[:-100])
    expected = errors.IndexFilesError if recorded else errors.IndexDimensionError
    with pytest.raises(expected, match="damaged") as caught:
        similarity_finder.LoadedIndex(str(tmp_path), query_dim=8)
    assert "build the index again" in str(caught.value).lower()
    assert str(caught.value).endswith(f"Received: index_output_dir={str(tmp_path)!r}")


def test_ctrl_c_in_a_beam_worker_is_an_interrupt_without_beams_traceback(
    tmp_path, monkeypatch, caplog
):
    def interrupt(_: object) -> None:
        raise KeyboardInterrupt  # What SIGINT raises in the DoFn that runs at the time.

    def pipeline_of_one_interrupted_step(pipeline, config, matrix, output_dir):
        _ = pipeline | generator.beam.Create([1]) | "Embed" >> generator.beam.Map(interrupt)

    monkeypatch.setattr(generator, "build_pipeline", pipeline_of_one_interrupted_step)
    config = generator.GenerateConfig("lines.txt", "module", str(tmp_path / "out"))
    with caplog.at_level("ERROR"), pytest.raises(KeyboardInterrupt):
        generator._run_pipeline(generator.pipeline_options([]), config, None, str(tmp_path))
    assert not [
        record for record in caplog.records if record.exc_info or "Interrupt" in record.getMessage()
    ]
    for name in generator._BEAM_FAILURE_LOGGERS:
        assert not logging.getLogger(name).filters  # Removed again.


def test_an_index_a_killed_build_moved_aside_is_named_by_query(tmp_path):
    """A build killed between moving the previous index aside and renaming the new one into
    place leaves no index folder: query said only 'does not exist: build the index first'."""
    aside = tmp_path / ".idx.old-0123456789ab"
    aside.mkdir()
    with pytest.raises(errors.IndexFilesError) as caught:
        files.check_index_folder(str(tmp_path / "idx"))
    message = str(caught.value)
    assert f"killed while it replaced the index left the previous one at {aside}" in message
    assert "rename it back" in message
