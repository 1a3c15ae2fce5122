"""`tfhub import --handle H` of a handle tfhub never looks up in the cache (fix54e-F4, session 54).

`tfhub import m.tar.gz --handle mirror://m` (the scheme of docs/resolving.md's MirrorResolver)
said "local paths and gs:// folders are read in place": `mirror://m` is neither, and nothing said
what to do. A scheme no resolver of tfhub reads is named as `tfhub resolve` names it, with what a
custom resolver's user does instead; `s3://` and the other tf.io.gfile paths are named as read in
place, as `tfhub pull` names them.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz

from tfhub import errors
from tfhub.cache.importing import import_archive


def test_a_custom_scheme_is_named_as_no_resolver_of_tfhubs(
    tmp_path: Path, isolated_cache: Path
) -> None:
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    with pytest.raises(errors.UnknownSchemeError) as caught:
        import_archive(str(archive), "mirror://m")
    assert isinstance(caught.value, errors.InvalidHandleError)  # `tfhub` exits 2, as before.
    assert caught.value.scheme == "mirror"
    message = str(caught.value)
    assert message.startswith("Only http(s):// URLs and gs:// archives are looked up in the cache")
    assert "read in place" not in message and "local path" not in message
    assert "no resolver of tfhub reads mirror:// handles" in message
    assert "custom resolver" in message and "fills its own cache entries" in message
    assert message.endswith("Received: handle='mirror://m'")
    assert pickle.loads(pickle.dumps(caught.value)).scheme == "mirror"
    assert not os.path.exists(isolated_cache) or not os.listdir(isolated_cache)


@pytest.mark.parametrize("handle", ["s3://bucket/m", "hdfs://host/m"])
def test_another_gfile_path_is_named_read_in_place(
    tmp_path: Path, isolated_cache: Path, handle: str
) -> None:
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    with pytest.raises(errors.InvalidHandleError) as caught:
        import_archive(str(archive), handle)
    assert not isinstance(caught.value, errors.UnknownSchemeError)
    message = str(caught.value)
    assert "local paths and gs:// folders are read in place" in message  # As before.
    assert "other tf.io.gfile paths" in message
    assert message.endswith(f"Received: handle={handle!r}")
