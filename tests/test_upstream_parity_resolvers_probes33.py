"""tensorflow_hub 0.10.0's resolver_test.py, registry_test.py and config behaviour, case by
case, through tfhub's upstream module paths (`tfhub.resolver`, `tfhub.registry`, `tfhub.config`).

Cases about upstream's lock *file* (its name, its contents, reclaiming it after ~20 minutes) test
a mechanism tfhub replaced by an OS lock (docs/architecture.md); what they protect, one download
at a time and nothing left behind, is checked here through `resolver.atomic_download`.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from tfhub import config, registry, resolver


class _Impl:
    """upstream's registry_test.TestImpl."""

    def __init__(self, is_supported: Any, execute: Any) -> None:
        self._is_supported = is_supported
        self._execute = execute

    def is_supported(self, *args: Any, **kwargs: Any) -> bool:
        return self._is_supported(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._execute(*args, **kwargs)


def _fail(_: Any) -> Any:
    raise AssertionError("fail_fn should not be called")


# --- registry_test.py -------------------------------------------------------------------------


def test_resolve_always_supported() -> None:
    r = registry.MultiImplRegister("test")
    r.add_implementation(_Impl(lambda _: True, lambda _: 100))
    r.add_implementation(_Impl(lambda _: False, _fail))
    assert r(1) == 100


def test_resolve_when_supported() -> None:
    r = registry.MultiImplRegister("test")
    r.add_implementation(_Impl(lambda x: x == 1, lambda _: 100))
    r.add_implementation(_Impl(lambda x: x == 2, lambda _: 200))
    r.add_implementation(_Impl(lambda _: False, _fail))
    assert (r(1), r(2)) == (100, 200)


def test_log_when_contains_not_supported(caplog) -> None:
    r = registry.MultiImplRegister("test")
    r.add_implementation(_Impl(lambda x: x == 1, lambda _: 100))
    r.add_implementation(_Impl(lambda x: x == 2, lambda _: 200))
    r.add_implementation(_Impl(lambda _: False, _fail))
    with caplog.at_level(logging.DEBUG):
        assert r(2) == 200
    skipped = [rec for rec in caplog.records if "does not support" in rec.getMessage()]
    # Upstream logged exactly one line at INFO: "test TestImpl does not support the provided
    # handle." (the last-added implementation, skipped before the one that answered).
    assert len(skipped) == 1
    assert skipped[0].getMessage().startswith("test _Impl does not support the provided handle")


def test_resolve_in_reverse_order() -> None:
    r = registry.MultiImplRegister("test")
    r.add_implementation(_Impl(lambda _: True, _fail))
    r.add_implementation(_Impl(lambda _: True, lambda _: 100))
    assert r(1) == 100


def test_resolve_throws_no_supported_implementation() -> None:
    r = registry.MultiImplRegister("test")
    r.add_implementation(_Impl(lambda _: False, lambda _: 100))
    with pytest.raises(
        RuntimeError, match=re.escape("Missing implementation that supports: test(*(1,), **{})")
    ):
        r(1)


def test_clear_implementations() -> None:
    r = registry.MultiImplRegister("test")
    r.add_implementation(_Impl(lambda _: True, lambda _: 100))
    r.clear_implementations()
    with pytest.raises(RuntimeError, match="Missing implementation that supports"):
        r(1)


# --- config.py --------------------------------------------------------------------------------


def test_config_run_installs_the_default_resolvers_in_upstreams_order(tmp_path) -> None:
    """After `config._run()`, the global registry resolves a local folder (PathResolver, the
    first installed, so the last tried) and refuses an unknown scheme naming what it tried."""
    config._run()
    config._run()  # Twice: no resolver is installed twice.
    assert registry.resolver(os.fspath(tmp_path)) == os.fspath(tmp_path)
    names = [type(impl).__name__ for impl in registry.resolver._impls]
    assert len(names) == len(set(names)), names


# --- resolver_test.py -------------------------------------------------------------------------


def test_path_resolver_always_supported() -> None:
    path_resolver = resolver.PathResolver()
    assert path_resolver.is_supported("/tmp")
    assert path_resolver.is_supported("bar/")
    assert path_resolver.is_supported("@my/module")


def test_path_resolver_call_with_valid_handle(tmp_path) -> None:
    assert resolver.PathResolver()(os.fspath(tmp_path)) == os.fspath(tmp_path)


def test_path_resolver_call_when_handle_directory_does_not_exist(tmp_path) -> None:
    missing = os.fspath(tmp_path / "foo")
    with pytest.raises(IOError, match=re.escape(missing)):
        resolver.PathResolver()(missing)


def test_cache_dir(monkeypatch) -> None:
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    assert resolver.tfhub_cache_dir() is None
    assert resolver.tfhub_cache_dir(use_temp=True) == os.path.join(
        tempfile.gettempdir(), "tfhub_modules"
    )
    assert resolver.tfhub_cache_dir(default_cache_dir="/d", use_temp=True) == "/d"
    flag = resolver.FLAGS["tfhub_cache_dir"]  # Upstream's test set it once flags were parsed.
    monkeypatch.setattr(flag, "value", "/e")
    assert resolver.tfhub_cache_dir(default_cache_dir="/d", use_temp=True) == "/e"
    monkeypatch.setenv("TFHUB_CACHE_DIR", "/f")
    assert resolver.tfhub_cache_dir(default_cache_dir="/d", use_temp=True) == "/f"  # env wins
    monkeypatch.setattr(flag, "value", "")
    assert resolver.tfhub_cache_dir(default_cache_dir="/d", use_temp=True) == "/f"


def test_module_already_downloaded(tmp_path, caplog) -> None:
    """A rogue process completes the module just before this one renames its temporary folder:
    the rogue's module stays and this process's temporary folder goes. (Upstream also wrote its
    own descriptor beside the rogue's module; tfhub leaves the descriptor to the process that
    installed the module, so none is checked here. `.locks` holds tfhub's OS locks.)"""
    module_dir = os.fspath(tmp_path / "module")

    def rogue_download(handle: str, tmp_dir: str) -> None:
        os.makedirs(module_dir)
        Path(module_dir, "file").write_text("content")

    with caplog.at_level(logging.WARNING):
        assert resolver.atomic_download("module", rogue_download, module_dir) == module_dir
    assert os.listdir(module_dir) == ["file"]
    assert sorted(os.listdir(tmp_path)) == [".locks", "module"]
    assert any("Module already exists in" in r.getMessage() for r in caplog.records)


def test_module_descriptor_names_the_downloader(tmp_path) -> None:
    module_dir = os.fspath(tmp_path / "module")
    resolver.atomic_download(
        "module", lambda handle, tmp_dir: Path(tmp_dir, "file").write_text("x"), module_dir
    )
    descriptor = (tmp_path / "module.descriptor.txt").read_text()
    assert re.match(
        f"Module: module\nDownload Time: .*\n"
        f"Downloader Hostname: {re.escape(socket.gethostname())} .PID:{os.getpid()}.",
        descriptor,
    ), descriptor


def test_module_concurrent_download(tmp_path) -> None:
    """A second download that starts while the first runs waits for it, and downloads nothing."""
    module_dir = os.fspath(tmp_path / "module")
    errors: list[BaseException] = []

    def second_download_fn(handle: str, tmp_dir: str) -> None:
        raise AssertionError("The module should have been downloaded already.")

    def second() -> None:
        try:
            assert resolver.atomic_download("module", second_download_fn, module_dir) == module_dir
        except BaseException as err:  # Reported by the main thread.
            errors.append(err)

    second_thread = threading.Thread(target=second)

    def first_download_fn(handle: str, tmp_dir: str) -> None:
        Path(tmp_dir, "file").write_text("content")
        second_thread.start()

    assert resolver.atomic_download("module", first_download_fn, module_dir) == module_dir
    second_thread.join(30)
    assert not second_thread.is_alive()
    assert not errors, errors
    assert os.listdir(module_dir) == ["file"]


def test_module_downloaded_when_empty_folder_exists(tmp_path) -> None:
    """An empty module folder (its files deleted) is not a cached module: it is downloaded."""
    module_dir = os.fspath(tmp_path / "module")
    os.makedirs(module_dir)
    calls: list[str] = []

    def download(handle: str, tmp_dir: str) -> None:
        calls.append(handle)
        Path(tmp_dir, "file").write_text("content")

    assert resolver.atomic_download("module", download, module_dir) == module_dir
    assert calls == ["module"]
    assert os.listdir(module_dir) == ["file"]
    assert (tmp_path / "module.descriptor.txt").read_text().startswith("Module: module\n")


def test_module_download_permission_denied(tmp_path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder: the refusal cannot happen")
    readonly_dir = tmp_path / "readonly"
    readonly_dir.mkdir(mode=0o500)

    def unused_download_fn(handle: str, tmp_dir: str) -> None:
        raise AssertionError("Not called: the cache folder cannot be written.")

    with pytest.raises(PermissionError):
        resolver.atomic_download("module", unused_download_fn, os.fspath(readonly_dir / "m"))


def test_module_download_killed_leaves_nothing(tmp_path) -> None:
    module_dir = os.fspath(tmp_path / "cache" / "module")
    os.makedirs(os.path.dirname(module_dir))

    def kill_download(handle: str, tmp_dir: str) -> None:
        Path(tmp_dir, "partial").write_text("x")
        raise OSError("Download aborted.")

    with pytest.raises(OSError, match="Download aborted."):
        resolver.atomic_download("module", kill_download, module_dir)
    assert os.listdir(tmp_path / "cache") == [".locks"]  # tfhub's lock folder only.


# --- compressed_module_resolver_test.py ----------------------------------------------------------


@pytest.fixture
def mock_module(served_dir, server) -> str:
    """upstream's setUp: file1..3 packed as mock_module.tar and .tar.gz, served over HTTP."""
    import tarfile

    for name in ("file1", "file2", "file3"):
        (served_dir / name).write_text(name)
    for archive, mode in (("mock_module.tar", "w"), ("mock_module.tar.gz", "w:gz")):
        with tarfile.open(served_dir / archive, mode) as tar:
            for name in ("file1", "file2", "file3"):
                tar.add(served_dir / name, arcname=name)
    return server.url("mock_module.tar.gz")


@pytest.mark.parametrize("archive", ["mock_module.tar", "mock_module.tar.gz"])
def test_compressed_get_module_path(mock_module, server, archive: str) -> None:
    from tfhub import compressed_module_resolver

    path = compressed_module_resolver.HttpCompressedFileResolver()(server.url(archive))
    assert sorted(os.listdir(path)) == ["file1", "file2", "file3"]


def test_compressed_module_descriptor(mock_module) -> None:
    from tfhub import compressed_module_resolver

    path = compressed_module_resolver.HttpCompressedFileResolver()(mock_module)
    descriptor = Path(path + ".descriptor.txt").read_text()
    assert re.match(
        f"Module: {re.escape(mock_module)}\nDownload Time: .*\n"
        f"Downloader Hostname: {re.escape(socket.gethostname())} .PID:{os.getpid()}.",
        descriptor,
    ), descriptor


def test_compressed_no_cache_dir_set(mock_module, monkeypatch) -> None:
    from tfhub import compressed_module_resolver

    monkeypatch.delenv("TFHUB_CACHE_DIR")
    path = compressed_module_resolver.HttpCompressedFileResolver()(mock_module)
    assert sorted(os.listdir(path)) == ["file1", "file2", "file3"]
    assert path.startswith(tempfile.gettempdir())


def test_compressed_is_tarfile_and_module_dir(isolated_cache) -> None:
    """Upstream's module-level helpers, which its tests (and code written against it) call."""
    import hashlib

    from tfhub import compressed_module_resolver

    assert all(map(compressed_module_resolver._is_tarfile, ["foo.tar", "foo.tar.gz", "foo.tgz"]))
    assert not any(map(compressed_module_resolver._is_tarfile, ["foo", "footar"]))
    handle = "https://example.com/m.tar.gz"
    module_dir = compressed_module_resolver._module_dir(handle)
    assert module_dir == os.path.join(
        str(isolated_cache), hashlib.sha1(handle.encode("utf8")).hexdigest()
    )
    assert os.path.isdir(isolated_cache)  # Created, as upstream's create_local_module_dir did.


def test_compressed_abandoned_lock_file(mock_module, isolated_cache) -> None:
    """An upstream-style lock file whose owner is gone does not stop the download."""
    import hashlib
    import time

    from tfhub import compressed_module_resolver

    module_dir = os.path.join(
        str(isolated_cache), hashlib.sha1(mock_module.encode("utf8")).hexdigest()
    )
    os.makedirs(isolated_cache, exist_ok=True)
    lock_file = Path(module_dir + ".lock")
    lock_file.write_text(f"{socket.gethostname()}.999999999.0123456789abcdef")
    start = time.monotonic()
    path = compressed_module_resolver.HttpCompressedFileResolver()(mock_module)
    assert sorted(os.listdir(path)) == ["file1", "file2", "file3"]
    assert time.monotonic() - start < 30


def test_compressed_module_already_downloaded(mock_module) -> None:
    from tfhub import compressed_module_resolver

    http_resolver = compressed_module_resolver.HttpCompressedFileResolver()
    path = http_resolver(mock_module)
    files = sorted(os.listdir(path))
    times = [os.stat(os.path.join(path, f)).st_mtime_ns for f in files]
    assert http_resolver(mock_module) == path
    assert [os.stat(os.path.join(path, f)).st_mtime_ns for f in files] == times


# --- uncompressed_module_resolver_test.py -------------------------------------------------------

UNCOMPRESSED_HANDLES = ["http://example.com/module", "https://example.com/module"]


def test_uncompressed_append_format_query() -> None:
    from tfhub import uncompressed_module_resolver

    append = uncompressed_module_resolver.HttpUncompressedFileResolver()
    cases = [
        ("https://example.com/module", "https://example.com/module?tf-hub-format=uncompressed"),
        (
            "https://example.com/module?extra=abc",
            "https://example.com/module?extra=abc&tf-hub-format=uncompressed",
        ),
        (
            "https://example.com/module?extra=abc&tf-hub-format=test",
            "https://example.com/module?extra=abc&tf-hub-format=test&tf-hub-format=uncompressed",
        ),
    ]
    for handle, expected in cases:
        assert append._append_uncompressed_format_query(handle) == expected


def test_uncompressed_wrong_protocol() -> None:
    from tfhub import uncompressed_module_resolver

    uncompressed = uncompressed_module_resolver.HttpUncompressedFileResolver()
    for handle in ["foo.tar", "gs://foo.tar", "gs://model/", "gs://model/uncompressed.tgz"]:
        assert not uncompressed.is_supported(handle)


@pytest.mark.parametrize(
    ("load_format", "supported"), [("COMPRESSED", False), ("UNCOMPRESSED", True), ("AUTO", False)]
)
def test_uncompressed_on_load_format(monkeypatch, load_format: str, supported: bool) -> None:
    from tfhub import uncompressed_module_resolver

    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    uncompressed = uncompressed_module_resolver.HttpUncompressedFileResolver()
    assert [uncompressed.is_supported(h) for h in UNCOMPRESSED_HANDLES] == [supported] * 2


def test_uncompressed_server_returns_303_but_no_gcs_path(server) -> None:
    from tests._helpers.http_server import see_other

    from tfhub import uncompressed_module_resolver

    server.state.behaviours.append(see_other("/google/model/1", "file://somefile"))
    with pytest.raises(ValueError) as info:
        uncompressed_module_resolver.HttpUncompressedFileResolver()(server.url("google/model/1"))
    assert str(info.value).startswith(
        "Expected server to return a GCS location but received file://somefile"
    )


@pytest.mark.parametrize("code", [200, 404])
def test_uncompressed_server_returns_unexpected_code(served_dir, server, code: int) -> None:
    """A 200 (the file is there) or a 404 (it is not) where a 303 was expected."""
    from tfhub import uncompressed_module_resolver

    if code == 200:
        (served_dir / "model").write_text("not a redirect")
    with pytest.raises(ValueError) as info:
        uncompressed_module_resolver.HttpUncompressedFileResolver()(server.url("model"))
    assert str(info.value).startswith(
        f"Expected 303 See other HTTP response but received code {code}"
    )


# --- file_utils_test.py and tf_utils_test.py ----------------------------------------------------


def test_merge_relative_paths() -> None:
    from tfhub import file_utils

    merge = file_utils.merge_relative_path
    assert merge("gs://module-cache", "") == "gs://module-cache"
    assert merge("gs://module-cache", "./") == "gs://module-cache"
    assert merge("gs://module-cache", "./file") == "gs://module-cache/file"
    assert merge("gs://module-cache", "hello/../bla") == "gs://module-cache/bla"
    assert merge("gs://module-cache", "/") == "gs://module-cache"
    for bad in ("/../", "hello/../../bla"):
        with pytest.raises(ValueError, match="is invalid"):
            merge("gs://module-cache", bad)


def test_file_extraction(tmp_path) -> None:
    """An archive of a folder added as "/" (its root entry has an empty name) extracts whole."""
    import tarfile

    from tfhub import file_utils

    source = tmp_path / "source"
    (source / "sub_directory").mkdir(parents=True)
    (source / "a").write_text("content1")
    (source / "sub_directory" / "b").write_text("content2")
    archive = tmp_path / "archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="/")
    out = tmp_path / "out"
    out.mkdir()
    with open(archive, "rb") as fileobj:
        file_utils.extract_tarfile_to_destination(fileobj, os.fspath(out))
    assert sorted(os.listdir(out)) == ["a", "sub_directory"]
    assert (out / "a").read_text() == "content1"
    assert os.listdir(out / "sub_directory") == ["b"]
    assert (out / "sub_directory" / "b").read_text() == "content2"


@pytest.mark.tf
def test_composite_tensors() -> None:
    tf = pytest.importorskip("tensorflow")
    from tfhub import tf_utils

    ragged = tf.ragged.constant([[1, 2], [3]])
    sparse = tf.SparseTensor([[0, 2], [3, 2]], [5, 6], [10, 10])
    dense = tf.constant([1, 2, 3])
    assert tf_utils.is_composite_tensor(ragged) and tf_utils.is_composite_tensor(sparse)
    assert not tf_utils.is_composite_tensor(dense)
    assert isinstance(tf_utils.get_composite_tensor_type_spec(ragged), tf.RaggedTensorSpec)
    assert isinstance(tf_utils.get_composite_tensor_type_spec(sparse), tf.SparseTensorSpec)
    assert tf_utils.get_composite_tensor_type_spec(dense) is None
