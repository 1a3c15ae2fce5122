"""A patch of a name on `tfhub.resolver` (tensorflow_hub's `resolver` module path) reaches the
helpers of that module that call it, as in tensorflow_hub, where they all lived in one module.

Tests and custom resolvers written against tensorflow_hub patch its module attributes
(`mock.patch.object(resolver, ...)`, `monkeypatch.setattr`). tfhub keeps those helpers in
`resolver_private` and `resolver_downloads`; a helper there that called a sibling by its own
global name no longer saw a patch of `tfhub.resolver`: `_locked_tmp_dir_size` sized the
temporary folder of the real `_temp_download_dir`, `_write_module_descriptor_file` wrote to the
real `_module_descriptor_file`, `tfhub_cache_dir` ignored a patched `get_env_setting`. Each
probe below patches one name and checks what the caller does, with real files.

Also guarded here (they reached before): `compressed_module_resolver._module_dir` reads
`resolver.tfhub_cache_dir` and `resolver.create_local_module_dir` at call time.
"""

from __future__ import annotations

import os
import pickle
import pydoc
from pathlib import Path

import pytest

from tfhub import compressed_module_resolver, resolver


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def lock_file(tmp_path: Path) -> str:
    """A download's lock file, `<tmp>/module.lock`, naming the task uid `uid1`, whose temporary
    folder `<tmp>/module.uid1.tmp` holds 1 byte."""
    module_dir = os.fspath(tmp_path / "module")
    lock = resolver._lock_filename(module_dir)
    _write(Path(lock), resolver._lock_file_contents("uid1"))
    _write(Path(resolver._temp_download_dir(module_dir, "uid1")) / "f", "1")
    return lock


def test_locked_tmp_dir_size_asks_the_patched_temp_download_dir(
    lock_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    _write(other / "f", "12345")
    assert resolver._locked_tmp_dir_size(lock_file) == 1
    monkeypatch.setattr(resolver, "_temp_download_dir", lambda module_dir, uid: os.fspath(other))
    assert resolver._locked_tmp_dir_size(lock_file) == 5


def test_locked_tmp_dir_size_asks_the_patched_task_uid_and_module_dir(
    lock_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(resolver, "_task_uid_from_lock_file", lambda lock: "nobody")
        assert resolver._locked_tmp_dir_size(lock_file) == 0  # <tmp>/module.nobody.tmp
    _write(tmp_path / "elsewhere.uid1.tmp" / "g", "123")
    monkeypatch.setattr(resolver, "_module_dir", lambda lock: os.fspath(tmp_path / "elsewhere"))
    assert resolver._locked_tmp_dir_size(lock_file) == 3


def test_lock_and_temporary_folder_names_ask_the_patched_absolute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resolver, "_absolute", lambda path: "/base/" + path)
    assert resolver._lock_filename("a/b") == "/base/a/b.lock"
    assert resolver._temp_download_dir("a/b", "t") == "/base/a/b.t.tmp"


def test_module_descriptor_is_written_where_the_patched_name_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module_dir = os.fspath(tmp_path / "module")
    monkeypatch.setattr(resolver, "_module_descriptor_file", lambda folder: folder + ".about")
    resolver._write_module_descriptor_file("https://example.com/m/1", module_dir)
    assert sorted(os.listdir(tmp_path)) == ["module.about"]
    assert (tmp_path / "module.about").read_text().startswith("Module: https://example.com/m/1\n")


def test_tfhub_cache_dir_asks_the_patched_get_env_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As upstream's `tfhub_cache_dir`: the setting is what `resolver.get_env_setting` says."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "set"))
    assert resolver.tfhub_cache_dir(default_cache_dir="/d") == os.fspath(tmp_path / "set")
    monkeypatch.setattr(resolver, "get_env_setting", lambda env_var, flag_name: "")
    assert resolver.tfhub_cache_dir(default_cache_dir="/d") == "/d"
    # Its answer is the folder (rsv59: it was asked, then the real setting was read again).
    patched = os.fspath(tmp_path / "patched")
    monkeypatch.setattr(resolver, "get_env_setting", lambda env_var, flag_name: patched)
    assert resolver.tfhub_cache_dir(default_cache_dir="/d") == patched
    assert resolver.tfhub_cache_dir(use_temp=True) == patched


def test_compressed_module_dir_asks_the_patched_cache_folder_helpers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard (reached before): upstream's `_module_dir` through `resolver`'s two helpers."""
    handle = "https://example.com/m.tar.gz"
    monkeypatch.setattr(resolver, "tfhub_cache_dir", lambda **_: os.fspath(tmp_path / "other"))
    assert os.path.dirname(compressed_module_resolver._module_dir(handle)) == os.fspath(
        tmp_path / "other"
    )
    monkeypatch.setattr(resolver, "create_local_module_dir", lambda cache, name: "/z/" + name)
    assert compressed_module_resolver._module_dir(handle).startswith("/z/")


def test_help_and_pickling_of_the_moved_names() -> None:
    """Guard (held before): `help(tfhub.resolver)` documents the names upstream's module had,
    wherever tfhub defines them, and a DownloadManager survives pickling (by its own module)."""
    text = pydoc.render_doc(resolver, renderer=pydoc.plaintext)
    for name in (
        "DownloadManager",
        "atomic_download",
        "tfhub_cache_dir",
        "create_local_module_dir",
    ):
        assert f"\n    {name}(" in text or f"class {name}" in text, name
    manager = pickle.loads(pickle.dumps(resolver.DownloadManager("https://example.com/m")))
    assert manager._url == "https://example.com/m"
