"""make_nearest_neighbour_index's numbers beyond what the libraries take: refused before any
work, as a flag below 1 is."""

from __future__ import annotations

import pytest

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main
from tfhub.tools.make_nearest_neighbour_index.index_builder import BuildConfig

pytest.importorskip(
    "apache_beam", reason="apache-beam is not installed (pip install 'tfhub[tools]')"
)

ANNOY_MAX_TREES = 2**31 - 1  # annoy's build(n_trees) takes a C int.


@pytest.mark.parametrize("trees", [str(2**31), "99999999999999999999"])
def test_num_trees_beyond_annoys_int_is_a_flag_error_before_any_work(tmp_path, capsys, trees):
    """Such a --num_trees read every record, then ended in "tfhub: unexpected error:
    OverflowError: signed integer is greater than maximum" (annoy's)."""
    missing = tmp_path / "no-embeddings"  # Read first, this would be an EmbeddingFilesError.
    argv = ["build", f"--embed_output_dir={missing}", f"--index_output_dir={tmp_path / 'i'}"]
    code = tool_main([*argv, "--index_library=annoy", f"--num_trees={trees}"])
    err = capsys.readouterr().err
    assert code == 1, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("tfhub: error: --num_trees must be "), line
    assert f"at most {ANNOY_MAX_TREES}" in line and line.endswith(f"num_trees={int(trees)}")
    assert not (tmp_path / "i").exists()


def test_build_config_refuses_num_trees_beyond_annoys_int():
    with pytest.raises(errors.ArgumentError, match=f"at most {ANNOY_MAX_TREES}") as caught:
        BuildConfig("embeds", "index", num_trees=ANNOY_MAX_TREES + 1)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).endswith(f"Received: num_trees={ANNOY_MAX_TREES + 1}")
    assert BuildConfig("embeds", "index", num_trees=ANNOY_MAX_TREES).num_trees == ANNOY_MAX_TREES
