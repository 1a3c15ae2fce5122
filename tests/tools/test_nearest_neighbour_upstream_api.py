"""make_nearest_neighbour_index's Python API as tensorflow_hub 0.10's tests used it: each step's
`run(FLAGS)` with absl's flags, `similarity_finder.load(FLAGS)`, and upstream's helpers
`generate_embeddings`, `to_tf_example`, `generate_random_projection_weights`."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import files, index_builder, similarity_finder

pytestmark = pytest.mark.tf

generator = pytest.importorskip(
    "tfhub.tools.make_nearest_neighbour_index.embedding_generator",
    reason="apache-beam is not installed (pip install 'tfhub[tools]')",
)


def _upstream_flags(**values: object):
    """absl flags as upstream's tests defined them (a FlagValues of their own), parsed, set."""
    from absl import flags

    flag_values = flags.FlagValues()
    for name in ("data_file_pattern", "module_url", "embed_output_dir", "index_output_dir"):
        flags.DEFINE_string(name, None, "", flag_values=flag_values)
    flags.DEFINE_integer("projected_dim", None, "", flag_values=flag_values)
    flags.DEFINE_integer("num_trees", 10, "", flag_values=flag_values)
    flag_values(["test"])
    for name, value in values.items():
        setattr(flag_values, name, value)
    return flag_values


@pytest.mark.parametrize("projected_dim", [None, 4])
def test_each_step_runs_on_upstreams_flags(text_module, tmp_path, projected_dim):
    items = nn.lines(30)
    flags = _upstream_flags(
        data_file_pattern=nn.write_lines(tmp_path / "titles.txt", items),
        module_url=text_module,
        embed_output_dir=str(tmp_path / "embeds"),
        index_output_dir=str(tmp_path / "index"),
        projected_dim=projected_dim,
    )
    assert generator.run(flags) == (projected_dim or nn.DIM)
    written = sorted(os.listdir(flags.embed_output_dir))
    assert written[0] == "emb-00000-of-00001.tfrecords"  # Upstream's test's file name.
    assert (files.RANDOM_PROJECTION_NPY in written) == (projected_dim is not None)
    got_items, got_vectors = nn.read_records(flags.embed_output_dir)
    assert sorted(got_items) == sorted(items)
    assert got_vectors.shape == (len(items), projected_dim or nn.DIM)

    info = index_builder.run(flags)
    assert info["items"] == len(items) and os.path.isfile(tmp_path / "index" / "ann.index")
    finder = similarity_finder.load(flags)
    assert finder.find_similar_items(items[3], num_matches=1) == [items[3]]


def test_build_and_load_upstreams_files_on_its_flags(tmp_path):
    """Upstream's index_builder test: its embeddings folder, num_trees 10; the pickled matrix
    is read only when the flags allow it."""
    flags = _upstream_flags(
        embed_output_dir=str(nn.copy_upstream_embeds(tmp_path / "embeds")),
        index_output_dir=str(tmp_path / "index"),
        module_url=nn.save_text_embedding(str(tmp_path / "text128"), dim=128),
    )
    index_builder.run(flags)
    written = set(os.listdir(flags.index_output_dir))
    assert {"ann.index", files.MAPPING_JSON, files.RANDOM_PROJECTION_FILENAME} <= written
    with pytest.raises(errors.UnsafeFileError, match="allow_pickle"):
        similarity_finder.load(flags)
    assert similarity_finder.load(flags, allow_pickle=True).matrix.shape == (128, 64)


def test_missing_flags_are_named(tmp_path):
    flags = _upstream_flags(module_url="unused", embed_output_dir=str(tmp_path / "embeds"))
    with pytest.raises(errors.ToolFlagError, match="provide --data_file_pattern") as caught:
        generator.run(flags)
    assert isinstance(caught.value, ValueError) and caught.value.flag == "data_file_pattern"
    with pytest.raises(errors.ToolFlagError, match="provide --index_output_dir for `build`"):
        index_builder.run(flags)
    with pytest.raises(errors.ToolFlagError, match="provide --index_output_dir for `query`"):
        similarity_finder.load(flags)
    with pytest.raises(errors.ArgumentError, match="index folder"):
        similarity_finder.load("https://hub.example/m/1")
    assert not os.path.exists(tmp_path / "embeds")


def test_upstreams_helpers(text_module, tmp_path):
    import tensorflow as tf

    sentences = ["the cat sat", "hello world", ""]
    items, vectors = generator.generate_embeddings(sentences, text_module)
    assert items is sentences and vectors.dtype == np.float32
    np.testing.assert_allclose(
        vectors, nn.text_embedding_expected(sentences, dim=nn.DIM), rtol=1e-6, atol=1e-6
    )

    matrix = generator.generate_random_projection_weights(nn.DIM, 3, str(tmp_path))
    assert matrix is not None and matrix.shape == (nn.DIM, 3)
    np.testing.assert_array_equal(np.load(tmp_path / files.RANDOM_PROJECTION_NPY), matrix)
    assert not os.path.exists(tmp_path / files.RANDOM_PROJECTION_FILENAME)  # No pickle unasked.
    assert generator.generate_random_projection_weights(nn.DIM, None, str(tmp_path / "x")) is None
    assert generator.generate_random_projection_weights(nn.DIM, nn.DIM, str(tmp_path / "x")) is None
    with pytest.raises(errors.ProjectedDimError):
        generator.generate_random_projection_weights(nn.DIM, nn.DIM + 1, str(tmp_path / "x"))
    assert not os.path.exists(tmp_path / "x")

    _, projected = generator.generate_embeddings(sentences, text_module, matrix)
    np.testing.assert_allclose(projected, vectors @ matrix, rtol=1e-5, atol=1e-5)
    examples = generator.to_tf_example((sentences, projected))
    parsed = [tf.train.Example.FromString(example) for example in examples]
    assert [p.features.feature["item"].bytes_list.value[0].decode() for p in parsed] == sentences
    np.testing.assert_allclose(
        [list(p.features.feature["embedding"].float_list.value) for p in parsed], projected
    )


def test_upstreams_program_module_runs_on_its_flags(text_module, tmp_path, capsys):
    """Code written for tensorflow_hub 0.10's program sets its `FLAGS` and calls
    `main(["prog", operation])`; `validate_args` checks them first, as upstream's did."""
    from tfhub.tools.make_nearest_neighbour_index import make_nearest_neighbour_index as hub2ann

    defaults = {name: hub2ann.FLAGS[name].value for name in hub2ann.FLAGS}
    assert {name: defaults[name] for name in ("num_trees", "projected_dim", "allow_pickle")} == {
        "num_trees": None,  # 100 for annoy, as upstream, set by the builder.
        "projected_dim": None,
        "allow_pickle": False,
    }
    items = nn.lines(30)
    try:
        with pytest.raises(errors.ToolFlagError, match="^You need to specify one of four"):
            hub2ann.validate_args(["prog"])
        with pytest.raises(ValueError, match="provide --data_file_pattern for `e2e`"):
            hub2ann.validate_args(["prog", "e2e"])
        hub2ann.FLAGS.data_file_pattern = nn.write_lines(tmp_path / "titles.txt", items)
        hub2ann.FLAGS.module_url = text_module
        hub2ann.FLAGS.embed_output_dir = str(tmp_path / "embeds")
        hub2ann.FLAGS.index_output_dir = str(tmp_path / "index")
        assert hub2ann.validate_args(["prog", "e2e"]) == "e2e"
        hub2ann.main(["prog", "e2e"])
        assert os.path.isfile(tmp_path / "index" / "ann.index")
        hub2ann.FLAGS.query = [items[7]]
        hub2ann.FLAGS.num_matches = 1
        capsys.readouterr()
        hub2ann.main(["prog", "query"])
        assert capsys.readouterr().out.splitlines()[-1].endswith("\t" + items[7])
    finally:
        for name, value in defaults.items():
            hub2ann.FLAGS[name].value = value


def test_upstreams_five_argument_constructor(tmp_path):
    """Upstream's SimilarityFinder(module_url, index_file_path, mapping_file_path, dimensions,
    random_projection_matrix_file): on a folder as upstream's tool writes it, on the same files
    kept apart under other names, and by keyword; it finds what the folder's finder finds."""
    index_dir = tmp_path / "index"
    config = index_builder.BuildConfig(
        str(nn.copy_upstream_embeds(tmp_path / "embeds")),
        str(index_dir),
        num_trees=10,
        upstream_format=True,
    )
    index_builder.run(config)
    for name in (files.INDEX_INFO_JSON, files.MAPPING_JSON, files.RANDOM_PROJECTION_NPY):
        if os.path.exists(index_dir / name):
            os.remove(index_dir / name)  # Now it is a folder as upstream's tool writes it.
    module = nn.save_text_embedding(str(tmp_path / "text128"), dim=128)
    names = (files.INDEX_FILENAME, files.MAPPING_FILENAME, files.RANDOM_PROJECTION_FILENAME)
    index_file, mapping_file, matrix_file = (str(index_dir / name) for name in names)
    query = "the cat sat on the mat"
    expected = similarity_finder.SimilarityFinder(module, str(index_dir), allow_pickle=True)
    expected_matches = expected.find_matches(query, 10)
    assert len(expected_matches) == 10

    with pytest.raises(errors.UnsafeFileError, match="allow_pickle"):
        similarity_finder.SimilarityFinder(module, index_file, mapping_file, 64, matrix_file)
    finder = similarity_finder.SimilarityFinder(
        module, index_file, mapping_file, 64, matrix_file, allow_pickle=True
    )
    assert finder.find_matches(query, 10) == expected_matches
    assert finder.find_similar_items(query, 3) == expected.find_similar_items(query, 3)

    apart = [tmp_path / "a" / "my.ann", tmp_path / "b" / "items.pkl", tmp_path / "c" / "m.pkl"]
    for source, target in zip((index_file, mapping_file, matrix_file), apart, strict=True):
        target.parent.mkdir()
        os.replace(source, target)
    finder = similarity_finder.SimilarityFinder(
        module_url=module,
        index_file_path=str(apart[0]),
        mapping_file_path=str(apart[1]),
        dimensions=None,  # Not used, as upstream: the module and the matrix say it.
        random_projection_matrix_file=str(apart[2]),
        allow_pickle=True,
    )
    assert finder.find_matches(query, 10) == expected_matches

    with pytest.raises(errors.IndexDimensionError) as caught:  # No matrix: 128 != 64.
        similarity_finder.SimilarityFinder(
            module, str(apart[0]), str(apart[1]), 128, str(tmp_path / "none"), allow_pickle=True
        )
    assert (caught.value.index_dir, caught.value.query_dim) == (str(apart[0]), 128)
    assert str(caught.value).endswith(f"Received: index_file_path={str(apart[0])!r}")
    with pytest.raises(errors.IndexFilesError, match="build the index first") as caught:
        similarity_finder.SimilarityFinder(
            module, str(apart[0]), str(tmp_path / "none"), 64, str(apart[2]), allow_pickle=True
        )
    assert caught.value.problem == "no mapping"
    with pytest.raises(errors.IndexFilesError, match="index file .* does not exist"):
        similarity_finder.SimilarityFinder(  # Before the module: this one does not exist.
            str(tmp_path / "no-module"), str(tmp_path / "none"), str(apart[1]), 64, None
        )
    for wrong in ((), (None, None, 64, str(apart[2])), (str(apart[0]), None, 64, str(apart[2]))):
        with pytest.raises(errors.ArgumentError, match="SimilarityFinder takes"):
            similarity_finder.SimilarityFinder(module, *wrong)
    with pytest.raises(errors.IndexFilesError, match="is a file, not a folder"):
        similarity_finder.SimilarityFinder(module, str(apart[0]))  # A folder's form.
