"""A handle of a file system TensorFlow has not registered (s3://) raises upstream's class too.

tensorflow_hub 0.10.0's `hub.Module("s3://bucket/m")` let TensorFlow's
`tf.errors.UnimplementedError` ("File system scheme 's3' not implemented") through (fix57e,
measured with the 0.10.0 wheel on TF 2.21, which registers no s3:// file system). tfhub
raised a DownloadError only; it is now `UnregisteredFileSystemError`, both.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest
import tensorflow as tf

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


def _graph_module(handle: str) -> Any:
    with tf.Graph().as_default():
        return hub.Module(handle)


_CALLS: dict[str, Callable[[str], Any]] = {
    "resolve": hub.resolve,
    "load": hub.load,
    "graph_module": _graph_module,
    "eager_module": hub.Module,
}


def _registered(scheme: str) -> bool:
    try:
        tf.io.gfile.exists(f"{scheme}://bucket/m")
    except tf.errors.UnimplementedError:
        return False
    return True


@pytest.mark.parametrize("how", sorted(_CALLS))
@pytest.mark.parametrize("scheme", ["s3", "hdfs"])
def test_unregistered_file_system_is_also_an_unimplemented_error(how: str, scheme: str) -> None:
    if _registered(scheme):
        pytest.skip(f"a package in this process registered {scheme}:// with TensorFlow")
    handle = f"{scheme}://bucket/m"
    with pytest.raises(tf.errors.UnimplementedError) as caught:
        _CALLS[how](handle)
    err = caught.value
    assert type(err) is errors.UnregisteredFileSystemError
    assert isinstance(err, errors.DownloadError) and isinstance(err, OSError)
    assert err.path == handle and err.scheme == scheme  # type: ignore[attr-defined]
    message = str(err)
    assert message.startswith(f"Cannot read {handle}: File system scheme '{scheme}' not")
    assert f"TensorFlow reads no {scheme}:// paths in this process" in message
    assert err.message == message  # type: ignore[attr-defined]  # OpError's.
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == message and vars(again) == vars(err)


def test_a_registered_file_system_keeps_its_answer() -> None:
    # ram:// is registered: a missing model there is still "does not exist".
    with pytest.raises(errors.ModelNotFoundError, match="does not exist"):
        hub.resolve("ram://fix57i/missing")
