"""What docs/cli.md says `cache list` shows for a handle that held credentials, and that
`cache rm` takes it as shown: a tfhub entry as the URL it is keyed by (no user name and
password, no signature parameters; another secret as `***`), a tensorflow_hub entry with its
credentials redacted (`https://***@host/m/1`). The doc said every such handle showed as
`https://***@host/m/1`, which `cache list` shows for tensorflow_hub's entries only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz, tensorflow_hub_entry
from tests._helpers.cli import run_tfhub


def _listed(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    code, out, err = run_tfhub(capsys, "cache", "list")
    assert code == 0, err
    if out.startswith("The cache ") and out.rstrip().endswith(" is empty."):
        return {}
    return {line.split("\t")[0]: line.split("\t")[3] for line in out.splitlines()}


def test_listed_handles_are_what_rm_takes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    imports = {
        "https://bob:pw123@h.example/m/1": "https://h.example/m/1",
        "https://h.example/m.tar.gz?X-Amz-Signature=SIG&X-Amz-Credential=CRED": (
            "https://h.example/m.tar.gz"
        ),
        "https://h.example/k.tar.gz?api_key=KEY": "https://h.example/k.tar.gz?api_key=***",
    }
    for handle in imports:
        code, _, err = run_tfhub(capsys, "import", archive, "--handle", handle)
        assert code == 0, err
    upstream = os.path.basename(tensorflow_hub_entry(cache, "https://bob:pw123@h.example/m/2"))
    listed = _listed(capsys)
    assert sorted(listed.values()) == sorted([*imports.values(), "https://***@h.example/m/2"])
    assert listed[upstream] == "https://***@h.example/m/2"
    for handle in listed.values():
        code, out, err = run_tfhub(capsys, "cache", "rm", handle)
        assert code == 0, err
        assert out.startswith("removed "), out
    assert _listed(capsys) == {}
