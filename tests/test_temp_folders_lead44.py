"""Where tfhub needs a temporary folder and Python has none it can use (TMPDIR, /tmp, ...
missing or read-only; here `tempfile.tempdir` names a folder that is gone), the error is
tfhub's TempFolderError (a FileNotFoundError, as Python raised) saying what needed it and to
set TMPDIR, not a bare FileNotFoundError naming a path in the missing folder."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz

pytest.importorskip("tensorflow")
import tfhub as hub
from tfhub import errors
from tfhub.utils.temp_folders import make_temporary_folder, temporary_folder

pytestmark = pytest.mark.tf


@pytest.fixture
def no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    missing = tmp_path / "gone"
    monkeypatch.setattr("tempfile.tempdir", str(missing))
    return missing


def _check(err: errors.TempFolderError, needer: str) -> None:
    assert isinstance(err, FileNotFoundError)
    assert needer in str(err) and "TMPDIR" in str(err)


def test_the_helpers_make_and_remove_a_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    made = make_temporary_folder("tfhub-x-", needer="test")
    assert Path(made).parent == tmp_path and Path(made).is_dir()
    with temporary_folder("tfhub-y-", needer="test") as folder:
        (Path(folder) / "a").write_text("a")
    assert not Path(folder).exists()


def test_downloading_into_a_gfile_cache(
    no_temporary_folder: Path, server, served_dir: Path, monkeypatch
) -> None:
    cache = f"ram://tfhub-lead44-{uuid.uuid4().hex}"
    monkeypatch.setenv("TFHUB_CACHE_DIR", cache)
    make_tar_gz(served_dir / "m.tar.gz")
    with pytest.raises(errors.TempFolderError) as caught:
        hub.resolve(server.url("m.tar.gz"))
    _check(caught.value, f"Downloading into the cache {cache}")


def test_mirroring_a_gfile_folder(no_temporary_folder: Path) -> None:
    from tfhub.hub.mirror_copy import local_copy

    with pytest.raises(errors.TempFolderError) as caught, local_copy("ram://tfhub-lead44/m"):
        pass
    _check(caught.value, "Mirroring ram://tfhub-lead44/m")


def _spec() -> object:
    import tensorflow as tf

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 2])
        hub.add_signature(inputs=x, outputs=x * 2.0)

    return hub.create_module_spec(module_fn)


def test_an_eager_module_of_a_spec_built_in_memory(no_temporary_folder: Path) -> None:
    spec = _spec()
    with pytest.raises(errors.TempFolderError) as caught:
        hub.Module(spec)
    _check(caught.value, "hub.Module of a module spec built in memory")


def test_a_feature_column_of_a_spec_built_in_memory(no_temporary_folder: Path) -> None:
    from tfhub.feature_column._source import export_spec_to_temp_folder

    with pytest.raises(errors.TempFolderError) as caught:
        export_spec_to_temp_folder(_spec())
    _check(caught.value, "A feature column of a module spec built in memory")
