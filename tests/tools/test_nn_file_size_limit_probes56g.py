"""make_nearest_neighbour_index's outputs past the file-size limit (EFBIG: `ulimit -f`, or a
file system's own bound such as FAT32's 4 GiB) (rf56g-F1, rf56g-F2).

hnswlib writes its index through a C++ stream and checks nothing: `build` wrote a cut-short
`ann.index`, said "written" and replaced the previous index with it (the next `query` said the
index was damaged). faiss's and USearch's failed writes were "unexpected error: RuntimeError",
the mapping's "OS error: [Errno 27] File too large", naming no folder or flag; `generate`'s
PipelineError said nothing of what to do. annoy's was already the line every library now gives.

Python ignores SIGXFSZ: a write past the limit fails with EFBIG instead of killing the process.
The limit is set only around the write, so pytest's own files are not limited."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.limits import file_size_limit

from tfhub import errors

pytestmark = pytest.mark.tf

LIMIT = 64 << 10  # Bytes a file may grow to while the limit holds: the index files pass it.
ITEMS, DIM = 2000, 64  # An index of ~0.5-1 MB, a mapping of ~14 KB.


def _file_size_limit(limit: int = LIMIT) -> contextlib.AbstractContextManager[None]:
    """Files may not grow past `limit` bytes in this block (as `ulimit -f`)."""
    return file_size_limit(limit)


def _says_the_limit(message: str, folder: str, flag: str) -> None:
    assert f"{folder}: File too large. " in message, message
    assert "file-size limit (`ulimit -f`)" in message, message
    assert message.endswith(f"Received: {flag}={folder!r}"), message
    assert ".tmp-" not in message and "\n" not in message, message


@pytest.fixture(scope="module")
def embeddings(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An embedding folder of ITEMS random DIM-d vectors, as `generate` writes it."""
    from tests.tools._nn_support import write_records

    folder = tmp_path_factory.mktemp("emb")
    vectors = np.random.default_rng(0).normal(size=(ITEMS, DIM)).astype(np.float32)
    records = [(f"item {i}".encode(), vector.tolist()) for i, vector in enumerate(vectors)]
    write_records(folder / "emb-00000-of-00001.tfrecords", records)
    return os.fspath(folder)


@pytest.mark.parametrize("library", ["hnswlib", "faiss", "usearch", "annoy"])
def test_an_index_past_the_file_size_limit_is_an_error_and_the_old_index_stays(
    tmp_path: Path, embeddings: str, library: str
) -> None:
    from tfhub.tools.make_nearest_neighbour_index import ann, index_builder
    from tfhub.tools.make_nearest_neighbour_index.similarity_finder import LoadedIndex

    try:
        ann.require_installed(library)
    except errors.MissingDependencyError:
        pytest.skip(f"{library} is not installed (an optional library)")
    target = os.fspath(tmp_path / "idx")
    config = index_builder.BuildConfig(embeddings, target, library=library)
    index_builder.run(config)
    before = {name: (tmp_path / "idx" / name).read_bytes() for name in os.listdir(target)}
    assert os.path.getsize(os.path.join(target, "ann.index")) > LIMIT  # Else no test.
    with pytest.raises(errors.OutputNotWritableError) as caught, _file_size_limit():
        index_builder.run(config)
    _says_the_limit(str(caught.value), target, "index_output_dir")
    after = {name: (tmp_path / "idx" / name).read_bytes() for name in os.listdir(target)}
    assert after == before  # The old index, as it was; no temporary left beside it.
    assert os.listdir(tmp_path) == ["idx"]
    assert len(LoadedIndex(target, query_dim=DIM).items) == ITEMS


def test_a_mapping_past_the_file_size_limit_names_the_folder(tmp_path: Path) -> None:
    from tfhub.tools.make_nearest_neighbour_index import files

    target = os.fspath(tmp_path / "idx")
    items = [f"a long item of text, number {i:06d}" for i in range(4 * LIMIT // 30)]
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with files.output_folder(target, flag="index_output_dir") as folder, _file_size_limit():
            files.write_mapping(folder, items, upstream_pickle=True)
    _says_the_limit(str(caught.value), target, "index_output_dir")
    assert os.listdir(tmp_path) == []


def test_a_generate_past_the_file_size_limit_says_what_to_do(
    tmp_path: Path, text_module: str
) -> None:
    from tfhub.tools.make_nearest_neighbour_index import embedding_generator as gen

    data = tmp_path / "in.txt"
    data.write_text("".join(f"line number {i}\n" for i in range(3000)))
    target = os.fspath(tmp_path / "emb")
    config = gen.GenerateConfig(os.fspath(data), text_module, target)
    with pytest.raises(errors.PipelineError) as caught, _file_size_limit():
        gen.run(config)
    message = str(caught.value)
    assert "File too large" in message, message
    assert "file-size limit (`ulimit -f`)" in message, message
    assert not (tmp_path / "emb").exists() and sorted(os.listdir(tmp_path)) == ["in.txt"]


@pytest.mark.parametrize(
    ("number", "todo"),
    [(28, "is full: free space on it"), (27, "file-size limit (`ulimit -f`)")],
)
def test_a_worker_process_write_refusal_says_what_to_do(number: int, todo: str) -> None:
    """A worker process's error reaches the runner as text only: its cause line is then
    "RuntimeError: OSError: [Errno 27] File too large [while running ...]" (measured with
    --direct_running_mode=multi_processing under `prlimit --fsize`), with no OSError to
    look at; it said nothing of what to do."""
    from tfhub.tools.make_nearest_neighbour_index import pipeline_errors
    from tfhub.tools.make_nearest_neighbour_index.generate_config import GenerateConfig

    cause = f"OSError: [Errno {number}] {os.strerror(number)}"
    step = " [while running 'Write TFRecords/Write/WriteImpl/WriteBundles']"
    relayed = RuntimeError(
        f"Traceback (most recent call last):\n  ...\nRuntimeError: {cause}{step}"
    )
    config = GenerateConfig("in.txt", "module", "out/emb")
    err = pipeline_errors.pipeline_error(relayed, "DirectRunner", config)
    assert f"RuntimeError: {cause}{step}" in str(err)
    assert todo in str(err), str(err)


def test_a_remote_index_staged_past_the_file_size_limit_names_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build --index_output_dir=gs://...` writes the index in TMPDIR first: a write refused
    there was "tfhub: OS error: [Errno 27] File too large: '/tmp/tfhub-ann-.../ann.index'"
    (measured with the GCS stand-in and `prlimit --fsize`), naming a temporary and no remedy.
    The remote folder is touched only after the block, so none is needed here."""
    from tfhub.tools.make_nearest_neighbour_index import files, index_builder

    monkeypatch.setenv("TMPDIR", os.fspath(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    items = [f"a long item of text, number {i:06d}" for i in range(4 * LIMIT // 30)]
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with index_builder._index_folder("gs://bucket/idx") as local, _file_size_limit():
            files.write_mapping(local, items, upstream_pickle=False)
    message = str(caught.value)
    assert "gs://bucket/idx" in message and "File too large. " in message, message
    assert "file-size limit (`ulimit -f`)" in message, message
    assert message.endswith(f"Received: TMPDIR={os.fspath(tmp_path)!r}"), message
    assert os.listdir(tmp_path) == []  # The staging folder is removed.
