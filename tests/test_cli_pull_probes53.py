"""`tfhub pull` of a handle read in place (a local path, a file:// URL, a gs:// folder) is refused
(session 53).

docs/cli.md: `tfhub pull HANDLE...  # pre-fill the cache`, and "Offline machines: run `tfhub
pull HANDLE...` where the network is, copy the cache folder over". A local folder (or file) is
read in place by hub.resolve and never cached: `tfhub pull ./model` printed `./model<TAB>./model`,
exited 0 and left the cache as it was, so the copied cache lacked the model. It is now refused
as `tfhub import` refuses such a handle (invalid handle, exit 2), saying what to do instead; the
other handles are still pulled.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz, write_tree
from tests._helpers.cli import run_tfhub
from tests._helpers.http_server import LocalServer


def _entries(cache_dir: Path) -> list[str]:
    return sorted(name for name in os.listdir(cache_dir) if not name.startswith("."))


@pytest.mark.parametrize("form", ["folder", "file", "file URL", "gs folder", "ram folder"])
def test_a_handle_read_in_place_is_refused_and_nothing_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, isolated_cache: Path, form: str
) -> None:
    folder = Path(write_tree(tmp_path / "model"))
    handle = {
        "folder": str(folder),
        "file": make_tar_gz(tmp_path / "model.tar.gz"),
        "file URL": folder.as_uri(),
        "gs folder": "gs://bucket/models/m/1",
        "ram folder": "ram://models/m/1",
    }[form]
    code, out, err = run_tfhub(capsys, "pull", handle)
    assert (code, out) == (2, ""), err
    assert err.startswith("tfhub: invalid handle: ") and err.count("\n") == 1, err
    assert "read in place" in err and "never cached" in err and "tfhub import" in err, err
    assert f"Received: handle={handle!r}" in err, err
    assert not isolated_cache.exists() or _entries(isolated_cache) == []


def test_the_other_handles_are_still_pulled(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    server: LocalServer,
    served_dir: Path,
    isolated_cache: Path,
) -> None:
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    code, out, err = run_tfhub(capsys, "pull", str(tmp_path), url)
    assert code == 2 and err.startswith("tfhub: invalid handle: "), err
    assert out.startswith(f"{url}\t{isolated_cache}"), out


def test_a_scheme_no_resolver_reads_is_still_named_so(capsys: pytest.CaptureFixture[str]) -> None:
    """Only paths are refused: a `scheme://` handle is resolve's to judge (a registered
    resolver may read it)."""
    code, out, err = run_tfhub(capsys, "pull", "mirror://m")
    assert (code, out) == (2, ""), err
    assert "No resolver reads mirror://" in err and "read in place" not in err, err
