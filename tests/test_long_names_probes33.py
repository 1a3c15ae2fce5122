"""Names too long for the filesystem: a path handle, a long URL's cache folder, TFHUB_CACHE_DIR.

A path whose file name is over the filesystem's limit (NAME_MAX bytes per component, PATH_MAX
in all) cannot exist; `os.stat` fails with ENAMETOOLONG, which was reported as "does not exist".
"""

from __future__ import annotations

import os

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree

import tfhub as hub
from tfhub import errors, handles
from tfhub.cli.main import main


def _name_max(folder: str) -> int:
    return os.pathconf(folder, "PC_NAME_MAX")


def test_a_file_name_over_the_limit_is_named_too_long_not_missing(tmp_path):
    name = "a" * 300
    limit = _name_max(str(tmp_path))
    with pytest.raises(errors.ModelNotFoundError) as info:
        hub.resolve(str(tmp_path / name / "model"))
    message = str(info.value)
    assert "does not exist" not in message
    assert "too long for the filesystem" in message
    assert f"{name[:40]}" in message and "300 bytes" in message and f"{limit} bytes" in message
    assert isinstance(info.value, FileNotFoundError)  # Upstream: IOError "does not exist".
    assert info.value.path == str(tmp_path / name / "model")


def test_the_length_is_counted_in_bytes(tmp_path):
    name = "é" * 200  # 200 characters, 400 bytes in UTF-8: over the 255 bytes of the limit.
    with pytest.raises(errors.ModelNotFoundError, match="400 bytes") as info:
        hub.resolve(str(tmp_path / name))
    assert "too long for the filesystem" in str(info.value)


def test_a_whole_path_over_path_max_is_named_too_long(tmp_path):
    path_max = os.pathconf(str(tmp_path), "PC_PATH_MAX")
    path = os.path.join(str(tmp_path), *["b" * 200] * (path_max // 200 + 1))
    length = len(os.fsencode(path))
    with pytest.raises(errors.ModelNotFoundError) as info:
        hub.resolve(path)
    message = str(info.value)
    assert "does not exist" not in message and "too long for the filesystem" in message
    assert f"{length} bytes" in message and f"{path_max} bytes" in message


def test_a_short_missing_path_still_does_not_exist(tmp_path):
    missing = str(tmp_path / ("a" * 255))  # At the limit, not over it: merely missing.
    with pytest.raises(errors.ModelNotFoundError, match="does not exist"):
        hub.resolve(missing)


def test_the_cli_says_too_long(tmp_path, capsys, isolated_cache):
    name = "a" * 300
    code = main(["resolve", str(tmp_path / name)])
    out, err = capsys.readouterr()
    assert code == 7 and out == ""
    assert err.startswith("tfhub: not found: ") and err.count("\n") == 1
    assert "too long for the filesystem" in err and "300 bytes" in err
    assert "does not exist" not in err


def test_a_very_long_url_gets_a_bounded_cache_folder(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz") + "?pad=" + "x" * 3000  # Far over NAME_MAX and PATH_MAX/2.
    path = hub.resolve(handle)
    assert os.path.basename(path) == handles.cache_key(handle)
    assert len(os.path.basename(path)) == 40  # sha1 in hex, whatever the handle's length.
    assert all(len(name) < 100 for name in os.listdir(isolated_cache))
    assert read_tree(path) == MODEL_FILES


def test_a_cache_dir_too_long_names_the_setting(server, served_dir, isolated_cache, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(isolated_cache / ("c" * 300)))
    with pytest.raises(errors.CacheError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert "TFHUB_CACHE_DIR" in message and "too long" in message.lower()
    assert "set TFHUB_CACHE_DIR to a shorter path" in message and "permissions" not in message
