"""`tfhub inspect` of a model whose checkpoint is missing a file (rf52e-F2).

docs/cli.md: '"Not found" (7) is ... a model folder without `saved_model.pb` or its variables
(`inspect`, ...)'. inspect listed such a model in full and exited 0, with "variables: 0 (0
bytes)" (or the checkpoint's count where only its data shard was gone), while hub.load of the
same folder raises MissingModelFileError: the check users run on a copied model said it was
whole.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests._helpers.warm_python import run_warm_tfhub


@pytest.mark.tf
@pytest.mark.parametrize(
    ("model", "missing", "said"),
    [
        ("tf1_multi_sig", "variables", "variables/ is missing"),
        ("tf1_multi_sig", "variables/variables.index", "variables/variables.index is missing"),
        ("tf1_multi_sig", "variables/variables.data-00000-of-00001", "variables.data-* is missing"),
        ("tf2_saved_model", "variables", "variables/ is missing"),
    ],
)
def test_inspect_of_a_model_missing_its_variables_is_not_found(
    upstream_copy: Path, model: str, missing: str, said: str
) -> None:
    folder = upstream_copy / model
    target = folder / missing
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    done = run_warm_tfhub("inspect", str(folder))
    assert done.stdout == "", done.stdout
    assert done.stderr.startswith(f"tfhub: not found: The model {folder} cannot be loaded: ")
    assert said in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.returncode == 7, done.stderr


@pytest.mark.tf
@pytest.mark.parametrize("model", ["tf1_text_vocab", "tf2_text_embedding"])
def test_inspect_of_a_whole_model_is_unchanged(upstream_dir: Path, model: str) -> None:
    done = run_warm_tfhub("inspect", str(upstream_dir / model))
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "variables: 1 (128 bytes)" in done.stdout
