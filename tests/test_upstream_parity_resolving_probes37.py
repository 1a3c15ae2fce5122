"""tensorflow_hub 0.10.0's resolving and loading tests that had no equivalent (or a weaker one)
in tfhub's suite, checked through `import tfhub as hub` and upstream's module paths, with a real
server on 127.0.0.1 and real SavedModels. The audit's table is in the commit that added this
file; the cases already covered elsewhere (tests/test_upstream_parity_resolvers_probes33.py,
tests/test_resolvers.py, tests/test_cache.py, tests/test_saved_model.py, ...) are not repeated.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tarfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import archive_gets

import tfhub as hub
from tfhub import errors


def _sha1(handle: str) -> str:
    return hashlib.sha1(handle.encode("utf8")).hexdigest()


# --- resolver_test.py ---------------------------------------------------------------------------


def test_lock_lost_then_download_killed_leaves_nothing(tmp_path) -> None:
    """testModuleLockLostDownloadKilled: the download loses its lock file (removed by someone
    else) and then fails; its temporary folder goes, and nothing else is left beside it."""
    from tfhub import resolver

    parent = tmp_path / "cache"
    parent.mkdir()
    module_dir = os.fspath(parent / "module")
    seen: list[str] = []

    def kill_download(handle: str, tmp_dir: str) -> None:
        Path(tmp_dir, "partial").write_text("x")
        os.remove(module_dir + ".lock")  # tensorflow_hub's lock file, which tfhub writes too.
        seen.append(tmp_dir)
        raise OSError("Download aborted.")

    with pytest.raises(OSError, match="Download aborted."):
        resolver.atomic_download("module", kill_download, module_dir)
    assert len(seen) == 1 and not os.path.exists(seen[0])
    # Only tfhub's lock folder: no module, descriptor, temporary folder or lock file.
    assert os.listdir(parent) == [".locks"]
    assert [name for name in os.listdir(parent / ".locks") if not name.endswith(".lock")] == []


def test_an_installed_module_is_returned_without_writing(tmp_path) -> None:
    """testModuleAlreadyDownloaded (second half): once the module is there, atomic_download
    returns it without calling download_fn and without writing a lock, a descriptor or a
    temporary folder (upstream's test made every write raise)."""
    from tfhub import resolver

    module_dir = os.fspath(tmp_path / "module")

    def download(handle: str, tmp_dir: str) -> None:
        Path(tmp_dir, "file").write_text("content")

    assert resolver.atomic_download("module", download, module_dir) == module_dir
    before = {
        path: (sorted(os.listdir(path)), os.stat(path).st_mtime_ns)
        for path in (tmp_path, tmp_path / ".locks", tmp_path / "module")
    }
    descriptor = os.stat(tmp_path / "module.descriptor.txt").st_mtime_ns

    def unused(handle: str, tmp_dir: str) -> None:
        raise AssertionError("The module is installed: download_fn must not be called.")

    assert resolver.atomic_download("module", unused, module_dir) == module_dir
    after = {path: (sorted(os.listdir(path)), os.stat(path).st_mtime_ns) for path in before}
    assert after == before
    assert os.stat(tmp_path / "module.descriptor.txt").st_mtime_ns == descriptor
    assert not os.path.exists(module_dir + ".lock")


def test_an_empty_module_dir_is_refused_and_nothing_is_written(isolated_cache) -> None:
    """testNotFoundGCSBucket called atomic_download with module_dir "" and expected its error,
    not a download: a module_dir that names no folder cannot be filled, and returning "" would
    hand the caller a path that holds nothing."""
    from tfhub import resolver

    def unused(handle: str, tmp_dir: str) -> None:
        raise AssertionError("No folder to fill: download_fn must not be called.")

    with pytest.raises(ValueError, match="module_dir") as caught:
        resolver.atomic_download("module", unused, "")
    assert isinstance(caught.value, errors.TFHubError)
    assert "Received: module_dir=''" in str(caught.value)
    assert not os.path.exists(isolated_cache)  # Nothing downloaded into the cache instead.


def test_a_module_dir_below_a_file_fails_at_once(tmp_path) -> None:
    """testNotFoundGCSBucket: a cache folder that cannot exist is a permanent error, raised at
    once (upstream re-raised NotFoundError and retried only passing errors), not waited on."""
    import time

    from tfhub import resolver

    (tmp_path / "a-file").write_text("not a folder")

    def unused(handle: str, tmp_dir: str) -> None:
        raise AssertionError("download_fn must not be called.")

    started = time.monotonic()
    with pytest.raises(OSError):
        resolver.atomic_download("module", unused, os.fspath(tmp_path / "a-file" / "module"))
    assert time.monotonic() - started < 10
    assert os.listdir(tmp_path) == ["a-file"]


# --- compressed_module_resolver_test.py ---------------------------------------------------------


def test_compressed_abandoned_lock_file_as_upstream_wrote_it(
    served_dir, server, isolated_cache
) -> None:
    """testAbandondedLockFile: the lock file upstream's test left was written by the test's own
    process (`_lock_file_contents(task_uid)`), with no temporary folder; the resolver downloads
    and the lock file is gone afterwards."""
    from tfhub import compressed_module_resolver

    make_tar_gz(served_dir / "mock_module.tar.gz")
    handle = server.url("mock_module.tar.gz")
    module_dir = compressed_module_resolver._module_dir(handle)
    assert module_dir == os.path.join(isolated_cache, _sha1(handle))
    lock_file = Path(module_dir + ".lock")
    lock_file.write_text(f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex}")
    path = compressed_module_resolver.HttpCompressedFileResolver()(handle)
    assert path == module_dir and read_tree(path) == MODEL_FILES
    assert not lock_file.exists()


def test_compressed_append_format_query() -> None:
    """testAppendFormatQuery (its assertTrue never compared; this compares)."""
    from tfhub import compressed_module_resolver

    ours = compressed_module_resolver.HttpCompressedFileResolver()
    cases = [
        ("https://example.com/module.tar.gz", "https://example.com/module.tar.gz?tf-hub-format=compressed"),
        ("https://example.com/module", "https://example.com/module?tf-hub-format=compressed"),
        ("https://example.com/module?extra=abc", "https://example.com/module?extra=abc&tf-hub-format=compressed"),
        (
            "https://example.com/module?extra=abc&tf-hub-format=test",
            "https://example.com/module?extra=abc&tf-hub-format=test&tf-hub-format=compressed",
        ),
    ]  # fmt: skip
    for handle, expected in cases:
        assert ours._append_compressed_format_query(handle) == expected


def test_module_from_a_smart_location(served_dir, server, isolated_cache) -> None:
    """testGetModuleFromSmartLocation: a URL without an archive name, whose server answers
    `?tf-hub-format=compressed` with a redirect to the archive (upstream's smart server)."""
    from tfhub import compressed_module_resolver

    make_tar_gz(served_dir / "mock_module.tar.gz")
    (served_dir / "mock_module").write_text("module")  # A page, as the smart server's 200.
    archive = server.url("mock_module.tar.gz")

    def smart(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
        if path != "/mock_module" or query.get("tf-hub-format") != ["compressed"]:
            return False
        handler.send_response(301)
        handler.send_header("Location", archive)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    server.state.behaviours.append(smart)
    handle = server.url("mock_module")
    path = compressed_module_resolver.HttpCompressedFileResolver()(handle)
    assert path == os.path.join(isolated_cache, _sha1(handle))
    assert read_tree(path) == MODEL_FILES
    assert hub.resolve(handle) == path
    assert [r[1] for r in archive_gets(server, "/mock_module")] == [
        "/mock_module?tf-hub-format=compressed"
    ]


def test_corrupted_archive_names_the_handle_also_through_a_redirect(
    served_dir, server, isolated_cache
) -> None:
    """testCorruptedArchive: "<handle> does not appear to be a valid module." for the handle
    as given, also when a redirect served it; and nothing is left in the cache."""
    from tests._helpers.http_server import redirect_to

    from tfhub import compressed_module_resolver

    (served_dir / "bad_archive.tar.gz").write_text("bad_archive")
    server.state.behaviours.append(
        redirect_to("/moved/bad_archive.tar.gz", server.url("bad_archive.tar.gz"))
    )
    ours = compressed_module_resolver.HttpCompressedFileResolver()
    for handle in (server.url("bad_archive.tar.gz"), server.url("moved/bad_archive.tar.gz")):
        with pytest.raises(IOError) as caught:
            ours(handle)
        assert str(caught.value).startswith(f"{handle} does not appear to be a valid module.")
        with pytest.raises(errors.NotAnArchiveError) as caught:
            hub.resolve(handle)
        assert str(caught.value).startswith(f"{handle} does not appear to be a valid module.")
    assert [name for name in os.listdir(isolated_cache) if name != ".locks"] == []


# --- resolver_test.py's LoadFormatResolverBehaviorTest -------------------------------------------


@pytest.mark.parametrize(
    ("load_format", "query"),
    [(None, "compressed"), ("COMPRESSED", "compressed"), ("UNCOMPRESSED", "uncompressed")],
)
def test_the_load_format_picks_the_resolver(
    served_dir, server, monkeypatch, load_format: str | None, query: str
) -> None:
    """AUTO (the default) and COMPRESSED ask for the archive, UNCOMPRESSED for the location."""
    if load_format is not None:
        monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    (served_dir / "google" / "model").mkdir(parents=True)
    make_tar_gz(served_dir / "google" / "model" / "1.tar.gz")
    handle = server.url("google/model/1")
    if query == "compressed":
        assert read_tree(hub.resolve(handle)) == MODEL_FILES
    else:
        with pytest.raises(ValueError, match="Expected 303 See other HTTP response"):
            hub.resolve(handle)
    assert [r[1] for r in server.state.requests] == [f"/google/model/1?tf-hub-format={query}"]


# --- TensorFlow: module_v2_test.py, e2e_test.py, UncompressedResolverTest ------------------------


def _save_plus_one_v2(path: str) -> str:
    import tensorflow as tf

    obj = tf.train.Checkpoint()
    obj.__call__ = tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])(lambda x: x + 1)
    tf.saved_model.save(obj, path)
    return path


def _export_v1(path: str, module_fn: Any) -> str:
    import tensorflow as tf

    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec, trainable=True)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    return path


def _plus_one_fn() -> None:
    import tensorflow as tf

    x = tf.compat.v1.placeholder(tf.float32, name="x")
    hub.add_signature(inputs=x, outputs=x + 1)


def _sparse_plus_one_fn() -> None:
    import tensorflow as tf

    x = tf.compat.v1.sparse.placeholder(tf.float32, name="x")
    hub.add_signature(
        inputs=x, outputs=tf.identity(tf.SparseTensor(x.indices, x.values + 1, x.dense_shape))
    )


def _ragged_plus_one_fn() -> None:
    import tensorflow as tf

    x = tf.compat.v1.ragged.placeholder(tf.float32, ragged_rank=1, value_shape=[], name="x")
    hub.add_signature(inputs=x, outputs=tf.identity(x + 1))


@pytest.mark.tf
@pytest.mark.parametrize(
    ("kind", "tags"), [("v1", None), ("v1", []), ("v2", None), ("v2", ["serve"])]
)
def test_load_with_implicit_and_explicit_tags(tmp_path, kind: str, tags: list[str] | None) -> None:
    """module_v2_test.test_load: both formats, tags implied or given; `_is_hub_module_v1`."""
    import tensorflow as tf

    path = os.fspath(tmp_path / kind)
    if kind == "v1":
        _export_v1(path, _plus_one_fn)
    else:
        _save_plus_one_v2(path)
    loaded = hub.load(path, tags)
    assert loaded._is_hub_module_v1 is (kind == "v1")
    x = tf.constant([1.0, 2.0])
    y = loaded.signatures["default"](default=x)["default"] if kind == "v1" else loaded(x)
    np.testing.assert_allclose(y.numpy(), [2.0, 3.0])


@pytest.mark.tf
def test_load_v1_module_with_sparse_and_ragged_inputs(tmp_path) -> None:
    """module_v2_test.test_load_sparse and test_load_ragged: a TF1 Hub module's composite
    input becomes the signature's component arguments."""
    import tensorflow as tf

    sparse = hub.load(_export_v1(os.fspath(tmp_path / "sparse"), _sparse_plus_one_fn))
    assert sparse._is_hub_module_v1
    st = tf.sparse.from_dense([[1.0, 2.0, 0.0], [0.0, 3.0, 0.0]])
    out = sparse.signatures["default"](
        default_indices=st.indices, default_values=st.values, default_dense_shape=st.dense_shape
    )["default"]
    np.testing.assert_array_equal(out.values.numpy(), [2.0, 3.0, 4.0])

    ragged = hub.load(_export_v1(os.fspath(tmp_path / "ragged"), _ragged_plus_one_fn))
    assert ragged._is_hub_module_v1
    rt = tf.ragged.constant([[1.0, 8.0], [3.0]])
    out = ragged.signatures["default"](
        default_component_0=rt.values, default_component_1=rt.row_splits
    )["default"]
    np.testing.assert_array_equal(out.values.numpy(), [2.0, 9.0, 4.0])


@pytest.mark.tf
def test_module_running_with_the_uncompressed_format(
    tmp_path, upstream_dir, global_registry, monkeypatch
) -> None:
    """UncompressedResolverTest.testModuleRunningWithUncompressedContext: upstream's uncompressed
    resolver, its server answer replaced by a location (upstream mocked `_request_gcs_location`;
    here a subclass overrides it and is registered), asked once with the format query; the
    module at that location runs."""
    from tfhub import registry, uncompressed_module_resolver

    shutil.unpack_archive(upstream_dir / "half_plus_two_v1.tar.gz", tmp_path / "module", "gztar")
    asked: list[str] = []

    class FixedLocation(uncompressed_module_resolver.HttpUncompressedFileResolver):
        def _request_gcs_location(self, handle_with_params: str) -> str:
            asked.append(handle_with_params)
            return os.fspath(tmp_path / "module")

    registry.resolver.add_implementation(FixedLocation())
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    m = hub.Module("https://tfhub.dev/google/model/1")
    assert asked == ["https://tfhub.dev/google/model/1?tf-hub-format=uncompressed"]
    x = np.array([[1.0], [2.0], [10.0]], np.float32)
    np.testing.assert_allclose(m(x), [[2.5], [3.0], [7.0]])


@pytest.mark.tf
def test_http_locations_with_a_file_url_cache_and_the_default_cache(
    tmp_path, served_dir, server, upstream_dir, monkeypatch
) -> None:
    """e2e_test.test_http_locations (a TF1 module over http, cached through a file:// cache
    folder: one entry and its descriptor, the module's files) and test_resolve (no cache folder
    set: the entry is below the temporary folder)."""
    import tempfile

    with tarfile.open(upstream_dir / "half_plus_two_v1.tar.gz") as archive:
        expected = sorted({name.lstrip("./").split("/")[0] for name in archive.getnames()} - {""})
    shutil.copy(upstream_dir / "half_plus_two_v1.tar.gz", served_dir / "test_module.tgz")
    handle = server.url("test_module.tgz")
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", cache_dir.as_uri())
    loaded = hub.load(handle)
    out = loaded.signatures["default"](default=np.array([[10.0]], np.float32))["default"]
    np.testing.assert_allclose(out.numpy(), [[7.0]])
    key = _sha1(handle)
    # Upstream's two names, and tfhub's bookkeeping beside them (docs/resolving.md).
    assert sorted(os.listdir(cache_dir)) == [
        ".locks",
        key,
        f"{key}.descriptor.txt",
        f"{key}.manifest.json",
    ]
    assert sorted(os.listdir(cache_dir / key)) == expected
    assert (cache_dir / f"{key}.descriptor.txt").read_text().startswith(f"Module: {handle}\n")

    monkeypatch.delenv("TFHUB_CACHE_DIR")
    module_dir = hub.resolve(handle)
    assert module_dir == os.path.join(tempfile.gettempdir(), "tfhub_modules", key)
    assert sorted(os.listdir(module_dir)) == expected
