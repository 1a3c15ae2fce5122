"""Hand-made mutants of session 42's bounded gs:// reads (gfile_io, resolvers.gcs,
saved_model_proto, _http_deadline, hub.mirror_copy, module_search.module_list) that no test
killed (session 43): each test here fails under its mutant, named in its docstring.

TensorFlow's in-memory file system (ram://) stands for gs:// where a file's bytes are enough;
a read call that never ends is a file object whose `read` waits on an event, given to the
reader of `gfile_io` in place of TensorFlow's GFile (a GCS read that trickles needs a child
process and the GCS stand-in: tests/test_gcs_reads_probes42.py).
"""

from __future__ import annotations

import threading
import tracemalloc
import uuid

import pytest
from tests._helpers.gfile_files import write_file

from tfhub import errors, gfile_io

pytestmark = pytest.mark.tf


def _ram_folder(name: str) -> str:
    return f"ram://tfhub-probes43-{uuid.uuid4().hex}/{name}"


class _StallingFile:
    """A GFile whose first read call answers `first` and whose later ones wait for `release`
    (a GCS object that trickles after its first bytes); it records its calls."""

    def __init__(self, first: bytes, release: threading.Event) -> None:
        self.first, self.release = first, release
        self.reads: list[int] = []
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        if len(self.reads) == 1:
            return self.first
        self.release.wait(60)
        return b""

    def close(self) -> None:
        self.closed = True


# --- gfile_io ------------------------------------------------------------------------------------


def test_a_reader_cut_short_is_spent_and_its_file_left_to_the_call(short_timeouts, release):
    """Mutants in `_GfileReader`: `self._stuck = True` dropped, the `if self._stuck` check of
    `read` dropped (a read after a cut one waited behind it and timed out again, instead of
    failing at once), `close` closing the file under the call still running, `self._offset +=`
    dropped (the error said "from byte 0" of a read from byte 4), and `why=_READ_WHY` dropped
    (the error blamed a listing of the bucket for a slow read)."""
    stalling = _StallingFile(b"abcd", release)
    reader = gfile_io._reads._GfileReader("gs://b/m.tar.gz", stalling)
    assert reader.read(4) == b"abcd"
    with pytest.raises(errors.RetryTimeoutError) as cut:
        reader.read(4)
    message = str(cut.value)
    assert "what its 4 bytes from byte 4 hold" in message, message
    assert "sending the object too slowly" in message, message
    assert "listing" not in message, message
    with pytest.raises(errors.DownloadError) as spent:
        reader.read(4)
    assert not isinstance(spent.value, errors.RetryTimeoutError), spent.value
    assert "cut short" in str(spent.value) and "gs://b/m.tar.gz" in str(spent.value)
    assert stalling.reads == [4, 4]  # The third read asked nothing.
    reader.close()
    assert not stalling.closed  # Left to the call that still runs.


def test_a_reader_that_was_not_cut_closes_its_file(release):
    """The other side of the test above: `close` of a reader whose calls ended closes."""
    stalling = _StallingFile(b"abcd", release)
    with gfile_io._reads._GfileReader("gs://b/m.tar.gz", stalling) as reader:
        assert reader.read(4) == b"abcd"
    assert stalling.closed


def test_read_bytes_with_most_reads_one_byte_past_it_not_the_whole_file():
    """Mutants: `most` ignored in `read_bytes` (step = READ_STEP), and READ_STEP = -1 (one
    read call of the whole file): a file longer than `most` was read whole."""
    path = _ram_folder("f.bin")
    data = bytes(range(100))
    write_file(path, data)
    assert gfile_io.read_bytes(path, most=10) == data[:11]
    assert gfile_io.read_bytes(path, most=99) == data
    assert gfile_io.read_bytes(path, most=100) == data
    assert gfile_io.read_bytes(path) == data


def test_the_size_of_a_missing_file_is_unknown_not_tensorflows_error():
    """Mutant: `except tf.errors.OpError: return None` in `_GfileReader.size` -> `raise`:
    with progress bars on, a missing gs:// archive raised TensorFlow's bare NotFoundError
    (its read gives tfhub's ModelNotFoundError)."""
    with gfile_io.open_binary(_ram_folder("none.tar.gz")) as reader:
        assert reader.size() is None
        with pytest.raises(errors.ModelNotFoundError):
            reader.read(10)


def test_the_credentials_hint_is_given_for_a_gs_path_in_any_case():
    """Mutant: `path.lower().startswith("gs://")` -> `path.startswith("gs://")` in
    `access_todo`: a GS:// path (TensorFlow takes the scheme in any case) got no hint."""
    assert "GOOGLE_APPLICATION_CREDENTIALS" in gfile_io.access_todo("GS://bucket/m")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in gfile_io.access_todo("gs://bucket/m")
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in gfile_io.access_todo("ram://bucket/m")


def test_a_file_system_tensorflow_lacks_is_named_with_what_to_do():
    """Mutant: the UnimplementedError branch of `unreadable_error` dropped: an s3:// path
    (no file system registered) was told to check its network and access."""
    with pytest.raises(errors.DownloadError) as raised:
        gfile_io.read_bytes("s3://bucket/list.txt")
    message = str(raised.value)
    assert message.startswith("Cannot read s3://bucket/list.txt: "), message
    assert "TensorFlow reads no s3:// paths in this process" in message, message
    assert "Check the path" not in message, message


# --- saved_model_proto ---------------------------------------------------------------------------


def test_a_remote_tfhub_module_pb_of_exactly_the_limit_is_read():
    """Mutant: `size <= _size_limit(name)` -> `<` in `_too_large_problem`: a remote (and a
    local) tfhub_module.pb of exactly 1 MiB, which a ModuleDef may be, was refused."""
    from tfhub import saved_model_proto

    folder = _ram_folder("exact")
    data = b"\x08\x01" * (1 << 19)
    write_file(f"{folder}/tfhub_module.pb", data)
    assert saved_model_proto.read_module_def_bytes(folder) == data
    write_file(f"{folder}/tfhub_module.pb", data + b"\0")
    with pytest.raises(errors.DamagedModelError, match=r"over 1,048,576 bytes"):
        saved_model_proto.read_module_def_bytes(folder)


def test_a_remote_tfhub_module_pb_far_too_large_is_not_read_whole():
    """Mutant: `most=_size_limit(name)` dropped from `saved_model_proto._read_bytes`: a remote
    tfhub_module.pb of 48 MiB was read whole into memory (in 16 MiB calls) before it was
    refused; only 1 MiB and a byte is needed to refuse it."""
    from tfhub import saved_model_proto

    folder = _ram_folder("huge")
    write_file(f"{folder}/tfhub_module.pb", b"\0" * (48 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(errors.DamagedModelError, match=r"over 1,048,576 bytes"):
            saved_model_proto.read_module_def_bytes(folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < (8 << 20), f"{peak:,} bytes allocated at most"


@pytest.mark.parametrize("ask", ["exists", "is_file"])
def test_a_question_tensorflow_cannot_answer_is_tfhubs_download_error(ask):
    """Mutant: `except tf.errors.OpError` of `is_file` never taken: `hub.load` of an s3://
    folder (its TF1-format check) raised TensorFlow's bare UnimplementedError."""
    with pytest.raises(errors.DownloadError) as raised:
        getattr(gfile_io, ask)("s3://bucket/m/tfhub_module.pb")
    assert "TensorFlow reads no s3:// paths" in str(raised.value), raised.value
    assert type(raised.value.__cause__).__name__ == "UnimplementedError"


# --- module_search.module_list -------------------------------------------------------------------


def test_a_module_list_tensorflow_cannot_read_quotes_its_reason_once_chained_to_it():
    """Mutants in `module_list._read_bytes`: `cause = err` (the reason quoted was tfhub's own
    DownloadError message, "Cannot read ..." inside "Cannot read the module list ..."), the
    `failure.__cause__ = err` and `from failure` dropped (TensorFlow's error lost)."""
    from tfhub.tools.module_search.module_list import read_module_list

    path = "s3://bucket/list.txt"
    with pytest.raises(errors.ToolFlagError) as raised:
        read_module_list(path)
    message = str(raised.value)
    assert message.startswith(f"Cannot read the module list {path}: "), message
    assert message.count("Cannot read") == 1, message
    assert "File system scheme 's3' not implemented" in message, message
    failure = raised.value.__cause__
    assert isinstance(failure, OSError) and not isinstance(failure, FileNotFoundError), failure
    assert type(failure.__cause__).__name__ == "UnimplementedError", failure.__cause__


def test_a_missing_module_list_url_is_chained_to_a_file_not_found_error():
    """Mutant: `missing = False` in `module_list._read_bytes`: a missing gs:// list was an
    input/output error, not "No such file or directory" (a FileNotFoundError)."""
    from tfhub.tools.module_search.module_list import read_module_list

    path = _ram_folder("none.txt")
    with pytest.raises(errors.ToolFlagError) as raised:
        read_module_list(path)
    assert isinstance(raised.value.__cause__, FileNotFoundError), raised.value.__cause__
    assert f"{path}: No such file or directory. " in str(raised.value), raised.value


# --- hub.mirror_copy -----------------------------------------------------------------------------


def test_a_copy_tmpdir_cannot_take_is_a_publish_write_error_chained_to_the_os_error(tmp_path):
    """Mutant: `from err` dropped from the PublishWriteError of `mirror_copy.local_copy`: the
    OSError of the local file system (here a file name too long for it) was no longer its
    cause. A bucket's object name may be 1024 bytes long; a local one, 255."""
    from tfhub.hub import mirror_copy

    folder = _ram_folder("model")
    write_file(f"{folder}/saved_model.pb", b"\x08\x01")
    write_file(f"{folder}/{'n' * 300}", b"x")
    with pytest.raises(errors.PublishWriteError) as raised, mirror_copy.local_copy(folder):
        pass
    assert isinstance(raised.value.__cause__, OSError), raised.value.__cause__
    assert not isinstance(raised.value.__cause__, errors.TFHubError)
    assert raised.value.errno == raised.value.__cause__.errno
    assert folder in str(raised.value), raised.value


def test_a_name_too_long_for_the_local_file_system_is_not_blamed_on_free_space():
    """Defect: an object whose name is longer than a local file's may be (GCS allows 1024
    bytes, most file systems 255) failed the copy with "Free space in TMPDIR, or set TMPDIR
    to a folder with room", which cannot help: the name is said too long, and to rename it."""
    from tfhub.hub import mirror_copy

    folder = _ram_folder("model")
    long_name = "n" * 300
    write_file(f"{folder}/saved_model.pb", b"\x08\x01")
    write_file(f"{folder}/{long_name}", b"x")
    with pytest.raises(errors.PublishWriteError) as raised, mirror_copy.local_copy(folder):
        pass
    message = str(raised.value)
    assert "Free space" not in message, message
    assert f"{folder}/{long_name}" in message and "too long" in message, message
    assert "rename" in message and "nothing was published" in message, message


def test_a_copy_past_the_limit_stops_within_one_read_step(monkeypatch):
    """Mutant: `source.read(gfile_io.READ_STEP)` -> `source.read()` in `_copy_folder`: a file
    was read whole, in one call bounded by nothing but the timeouts and into memory, before
    its size was counted against TFHUB_MAX_EXTRACTED_BYTES (a 48 MiB file here, over a 1 MiB
    limit: at most one 16 MiB read step is needed to refuse it)."""
    from tfhub import constants
    from tfhub.hub import mirror_copy

    folder = _ram_folder("model")
    write_file(f"{folder}/saved_model.pb", b"\0" * (48 << 20))
    monkeypatch.setenv(constants.TFHUB_MAX_EXTRACTED_BYTES, "1M")
    tracemalloc.start()
    try:
        with pytest.raises(errors.MirrorTooLargeError), mirror_copy.local_copy(folder):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < (32 << 20), f"{peak:,} bytes allocated at most"


def test_a_folder_tensorflow_cannot_list_is_a_download_error_not_an_empty_walk():
    """Found while mutating `walk`: its `except tf.errors.OpError` is never reached for a
    listing that fails, since TensorFlow's walk swallows it."""
    with pytest.raises(errors.DownloadError) as raised:
        gfile_io.walk("s3://bucket/model")
    assert "s3://bucket/model" in str(raised.value), raised.value


def test_an_object_that_changed_while_read_is_to_be_read_again():
    """Mutant: the "File contents are inconsistent" branch of `unreadable_error` dropped: an
    object replaced while it was read (TensorFlow's InternalError for GCS; the GCS stand-in's
    "resized" bucket gives it) was blamed on the path, the network or the credentials."""
    import tensorflow as tf

    path = "gs://resized/m.tar.gz"
    err = tf.errors.InternalError(None, None, f"File contents are inconsistent for file: {path}")
    message = str(gfile_io.unreadable_error(path, err))
    assert message.startswith(f"Cannot read {path}: File contents are inconsistent"), message
    assert "Its content changed while it was read" in message and "try again" in message, message
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in message, message


# --- resolvers.gcs -------------------------------------------------------------------------------


def test_a_gcs_archive_handle_with_an_upper_case_scheme_is_read_as_gs(
    tmp_path, isolated_cache, monkeypatch
):
    """Mutant: `url = handles.cache_handle(handle)` -> `url = handle` in
    `GcsCompressedResolver._resolve`: `GS://bucket/m.tar.gz` (tfhub takes a scheme in any
    case) reached TensorFlow as is, which knows no `GS` file system. gs:// is ram:// here."""
    import os

    import tensorflow as tf
    from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree

    import tfhub as hub
    from tfhub import handles
    from tfhub.resolvers import gcs

    bucket = _ram_folder("bucket")
    with tf.io.gfile.GFile(f"{bucket}/m.tar.gz", "wb") as out:
        out.write(open(make_tar_gz(tmp_path / "m.tar.gz"), "rb").read())
    real_open = gcs.open_binary
    monkeypatch.setattr(
        gcs, "open_binary", lambda path: real_open(path.replace("gs://bucket", bucket))
    )
    path = hub.resolve("GS://bucket/m.tar.gz")
    assert path == os.path.join(isolated_cache, handles.cache_key("gs://bucket/m.tar.gz"))
    assert read_tree(path) == MODEL_FILES


# --- hub.mirror ----------------------------------------------------------------------------------


ASSET = "https://hub.example/emb.tar.gz"


def test_a_doc_whose_asset_resolves_to_a_gcs_folder_is_mirrored_from_a_local_copy(
    tmp_path, monkeypatch
):
    """Mutant: `local_copy(path)` -> the resolved path itself in `mirror_doc_assets`: a
    Module doc whose asset resolves to a gs:// model folder (with TFHUB_MODEL_LOAD_FORMAT=
    UNCOMPRESSED, a hub answers its URL with 303 See Other and the folder, which `resolve`
    returns in place, as upstream did) was installed from that URL as if it were a local
    folder, a failure. The folder is a ram:// one here, and `saved_model.resolve` maps the
    asset to it (no hub, no GCS)."""
    import tensorflow as tf
    from tests._helpers import models
    from tests._helpers.hub_server import write_publisher

    from tfhub import saved_model
    from tfhub.hub import doc_handles, docs_layout, mirror
    from tfhub.hub import docs_format as fmt

    local = models.save_text_embedding(str(tmp_path / "model"))
    remote = _ram_folder("emb")
    for below, _, files in tf.io.gfile.walk(local):
        for name in files:
            relative = f"{below}/{name}"[len(local) + 1 :]
            tf.io.gfile.makedirs(f"{remote}/{relative}".rsplit("/", 1)[0])
            tf.io.gfile.copy(f"{below}/{name}", f"{remote}/{relative}")
    resolve = saved_model.resolve
    monkeypatch.setattr(saved_model, "resolve", lambda h: remote if h == ASSET else resolve(h))
    root = tmp_path / "hub"
    doc = fmt.doc_path(root, doc_handles.parse_handle("acme/emb/1"))
    doc.parent.mkdir(parents=True)
    doc.write_text(
        f"# Module acme/emb/1\nA model on GCS.\n\n<!-- asset-path: {ASSET} -->\n"
        "<!-- task: text-embedding -->\n<!-- fine-tunable: true -->\n"
        "<!-- format: saved_model_2 -->\n\n## Overview\nWritten by its publisher.\n"
    )
    write_publisher(root, "acme", "Acme")
    report = mirror.mirror_doc_assets(root)
    assert report.failed == [] and [p.handle for p in report.mirrored] == ["acme/emb/1"], report
    assert docs_layout.archive_path(doc).is_file()


# --- hub.mirror_copy against the GCS stand-in (a child process) ---------------------------------

# Each (name, source) row, in the child (`gcs_stand_in.run_scenarios`).
_COPY_SCENARIO = """
import os
from tfhub.hub import mirror_copy

def scenario(report, name, source):
    with mirror_copy.local_copy(source) as local:
        report["result"] = {
            os.path.relpath(os.path.join(below, file), local): open(
                os.path.join(below, file), "rb").read().decode()
            for below, _, files in os.walk(local) for file in files
        }
"""


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """What the child reported for each gs:// folder it copied: computed once per test run, by
    the first pytest worker that asks (`computed_once`)."""
    from tests._helpers._across_workers import computed_once

    return computed_once(tmp_path_factory, f"{__name__}.copies", lambda: _copy(tmp_path_factory))


def _copy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Runs _COPY_SCENARIO's rows in a child against a stand-in; `copies`' result."""
    from tests._helpers.gcs_stand_in import WRITABLE, run_scenarios, serve_gcs

    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update(
            {
                "both/model/saved_model.pb": b"pb",
                "both/model/v.txt": b"one",
                "both/model//v.txt": b"two",  # GCS allows an empty part in an object's name.
                "double/model/saved_model.pb": b"pb",
                "double/model//w.txt": b"w",
                "dots/model/saved_model.pb": b"pb",
                "dots/model/./d.txt": b"d",
                "dots/model/sub/s.txt": b"s",
                "dot/model/saved_model.pb": b"pb",
                "dot/model/.": b"dot",  # No name left once its `.` is dropped.
            }
        )
        names = ("both", "double", "dots", "dot")
        plan = [(name, f"gs://{WRITABLE}/{name}/model") for name in names]
        found, _ = run_scenarios(_COPY_SCENARIO, plan, bound=20.0, env=gcs.short_env())
    return found


def test_an_object_with_an_empty_part_in_its_name_is_refused_not_misread(copies):
    """Defect: `_copy_folder` joined a listed folder `model//` (an object `model//v.txt`) as
    `folder.rstrip('/') + '/' + name`, so it read `model/v.txt` instead: a different object,
    copied twice while `model//v.txt` was left out, or, if there was none, "does not exist"
    of an object the bucket never listed. The object is now read by its own name and
    refused (its local name would be '/v.txt'), as a `..` one is."""
    for name, file in [("both", "v.txt"), ("double", "w.txt")]:
        report = copies[name]
        assert report["type"] == "NotAModelError", report
        assert report["path"] == f"gs://writable/{name}/model//{file}", report
        assert f"at '/{file}'" in str(report["message"]), report


def test_a_dot_part_and_a_sub_folder_are_copied_in_place(copies):
    """The other side: `.` parts are dropped, sub-folders kept."""
    report = copies["dots"]
    assert report.get("result") == {"saved_model.pb": "pb", "d.txt": "d", "sub/s.txt": "s"}, report


def test_an_object_named_dot_is_refused_not_blamed_on_tmpdir(copies):
    """Mutant: `"."` no longer dropped from a name's parts in `_target`: an object
    `model/.` was to be written over the copy's folder itself, a PublishWriteError telling
    the user to free space in TMPDIR, instead of NotAModelError naming the object."""
    report = copies["dot"]
    assert report["type"] == "NotAModelError", report
    assert report["path"] == "gs://writable/dot/model/.", report


# --- handle_check --------------------------------------------------------------------------------


def test_a_bytes_handle_shown_in_exactly_the_most_characters_is_offered_as_text():
    """Mutant: `len(shown) > _SHOWN` -> `>=` in `handle_check._decode_offer`: a bytes handle
    whose text is shown in exactly 200 characters (its repr) was "too many to show"."""
    from tfhub import handles

    path = "https://h/" + "m" * (198 - len("https://h/"))  # Its repr: 200 characters.
    assert len(repr(path)) == 200
    with pytest.raises(errors.HandleTypeError) as caught:
        handles.check(path.encode())
    assert f"Did you mean {path!r} (handle.decode())?" in str(caught.value), caught.value
    with pytest.raises(errors.HandleTypeError) as caught:
        handles.check(path.encode() + b"m")
    assert "(Its 199 bytes are too many to show.)" in str(caught.value), caught.value
