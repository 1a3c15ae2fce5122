"""`tfhub pull` fills the cache whatever TFHUB_MODEL_LOAD_FORMAT says (rf52e-F1).

docs/cli.md: `tfhub pull HANDLE [HANDLE...]  # pre-fill the cache`, and "Offline machines: run
`tfhub pull HANDLE...` where the network is, copy the cache folder over". Under
TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED a resolve reads the model in place from the gs:// folder
its server names and never caches it: `tfhub pull` printed that folder, exited 0 and left the
cache without the model, and the offline machine then said to "pre-fill the cache with `tfhub
pull URL`", what the user had done. (The gs:// existence check is TensorFlow's, stood in for
here, as in tests/test_docs_claims_resolving_probes36.py.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.cli import run_tfhub
from tests._helpers.http_server import LocalServer, see_other

from tfhub import cache


def _asked_formats(server: LocalServer) -> list[str]:
    """The `tf-hub-format` each GET the server received asked for."""
    return [
        target.partition("tf-hub-format=")[2].partition("&")[0]
        for method, target, _ in server.state.requests
        if method == "GET"
    ]


@pytest.fixture
def uncompressed(
    server: LocalServer, served_dir: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A model URL whose server answers both formats (the archive, or a 303 naming its gs://
    folder), with TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED set; returns the URL."""
    from tfhub.resolvers import gcs

    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m/1")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    (served_dir / "m").mkdir()
    make_tar_gz(served_dir / "m" / "1.tar.gz")
    server.state.behaviours.append(see_other("/m/1", "gs://bucket/m/1"))
    return server.url("m/1")


def test_pull_under_uncompressed_downloads_the_archive_into_the_cache(
    capsys: pytest.CaptureFixture[str],
    uncompressed: str,
    server: LocalServer,
    isolated_cache: Path,
) -> None:
    """The entry is in the cache, as a pull under the default format puts it there, and the
    line printed names it; stderr says why the load format was not followed."""
    code, out, err = run_tfhub(capsys, "pull", uncompressed)
    assert _asked_formats(server) == ["compressed"], (code, out, err)
    folder = cache.module_dir(uncompressed)
    assert (code, out) == (0, f"{uncompressed}\t{folder}\n"), err
    assert read_tree(folder) == MODEL_FILES
    assert err.count("\n") == 1 and "TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED" in err, err
    assert "never cached" in err and "tfhub pull" in err, err


def test_the_pulled_entry_is_what_an_offline_resolve_serves(
    capsys: pytest.CaptureFixture[str],
    uncompressed: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The documented workflow: pull where the network is, then resolve with TFHUB_OFFLINE=1
    (and the default load format, as the offline error says to set)."""
    assert run_tfhub(capsys, "pull", uncompressed)[0] == 0
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    monkeypatch.delenv("TFHUB_MODEL_LOAD_FORMAT")
    code, out, err = run_tfhub(capsys, "resolve", uncompressed)
    assert (code, err) == (0, "")
    assert out == cache.module_dir(uncompressed) + "\n"


def test_resolve_under_uncompressed_still_reads_the_folder_in_place(
    capsys: pytest.CaptureFixture[str], uncompressed: str, isolated_cache: Path
) -> None:
    """Only `pull` downloads: `tfhub resolve` keeps upstream's UNCOMPRESSED meaning."""
    assert run_tfhub(capsys, "resolve", uncompressed) == (0, "gs://bucket/m/1\n", "")
    assert not os.path.exists(isolated_cache) or os.listdir(isolated_cache) == []


@pytest.mark.parametrize("value", ["", "AUTO", "COMPRESSED"])
def test_pull_under_another_format_says_nothing_more(
    capsys: pytest.CaptureFixture[str],
    uncompressed: str,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    """The note is for UNCOMPRESSED only: a pull under the other values is as before."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", value)
    code, out, err = run_tfhub(capsys, "pull", uncompressed)
    assert (code, err) == (0, "")
    assert out == f"{uncompressed}\t{cache.module_dir(uncompressed)}\n"


def test_a_load_format_that_is_none_is_said_per_handle_as_before(
    capsys: pytest.CaptureFixture[str],
    uncompressed: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Reading the setting up front must not change what an invalid one does: a local folder
    is refused for itself (read in place, never cached: probes53), a URL that reads the
    setting says why (2)."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "bogus")
    code, out, err = run_tfhub(capsys, "pull", str(tmp_path), uncompressed)
    assert out == "", err
    first, second = err.splitlines()
    assert code == 2 and first.startswith("tfhub: invalid handle: `tfhub pull` puts"), err
    assert second.startswith("tfhub: invalid value: TFHUB_MODEL_LOAD_FORMAT must be "), err
