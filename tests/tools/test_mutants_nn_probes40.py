"""Tests that kill mutants of make_nearest_neighbour_index's modules that the other tests let
live (session 40's hand mutation pass over Beam's logs, options, output and worker, the local
runner, the pipeline's errors, the configs, files, storage, the generator, builder and finder,
the index libraries, the readers, the safe pickles and the text embedding): each test names the
decision it pins down."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import (
    ann,
    beam_logs,
    beam_output,
    files,
    pipeline_errors,
    readers,
    storage,
)
from tfhub.tools.make_nearest_neighbour_index.generate_config import BATCH_SIZE, GenerateConfig
from tfhub.tools.make_nearest_neighbour_index.index_builder import BuildConfig


def _needs_beam() -> None:
    pytest.importorskip("apache_beam", reason="apache-beam is not installed (tfhub[tools])")


# --- beam_logs -------------------------------------------------------------------------------


def _record(message: str, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord(
        "apache_beam.runners.common", logging.ERROR, __file__, 1, message, None, exc_info
    )


def test_a_failed_steps_record_is_kept_only_with_tfhub_debug_and_a_ctrl_cs_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record with a traceback, or a relayed worker's failure (no traceback of its own), is
    dropped unless TFHUB_DEBUG; a Ctrl-C's is dropped even then, with or without a traceback."""
    quiet = beam_logs.QuietFailedSteps()
    monkeypatch.delenv("TFHUB_DEBUG", raising=False)
    assert not quiet.filter(_record("Error in the step", ValueError("x")))
    assert not quiet.filter(_record("Worker: Error processing instruction 7. Traceback ..."))
    assert not quiet.filter(_record("KeyboardInterrupt [while running 'Embed']"))
    assert quiet.filter(_record("Starting the step"))
    monkeypatch.setenv("TFHUB_DEBUG", "1")
    assert quiet.filter(_record("Error in the step", ValueError("x")))
    assert not quiet.filter(_record("Error in the step", KeyboardInterrupt()))
    assert not quiet.filter(_record("KeyboardInterrupt [while running 'Embed']"))


@pytest.mark.parametrize("drop_relayed", [True, False])
def test_quiet_failed_steps_drops_the_workers_relay_only_when_asked(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, drop_relayed: bool
) -> None:
    """Both of Beam's loggers lose a failed step's record; the runner's relay of its worker
    processes' records is dropped only for `beam_worker` processes; the filters go after."""
    monkeypatch.delenv("TFHUB_DEBUG", raising=False)
    common = logging.getLogger("apache_beam.runners.common")
    relay = logging.getLogger(beam_logs.RELAY_LOGGER)
    for logger in (common, relay):
        caplog.set_level(logging.INFO, logger=logger.name)
    failed = (ValueError, ValueError("boom"), None)
    with beam_logs.quiet_failed_steps(drop_relayed=drop_relayed):
        relay.warning("Worker: severity: WARN timestamp {} message: hello")
        common.error("a failed step", exc_info=failed)
        relay.error("a relayed failed step", exc_info=failed)
        common.warning("a step's warning")
    common.error("after the pipeline", exc_info=failed)
    relayed = [] if drop_relayed else ["Worker: severity: WARN timestamp {} message: hello"]
    assert [record.getMessage() for record in caplog.records] == [
        *relayed,
        "a step's warning",
        "after the pipeline",
    ]


# --- beam_options ----------------------------------------------------------------------------


def test_a_refused_value_is_named_by_its_options_never_by_a_value() -> None:
    """An option's value given as its own argument (`--s3_secret_access_key SECRET`) is not an
    option name: it stays out of the error."""
    _needs_beam()
    from tfhub.tools.make_nearest_neighbour_index.beam_options import check_pipeline_args

    with pytest.raises(errors.ToolFlagError) as caught:
        check_pipeline_args(["--s3_secret_access_key", "SECRET-1", "--direct_num_workers=two"])
    assert "SECRET-1" not in str(caught.value)
    assert caught.value.value == "--s3_secret_access_key --direct_num_workers"


def test_an_unknown_options_value_is_shown_as_dots() -> None:
    _needs_beam()
    from tfhub.tools.make_nearest_neighbour_index.beam_options import check_pipeline_args

    with pytest.raises(errors.ToolFlagError) as caught:
        check_pipeline_args(["--s3_secret_acess_key", "SECRET-2"])
    assert "SECRET-2" not in str(caught.value)
    assert caught.value.value == "--s3_secret_acess_key ..."


def test_options_of_a_runner_whose_module_does_not_import_are_left_to_beam() -> None:
    """Beam says what is wrong with such a runner when the pipeline starts; its options are
    unknown only because its module was not imported."""
    _needs_beam()
    from tfhub.tools.make_nearest_neighbour_index.beam_options import check_pipeline_args

    check_pipeline_args(["--runner=no_such_module_of_tfhub.Runner", "--its_own_option=1"])


def test_what_a_runners_module_prints_while_the_options_are_read_is_printed_after_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Beam's parser's stderr is held back (its usage, ~300 lines, on a refused value); what
    else was printed meanwhile, here by the runner's module imported to know its options,
    is not lost."""
    _needs_beam()
    from tfhub.tools.make_nearest_neighbour_index.beam_options import check_pipeline_args

    (tmp_path / "tfhub_probes40_runner.py").write_text(
        "import sys\nsys.stderr.write('the runner module speaks\\n')\nclass Runner: pass\n"
    )
    monkeypatch.syspath_prepend(os.fspath(tmp_path))
    check_pipeline_args(["--runner=tfhub_probes40_runner.Runner"])
    assert "the runner module speaks\n" in capsys.readouterr().err


# --- beam_output -----------------------------------------------------------------------------


def test_the_link_around_a_folder_with_glob_characters_is_removed_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(temporary))
    out = tmp_path / "emb[1]"
    out.mkdir()
    with beam_output.beam_folder(os.fspath(out), "emb[1]") as path:
        assert "[" not in path and os.path.realpath(path) == os.path.realpath(out)
    assert os.listdir(temporary) == []
    assert out.is_dir()


def test_only_beams_temporary_folders_are_removed_and_remote_folders_left(tmp_path: Path) -> None:
    (tmp_path / "beam-temp-emb-3f2a").mkdir()
    (tmp_path / "beam-temp-emb-3f2a" / "part").write_text("x")
    (tmp_path / "emb-00000-of-00001.tfrecords").write_bytes(b"")
    (tmp_path / "random_projection.matrix.npy").write_bytes(b"")
    beam_output.remove_beam_leftovers(os.fspath(tmp_path))
    assert sorted(os.listdir(tmp_path)) == [
        "emb-00000-of-00001.tfrecords",
        "random_projection.matrix.npy",
    ]
    beam_output.remove_beam_leftovers("gs://no-such-bucket-of-tfhub/emb")  # Not listed.


# --- beam_worker -----------------------------------------------------------------------------


def test_a_workers_start_up_noise_is_dropped_below_error_only(tmp_path: Path) -> None:
    code = (
        "import logging\n"
        "from tfhub.tools.make_nearest_neighbour_index import beam_worker as w\n"
        "w.quiet_start_up()\n"
        "logging.basicConfig(format='%(levelname)s:%(message)s')\n"
        "log = logging.getLogger(w.WORKER_LOGGER)\n"
        "log.warning('Logging handler created.')\n"
        "log.warning('No semi_persistent_directory found: /x')\n"
        "log.error('No semi_persistent_directory found: it failed')\n"
        "log.warning('another warning')\n"
        "logging.getLogger().warning('apitools not found, and bigquery ...')\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.fspath(src), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "ERROR:No semi_persistent_directory found: it failed",
        "WARNING:another warning",
    ]


# --- local_runner ----------------------------------------------------------------------------


def test_the_direct_runner_named_by_its_full_name_runs_on_the_local_runner() -> None:
    _needs_beam()
    from tfhub.tools.make_nearest_neighbour_index import local_runner

    given = "--runner=apache_beam.runners.direct.direct_runner.DirectRunner"
    options = local_runner.pipeline_options([given]).get_all_options()
    assert options["runner"] == local_runner.LOCAL_RUNNER


# --- pipeline_errors -------------------------------------------------------------------------


def _raised_while_handling(inner: BaseException) -> BaseException:
    """A runner's RuntimeError raised while `inner` was handled (its __context__, no cause)."""
    try:
        try:
            raise inner
        except BaseException:
            raise RuntimeError("Error writing the step's output")  # noqa: B904
    except RuntimeError as err:
        return err


def test_a_full_disk_behind_a_runners_error_is_told_and_other_os_errors_are_not(
    tmp_path: Path,
) -> None:
    config = GenerateConfig(os.fspath(tmp_path / "*.txt"), "m", os.fspath(tmp_path / "emb"))
    full = _raised_while_handling(OSError(errno.ENOSPC, "No space left on device"))
    assert "is full: free space" in str(pipeline_errors.pipeline_error(full, "R", config))
    denied = _raised_while_handling(OSError(errno.EACCES, "Permission denied"))
    assert "is full" not in str(pipeline_errors.pipeline_error(denied, "R", config))


def test_a_ctrl_c_behind_a_runners_error_is_an_interrupt() -> None:
    """str(KeyboardInterrupt()) is empty: only its class tells it."""
    assert pipeline_errors.interrupted(_raised_while_handling(KeyboardInterrupt()))
    assert not pipeline_errors.interrupted(_raised_while_handling(ValueError("x")))


def test_a_worker_processs_error_is_told_by_its_tracebacks_last_line(tmp_path: Path) -> None:
    """A worker process's failure reaches the runner as the text of its traceback: the cause
    is that traceback's last line, not the runner's own error class before it."""
    data = tmp_path / "latin1.txt"
    data.write_bytes("caf\xe9\n".encode("latin-1"))
    config = GenerateConfig(os.fspath(data), "m", os.fspath(tmp_path / "emb"))
    last = "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 3"
    err = RuntimeError(f'Traceback (most recent call last):\n  File "x.py", line 1\n{last}')
    found = pipeline_errors.pipeline_error(err, "R", config)
    assert found.cause == last
    assert f"Line 1 of {data} is not UTF-8 text" in str(found)


def test_a_steps_tfhub_error_that_beam_copied_is_the_original_again() -> None:
    """Beam raises a copy made from the message alone plus the step (`_reraise_augmented`),
    without the error's fields: the original, its context, is raised instead."""
    original = errors.NotATextEmbeddingError("m is not a text embedding", handle="m", problem="p")
    try:
        try:
            raise original
        except errors.TFHubError as exn:  # As Beam's DoFn runner does.
            copy = type(exn)(exn.args[0] + " [while running 'Embed']", *exn.args[1:])
            copy._tagged_with_step = True  # type: ignore[attr-defined]
            raise copy  # noqa: B904
    except errors.TFHubError as err:
        assert pipeline_errors.step_error(err) is original
    untagged = errors.ProjectedDimError("not a copy", projected_dim=9, embedding_dim=8)
    assert pipeline_errors.step_error(untagged) is untagged


# --- embedding_generator ---------------------------------------------------------------------


def test_a_projection_to_the_embeddings_own_size_is_none() -> None:
    _needs_beam()
    from tfhub.tools.make_nearest_neighbour_index import embedding_generator

    assert embedding_generator.random_projection_matrix(8, 8, seed=0) is None
    assert embedding_generator.random_projection_matrix(8, 4, seed=0).shape == (8, 4)


@pytest.mark.tf
def test_generate_embeds_batches_of_batch_size_and_returns_the_projected_size(
    tmp_path: Path,
) -> None:
    """Every batch the module embeds has batch_size lines, the last fewer (BatchElements
    adapts its batch size from 1 unless told a minimum); `run` returns the size written."""
    _needs_beam()
    import tensorflow as tf

    from tfhub.tools.make_nearest_neighbour_index import embedding_generator

    class BatchSize(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, strings: tf.Tensor) -> tf.Tensor:
            count = tf.shape(strings)[0]
            return tf.fill(tf.stack([count, 4]), tf.cast(count, tf.float32))

    module = os.fspath(tmp_path / "batch_size")
    tf.saved_model.save(BatchSize(), module)
    data = nn.write_lines(tmp_path / "lines.txt", [f"line {i}" for i in range(10)])
    out = os.fspath(tmp_path / "emb")
    config = GenerateConfig(data, module, out, batch_size=4, projected_dim=3, seed=0)
    assert embedding_generator.run(config) == 3
    matrix = np.load(os.path.join(out, files.RANDOM_PROJECTION_NPY))
    _, vectors = nn.read_records(out)
    direction = np.ones(4) @ matrix  # Each vector is its batch's size times this one.
    sizes = sorted(round(float(size)) for size in vectors @ direction / (direction @ direction))
    assert sizes == [2, 2, 4, 4, 4, 4, 4, 4, 4, 4]


# --- generate_config, index_builder's config, flag_values --------------------------------------


def test_the_configs_take_every_flag_upstreams_run_read() -> None:
    flags = argparse.Namespace(
        data_file_pattern="d/*.txt",
        module_url="m",
        embed_output_dir="e",
        index_output_dir="i",
        projected_dim=None,
        batch_size=None,
        upstream_format=True,
        seed=7,
        num_trees=None,
        index_library="annoy",
        allow_pickle=True,
    )
    generate = GenerateConfig.from_flags(flags)
    assert (generate.upstream_format, generate.seed, generate.batch_size) == (True, 7, BATCH_SIZE)
    build = BuildConfig.from_flags(flags)
    assert (build.allow_pickle, build.upstream_format, build.library, build.num_trees) == (
        True,
        True,
        "annoy",
        100,
    )


def test_an_empty_required_flag_is_missing() -> None:
    flags = argparse.Namespace(data_file_pattern="d", module_url="", embed_output_dir="e")
    with pytest.raises(errors.ToolFlagError, match="You must provide --module_url"):
        GenerateConfig.from_flags(flags)


def test_counts_of_one_are_taken() -> None:
    assert GenerateConfig("d", "m", "e", batch_size=1, projected_dim=1).batch_size == 1
    assert BuildConfig("e", "i", num_trees=1).num_trees == 1


# --- storage, files --------------------------------------------------------------------------


def test_a_remote_folder_named_with_a_trailing_slash_joins_with_one() -> None:
    assert storage.join("gs://bucket/index/", "ann.index") == "gs://bucket/index/ann.index"


def test_the_names_of_a_folder_that_does_not_exist_are_none(tmp_path: Path) -> None:
    assert storage.list_names(os.fspath(tmp_path / "missing")) == []
    (tmp_path / "a_file").write_text("x")
    assert storage.list_names(os.fspath(tmp_path / "a_file")) == []


@pytest.mark.tf
def test_a_remote_output_folder_keeps_its_old_files_until_the_new_ones_replace_them() -> None:
    """gs:// outputs are written in a staging sub-folder (session 42; upstream emptied the
    folder first): the old shard stays while the run writes, and is gone afterwards."""
    import tensorflow as tf

    folder = "ram://tfhub-probes40/emptied/emb"
    tf.io.gfile.makedirs(folder)
    with tf.io.gfile.GFile(folder + "/emb-00000-of-00009.tfrecords", "w") as handle:
        handle.write("old")
    with files.output_folder(folder, flag="embed_output_dir") as path:
        assert path.startswith(folder + "/tfhub-staging-"), path
        assert "emb-00000-of-00009.tfrecords" in tf.io.gfile.listdir(folder)
        with tf.io.gfile.GFile(path + "/emb-00000-of-00001.tfrecords", "w") as handle:
            handle.write("new")
    assert tf.io.gfile.listdir(folder) == ["emb-00000-of-00001.tfrecords"]


# --- index_builder ---------------------------------------------------------------------------


def _embeddings(folder: Path, count: int = 6, dim: int = 3) -> np.ndarray:
    """An embedding folder as generate writes it: `count` records of `dim` floats."""
    folder.mkdir()
    vectors = np.random.default_rng(0).normal(size=(count, dim)).astype(np.float32)
    nn.write_records(
        folder / "emb-00000-of-00001.tfrecords",
        [(f"item {i}".encode(), vector.tolist()) for i, vector in enumerate(vectors)],
    )
    return vectors


@pytest.mark.tf
def test_upstream_format_writes_the_pickle_of_a_matrix_generate_wrote_as_npy_only(
    tmp_path: Path,
) -> None:
    from tfhub.tools.make_nearest_neighbour_index import index_builder

    _embeddings(tmp_path / "emb")
    matrix = np.random.default_rng(1).normal(size=(5, 3))
    np.save(tmp_path / "emb" / files.RANDOM_PROJECTION_NPY, matrix)
    index = tmp_path / "index"
    index_builder.run(
        BuildConfig(os.fspath(tmp_path / "emb"), os.fspath(index), upstream_format=True)
    )
    with open(index / files.RANDOM_PROJECTION_FILENAME, "rb") as handle:
        np.testing.assert_array_equal(pickle.load(handle), matrix)  # Written here, trusted.


# --- similarity_finder -----------------------------------------------------------------------


def test_upstreams_form_without_a_mapping_is_refused_before_the_module_loads(
    tmp_path: Path,
) -> None:
    from tfhub.tools.make_nearest_neighbour_index.similarity_finder import SimilarityFinder

    (tmp_path / "ann.index").write_bytes(b"")
    with pytest.raises(errors.ArgumentError, match="SimilarityFinder takes the index folder"):
        SimilarityFinder("no/such/module", index_file_path=os.fspath(tmp_path / "ann.index"))


def test_load_of_a_module_path_without_the_index_folder_is_refused() -> None:
    from tfhub.tools.make_nearest_neighbour_index import similarity_finder

    with pytest.raises(errors.ArgumentError, match="takes upstream's flags object"):
        similarity_finder.load(Path("no/such/module"))


@pytest.mark.tf
def test_load_of_upstreams_flags_takes_their_allow_pickle(text_module: str, tmp_path: Path) -> None:
    from tfhub.tools.make_nearest_neighbour_index import index_builder, similarity_finder

    _embeddings(tmp_path / "emb", dim=nn.DIM)
    index = tmp_path / "index"
    index_builder.run(
        BuildConfig(os.fspath(tmp_path / "emb"), os.fspath(index), upstream_format=True)
    )
    (index / files.MAPPING_JSON).unlink()  # Upstream's folder: its mapping is a pickle.
    flags = argparse.Namespace(
        module_url=text_module, index_output_dir=os.fspath(index), allow_pickle=True
    )
    finder = similarity_finder.load(flags)
    assert len(finder.find_similar_items("the cat", 2)) == 2


@pytest.mark.tf
def test_an_upstream_folder_of_another_dimension_is_not_said_to_have_lost_its_description(
    tmp_path: Path,
) -> None:
    """The hint about a lost ann.index.json is for folders tfhub's build wrote (a JSON mapping
    beside the index); upstream's folders never had one."""
    from tfhub.tools.make_nearest_neighbour_index import index_builder, similarity_finder

    _embeddings(tmp_path / "emb")
    index = tmp_path / "index"
    index_builder.run(
        BuildConfig(os.fspath(tmp_path / "emb"), os.fspath(index), upstream_format=True)
    )
    (index / files.INDEX_INFO_JSON).unlink()
    (index / files.MAPPING_JSON).unlink()  # Now upstream's folder: pickles and the index.
    with pytest.raises(errors.IndexDimensionError) as caught:
        similarity_finder.LoadedIndex(os.fspath(index), query_dim=1000, allow_pickle=True)
    assert "does not hold 1000-dimensional vectors" in str(caught.value)
    assert files.INDEX_INFO_JSON not in str(caught.value)


@pytest.mark.tf
def test_a_blank_query_in_bytes_is_refused(text_module: str, tmp_path: Path) -> None:
    from tfhub.tools.make_nearest_neighbour_index import index_builder
    from tfhub.tools.make_nearest_neighbour_index.similarity_finder import SimilarityFinder

    _embeddings(tmp_path / "emb", dim=nn.DIM)
    index = os.fspath(tmp_path / "index")
    index_builder.run(BuildConfig(os.fspath(tmp_path / "emb"), index))
    finder = SimilarityFinder(text_module, index)
    with pytest.raises(errors.ArgumentError, match="The query is blank"):
        finder.find_matches(b" \t")  # type: ignore[arg-type]


@pytest.mark.tf
def test_a_query_of_a_remote_index_leaves_no_copy_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The libraries read local files: a remote index is copied to TMPDIR to be loaded, and
    the copy (as big as the index) was left there by every query."""
    from tfhub.tools.make_nearest_neighbour_index import index_builder, similarity_finder

    vectors = _embeddings(tmp_path / "emb")
    remote = "ram://tfhub-probes40/query/index"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(temporary))
    for library in ("annoy", "hnswlib"):
        index_builder.run(BuildConfig(os.fspath(tmp_path / "emb"), remote, library=library))
        loaded = similarity_finder.LoadedIndex(remote, query_dim=3)
        assert loaded.search(vectors[2], 1)[0].item == "item 2"
        assert [name for name in os.listdir(temporary) if name.startswith("tfhub-ann-")] == []


# --- ann -------------------------------------------------------------------------------------


def test_the_angular_distance_of_a_rounded_up_cosine_is_zero() -> None:
    distances = ann.angular(np.array([1.0 + 1e-6, 1.0, -1.0]))
    np.testing.assert_allclose(distances, [0.0, 0.0, 2.0])


def test_a_zero_vector_stays_zero_when_normalized() -> None:
    np.testing.assert_allclose(
        ann.normalized(np.array([[0.0, 0.0], [3.0, 4.0]])), [[0.0, 0.0], [0.6, 0.8]]
    )


def test_what_a_stoppable_call_raises_is_raised_in_the_waiting_thread() -> None:
    def fail() -> None:
        raise MemoryError("the library ran out")

    with pytest.raises(MemoryError, match="the library ran out"):
        ann.stoppable(fail, name="tfhub-test")


def test_faiss_builds_with_the_ef_construction_of_its_params(tmp_path: Path) -> None:
    faiss = pytest.importorskip("faiss")
    index = ann.make_index("faiss", 4, {"ef_construction": 77})
    index.build(np.random.default_rng(0).normal(size=(20, 4)))
    index.save(os.fspath(tmp_path / "ann.index"))
    assert faiss.read_index(os.fspath(tmp_path / "ann.index")).hnsw.efConstruction == 77


def test_faiss_finds_as_many_matches_as_asked_beyond_its_ef(tmp_path: Path) -> None:
    """faiss's HNSW search keeps efSearch candidates: below k it returned fewer matches (66 of
    300 asked here, with ef 10), so efSearch is raised to k."""
    pytest.importorskip("faiss")
    vectors = np.random.default_rng(0).normal(size=(400, 8))
    index = ann.make_index("faiss", 8, {"ef": 10})
    index.build(vectors)
    ids, distances = index.query(vectors[0], 300)
    assert len(set(ids.tolist())) == 300 and ids[0] == 0
    assert np.all(np.diff(distances) >= -1e-6)


# --- readers, safe_pickle --------------------------------------------------------------------


def test_a_matrix_of_one_dimension_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / files.RANDOM_PROJECTION_NPY, np.zeros(8))
    with pytest.raises(errors.IndexFilesError, match=r"not a 2-D array \(it holds \(8,\)\)"):
        readers.read_matrix(os.fspath(tmp_path), allow_pickle=False)


@pytest.mark.parametrize(
    "info",
    [{"library": "annoy"}, {"library": ["annoy"], "dimensions": 4}],
    ids=["no dimensions", "a list for the library"],
)
def test_an_index_description_without_dimensions_or_a_library_name_is_refused(
    tmp_path: Path, info: dict[str, object]
) -> None:
    (tmp_path / "ann.index.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(errors.IndexFilesError) as caught:
        readers.read_index_info(os.fspath(tmp_path / "ann.index"))
    assert caught.value.problem == "info"


def test_a_json_mapping_that_is_not_utf8_is_damaged(tmp_path: Path) -> None:
    (tmp_path / files.MAPPING_JSON).write_bytes(b'["caf\xe9"]')
    with pytest.raises(errors.IndexFilesError, match="Build the index again"):
        readers.read_mapping(os.fspath(tmp_path), allow_pickle=False)


def test_a_pickled_matrix_this_numpy_wrote_is_read_back(tmp_path: Path) -> None:
    matrix = np.random.default_rng(2).normal(size=(4, 2))
    files.write_matrix(os.fspath(tmp_path), matrix, upstream_pickle=True)
    (tmp_path / files.RANDOM_PROJECTION_NPY).unlink()
    read = readers.read_matrix(os.fspath(tmp_path), allow_pickle=True)
    np.testing.assert_array_equal(read, matrix)


def test_a_pickled_mapping_with_numpy_integer_ids_is_read(tmp_path: Path) -> None:
    mapping = {np.int64(i): f"item {i}" for i in range(3)}
    (tmp_path / files.MAPPING_FILENAME).write_bytes(pickle.dumps(mapping, protocol=4))
    items = readers.read_mapping(os.fspath(tmp_path), allow_pickle=True)
    assert items == ["item 0", "item 1", "item 2"]


# --- text_embedding --------------------------------------------------------------------------


@pytest.mark.tf
def test_a_signature_taking_no_input_is_not_a_text_embedding(tmp_path: Path) -> None:
    import tensorflow as tf

    from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

    @tf.function(input_signature=[])
    def constant() -> dict[str, tf.Tensor]:
        return {"default": tf.zeros([2, 4])}

    module = tf.Module()
    module.constant = constant
    path = os.fspath(tmp_path / "no_input")
    tf.saved_model.save(module, path, signatures={"serving_default": constant})
    with pytest.raises(
        errors.NotATextEmbeddingError, match="its 'serving_default' signature takes"
    ):
        TextEmbedder(path)


@pytest.mark.tf
def test_the_first_string_whose_vector_is_not_finite_is_named(tmp_path: Path) -> None:
    import tensorflow as tf

    from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

    class NanForShort(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, strings: tf.Tensor) -> tf.Tensor:
            lengths = tf.cast(tf.strings.length(strings), tf.float32)[:, None]
            return tf.where(lengths < 2.0, np.nan, tf.concat([lengths, lengths], axis=1))

    path = os.fspath(tmp_path / "nan_for_short")
    tf.saved_model.save(NanForShort(), path)
    with pytest.raises(errors.NotATextEmbeddingError) as caught:
        TextEmbedder(path)(["fine", "a", "also fine", ""])
    assert "its vectors of 2 of 4 strings hold NaN or infinity (the first for 'a')" in str(
        caught.value
    )


def test_an_empty_pickle_is_a_damaged_file(tmp_path: Path) -> None:
    """Unpickling an empty file raises EOFError, not an UnpicklingError: it is still the
    index's damaged file."""
    (tmp_path / files.RANDOM_PROJECTION_FILENAME).write_bytes(b"")
    with pytest.raises(errors.IndexFilesError, match="Cannot read the projection matrix"):
        readers.read_matrix(os.fspath(tmp_path), allow_pickle=True)


def test_an_index_file_that_is_a_folder_is_named_so(tmp_path: Path) -> None:
    from tfhub.tools.make_nearest_neighbour_index.index_files import IndexFiles

    (tmp_path / "ann.index").mkdir()
    named = IndexFiles(
        index=os.fspath(tmp_path / "ann.index"),
        mapping=os.fspath(tmp_path / "ann.index.mapping"),
        matrix=None,
        received="index_file_path='ann.index'",
    )
    with pytest.raises(errors.IndexFilesError) as caught:
        named.check_exists()
    assert caught.value.problem == "is not a file"


@pytest.mark.tf
def test_a_module_returning_no_output_is_not_a_text_embedding(tmp_path: Path) -> None:
    import tensorflow as tf

    from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

    class Nothing(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, strings: tf.Tensor) -> dict[str, tf.Tensor]:
            return {}

    path = os.fspath(tmp_path / "nothing")
    tf.saved_model.save(Nothing(), path)
    with pytest.raises(errors.NotATextEmbeddingError, match="is not a text embedding"):
        TextEmbedder(path)


def test_a_json_mapping_named_by_its_own_name_that_does_not_exist_is_named(tmp_path: Path) -> None:
    path = os.fspath(tmp_path / "ann.index.mapping.json")
    with pytest.raises(errors.IndexFilesError, match="there is no .*mapping.json\\)") as caught:
        readers.read_mapping_file(path, allow_pickle=False, received="r")
    assert (caught.value.problem, caught.value.path) == ("no mapping", path)
