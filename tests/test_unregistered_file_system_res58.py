"""Every path of a file system TensorFlow has not registered (s3://, hdfs://) meets one error.

Only `hub.resolve`'s path resolver turned TensorFlow's `UnimplementedError` into
`UnregisteredFileSystemError` (fix57i). Whatever else read or wrote such a path through
`tfhub.gfile_io` met TensorFlow's raw error, with the URL's credentials in it
(`resolver.create_local_module_dir`, `_write_module_descriptor_file`), a `DownloadError`
("Could not find directory": `_dir_size`, a listing), or a `CacheError` telling to check the
file system's permissions (`resolver.atomic_download`). Now `gfile_io` refuses such a path
before TensorFlow is asked (res58, session 58): the same class, the same words (what works
instead, ram:// included), no credentials in the message nor in the TensorFlow error it is
chained to.
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Callable
from typing import Any

import pytest
import tensorflow as tf

import tfhub as hub
from tfhub import errors, gfile_io, resolver

pytestmark = pytest.mark.tf

SECRET = "s3cr3tKEY"
URL = f"s3://AKIAEXAMPLE:{SECRET}@bucket/m"


def _never(handle: str, folder: str) -> None:
    raise AssertionError("no download into a file system TensorFlow lacks")


_CALLS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "resolve": ("read", hub.resolve),
    "create_local_module_dir": ("make", lambda url: resolver.create_local_module_dir(url, "m")),
    "_write_module_descriptor_file": (
        "write",
        lambda url: resolver._write_module_descriptor_file("h", url),
    ),
    "_task_uid_from_lock_file": ("read", lambda url: resolver._task_uid_from_lock_file(url)),
    "_dir_size": ("read", resolver._dir_size),
    "atomic_download": ("write", lambda url: resolver.atomic_download("h", _never, url)),
    "listdir": ("read", gfile_io.listdir),
    "is_dir": ("read", gfile_io.is_dir),
    "walk": ("read", gfile_io.walk),
    "read_bytes": ("read", gfile_io.read_bytes),
    "makedirs": ("make", gfile_io.makedirs),
    "write_text": ("write", lambda url: gfile_io.write_text(url, "x")),
}


def _registered(scheme: str) -> bool:
    return scheme in tf.io.gfile.get_registered_schemes()


@pytest.mark.parametrize("call", sorted(_CALLS))
@pytest.mark.parametrize("url", [URL, "hdfs://namenode/m"])
def test_each_entry_point_raises_the_one_error(call: str, url: str) -> None:
    scheme = url.split("://", 1)[0]
    if _registered(scheme):
        pytest.skip(f"a package in this process registered {scheme}:// with TensorFlow")
    verb, how = _CALLS[call]
    with pytest.raises(errors.UnregisteredFileSystemError) as caught:
        how(url)
    err = caught.value
    assert isinstance(err, tf.errors.UnimplementedError) and isinstance(err, OSError)
    assert err.scheme == scheme  # type: ignore[attr-defined]
    message = str(err)
    shown = url.replace(f"AKIAEXAMPLE:{SECRET}@", "***@")
    assert message.startswith(f"Cannot {verb} {shown}"), message
    assert f"File system scheme '{scheme}' not implemented" in message, message
    assert f"TensorFlow reads no {scheme}:// paths in this process" in message, message
    assert "gs://" in message and "ram://" in message and "local paths" in message, message
    assert "Check the path" not in message and "permissions" not in message, message
    cause = err.__cause__
    assert type(cause) is tf.errors.UnimplementedError  # TensorFlow's own words, chained.
    printed = "".join(traceback.format_exception(err))
    assert SECRET not in printed and SECRET not in repr(err)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == message


def test_the_path_attribute_keeps_the_path_as_given() -> None:
    """`.path` is what the program passed (it may retry with it once the file system is
    registered): a field the program reads, never printed by the error itself."""
    with pytest.raises(errors.UnregisteredFileSystemError) as caught:
        gfile_io.listdir(URL)
    assert caught.value.path == URL  # type: ignore[attr-defined]


def test_registered_file_systems_are_asked_as_before() -> None:
    assert not gfile_io.is_dir("ram://res58-none/m")
    with pytest.raises(errors.DownloadError) as caught:
        gfile_io.listdir("ram://res58-none/m")
    assert not isinstance(caught.value, errors.UnregisteredFileSystemError)
    # A path TensorFlow takes as local (no scheme of its form before "://") is not refused.
    assert not gfile_io.is_dir("s3+x://res58/m")


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 1])
    hub.add_signature(inputs=x, outputs=x * 2)


def _export_tf1_module(url: str) -> None:
    spec = hub.create_module_spec(_module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            module.export(url, session)


def _cache_there(url: str) -> Callable[[], Any]:
    def resolved() -> Any:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TFHUB_CACHE_DIR", url)
            return hub.resolve("http://127.0.0.1:9/m.tar.gz")  # Port 9: nothing is asked.

    return resolved


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: _export_tf1_module(URL), id="Module.export"),
        pytest.param(_cache_there(URL), id="TFHUB_CACHE_DIR"),
    ],
)
def test_a_write_there_says_so_before_anything_is_written_or_fetched(call: Any) -> None:
    """An export used to say "Cannot read .../tfhub_module.pb" and to copy the model to a
    local folder; a cache there fetched the model before its first write failed."""
    with pytest.raises(errors.UnregisteredFileSystemError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith("Cannot write s3://***@bucket/m"), message
    assert "choose a local folder (or one of those file systems) instead" in message, message
    assert "TensorFlow reads no s3:// paths in this process" in message, message
    assert SECRET not in "".join(traceback.format_exception(caught.value))


def test_a_tool_s_output_folder_there_is_named_with_its_flag() -> None:
    """The nearest-neighbour tool's output folder said "Check the path, your network and your
    access to it" for an s3:// folder: its flag error now quotes the one refusal."""
    from tfhub.tools.make_nearest_neighbour_index import storage

    with pytest.raises(errors.OutputNotWritableError) as caught:
        storage.list_output_entries(URL, what="index folder", flag="--index_output_dir")
    message = str(caught.value)
    assert "TensorFlow reads no s3:// paths in this process" in message, message
    assert "Check the path" not in message and SECRET not in message, message
    assert isinstance(caught.value.__cause__, errors.UnregisteredFileSystemError)


def test_the_file_systems_that_work_are_listed_as_prose() -> None:
    """With one file system registered besides local paths, the list read "local paths and
    and file:// ones" (the join of the others was empty)."""
    from tfhub.gfile_io._requests import _listed

    assert _listed(["file://"]) == "file://"
    assert _listed(["file://", "gs://"]) == "file:// and gs://"
    assert _listed(["file://", "gs://", "ram://"]) == "file://, gs:// and ram://"
