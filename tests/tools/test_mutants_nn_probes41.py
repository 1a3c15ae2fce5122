"""Tests that kill mutants the other tests let live (session 41's hand mutation pass over the
nearest-neighbour tool's command, flags, input files, records, file names and index files, and
over module_search's command, dataset spec, datasets, embedding, ranking, module list and
upstream's modules): each test names the decision it pins down."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools.module_search import lib

# --- module_search: dataset_spec -------------------------------------------------------------


@pytest.mark.parametrize("count", [True, 2.0, "3"])
def test_a_dataset_spec_of_a_number_of_examples_that_is_not_an_int_is_refused(
    count: object,
) -> None:
    with pytest.raises(errors.ArgumentTypeError, match=f"Received: num_examples={count!r}"):
        lib.DataSpec("flowers", count)  # type: ignore[arg-type]


def test_a_dataset_spec_whose_name_is_not_a_str_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errors.ArgumentTypeError, match="Received: name=PosixPath"):
        lib.DataSpec(tmp_path)  # type: ignore[arg-type]


# --- module_search: utils (upstream's) -------------------------------------------------------


def test_an_empty_list_of_ks_is_the_argument_error() -> None:
    """`k=[]` names no k: refused as a k out of range is (`not ks`), not an IndexError."""
    from tfhub.tools.module_search import utils

    distances = utils.compute_distance_matrix_loo(np.eye(3))
    with pytest.raises(errors.ArgumentError, match=r"Received: k=\[\]"):
        utils.knn_errorrate_loo(distances, [0, 1, 1], k=[])


# --- module_search: datasets -----------------------------------------------------------------


def test_a_dataset_name_starting_with_a_tilde_is_a_folder_not_a_tfds_name() -> None:
    """`~photos` (a home folder the shell did not expand) is a path, never a tensorflow_datasets
    name: a missing folder is the folder's error, not "tensorflow_datasets is not installed"."""
    with pytest.raises(errors.ImageFolderError) as caught:
        lib.load_dataset(lib.DataSpec("~no_such_user_photos"))
    assert caught.value.path == "~no_such_user_photos"


# --- make_nearest_neighbour_index: file_names ------------------------------------------------


@pytest.mark.parametrize("name", ["random_projection.matrix", "random_projection.matrix.npy"])
def test_the_projection_matrix_in_both_forms_is_the_embedding_folders_own(name: str) -> None:
    """generate writes the matrix beside the embeddings as upstream's pickle and as tfhub's
    .npy: an embedding folder holding them may be replaced (build's index folder: test_cli)."""
    from tfhub.tools.make_nearest_neighbour_index.file_names import is_output_name

    assert is_output_name(name, flag="embed_output_dir")


# --- make_nearest_neighbour_index: input_files -----------------------------------------------


def test_an_empty_file_beside_one_with_text_is_taken(tmp_path: Path) -> None:
    """The input is refused only if every matched file is empty (`any`), not if one is."""
    pytest.importorskip("apache_beam", reason="apache-beam is not installed (tfhub[tools])")
    from tfhub.tools.make_nearest_neighbour_index import input_files

    (tmp_path / "a_empty.txt").write_bytes(b"")
    (tmp_path / "b_text.txt").write_bytes(b"hello\n")
    input_files.check(os.fspath(tmp_path / "*.txt"))
    (tmp_path / "b_text.txt").write_bytes(b"")
    with pytest.raises(errors.EmbeddingFilesError, match="The 2 file"):
        input_files.check(os.fspath(tmp_path / "*.txt"))


# --- make_nearest_neighbour_index: cli -------------------------------------------------------


def test_query_without_module_url_is_refused_before_the_index_is_read(tmp_path: Path) -> None:
    """`query` embeds its text with --module_url: without one it is the flag error, before the
    index folder (which does not exist here) is looked at."""
    from tfhub.tools.make_nearest_neighbour_index import cli as nn_cli

    argv = ["query", f"--index_output_dir={tmp_path / 'no_index'}", "--query=tea"]
    with pytest.raises(errors.ToolFlagError, match="provide --module_url for `query`") as caught:
        nn_cli.run(nn_cli.build_parser().parse_args(argv))
    assert caught.value.flag == "module_url"


def test_the_first_line_not_utf8_is_looked_for_in_sorted_files_past_unreadable_ones(
    tmp_path: Path,
) -> None:
    """After a pipeline failed on text that is not UTF-8, the files are read in sorted order
    (the first bad file is named, not the last), and one that does not decompress as its name
    says is passed over (Beam names its own error), not the end of the search."""
    pytest.importorskip("apache_beam", reason="apache-beam is not installed (tfhub[tools])")
    from tfhub.tools.make_nearest_neighbour_index import input_files

    (tmp_path / "a.gz").write_bytes(b"not gzip at all\n")
    (tmp_path / "b.txt").write_bytes(b"tea\ncaf\xe9\n")
    (tmp_path / "c.txt").write_bytes(b"caf\xe9\n")
    found = input_files.first_non_utf8_line(os.fspath(tmp_path / "*"))
    assert found == (os.fspath(tmp_path / "b.txt"), 2)
