"""`tfhub cache prune` with stdout on a full disk and an item it could not remove: the failure
(exit 6) used to be hidden by the first line that could not be written (exit 1), under
PYTHONUNBUFFERED as CI runs (review rv63b). The policy's result is given (a removal that fails
needs another user's files); the command's reporting is what is tested."""

from __future__ import annotations

import sys

import pytest
from tests._helpers.cli import run_tfhub

from tfhub.cache import prune as prune_policy


def test_a_failed_item_is_said_and_its_code_kept_when_stdout_is_full(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    item = prune_policy.PruneItem(str(tmp_path / "x"), "leftover download", "left by a kill")
    failed = prune_policy.PruneResult(item, "failed", "permission denied: ask its owner")
    monkeypatch.setattr(prune_policy, "prune", lambda root: [failed])
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    with open("/dev/full", "w", buffering=1) as full:
        monkeypatch.setattr(sys, "stdout", full)
        code, _, err = run_tfhub(capsys, "cache", "prune")
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    assert code == 6, err
    assert "cannot write the output" in err and "could not be removed" in err, err
