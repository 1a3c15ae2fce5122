"""Behaviours of the TF1 Hub format code that no other test pinned down: each test here fails
on a hand-made mutant (a dropped argument, a flipped condition) that the rest of the suite let
live (session 41; the first pass is test_mutants_tf1_probes38.py)."""

from __future__ import annotations

from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _run(fetches: Any, feed_dict: Any = None) -> Any:
    with tf1.Session() as session:
        session.run(tf1.global_variables_initializer())
        return session.run(fetches, feed_dict=feed_dict)


def _ragged_rows_of_three_fn() -> None:
    # Ragged rows of fixed-size vectors: ragged_rank 1, uniform inner dimension 3.
    values = tf1.placeholder(tf.float32, [None, 3])
    splits = tf1.placeholder(tf.int64, [None])
    x = tf.RaggedTensor.from_row_splits(values, splits, validate=False)
    hub.add_signature(inputs=x, outputs=tf.reduce_sum(x.flat_values, axis=1))


def test_nested_lists_fill_a_ragged_input_of_the_signatures_ragged_rank() -> None:
    # Without the signature's ragged_rank, tf.ragged.constant makes the vectors ragged too.
    spec = hub.create_module_spec(_ragged_rows_of_three_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        sums = module([[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
        assert _run(sums).tolist() == [6.0, 15.0, 24.0]


def _float_input_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x + 1.0)


def test_an_unconvertible_input_is_quoted_cut_to_200_characters() -> None:
    spec = hub.create_module_spec(_float_input_fn)
    words = ["word"] * 100  # repr: 800 characters.
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(errors.SignatureInputError) as caught:
            module(words)
    quoted = str(caught.value).split("Received: default=")[1]
    assert quoted == repr(words)[:197] + "..."


def test_a_module_of_unknown_tags_is_upstreams_value_error_listing_the_tag_sets() -> None:
    # As upstream's Module: a ValueError "No such graph variant", not the spec's KeyError.
    spec = hub.create_module_spec(_float_input_fn)
    with tf.Graph().as_default():
        with pytest.raises(
            errors.UnknownTagsError, match=r"No such graph variant: tags=\['x'\]"
        ) as caught:
            hub.Module(spec, tags={"x"})
        assert not isinstance(caught.value, KeyError)
        assert str(caught.value).endswith("Received: tags={'x'}")
        assert caught.value.available == [[]]
        assert not tf1.global_variables() and not tf1.get_default_graph().get_operations()


def _variable_fn() -> None:
    w = tf1.get_variable("w", initializer=2.0)
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x * w)


def test_export_outside_the_modules_graph_is_refused_even_with_its_session(
    tmp_path: Any,
) -> None:
    spec = hub.create_module_spec(_variable_fn)
    graph = tf.Graph()
    with graph.as_default():
        module = hub.Module(spec)
    session = tf1.Session(graph=graph)  # Not entered: the default graph is another one.
    with pytest.raises(errors.ModuleGraphError, match="default graph differs"):
        module.export(str(tmp_path / "module"), session)
    session.close()
    assert not (tmp_path / "module").exists()


def _partitioned_fn() -> None:
    w = tf1.get_variable(
        "w",
        shape=[4, 2],
        partitioner=tf1.fixed_size_partitioner(2),
        initializer=tf1.ones_initializer(),
    )
    x = tf1.placeholder(tf.float32, [None, 4])
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))


def test_the_variables_of_a_module_list_each_partition_of_a_partitioned_variable() -> None:
    spec = hub.create_module_spec(_partitioned_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec, trainable=True)
        assert [v.op.name for v in module.variables] == ["module/w/part_0", "module/w/part_1"]
        assert [v.op.name for v in module.trainable_variables] == [
            "module/w/part_0",
            "module/w/part_1",
        ]


def test_a_url_handle_that_is_no_module_is_named_with_its_folder(tmp_path: Any) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    handle = "file://" + str(folder)
    with pytest.raises(errors.NotATF1ModuleError) as caught:
        hub.load_module_spec(handle)
    assert str(caught.value).startswith(f"{handle!r} (at ")


def test_the_second_module_of_one_name_applies_under_its_own_unique_name() -> None:
    spec = hub.create_module_spec(_variable_fn)
    with tf.Graph().as_default():
        first, second = hub.Module(spec), hub.Module(spec)
        x = tf.constant([1.0])
        assert first(x).name.startswith("module_apply_default/")
        assert second(x).name.startswith("module_1_apply_default/")
        assert [v.op.name for v in second.variables] == ["module_1/w"]


class _ClosedSessionWrapper:
    """A session class of its own (no `_closed` flag) that says it is closed when run."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Attempted to use a closed Session.")


def test_export_with_a_closed_session_of_another_class_says_it_is_closed(tmp_path: Any) -> None:
    spec = hub.create_module_spec(_variable_fn)
    with tf.Graph().as_default() as graph:
        module = hub.Module(spec)
        with pytest.raises(errors.ModuleGraphError, match="this one is closed"):
            module.export(str(tmp_path / "module"), _ClosedSessionWrapper(graph))
    assert not (tmp_path / "module").exists()


def _exported_module(tmp_path: Any) -> Any:
    path = tmp_path / "module"
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_float_input_fn))
        with tf1.Session() as session:
            module.export(str(path), session)
    return path


def test_a_module_def_of_another_format_is_refused_naming_it(tmp_path: Any) -> None:
    from tfhub.protos import ModuleDef

    path = _exported_module(tmp_path)
    (path / "tfhub_module.pb").write_bytes(ModuleDef(format=4).SerializeToString())
    with pytest.raises(errors.TFHubLoadError, match="Unsupported module def format.*format=4"):
        hub.load_module_spec(str(path))


def test_a_module_def_requiring_an_unknown_feature_is_refused_naming_it(tmp_path: Any) -> None:
    from tfhub.protos import FORMAT_V3, ModuleDef

    path = _exported_module(tmp_path)
    module_def = ModuleDef(format=FORMAT_V3, required_features=["teleport"])
    (path / "tfhub_module.pb").write_bytes(module_def.SerializeToString())
    with pytest.raises(errors.TFHubLoadError, match=r"Unsupported features: \['teleport'\]"):
        hub.load_module_spec(str(path))


def _state_colocated_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    with tf1.colocate_with(x.op):
        w = tf1.get_variable("w", initializer=2.0)
    hub.add_signature(inputs=x, outputs=x * w)


def test_a_colocation_error_names_the_tags_only_of_a_module_with_tags_and_args() -> None:
    # As upstream: "in the graph for tags ..." only when the caller gave tags_and_args.
    with pytest.raises(errors.ModuleSpecError, match=r"Details: node 'w'"):
        hub.create_module_spec(_state_colocated_fn)
    with pytest.raises(errors.ModuleSpecError, match=r"Details: in the graph for tags \{'t'\}, "):
        hub.create_module_spec(_state_colocated_fn, [({"t"}, {})])


@pytest.mark.parametrize("export_name", [".", ".."])
def test_an_export_name_of_dot_or_dot_dot_is_refused(export_name: str) -> None:
    spec = hub.create_module_spec(_float_input_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(errors.ExportError, match="export_name"):
            hub.register_module_for_export(module, export_name)


def test_the_eval_function_refuses_a_value_of_another_shape_than_the_signatures() -> None:
    # Its placeholders have the signature's shapes: session.run refuses a matrix for [None].
    spec = hub.create_module_spec(_float_input_fn)
    with hub.eval_function_for_module(spec) as f:
        assert f([1.0, 2.0]).tolist() == [2.0, 3.0]
        with pytest.raises(ValueError, match="shape"):
            f([[1.0, 2.0]])


def test_the_eval_function_feeds_nested_lists_at_the_signatures_ragged_rank() -> None:
    spec = hub.create_module_spec(_ragged_rows_of_three_fn)
    with hub.eval_function_for_module(spec) as f:
        sums = f([[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
    assert sums.tolist() == [6.0, 15.0, 24.0]
