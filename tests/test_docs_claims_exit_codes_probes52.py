"""docs/cli.md's exit codes for a model folder missing a file it needs (rf52e-F3).

'"Not found" (7) is a path or handle that does not exist, and also one that does not hold what
the command needs there, in every command alike: a model folder without `saved_model.pb` or its
variables (`inspect`, `pack`, `publish`, `mirror`, the tools' module flags)'; "A model that is
there but damaged (a truncated `saved_model.pb`) ... is 1". `tfhub pack` and `tfhub publish` of
a model whose variables/ is missing (a copy that skipped it) said "tfhub: error: ... does not
load as a model (variables/ is missing)" and exited 1, where hub.load's MissingModelFileError
for the same folder is 7.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests._helpers.warm_python import run_warm_tfhub


def _without(upstream_copy: Path, *paths: str) -> Path:
    """The upstream TF1 module tf1_multi_sig with `paths` (relative to it) removed."""
    model = upstream_copy / "tf1_multi_sig"
    for path in paths:
        target = model / path
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return model


def _pack_and_publish(model: Path, tmp_path: Path) -> list[tuple[int, str]]:
    """(exit code, stderr) of `tfhub pack MODEL` and `tfhub publish MODEL ROOT`."""
    runs = [
        run_warm_tfhub("pack", str(model), "-o", str(tmp_path / "m.tar.gz")),
        run_warm_tfhub("publish", str(model), str(tmp_path / "hub"), "--handle", "p/m/1"),
    ]
    return [(done.returncode, done.stderr) for done in runs]


@pytest.mark.tf
@pytest.mark.parametrize(
    "missing",
    [("variables",), ("variables/variables.data-00000-of-00001",)],
    ids=["variables-folder", "data-shard"],
)
def test_a_model_without_its_variables_is_not_found(
    upstream_copy: Path, tmp_path: Path, missing: tuple[str, ...]
) -> None:
    """pack and publish: exit 7, `tfhub: not found: ...`, naming what is missing."""
    model = _without(upstream_copy, *missing)
    for code, stderr in _pack_and_publish(model, tmp_path):
        assert stderr.startswith("tfhub: not found: "), stderr
        assert "is missing" in stderr and stderr.count("\n") == 1, stderr
        assert code == 7, stderr


@pytest.mark.tf
def test_a_model_whose_saved_model_pb_is_cut_short_is_still_1(
    upstream_copy: Path, tmp_path: Path
) -> None:
    """Damage that is not a missing file keeps its documented code, 1."""
    model = _without(upstream_copy)
    pb = model / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[:100])
    for code, stderr in _pack_and_publish(model, tmp_path):
        assert stderr.startswith("tfhub: error: "), stderr
        assert code == 1, stderr
