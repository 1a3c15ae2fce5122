"""Handles as users write them (copied from a file, read from an unset setting, given as bytes,
already carrying the format query): each resolves as tensorflow_hub did, or ends in a tfhub
error that `except` clauses written for tensorflow_hub still catch."""

from __future__ import annotations

import os

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import archive_gets

import tfhub as hub
from tfhub import errors, handles


def test_empty_handle_is_an_ioerror_as_upstream():
    """tensorflow_hub's path resolver raised IOError(" does not exist.") for "" (often an
    unset setting: `hub.load(os.environ.get("MODEL", ""))`); tfhub's ValueError slipped past
    `except IOError` fallbacks written for it."""
    with pytest.raises(errors.InvalidHandleError, match="environment variable") as info:
        hub.resolve("")
    assert isinstance(info.value, IOError)


def test_bytes_handle_is_a_type_error_offering_the_text(tmp_path):
    """tensorflow_hub's resolve raised TypeError for bytes (`startswith` of str prefixes); the
    message now offers the decoded handle."""
    with pytest.raises(errors.InvalidHandleError) as info:
        hub.resolve(os.fsencode(tmp_path))
    assert isinstance(info.value, TypeError)
    assert f"Did you mean {str(tmp_path)!r}" in str(info.value)
    with pytest.raises(TypeError, match="Received: handle=None"):
        hub.resolve(None)


def test_pathlib_handle_resolves(tmp_path):
    assert hub.resolve(tmp_path) == str(tmp_path)


@pytest.mark.parametrize("around", [(" ", ""), ("", " "), ("", "\n"), ("\t", "\r\n")])
def test_url_with_spaces_around_is_an_ioerror_as_upstream(around, server):
    """tensorflow_hub took `" http://..."` for a local path, or sent `"http://... "` to the
    server, and raised an IOError either way; tfhub's ValueError slipped past `except IOError`."""
    url = server.url("m.tar.gz")
    with pytest.raises(errors.InvalidHandleError, match="Did you mean") as info:
        hub.resolve(around[0] + url + around[1])
    assert isinstance(info.value, IOError)
    assert repr(url) in str(info.value)


def test_format_query_already_in_the_handle_is_not_sent_twice(server, served_dir):
    """`https://tfhub.dev/...?tf-hub-format=compressed` (the download link tfhub.dev showed) was
    requested as `?tf-hub-format=compressed&tf-hub-format=compressed`, as upstream did. The
    cache folder is still sha1 of the handle as given (upstream's key)."""
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz?tf-hub-format=compressed")
    path = hub.resolve(handle)
    assert os.path.basename(path) == handles.cache_key(handle)
    assert read_tree(path) == MODEL_FILES
    ((_, sent, _),) = archive_gets(server, "m.tar.gz")
    assert sent == "/m.tar.gz?tf-hub-format=compressed"


def test_http_and_https_and_default_port_are_upstreams_separate_entries():
    """tensorflow_hub hashed the handle as given: `http://`, `https://` and `:443` forms of one
    model are three entries, and tfhub finds each one upstream made."""
    forms = ["http://tfhub.dev/g/m/1", "https://tfhub.dev/g/m/1", "https://tfhub.dev:443/g/m/1"]
    keys = {handles.cache_key(handles.cache_handle(form)) for form in forms}
    assert keys == {handles.cache_key(form) for form in forms} and len(keys) == 3


@pytest.mark.parametrize("prefix", ["file:", "FILE:", "file://"])
def test_file_url_with_too_few_slashes_offers_the_path(tmp_path, prefix):
    """`file:/abs/path` (RFC 8089's short form, as Java and some tools write it) and
    `file://abs/path` (one slash short) said only "does not exist" (`file:`) or named no path."""
    model = tmp_path / "m"
    model.mkdir()
    handle = prefix + str(model).lstrip("/") if prefix == "file://" else prefix + str(model)
    with pytest.raises(errors.InvalidHandleError if prefix == "file://" else IOError) as info:
        hub.resolve(handle)
    assert f"file://{model}" in str(info.value) or repr(str(model)) in str(info.value)


def test_percent_encoded_path_offers_the_decoded_one(tmp_path):
    """A path taken from a file:// URL (a browser's address bar) keeps `%20`: "does not exist"
    left the user to spot it."""
    model = tmp_path / "my model"
    model.mkdir()
    with pytest.raises(errors.ModelNotFoundError, match="percent") as info:
        hub.resolve(str(tmp_path / "my%20model"))
    assert f"Did you mean {str(model)!r}" in str(info.value)


def test_scheme_relative_url_offers_https():
    """`//tfhub.dev/google/x/1` (a link copied from HTML) was taken for a local path with no
    hint that `https:` is missing."""
    with pytest.raises(errors.ModelNotFoundError, match="'https://tfhub.dev/google/x/1'"):
        hub.resolve("//tfhub.dev/google/x/1")


def test_an_archive_url_with_a_trailing_slash_offers_the_url_without_it(server, served_dir):
    """`.../m.tar.gz/` (a link copied with its slash) got the server's 404 and "Check the
    handle"; the error now names the handle to try. (nginx answers 404 for a file's path with a
    slash after it; Python's http.server serves the file anyway, so it is told to.)"""
    make_tar_gz(served_dir / "m.tar.gz")

    def as_nginx(handler, path, query) -> bool:
        if not path.endswith(".tar.gz/"):
            return False
        handler.send_error(404)
        return True

    server.state.behaviours.append(as_nginx)
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("m.tar.gz") + "/")
    assert info.value.code == 404
    assert f"try the handle without it, {server.url('m.tar.gz')!r}." in str(info.value)
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES
