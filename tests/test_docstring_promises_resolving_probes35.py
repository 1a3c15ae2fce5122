"""The promises of the docstrings of the resolving, cache and tools API that no other test
checked, triggered for real: archives written here, a silent server on 127.0.0.1, locks held by
other processes, cache folders on disk.

Each test names the function and the promise of its docstring it checks.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import MODEL_FILES, add_members, make_tar_gz, read_tree
from tests._helpers.python_process import child_env, run_python, start_python

from tfhub import cache, download, errors, file_utils, resolver

# Holds the entry lock of argv[1] (its TFHUB_LOCK_TIMEOUT, 0.4 s, makes it beat every 0.1 s),
# says so, and sleeps until killed.
_HOLD_ENTRY_LOCK = """
import sys, time
from tfhub.cache import locks
with locks.entry_lock(sys.argv[1], what="a test's download"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def entry(isolated_cache: Path) -> str:
    """A complete cache entry of the handle "h" (a model file, descriptor and manifest)."""

    def fetch(target: str) -> None:
        Path(target, "saved_model.pb").write_bytes(b"\x08\x01")

    return download.atomic_download("h", fetch)


@pytest.fixture
def lock_holder(entry: str) -> Iterator[subprocess.Popen]:
    """Another process holding the entry's lock (a live tfhub download, as far as we can tell)."""
    holder = start_python(
        _HOLD_ENTRY_LOCK, entry, env=child_env(TFHUB_LOCK_TIMEOUT="0.4", TFHUB_CACHE_DIR="")
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        if holder.poll() is None:
            os.kill(holder.pid, signal.SIGCONT)  # If a test stopped it.
            holder.kill()
        holder.communicate()


# --- tfhub.cache.remove -------------------------------------------------------------------------


def test_remove_refuses_a_folder_not_named_like_an_entry_and_removes_nothing(tmp_path: Path):
    """`remove`: "InvalidHandleError: `module_path` is not named like an entry (a sha1): nothing
    is removed, so no folder outside the cache is ever deleted"."""
    precious = tmp_path / "projects"
    (precious / "src").mkdir(parents=True)
    (precious / "src" / "main.py").write_text("print(1)\n")
    Path(f"{precious}.descriptor.txt").write_text("Module: x\n")
    with pytest.raises(errors.InvalidHandleError) as caught:
        cache.remove(str(precious))
    assert isinstance(caught.value, ValueError)
    assert str(precious) in str(caught.value) and "nothing was removed" in str(caught.value)
    assert (precious / "src" / "main.py").read_text() == "print(1)\n"
    assert Path(f"{precious}.descriptor.txt").exists()


def test_remove_takes_an_entry_folder_written_with_a_trailing_slash(entry: str) -> None:
    """`remove(module_path)`: "the entry's folder"; `<entry>/` (as shells complete a folder)
    names that folder, as in `resolver.atomic_download`. It was refused as "not named like an
    entry", though it is."""
    removal = cache.remove(entry + "/")
    assert (removal.path, removal.removed) == (entry, "folder")
    assert [name for name in os.listdir(os.path.dirname(entry)) if name != ".locks"] == []


def test_remove_with_timeout_0_does_not_wait_for_a_download(
    entry: str, lock_holder: subprocess.Popen
):
    """`remove(timeout=0)`: "seconds to wait for a download of the entry ... 0: no wait", and
    "LockTimeoutError: a download of the entry held the lock too long"; the entry stays."""
    started = time.monotonic()
    with pytest.raises(errors.LockTimeoutError) as caught:
        cache.remove(entry, timeout=0)
    assert time.monotonic() - started < 2
    assert isinstance(caught.value, TimeoutError)
    assert "TFHUB_LOCK_TIMEOUT" in str(caught.value) and os.path.basename(entry) in str(
        caught.value
    )
    assert cache.is_complete(entry)


def test_remove_finishes_an_interrupted_removal_and_says_leftovers(entry: str):
    """`remove` returns what it removed: "leftovers" when an earlier removal was interrupted
    after renaming the folder aside; then nothing of the entry is left."""
    os.rename(entry, f"{entry}.0123.deleting.tmp")
    removal = cache.remove(entry)
    assert removal.removed == "leftovers"
    assert "interrupted" in removal.describe()
    root = os.path.dirname(entry)
    assert [name for name in os.listdir(root) if not name.startswith(".")] == []


@pytest.mark.parametrize(
    "call",
    ["remove", "scan", "leftovers", "prune"],
)
def test_local_cache_upkeep_refuses_a_gfile_cache_and_writes_nothing(
    call: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`remove` ("removes an entry ... holding the entry's lock"), `scan` ("every module entry
    in the cache"), `leftovers` and `prune` work on local folders (their locks are OS locks):
    with a cache on a tf.io.gfile filesystem they said "gone" or listed nothing, and `remove`
    made `./ram:/cache/.locks/<sha1>.lock` in the working folder. They now refuse it, as
    `tfhub cache` does, naming the cache and what to use instead, without importing
    TensorFlow."""
    from tfhub.cache import prune

    monkeypatch.setenv("TFHUB_CACHE_DIR", "ram://cache")
    monkeypatch.chdir(tmp_path)
    calls = {
        "remove": lambda: cache.remove(cache.module_dir("https://h.example/m/1")),
        "scan": cache.scan,
        "leftovers": cache.leftovers,
        "prune": prune.prune,
    }
    with pytest.raises(errors.CacheError) as caught:
        calls[call]()
    message = str(caught.value)
    assert "ram://cache" in message and "tf.io.gfile" in message
    assert "local folder" in message
    assert caught.value.path is not None and caught.value.path.startswith("ram://cache")
    assert os.listdir(tmp_path) == []


# --- tfhub.resolver.atomic_download (upstream's signature) ---------------------------------------


def test_atomic_download_lock_timeout_bounds_a_holder_that_shows_no_sign_of_life(
    entry: str, lock_holder: subprocess.Popen
) -> None:
    """`resolver.atomic_download(..., lock_file_timeout_sec)`: "LockTimeoutError: if that
    process stopped showing signs of life"; `download_fn` is not called."""
    cache.remove_tree(entry)  # The entry is missing: a download waits for the lock.
    os.kill(lock_holder.pid, signal.SIGSTOP)
    called = []
    started = time.monotonic()
    with pytest.raises(errors.LockTimeoutError) as caught:
        resolver.atomic_download("h", lambda *args: called.append(args), entry, 1)
    assert 1 <= time.monotonic() - started < 10
    assert isinstance(caught.value, TimeoutError) and called == []
    assert f"pid {lock_holder.pid}" in str(caught.value)
    assert not os.path.exists(entry)


@pytest.mark.parametrize("seconds", ["ten", None, 0, -5.0, float("inf")])
def test_atomic_download_lock_timeout_out_of_range_names_the_argument(
    seconds: object, isolated_cache: Path
) -> None:
    """`resolver.atomic_download(..., lock_file_timeout_sec)`: "how long another process ... may
    show no sign of life" is a positive number of seconds. Another value raised a SettingError
    blaming TFHUB_LOCK_TIMEOUT, a variable the caller never set; it now names the argument
    (an ArgumentError, a ValueError), and nothing is fetched or written."""
    called = []
    module_dir = str(isolated_cache / "entry")
    with pytest.raises(errors.ArgumentError) as caught:
        resolver.atomic_download("h", lambda *args: called.append(args), module_dir, seconds)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and "TFHUB_LOCK_TIMEOUT" not in message
    assert message.startswith("lock_file_timeout_sec must be a positive number of seconds")
    assert message.endswith(f"Received: lock_file_timeout_sec={seconds!r}")
    assert called == [] and not os.path.exists(module_dir)


# --- tfhub.resolver.DownloadManager --------------------------------------------------------------


def test_download_manager_creates_a_missing_destination_folder(tmp_path: Path) -> None:
    """`DownloadManager.download_and_uncompress(fileobj, dst_path)` extracts into `dst_path`; as
    upstream's (which made each member's folders), a folder not made yet is created, rather than
    failing with "Something removed that folder while the archive was extracted"."""
    archive = make_tar_gz(tmp_path / "m.tar.gz", folders=True)
    dst = tmp_path / "downloads" / "m"
    with open(archive, "rb") as fileobj:
        resolver.DownloadManager("https://h.example/m.tar.gz").download_and_uncompress(
            fileobj, str(dst)
        )
    assert read_tree(dst) == MODEL_FILES


def test_download_manager_cannot_create_the_destination_says_which_and_why(tmp_path: Path):
    """`download_and_uncompress`: "CacheError: a local `dst_path` cannot be created" (a file on
    its path), naming the folder; nothing is written."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    (tmp_path / "taken").write_text("a file, not a folder")
    dst = tmp_path / "taken" / "m"
    with open(archive, "rb") as fileobj, pytest.raises(errors.CacheError) as caught:
        resolver.DownloadManager("https://h.example/m").download_and_uncompress(fileobj, str(dst))
    assert isinstance(caught.value, OSError) and caught.value.path == str(dst)
    assert str(dst) in str(caught.value) and "Not a directory" in str(caught.value)
    assert (tmp_path / "taken").read_text() == "a file, not a folder"


@pytest.mark.tf
def test_download_manager_extracts_into_a_gfile_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`download_and_uncompress` into a tf.io.gfile folder (upstream's `dst_path` could be
    gs://): the files land there, none in the working folder."""
    import uuid

    import tensorflow as tf

    archive = make_tar_gz(tmp_path / "m.tar.gz", folders=True)
    dst = f"ram://tfhub-probes35-{uuid.uuid4().hex}/m"
    monkeypatch.chdir(tmp_path)
    with open(archive, "rb") as fileobj:
        resolver.DownloadManager("https://h.example/m").download_and_uncompress(fileobj, dst)
    for name, data in MODEL_FILES.items():
        with tf.io.gfile.GFile(f"{dst}/{name}", "rb") as copied:
            assert copied.read() == data
    assert sorted(os.listdir(tmp_path)) == ["m.tar.gz"]


def test_download_manager_not_an_archive_is_an_ioerror_saying_what_to_do(tmp_path: Path) -> None:
    """`download_and_uncompress` of content that is not a tar: tfhub's NotAnArchiveError (an
    IOError, as upstream's), naming the URL, what it received and what to check."""
    page = tmp_path / "page"
    page.write_bytes(b"Service unavailable, try later\n" * 4)
    url = "https://h.example/models/m.tar.gz"
    with open(page, "rb") as fileobj, pytest.raises(errors.NotAnArchiveError) as caught:
        resolver.DownloadManager(url).download_and_uncompress(fileobj, str(tmp_path / "out"))
    message = str(caught.value)
    assert isinstance(caught.value, IOError)
    assert url in message and "starts with b'Service" in message
    assert "Check the URL" in message


def test_download_manager_refuses_a_member_out_of_the_folder(tmp_path: Path) -> None:
    """`download_and_uncompress`: "UnsafeArchiveError for a member that would write outside
    `dst_path`"; nothing is written there."""
    escape = tarfile.TarInfo("../evil")
    escape.size = 3
    archive = add_members(tmp_path / "evil.tar.gz", [escape])
    (tmp_path / "out").mkdir()
    with open(archive, "rb") as fileobj, pytest.raises(errors.UnsafeArchiveError) as caught:
        resolver.DownloadManager("https://h.example/e").download_and_uncompress(
            fileobj, str(tmp_path / "out")
        )
    assert "'../evil'" in str(caught.value) and "https://h.example/e" in str(caught.value)
    assert not (tmp_path / "evil").exists()


def test_file_utils_extract_of_not_an_archive_names_the_file(tmp_path: Path) -> None:
    """`file_utils.extract_tarfile_to_destination`: content that is not a tar raises tfhub's
    NotAnArchiveError (an IOError), naming the archive read."""
    text = tmp_path / "notes.txt"
    text.write_text("not an archive at all\n" * 4)
    with open(text, "rb") as fileobj, pytest.raises(errors.NotAnArchiveError) as caught:
        file_utils.extract_tarfile_to_destination(fileobj, str(tmp_path / "out"))
    assert isinstance(caught.value, IOError) and str(text) in str(caught.value)


# --- tfhub.resolver.HttpResolverBase._call_urlopen ---------------------------------------------


class _Resolver(resolver.HttpResolverBase):
    def is_supported(self, handle: str) -> bool:
        return True

    def __call__(self, handle: str) -> str:
        return handle


def test_call_urlopen_never_waits_without_bound_for_a_silent_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`HttpResolverBase._call_urlopen`: "TFHUB_HTTP_TIMEOUT (a read never waits without
    bound)": a server that accepts the connection and never answers."""
    silent = socket.create_server(("127.0.0.1", 0))
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    with silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/m"
        started = time.monotonic()
        with pytest.raises(OSError):
            _Resolver()._call_urlopen(url)
        assert time.monotonic() - started < 10


# --- tools.make_nearest_neighbour_index.similarity_finder.load ----------------------------------


def test_similarity_finder_load_of_a_handle_without_index_dir_says_what_to_pass() -> None:
    """`similarity_finder.load`: "ArgumentError: (a ValueError) a handle without
    `index_dir`"."""
    from tfhub.tools.make_nearest_neighbour_index import similarity_finder

    with pytest.raises(errors.ArgumentError) as caught:
        similarity_finder.load("https://h.example/text-embedding/1")
    assert isinstance(caught.value, ValueError)
    assert "index folder" in str(caught.value) and "index_dir=None" in str(caught.value)


# --- tools.make_nearest_neighbour_index.index_builder.run ---------------------------------------


def _write_records(path: Path, count: int, dim: int) -> None:
    """(item, embedding) records as `generate` writes them, by TensorFlow's own writer."""
    import tensorflow as tf

    with tf.io.TFRecordWriter(os.fspath(path)) as writer:
        for number in range(count):
            feature = {
                "item": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"item%d" % number])),
                "embedding": tf.train.Feature(
                    float_list=tf.train.FloatList(value=[float(number + k) for k in range(dim)])
                ),
            }
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            writer.write(example.SerializeToString())


@pytest.mark.tf
def test_build_with_a_projection_matrix_of_another_run_keeps_the_index_and_says_what_to_do(
    tmp_path: Path,
) -> None:
    """`index_builder.run`: "the index folder appears only when everything was written" and
    "EmbeddingFilesError: the embeddings cannot be read": a projection matrix whose size is not
    the embeddings' (left by another run of generate) leaves the old index as it was, and the
    error says what to run."""
    import numpy as np

    from tfhub.tools.make_nearest_neighbour_index import files, index_builder

    embeds, index = tmp_path / "embeds", tmp_path / "index"
    embeds.mkdir()
    _write_records(embeds / "emb-00000-of-00001.tfrecords", 6, 4)
    index_builder.run(index_builder.BuildConfig(str(embeds), str(index)))
    before = {name: (index / name).read_bytes() for name in os.listdir(index)}
    np.save(embeds / files.RANDOM_PROJECTION_NPY, np.zeros((8, 3), np.float32))
    with pytest.raises(errors.EmbeddingFilesError) as caught:
        index_builder.run(index_builder.BuildConfig(str(embeds), str(index)))
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert str(embeds) in message and "(8, 3)" in message and "size 4" in message
    assert "run `make_nearest_neighbour_index generate` again" in message
    assert {name: (index / name).read_bytes() for name in os.listdir(index)} == before
    assert sorted(os.listdir(tmp_path)) == ["embeds", "index"]


# --- tfhub.uncompressed_module_resolver.HttpUncompressedFileResolver -----------------------------


def test_uncompressed_subclass_changes_the_location_and_its_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`HttpUncompressedFileResolver`: "a subclass changes how the location is asked by
    overriding `_request_gcs_location` [upstream's one-argument signature], and how it is read
    by replacing `path_resolver`" (no server is asked)."""
    from tfhub import uncompressed_module_resolver

    asked, read = [], []

    class Mirror(uncompressed_module_resolver.HttpUncompressedFileResolver):
        def _request_gcs_location(self, handle_with_params: str) -> str:  # Upstream's.
            asked.append(handle_with_params)
            return "gs://mirror/m"

    mirror = Mirror()

    def path_resolver(location: str) -> str:
        read.append(location)
        return str(tmp_path)

    mirror.path_resolver = path_resolver
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    assert mirror("https://h.example/m/1") == str(tmp_path)
    assert asked == ["https://h.example/m/1?tf-hub-format=uncompressed"]
    assert read == ["gs://mirror/m"]


# --- tools.make_image_classifier.lib without TensorFlow -----------------------------------------

_WITHOUT_TENSORFLOW = """
import json, sys
sys.modules["tensorflow"] = None  # As if it were not installed.
from tfhub import errors
from tfhub.tools.make_image_classifier import lib
from tfhub.tools.make_image_classifier.hparams import get_default_hparams
from tfhub.tools.make_image_classifier.outputs import Outputs
from tests._helpers.image_sets import make_image_folder

work = sys.argv[1]
make_image_folder(work + "/images", classes=("circle", "cross"), per_class=3)
calls = {
    "train_and_export": lambda: lib.train_and_export(
        "https://h.example/m/1", None, get_default_hparams(),
        outputs=Outputs(saved_model_dir=work + "/out"),
    ),
    "make_image_classifier": lambda: lib.make_image_classifier(
        "https://h.example/m/1", work + "/images", get_default_hparams()
    ),
}
raised = {}
for name, call in calls.items():
    try:
        call()
    except errors.MissingDependencyError as err:
        raised[name] = [isinstance(err, ImportError), str(err)]
print(json.dumps(raised))
"""


def test_make_image_classifier_without_tensorflow_says_what_to_install_first(
    tmp_path: Path,
) -> None:
    """`train_and_export`: "MissingDependencyError: TensorFlow or Keras is missing (before the
    default images are downloaded)"; `make_image_classifier`: "(after the folder is listed,
    before anything is loaded)". An ImportError saying what to install; nothing downloaded or
    written (HOME, where Keras keeps downloads, stays empty)."""
    home = tmp_path / "home"
    home.mkdir()
    done = run_python(_WITHOUT_TENSORFLOW, str(tmp_path), env=child_env(HOME=str(home)))
    raised = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(raised) == ["make_image_classifier", "train_and_export"]
    for is_import_error, message in raised.values():
        assert is_import_error and "'tensorflow'" in message and "pip install" in message
    assert sorted(os.listdir(tmp_path)) == ["home", "images"] and os.listdir(home) == []


# --- tools.make_nearest_neighbour_index.similarity_finder.LoadedIndex ---------------------------


@pytest.mark.tf
@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("library", "scann", "library 'scann', which this tfhub does not know"),
        ("library", 7, "library 7, which this tfhub does not know"),
        ("dimensions", "abc", "dimensions 'abc', not a positive whole number"),
        ("dimensions", 0, "dimensions 0, not a positive whole number"),
        ("dimensions", True, "dimensions True, not a positive whole number"),
    ],
)
def test_loaded_index_with_a_damaged_description_is_an_index_files_error(
    field: str, value: object, said: str, tmp_path: Path
) -> None:
    """`LoadedIndex`: "IndexFilesError: missing or damaged files". An ann.index.json naming a
    library this version does not know raised ToolFlagError blaming --index_library (a flag
    the query never took), and non-numeric dimensions a bare ValueError from int()."""
    from tfhub.tools.make_nearest_neighbour_index import index_builder, similarity_finder

    embeds, index = tmp_path / "embeds", tmp_path / "index"
    embeds.mkdir()
    _write_records(embeds / "emb-00000-of-00001.tfrecords", 6, 4)
    index_builder.run(index_builder.BuildConfig(str(embeds), str(index)))
    described = index / "ann.index.json"
    described.write_text(json.dumps({**json.loads(described.read_text()), field: value}))
    with pytest.raises(errors.IndexFilesError) as caught:
        similarity_finder.LoadedIndex(str(index), query_dim=4)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and caught.value.path == str(described)
    assert message.startswith(f"{described} describes an index of {said}")
    assert "build the index again" in message and "index_library" not in message


# --- tools.make_nearest_neighbour_index.files.read_matrix_file ---------------------------------


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"garbage, not a .npy file", "is not a NumPy .npy file of numbers"),
        ("strings", "is not a matrix of numbers (it holds <U1)"),
        ("objects", "is not a NumPy .npy file of numbers"),
    ],
)
def test_a_projection_matrix_that_is_not_a_float_matrix_says_what_to_run(
    content: object, said: str, tmp_path: Path
) -> None:
    """`read_matrix_file`: "IndexFilesError: the file is damaged or not a 2-D float matrix". A
    matrix of strings was returned (and failed later in NumPy's matmul), and a file that is not
    a .npy said only NumPy's words, which offer to `allow_pickle` a damaged file."""
    import numpy as np

    from tfhub.tools.make_nearest_neighbour_index import files

    path = tmp_path / "random_projection.npy"
    if content == "strings":
        np.save(path, np.array([["a", "b"], ["c", "d"]]))
    elif content == "objects":
        np.save(path, np.array([[object()]], dtype=object), allow_pickle=True)
    else:
        path.write_bytes(content)
    with pytest.raises(errors.IndexFilesError) as caught:
        files.read_matrix_file(str(path), allow_pickle=False)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and caught.value.path == str(path)
    assert message.startswith(f"The projection matrix {path} {said}")
    assert "run generate and build again" in message


# --- tools.module_search: DataSpec and compute_score ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "num_examples", "received"),
    [
        ("./flowers", "5", "num_examples='5'"),
        ("./flowers", 2.5, "num_examples=2.5"),
        ("./flowers", True, "num_examples=True"),
        (None, 5, "name=None"),
    ],
)
def test_data_spec_of_the_wrong_type_is_an_argument_type_error(
    name: object, num_examples: object, received: str
) -> None:
    """`DataSpec(name, num_examples)`: "a parsed --dataset value: `name` and the number of
    examples (None: all)", checked "as `parse` checks the flag". A str count raised a bare
    TypeError from `<`, and 2.5 or True were taken as counts."""
    from tfhub.tools.module_search.dataset_spec import DataSpec

    with pytest.raises(errors.ArgumentTypeError) as caught:
        DataSpec(name, num_examples)
    assert isinstance(caught.value, TypeError) and str(caught.value).endswith(received)


def test_compute_score_with_a_count_that_is_no_number_names_it() -> None:
    """`search.compute_score(module_spec, data_spec)`: upstream's {"dataset", "split",
    "num_examples"}; a num_examples of another type is named before anything is read."""
    from tfhub.tools.module_search import search

    with pytest.raises(errors.ArgumentTypeError, match=r"Received: num_examples='5'$"):
        search.compute_score("/no/module", {"dataset": "/no/images", "num_examples": "5"})


# --- tools.make_nearest_neighbour_index.index_builder.BuildConfig -------------------------------


@pytest.mark.parametrize(
    ("num_trees", "error"),
    [
        (0, errors.ArgumentError),
        (-1, errors.ArgumentError),
        ("10", errors.ArgumentTypeError),
        (2.5, errors.ArgumentTypeError),
        (True, errors.ArgumentTypeError),
    ],
)
def test_build_config_num_trees_is_a_positive_whole_number(num_trees: object, error: type):
    """`BuildConfig.num_trees`: "annoy's number of trees", which the command checks is
    positive. Through the Python API, 0 built an annoy index of no tree, whose queries found
    nothing, without a word; a str or float was written into ann.index.json's params."""
    from tfhub.tools.make_nearest_neighbour_index.index_builder import BuildConfig

    with pytest.raises(error) as caught:
        BuildConfig("embeds", "index", num_trees=num_trees)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).endswith(f"Received: num_trees={num_trees!r}")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("batch_size", 0, errors.ArgumentError),
        ("batch_size", "5", errors.ArgumentTypeError),
        ("batch_size", 64.0, errors.ArgumentTypeError),
        ("projected_dim", "8", errors.ArgumentTypeError),
        ("projected_dim", 2.5, errors.ArgumentTypeError),
    ],
)
def test_generate_config_checks_its_numbers_before_the_pipeline(
    field: str, value: object, error: type
) -> None:
    """`GenerateConfig.batch_size`: "the largest batch the module embeds at once";
    `projected_dim`: a number of dimensions. Through the Python API, batch_size 0 or "5" ran
    the module and failed inside the Beam pipeline (a PipelineError quoting a tf.function
    binding error or a comparison of int and str); now the config says which field is wrong."""
    from tfhub.tools.make_nearest_neighbour_index.generate_config import GenerateConfig

    with pytest.raises(error) as caught:
        GenerateConfig("data/*.txt", "https://h.example/m/1", "embeds", **{field: value})
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).endswith(f"Received: {field}={value!r}")
