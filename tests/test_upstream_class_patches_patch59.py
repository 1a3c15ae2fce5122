"""Class-level patches of upstream's resolver classes reach `hub.resolve`, `hub.load` and
`hub.Module`, as in tensorflow_hub 0.10.0's own tests (resolver_test.py's
LoadFormatResolverBehaviorTest and UncompressedResolverTest, uncompressed_module_resolver_test.py):
`mock.patch.object(compressed_module_resolver.HttpCompressedFileResolver, "__call__")`, the same
on `uncompressed_module_resolver.HttpUncompressedFileResolver`, its `_request_gcs_location`, and
`resolver.HttpResolverBase._call_urlopen`. tfhub registers its own resolver classes, so before
session 59 those patches changed nothing that `hub.resolve` did. A real server on 127.0.0.1
answers what the patches leave to it.
"""

from __future__ import annotations

import io
import os
import shutil
import urllib.error
import urllib.request
from unittest import mock

import numpy as np
import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import see_other

import tfhub as hub
from tfhub import compressed_module_resolver, resolver, resolvers, uncompressed_module_resolver

COMPRESSED = compressed_module_resolver.HttpCompressedFileResolver
UNCOMPRESSED = uncompressed_module_resolver.HttpUncompressedFileResolver
FORMAT_QUERY = "?tf-hub-format=uncompressed"


@pytest.fixture
def model_url(server, served_dir) -> str:
    """The URL of a small model archive that the real server serves."""
    make_tar_gz(os.fspath(served_dir / "m.tar.gz"), MODEL_FILES)
    return server.url("m.tar.gz")


def _asked(server) -> list[str]:
    """The paths (with query) the server was asked for."""
    return [path for _, path, _ in server.state.requests]


# --- __call__ (LoadFormatResolverBehaviorTest) -------------------------------------------------


@pytest.mark.parametrize("load_format", [None, "COMPRESSED"])
def test_patched_compressed_call_is_what_hub_resolve_calls(
    server, model_url, monkeypatch, load_format
) -> None:
    """AUTO (the default) and COMPRESSED: hub.resolve calls the patched `__call__` with the
    handle, once, and its error comes out; the server is not asked."""
    if load_format:
        monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    with mock.patch.object(COMPRESSED, "__call__", side_effect=ValueError) as mocked_call:
        with pytest.raises(ValueError):
            hub.resolve(model_url)
    mocked_call.assert_called_once_with(model_url)
    assert _asked(server) == []


def test_patched_uncompressed_call_is_what_hub_resolve_calls(server, monkeypatch) -> None:
    """UNCOMPRESSED: the patched `__call__` of upstream's uncompressed resolver is called."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    url = server.url("google/model/1")
    with mock.patch.object(UNCOMPRESSED, "__call__", side_effect=ValueError) as mocked_call:
        with pytest.raises(ValueError):
            hub.resolve(url)
    mocked_call.assert_called_once_with(url)
    assert _asked(server) == []


def test_patched_call_returning_a_path_is_what_hub_resolve_returns(
    server, model_url, tmp_path
) -> None:
    """A patch that returns a folder: hub.resolve returns it (not the download's)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    with mock.patch.object(COMPRESSED, "__call__", return_value=os.fspath(folder)):
        assert hub.resolve(model_url) == os.fspath(folder)
    assert _asked(server) == []


def test_after_the_patch_tfhubs_own_resolver_downloads_again(server, model_url) -> None:
    """Once the patch is undone, hub.resolve downloads through tfhub's resolver, as before;
    the registry still holds tfhub's own classes throughout."""
    kinds = [type(impl) for impl in resolvers.registry.implementations]
    with mock.patch.object(COMPRESSED, "__call__", side_effect=ValueError):
        with pytest.raises(ValueError):
            hub.resolve(model_url)
    path = hub.resolve(model_url)
    assert read_tree(path) == MODEL_FILES
    assert len(_asked(server)) == 1
    assert [type(impl) for impl in resolvers.registry.implementations] == kinds


def test_patched_gcs_and_path_resolvers_are_what_hub_resolve_calls(tmp_path) -> None:
    """The other two classes upstream registered: `GcsCompressedFileResolver` (a gs://
    archive, never read here) and `resolver.PathResolver` (a local folder)."""
    folder = tmp_path / "folder"
    folder.mkdir()
    gcs = compressed_module_resolver.GcsCompressedFileResolver
    with mock.patch.object(gcs, "__call__", side_effect=ValueError) as mocked_call:
        with pytest.raises(ValueError):
            hub.resolve("gs://bucket/m.tar.gz")
    mocked_call.assert_called_once_with("gs://bucket/m.tar.gz")
    with mock.patch.object(resolver.PathResolver, "__call__", return_value="elsewhere") as call:
        assert hub.resolve(os.fspath(folder)) == "elsewhere"
    call.assert_called_once_with(os.fspath(folder))
    assert hub.resolve(os.fspath(folder)) == os.fspath(folder)


@pytest.mark.tf
@pytest.mark.parametrize("load", ["Module", "load"])
def test_patched_compressed_call_is_what_hub_module_calls(server, model_url, load) -> None:
    """LoadFormatResolverBehaviorTest._assert_resolver_is_called: hub.Module(url), and
    hub.load(url)."""
    with mock.patch.object(COMPRESSED, "__call__", side_effect=ValueError) as mocked_call:
        with pytest.raises(ValueError):
            getattr(hub, load)(model_url)
    mocked_call.assert_called_once_with(model_url)
    assert _asked(server) == []


# --- _request_gcs_location (UncompressedResolverTest) ------------------------------------------


def test_patched_request_gcs_location_gives_hub_resolve_its_folder(
    server, monkeypatch, tmp_path
) -> None:
    """The patched `_request_gcs_location` is asked once, with the format query; the folder it
    names is what hub.resolve returns (through the path resolver); the server is not asked."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    folder = tmp_path / "module"
    folder.mkdir()
    url = server.url("google/model/1")
    with mock.patch.object(
        UNCOMPRESSED, "_request_gcs_location", return_value=os.fspath(folder)
    ) as mocked:
        assert hub.resolve(url) == os.fspath(folder)
    mocked.assert_called_once_with(url + FORMAT_QUERY)
    assert _asked(server) == []


@pytest.mark.tf
def test_module_running_with_a_patched_request_gcs_location(
    tmp_path, upstream_dir, monkeypatch
) -> None:
    """testModuleRunningWithUncompressedContext, as upstream wrote it: hub.Module runs the
    module at the location the patched `_request_gcs_location` returned."""
    shutil.unpack_archive(upstream_dir / "half_plus_two_v1.tar.gz", tmp_path / "module", "gztar")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    with mock.patch.object(
        UNCOMPRESSED, "_request_gcs_location", return_value=os.fspath(tmp_path / "module")
    ) as mocked_urlopen:
        m = hub.Module("https://tfhub.dev/google/model/1")
    mocked_urlopen.assert_called_once_with(
        "https://tfhub.dev/google/model/1?tf-hub-format=uncompressed"
    )
    x = np.array([[1.0], [2.0], [10.0]], np.float32)
    np.testing.assert_allclose(m(x), [[2.5], [3.0], [7.0]])


# --- resolver.HttpResolverBase._call_urlopen (uncompressed_module_resolver_test.py) -------------


def _resolvers_to_try(monkeypatch) -> list:
    """Upstream's direct call of an instance, and hub.resolve under UNCOMPRESSED."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    return [UNCOMPRESSED(), hub.resolve]


def test_patched_call_urlopen_303_without_gcs_path(server, monkeypatch) -> None:
    """test_server_returns_303_but_no_gcs_path: the 303 body the patched `_call_urlopen` gives
    is read and refused, with upstream's message first; the server is not asked."""
    url = server.url("google/model/1")
    for resolve in _resolvers_to_try(monkeypatch):
        http_error = urllib.error.HTTPError(None, 303, None, None, io.BytesIO(b"file://somefile"))
        with mock.patch.object(resolver.HttpResolverBase, "_call_urlopen", side_effect=http_error):
            with pytest.raises(ValueError) as raised:
                resolve(url)
        message = "Expected server to return a GCS location but received file://somefile"
        assert str(raised.value).startswith(message), resolve
    assert _asked(server) == []


@pytest.mark.parametrize("code", [200, 404])
def test_patched_call_urlopen_other_answers(server, monkeypatch, code) -> None:
    """test_server_returns_200 (a response whose `code` is 200) and
    test_server_returns_unexpected_error (an HTTPError 404): upstream's message first."""
    url = server.url("google/model/1")
    for resolve in _resolvers_to_try(monkeypatch):
        if code == 200:
            answer = mock.Mock()
            answer.code = 200
            patch = mock.patch.object(
                resolver.HttpResolverBase, "_call_urlopen", return_value=answer
            )
        else:
            error = urllib.error.HTTPError(None, 404, None, None, None)
            patch = mock.patch.object(resolver.HttpResolverBase, "_call_urlopen", side_effect=error)
        with patch, pytest.raises(ValueError) as raised:
            resolve(url)
        message = f"Expected 303 See other HTTP response but received code {code}"
        assert str(raised.value).startswith(message), resolve
    assert _asked(server) == []


def test_wrapped_call_urlopen_reads_the_real_servers_303(server, monkeypatch, tmp_path) -> None:
    """A `_call_urlopen` patched to record its calls and do the real work: hub.resolve asks
    the real server through it (one Request, the format URL) and hands the gs:// location to
    the path resolver (here patched on upstream's `resolver.PathResolver` to give a folder)."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(see_other("/google/model/1", "gs://bucket/model"))
    folder = tmp_path / "module"
    folder.mkdir()
    url = server.url("google/model/1")
    original = resolver.HttpResolverBase._call_urlopen
    with (
        mock.patch.object(
            resolver.HttpResolverBase, "_call_urlopen", autospec=True, side_effect=original
        ) as urlopen,
        mock.patch.object(
            resolver.PathResolver, "__call__", return_value=os.fspath(folder)
        ) as path_resolver,
    ):
        assert hub.resolve(url) == os.fspath(folder)
    ((_, request), _) = urlopen.call_args
    assert urlopen.call_count == 1
    assert isinstance(request, urllib.request.Request)
    assert request.full_url == url + FORMAT_QUERY
    path_resolver.assert_called_once_with("gs://bucket/model")
    assert _asked(server) == ["/google/model/1" + FORMAT_QUERY]


def test_each_recorded_class_stands_for_a_registered_built_in() -> None:
    """Upstream's four classes are recorded under the names of the built-in resolvers that
    hub.resolve asks (a renamed built-in would silently end the rerouting)."""
    from tfhub.resolvers import upstream_classes

    resolvers.install_default_resolvers()
    built_in = {
        (type(i).__module__, type(i).__qualname__) for i in resolvers.registry.implementations
    }
    recorded = dict(upstream_classes._recorded)
    assert set(recorded) <= built_in
    assert sorted(cls.__name__ for cls in recorded.values()) == [
        "GcsCompressedFileResolver",
        "HttpCompressedFileResolver",
        "HttpUncompressedFileResolver",
        "PathResolver",
    ]


def test_a_subclass_overriding_call_urlopen_is_asked_for_the_location(server, tmp_path) -> None:
    """As upstream's `_request_gcs_location`, a subclass's own `_call_urlopen` (here one that
    records and calls upstream's) is how the location is asked; the real server answers."""
    server.state.behaviours.append(see_other("/google/model/1", "gs://bucket/model"))
    asked: list[str] = []

    class Recording(UNCOMPRESSED):
        def _call_urlopen(self, request: urllib.request.Request) -> object:
            asked.append(request.full_url)
            return super()._call_urlopen(request)

    ours = Recording()
    ours.path_resolver = {"gs://bucket/model": os.fspath(tmp_path)}.__getitem__
    url = server.url("google/model/1")
    assert ours(url) == os.fspath(tmp_path)
    assert asked == [url + FORMAT_QUERY]
    assert _asked(server) == ["/google/model/1" + FORMAT_QUERY]


def test_wrapped_call_urlopen_downloads_the_compressed_archive(server, model_url) -> None:
    """AUTO: a `_call_urlopen` patched on `resolver.HttpResolverBase` to record its calls and
    do the real work is how hub.resolve downloads the archive (upstream's compressed resolver
    opened it so): one Request with the format query, extracted into the cache entry; the
    entry, once complete, is returned without asking again."""
    original = resolver.HttpResolverBase._call_urlopen
    with mock.patch.object(
        resolver.HttpResolverBase, "_call_urlopen", autospec=True, side_effect=original
    ) as urlopen:
        path = hub.resolve(model_url)
        assert hub.resolve(model_url) == path
    assert read_tree(path) == MODEL_FILES
    ((_, request), _) = urlopen.call_args
    assert urlopen.call_count == 1
    assert request.full_url == model_url + "?tf-hub-format=compressed"
    assert _asked(server) == ["/m.tar.gz?tf-hub-format=compressed"]
    assert hub.resolve(model_url) == path  # tfhub's own resolver finds the same entry.
    assert len(_asked(server)) == 1
