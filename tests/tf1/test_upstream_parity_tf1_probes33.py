"""Upstream tensorflow_hub 0.10.0 native_module_test.py cases that no other tfhub test covers,
checked through `import tfhub as hub` in tf.compat.v1 graphs (TF 2.21: control flow v2)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _partitioned_module_fn(partitions: int, shape: list[int]) -> Any:
    def module_fn() -> None:
        part = tf1.get_variable(
            "partitioned_variable",
            initializer=tf.ones(shape),
            partitioner=tf1.fixed_size_partitioner(partitions),
        )
        normal = tf1.get_variable("normal_variable", initializer=tf.ones(shape))
        hub.add_signature(outputs=part + normal)

    return module_fn


def _stateless_module_fn() -> None:
    x = tf1.placeholder(tf.int64)
    hub.add_signature(inputs=x, outputs=x * x)


def _double_module_fn() -> None:
    w = tf.Variable(2.0)
    x = tf1.placeholder(tf.float32)
    hub.add_signature(inputs=x, outputs=x * w)


def _stateful_module_fn(use_resource: bool) -> Any:
    def module_fn() -> None:
        v = tf1.get_variable(
            "var123",
            shape=[],
            initializer=tf1.constant_initializer(10.0),
            use_resource=use_resource,
        )
        hub.add_signature(outputs=v.value())

    return module_fn


def _another_stateful_module_fn() -> None:
    module_input = tf1.placeholder(tf.float32)
    variable = tf.Variable([3.0], name="iamtheoneandonly")
    hub.add_signature(inputs=module_input, outputs=module_input * variable)


def _run(fetches: Any, feed_dict: Any = None) -> Any:
    with tf1.Session() as session:
        session.run(tf1.global_variables_initializer())
        session.run(tf1.tables_initializer())
        return session.run(fetches, feed_dict=feed_dict)


def _index_to_string(indices: Any, vocabulary_file: str) -> Any:
    init = tf.lookup.TextFileInitializer(
        vocabulary_file,
        tf.int64,
        tf.lookup.TextFileIndex.LINE_NUMBER,
        tf.string,
        tf.lookup.TextFileIndex.WHOLE_LINE,
    )
    return tf.lookup.StaticHashTable(init, "UNKNOWN").lookup(indices)


def test_partitioned_variables_are_named_ordered_and_initialized() -> None:
    """testModuleWithVariablesAndNoCheckpoint, testPartitionedVariables,
    testLargePartitionedVariables."""

    def module_with_variables() -> None:
        tf1.get_variable("weights", shape=[3], initializer=tf1.zeros_initializer())
        tf1.get_variable(
            "partition",
            shape=[4],
            initializer=tf1.zeros_initializer(),
            partitioner=tf1.fixed_size_partitioner(3),
        )
        hub.add_signature(outputs=tf.constant(1.0))

    with tf.Graph().as_default():
        hub.Module(hub.create_module_spec(module_with_variables), name="module")
        names = [v.op.name for v in tf1.global_variables()]
        assert names == [
            "module/weights",
            "module/partition/part_0",
            "module/partition/part_1",
            "module/partition/part_2",
        ]
        values = _run(tf1.global_variables())
    assert [v.tolist() for v in values] == [[0.0] * 3, [0.0] * 2, [0.0], [0.0]]

    with tf.Graph().as_default():
        m = hub.Module(hub.create_module_spec(_partitioned_module_fn(3, [7, 3])), name="test")
        out = m()
        assert len(m.variable_map) == 2
        assert m.variable_map["normal_variable"].name == "test/normal_variable:0"
        assert [v.name for v in m.variable_map["partitioned_variable"]] == [
            f"test/partitioned_variable/part_{i}:0" for i in range(3)
        ]
        assert [v.name for v in m.variables] == ["test/normal_variable:0"] + [
            f"test/partitioned_variable/part_{i}:0" for i in range(3)
        ]
        np.testing.assert_allclose(_run(out), 2 * np.ones([7, 3]))

    with tf.Graph().as_default():
        m = hub.Module(hub.create_module_spec(_partitioned_module_fn(25, [600, 3])), name="test")
        out = m()
        assert len(m.variable_map["partitioned_variable"]) == 25 and len(m.variables) == 26
        np.testing.assert_allclose(_run(out), 2 * np.ones([600, 3]))


def test_inputs_convert_unused_inputs_are_fed_and_no_input_is_missing() -> None:
    """testLoadModuleFromFuncDef, testUnusedInputModule, testConvertToTensor, testArgErrors."""

    def unused_input_module_fn() -> None:
        x = tf1.placeholder(tf.int64)
        y = tf1.placeholder(tf.int64)
        hub.add_signature(inputs={"x": x, "unused": y}, outputs=x * x)

    spec = hub.create_module_spec(_stateless_module_fn)
    with tf.Graph().as_default():
        v = tf1.placeholder(tf.int64)
        m = hub.Module(spec)
        fed = m(v)
        converted = m([10, 2])
        with pytest.raises(TypeError):
            m("hello")
        with pytest.raises(TypeError, match="missing"):
            m()
        unused = hub.Module(hub.create_module_spec(unused_input_module_fn))
        v1, v2 = tf1.placeholder(tf.int64), tf1.placeholder(tf.int64)
        out = unused({"x": v1, "unused": v2})
        values = _run([fed, converted, out], {v: 10, v1: 10, v2: 4})
    assert values[0] == 100 and values[1].tolist() == [100, 4] and values[2] == 100


def test_module_inside_while_loop_and_map_fn_with_gradients() -> None:
    """testUseWithinWhileLoop, testUseWithinMap (run_v1_only upstream; here control flow v2)."""
    spec = hub.create_module_spec(_double_module_fn)
    with tf.Graph().as_default():
        m = hub.Module(spec)
        p = tf1.placeholder(tf.int32)
        x = tf.constant(10.0)
        oi, ox = tf.while_loop(lambda i, x: tf.less(i, p), lambda i, x: (i + 1, m(x)), [0, x])
        w = m.variables[0]
        dodv = tf.gradients(ox, w)[0]  # p * w**(p-1) * x
        dodx = tf.gradients(ox, x)[0]  # w**p
        mapped = tf.map_fn(m, tf.constant([1.0, 11.0, 101.0]))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for power, value, grads in ((1, 20, [10, 2]), (2, 40, [40, 4]), (4, 160, [320, 16])):
                assert session.run([oi, ox], {p: power}) == [power, value]
                np.testing.assert_allclose(session.run([dodv, dodx], {p: power}), grads)
            np.testing.assert_allclose(session.run(mapped), [2.0, 22.0, 202.0])


def test_control_dependencies_reach_the_application_but_not_the_state() -> None:
    """testClearControlDependenciesForModuleStateButNotApplyGraphs."""
    spec = hub.create_module_spec(_stateless_module_fn)

    def graph_def(control_on_create: bool, control_on_call: bool) -> Any:
        with tf.Graph().as_default() as graph:
            v = tf1.placeholder(tf.int64, name="v")
            with tf.control_dependencies([v]):
                pass  # TF 2.x marks `v` on entering the block; every variant has that mark.
            with tf.control_dependencies([v] if control_on_create else []):
                m = hub.Module(spec)
            with tf.control_dependencies([v] if control_on_call else []):
                m(v)
        return graph.as_graph_def()

    plain = graph_def(False, False)
    assert graph_def(True, False) == plain
    assert graph_def(False, True) != plain


def test_sparse_output_fed_back_as_sparse_input() -> None:
    """testSparseTensors."""

    def sparse_square_module_fn() -> None:
        x = tf1.sparse_placeholder(tf.int64, name="x")
        hub.add_signature(
            inputs=x, outputs=tf.SparseTensor(x.indices, x.values * x.values, x.dense_shape)
        )

    with tf.Graph().as_default():
        square = hub.Module(hub.create_module_spec(sparse_square_module_fn))
        v = tf1.sparse_placeholder(tf.int64, name="v")
        y = square(v)
        indices, values, shape = [[0, 0], [0, 1], [1, 1]], [10, 2, 1], [2, 2]
        with tf1.Session() as session:
            v2 = session.run(y, {v: tf1.SparseTensorValue(indices, values, shape)})
            v4 = session.run(y, {v: v2})
    assert v4.indices.tolist() == indices and v4.dense_shape.tolist() == shape
    assert v4.values.tolist() == [t**4 for t in values]


def test_ragged_inputs_of_several_ranks_in_a_graph() -> None:
    """TFHubRaggedTensorModuleTest.testSquare, testCombine (ragged values built with
    validate=False: TF's ragged.placeholder validates, which upstream skips on TF 2.3)."""

    def ragged_placeholder(name: str, ragged_rank: int, value_shape: list[int]) -> Any:
        values = tf1.placeholder(tf.int64, [None, *value_shape], name=f"{name}_values")
        splits = [
            tf1.placeholder(tf.int64, [None], name=f"{name}_splits_{i}") for i in range(ragged_rank)
        ]
        return tf.RaggedTensor.from_nested_row_splits(values, splits, validate=False)

    def combine(x: Any, y: Any, z: Any) -> Any:
        return x + tf.reduce_sum(y) * z

    def square_fn() -> None:
        x = ragged_placeholder("x", 1, [])
        hub.add_signature(inputs=x, outputs=x.with_values(x.values * x.values))

    def combine_fn() -> None:
        x, y = ragged_placeholder("x", 1, []), ragged_placeholder("y", 3, [2])
        z = tf1.placeholder(tf.int64, [], name="z")
        hub.add_signature(inputs={"x": x, "y": y, "z": z}, outputs=combine(x, y, z))

    a_value = tf1.ragged.constant_value([[10, 20], [30, 40, 50]])
    b_value = tf1.ragged.constant_value(
        [[[[[1, 2], [3, 4]], []], [[[5, 6]]]], [[[[7, 8], [9, 10], [11, 12]]], [[[13, 14]]]]],
        ragged_rank=3,
    )
    with tf.Graph().as_default():
        square = hub.Module(hub.create_module_spec(square_fn))
        combined = hub.Module(hub.create_module_spec(combine_fn))
        a = tf.RaggedTensor.from_row_splits(
            tf.constant(a_value.flat_values), tf.constant(a_value.row_splits), validate=False
        )
        b = tf.RaggedTensor.from_nested_row_splits(
            tf.constant(b_value.flat_values),
            [tf.constant(s) for s in b_value.nested_row_splits],
            validate=False,
        )
        c = tf.constant(100, tf.int64)
        twice = square(square(a))
        with tf1.Session() as session:
            got_twice, got, expected = session.run(
                [twice, combined({"x": a, "y": b, "z": c}), combine(a, b, c)]
            )
    assert got_twice.row_splits.tolist() == a_value.row_splits.tolist()
    assert got_twice.values.tolist() == [t**4 for t in a_value.values]
    assert got.to_list() == expected.to_list()


@pytest.mark.parametrize("where", ["input", "output"])
def test_indexed_slices_in_a_signature_is_refused(where: str) -> None:
    """AddSignatureWithUnsupportedTypesTest.testUnsupportedInputInSignature,
    testUnsupportedOutputInSignature."""

    def module_fn() -> None:
        x = tf1.placeholder(tf.int64, None)
        y = tf1.placeholder(tf.int64, None)
        slices = tf.IndexedSlices(x, y)
        if where == "input":
            hub.add_signature(inputs={"x": slices}, outputs=slices.values)
        else:
            hub.add_signature(inputs={"x": x, "y": y}, outputs=slices)

    with pytest.raises(ValueError, match="should have one of the types"):
        hub.create_module_spec(module_fn)


def _saved_variable_names(tmp_path: Path) -> set[str]:
    saver = tf1.train.Saver()
    with tf1.Session() as session:
        session.run(tf1.global_variables_initializer())
        path = str(tmp_path / "ckpt" / "variables")
        saver.save(session, path, write_meta_graph=False, write_state=False)
    return {name for name, _ in tf1.train.list_variables(path)}


@pytest.mark.parametrize("use_resource", [True, False])
def test_state_names_shared_names_colocation_and_checkpoint_keys(
    tmp_path: Path, use_resource: bool
) -> None:
    """testVariables, testResourceVariables, testNonResourceVariables."""
    spec = hub.create_module_spec(_stateful_module_fn(use_resource))
    export = str(tmp_path / "exported")
    with tf.Graph().as_default() as graph:
        m = hub.Module(spec, name="test")
        out = m()
        assert list(m.variable_map) == ["var123"]
        assert m.variable_map["var123"].name == "test/var123:0"
        assert [v.name for v in m.variables] == ["test/var123:0"]
        if use_resource:
            handle = graph.get_operation_by_name("test/var123")
            assert handle.get_attr("shared_name") == b"test/var123"
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            assert session.run(out) == 10.0
            m.export(export, session)
    with tf.Graph().as_default() as graph:
        out = hub.Module(export)()
        # The read op is colocated with the state variable, never with a copy in the apply scope.
        groups = out.op.colocation_groups()
        if groups != [tf.compat.as_bytes("loc:@" + out.op.name)] or not use_resource:
            assert groups == [b"loc:@module/var123"]
        if use_resource:
            handle = graph.get_operation_by_name("module/var123")
            assert handle.get_attr("shared_name") == b"module/var123"
        assert _run(out) == 10.0
        assert _saved_variable_names(tmp_path) == {"module/var123"}


def test_reference_variable_in_cond_and_colocation_propagates() -> None:
    """testNonResourceVariableInCond (values; colocation inside v1 contexts is run_v1_only),
    testVariableColocationPropagation."""

    def colocated_fn() -> None:
        v = tf1.get_variable(
            "var123", shape=[], initializer=tf1.constant_initializer(1.0), use_resource=False
        )
        v_value = v.value()
        x = tf1.placeholder(tf.float32, name="x")
        with tf1.colocate_with(v), tf1.colocate_with(x):
            y = tf.add(v_value, x, name="y")
        hub.add_signature(inputs=x, outputs=y)

    with tf.Graph().as_default():
        m = hub.Module(hub.create_module_spec(_stateful_module_fn(False)))
        pred = tf1.placeholder(tf.bool)
        out = tf.cond(pred, m, lambda: tf.constant(9.0))
        colocated = hub.Module(hub.create_module_spec(colocated_fn), name="colocated")
        u1 = tf.constant(1, name="u1")
        u2 = tf.constant(2, name="u2")
        with tf1.colocate_with(u1), tf1.colocate_with(u2):
            x = tf.constant(100.0, name="x")
        y = colocated(x)
        assert sorted(y.op.colocation_groups()) == [
            b"loc:@colocated/var123",
            b"loc:@u1",
            b"loc:@u2",
        ]
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            assert session.run(out, {pred: True}) == 10.0
            assert session.run(out, {pred: False}) == 9.0
            assert session.run(y) == 101.0


def test_trainable_module_trains_and_update_ops_follow_trainable() -> None:
    """testLoadTrainableModuleFromFuncDef, TFHubUpdateOpsTest.testUpdateOps."""

    def vector_fn() -> None:
        v = tf1.get_variable(
            "var123", shape=[3], initializer=tf1.constant_initializer([1.0, 2.0, 3.0])
        )
        hub.add_signature(outputs=v.value())

    def update_ops_fn() -> None:
        counter = tf.Variable(0, trainable=False)
        tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, counter.assign_add(1))
        hub.add_signature(inputs=None, outputs=counter.value())

    with tf.Graph().as_default():
        x = hub.Module(hub.create_module_spec(vector_fn), trainable=True)()
        step = tf.Variable(0, trainable=False, name="global_step")
        train = tf1.train.GradientDescentOptimizer(0.40).minimize(
            tf1.losses.mean_squared_error(x, [3.1, 3.2, 3.3]), global_step=step
        )
        update_spec = hub.create_module_spec(update_ops_fn)
        trainable = hub.Module(update_spec, trainable=True)
        fixed = hub.Module(update_spec, trainable=False)
        trainable()
        fixed()
        with tf.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
            train = tf.group(train)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            session.run(train)
            assert session.run(list(trainable.variable_map.values())) == [1]
            assert session.run(list(fixed.variable_map.values())) == [0]
            for _ in range(49):
                session.run(train)
            np.testing.assert_allclose(session.run(x), [3.1, 3.2, 3.3], rtol=1e-5)


def _vocab(tmp_path: Path, name: str, words: list[str]) -> str:
    path = tmp_path / name
    path.write_text("".join(word + os.linesep for word in words))
    return str(path)


def test_asset_filepaths_collection_and_a_consumer_module_of_a_module_with_assets(
    tmp_path: Path,
) -> None:
    """TFHubAssetsTest.testAssets (ASSET_FILEPATHS restored), testDuplicateAssetCopy,
    testExportedConsumerModelWorksIfItUsesHubModuleWithAssets."""
    vocabulary_file = _vocab(tmp_path, "tokens.txt", ["emerson", "lake", "palmer"])

    def assets_module_fn() -> None:
        indices = tf1.placeholder(tf.int64, name="indices")
        hub.add_signature(inputs=indices, outputs=_index_to_string(indices, vocabulary_file))

    def duplicate_asset_fn() -> None:
        i1 = tf1.placeholder(tf.int64, name="indices1")
        i2 = tf1.placeholder(tf.int64, name="indices2")
        hub.add_signature(
            inputs={"indices_1": i1, "indices_2": i2},
            outputs={
                "x": _index_to_string(i1, vocabulary_file),
                "y": _index_to_string(i2, vocabulary_file),
            },
        )

    small = str(tmp_path / "small-module")
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(assets_module_fn))
        duplicate = hub.Module(hub.create_module_spec(duplicate_asset_fn))
        both = duplicate({"indices_1": [1, 2], "indices_2": [2, 0]}, as_dict=True)
        with tf1.Session() as session:
            session.run(tf1.tables_initializer())
            got = session.run(both)
            assert {key: list(value) for key, value in got.items()} == {
                "x": [b"lake", b"palmer"],
                "y": [b"palmer", b"emerson"],
            }
            module.export(small, session)
            duplicate.export(str(tmp_path / "duplicate"), session)
    assert os.listdir(tmp_path / "duplicate" / "assets") == ["tokens.txt"]
    os.remove(vocabulary_file)
    inner = str(tmp_path / "inner-module")
    shutil.move(small, inner)

    with tf.Graph().as_default():
        output = hub.Module(inner)(tf.constant([1, 2], tf.int64))
        with tf1.Session() as session:
            session.run(tf1.tables_initializer())
            assert list(session.run(output)) == [b"lake", b"palmer"]
            paths = [session.run(t) for t in tf1.get_collection(tf1.GraphKeys.ASSET_FILEPATHS)]
        # One for the state graph, one for the application.
        assert paths == [os.path.join(inner, "assets", "tokens.txt").encode()] * 2

    def consumer_module_fn() -> None:
        indices = tf1.placeholder(tf.int64, name="indices")
        hub.add_signature(inputs=indices, outputs=tf.identity(hub.Module(inner)(indices)))

    consumer = str(tmp_path / "consumer-module")
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(consumer_module_fn))
        with tf1.Session() as session:
            module.export(consumer, session)
    shutil.rmtree(inner)
    serving = str(tmp_path / "serving-module")
    shutil.move(consumer, serving)
    with tf.Graph().as_default():
        output = hub.Module(serving)(tf.constant([1, 2], tf.int64))
        with tf1.Session() as session:
            session.run(tf1.tables_initializer())
            assert list(session.run(output)) == [b"lake", b"palmer"]


def test_stateful_module_applied_many_times_and_in_other_scopes(tmp_path: Path) -> None:
    """TFHubApplyStatefulModuleMultipleTimesTest (both tests)."""
    spec = hub.create_module_spec(_another_stateful_module_fn)
    with tf.Graph().as_default():
        m = hub.Module(spec, trainable=True, name="moduleA")
        with tf.name_scope("foo"), tf1.variable_scope("bar"):
            times2 = m(tf.constant([2.0]))
        with tf.name_scope("baz"):
            times3 = m(tf.constant([3.0]))
        assert len(m.variable_map) == 1
        assert m.variable_map["iamtheoneandonly"].name == "moduleA/iamtheoneandonly:0"
        step = tf.Variable(0, trainable=False, name="global_step")
        train = tf1.train.GradientDescentOptimizer(0.05).minimize(
            tf1.losses.mean_squared_error(times2, [4.0]), global_step=step
        )
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            np.testing.assert_allclose(session.run([times2, times3]), [[6.0], [9.0]])
            for _ in range(50):
                session.run(train)
            np.testing.assert_allclose(session.run([times2, times3]), [[4.0], [6.0]], rtol=1e-4)
            m.export(str(tmp_path / "module"), session)
    with tf.Graph().as_default():
        m = hub.Module(str(tmp_path / "module"), name="moduleB")
        values = _run([m(tf.constant([4.0])), m(tf.constant([5.0]))])
    np.testing.assert_allclose(values, [[8.0], [10.0]], rtol=1e-4)


def test_gradients_flow_through_conditionals_and_loops_of_a_module() -> None:
    """TFHubModulesWithControlFlow (cond, nested cond, while, foldl; v1 and v2 flavours are one
    here: TF 2.21 graphs build control flow v2)."""

    def cond_fn() -> None:
        x = tf1.placeholder(tf.float32, name="x", shape=[])
        hub.add_signature(
            inputs=x, outputs=tf.cond(0 < x, lambda: tf.identity(x), lambda: tf.constant(0.0))
        )

    def nested_cond_fn() -> None:
        x = tf1.placeholder(tf.float32, name="x", shape=[])
        result = tf.cond(
            0 < x,
            lambda: tf.cond(3 < x, lambda: tf.identity(x), lambda: tf.multiply(x, 1.0)),
            lambda: tf.cond(x < -3, lambda: tf.constant(0.0), lambda: tf.multiply(0.0, 1.0)),
        )
        hub.add_signature(inputs=x, outputs=result)

    def while_fn() -> None:
        x = tf1.placeholder(tf.float32, name="x", shape=[])
        n = tf1.placeholder(tf.int32, name="n")
        _, pow_x = tf.while_loop(
            lambda i, ix: i < n, lambda i, ix: [tf.add(i, 1), ix * x], [0, tf.constant(1.0)]
        )
        hub.add_signature(inputs={"x": x, "n": n}, outputs=pow_x)

    def foldl_fn() -> None:
        elems = tf1.placeholder(tf.float32, name="elems", shape=[None])
        a = tf1.placeholder(tf.float32, name="a")
        summed = tf.foldl(
            lambda acc, x: acc + tf.cond(x > a, lambda: x, lambda: 0.0),
            elems,
            initializer=tf.constant(0.0),
        )
        hub.add_signature(inputs={"elems": elems, "a": a}, outputs=summed)

    for module_fn in (cond_fn, nested_cond_fn):
        with tf.Graph().as_default():
            x = tf1.placeholder(tf.float32)
            y = hub.Module(hub.create_module_spec(module_fn))(x)
            grad = tf.gradients([y], [x])
            with tf1.Session() as session:
                np.testing.assert_allclose(session.run(y, {x: 9.1}), 9.1)
                np.testing.assert_allclose(session.run(y, {x: -2.4}), 0.0)
                np.testing.assert_allclose(session.run(grad, {x: 2}), [1.0])
                np.testing.assert_allclose(session.run(grad, {x: -2}), [0.0])
    with tf.Graph().as_default():
        x, n = tf1.placeholder(tf.float32), tf1.placeholder(tf.int32)
        m = hub.Module(hub.create_module_spec(while_fn))
        y = m({"x": x, "n": n})
        grad = tf.gradients([y], [x])
        in_cond = tf.cond(
            tf.equal(0, 0), lambda: m({"x": tf.constant(3.0), "n": 2}), lambda: tf.constant(4.0)
        )
        elems, a = tf1.placeholder(tf.float32, [None]), tf1.placeholder(tf.float32)
        out = hub.Module(hub.create_module_spec(foldl_fn))({"elems": elems, "a": a})
        elems_grad = tf.gradients([out], [elems])
        with tf1.Session() as session:
            np.testing.assert_allclose(session.run(y, {x: 9.1, n: 1}), 9.1)
            np.testing.assert_allclose(session.run(y, {x: 2.4, n: 2}), 5.76)
            np.testing.assert_allclose(session.run(grad, {x: 2, n: 3}), [12.0])
            assert session.run(in_cond) == 9.0
            feed = {a: 1.1, elems: [10, 0, 0.5, 1.2]}
            np.testing.assert_allclose(session.run(out, feed), 11.2)
            np.testing.assert_allclose(session.run(elems_grad, feed), [[1.0, 0.0, 0.0, 1.0]])


def test_attached_messages_overwrite_per_variant_and_come_as_copies() -> None:
    """TFHubModuleWithAttachedMessages: testModuleSpec (overwritten key), testGraphVersions,
    testSeparateCopies, testModule."""

    def module_fn(tagged: int = 0) -> None:
        x = tf1.placeholder(tf.float32, shape=[None])
        hub.add_signature(inputs={"x": x}, outputs={"y": 2 * x})
        hub.attach_message("numbers", tf1.train.Int64List(value=[-3]))  # Overwritten.
        hub.attach_message("numbers", tf1.train.Int64List(value=[42, 69]))
        hub.attach_message("letters", tf1.train.BytesList(value=[b"abc", b"xyz"]))
        hub.attach_message("tagged", tf1.train.Int64List(value=[tagged]))

    tags_and_args = [(set(), {"tagged": 1}), ({"double", "the", "value"}, {"tagged": 2})]
    spec = hub.create_module_spec(module_fn, tags_and_args=tags_and_args)
    assert list(spec.get_attached_message("letters", tf1.train.BytesList).value) == [b"abc", b"xyz"]
    numbers = spec.get_attached_message("numbers", tf1.train.Int64List)
    assert list(numbers.value) == [42, 69]
    numbers.Clear()
    assert list(spec.get_attached_message("numbers", tf1.train.Int64List).value) == [42, 69]
    for tags, args in tags_and_args:
        on_spec = spec.get_attached_message("tagged", tf1.train.Int64List, tags=tags)
        assert list(on_spec.value) == [args["tagged"]]
        with tf.Graph().as_default():
            module = hub.Module(spec, tags=tags)
            assert list(module.get_attached_message("tagged", tf1.train.Int64List).value) == [
                args["tagged"]
            ]
            assert list(module.get_attached_message("numbers", tf1.train.Int64List).value) == [
                42,
                69,
            ]


class _TaggedSpec(hub.ModuleSpec):
    """upstream module_test's spec of one's own: a `special` variant with more signatures."""

    def get_tags(self) -> Any:
        return [set(), {"special"}]

    def get_signature_names(self, tags: Any = None) -> Any:
        if tags == {"special"}:
            return iter(["default", "extra", "sparse", "ragged"])
        return iter(["default"])

    def get_input_info_dict(self, signature: Any = None, tags: Any = None) -> Any:
        from tfhub import tensor_info

        if signature == "ragged" and tags == {"special"}:
            spec = tf.RaggedTensorSpec([None, None, None, 3], tf.float32, ragged_rank=2)
            return {"x": tensor_info.ParsedTensorInfo.from_type_spec(spec)}
        sparse = signature == "sparse" and tags == {"special"}
        result = {"x": tensor_info.ParsedTensorInfo(tf.float32, [None], is_sparse=sparse)}
        if signature == "extra" and tags == {"special"}:
            result["y"] = result["x"]
        return result

    def get_output_info_dict(self, signature: Any = None, tags: Any = None) -> Any:
        from tfhub import tensor_info

        result = {"default": tensor_info.ParsedTensorInfo(tf.float32, [None], is_sparse=False)}
        if signature == "extra" and tags == {"special"}:
            result["z"] = result["default"]
        return result

    def _create_impl(self, name: str, trainable: bool, tags: Any) -> Any:
        return _DoublingImpl(name)

    def _get_attached_bytes(self, key: str, tags: Any) -> None:
        return None


class _DoublingImpl(hub.module_impl.ModuleImpl):
    def __init__(self, name: str) -> None:
        super().__init__()
        with tf1.variable_scope(name):
            pass

    def create_apply_graph(self, signature: str, input_tensors: Any, name: str) -> Any:
        with tf1.name_scope(name):
            if signature == "sparse":
                input_tensors = {k: tf1.sparse_tensor_to_dense(v) for k, v in input_tensors.items()}
            result = {"default": 2 * input_tensors["x"]}
            if signature == "extra":
                result["z"] = 2 * input_tensors["x"] + 3 * input_tensors["y"]
            return result

    def export(self, path: str, session: Any) -> None:
        raise NotImplementedError()

    @property
    def variable_map(self) -> Any:
        raise NotImplementedError()


def test_a_spec_of_ones_own_with_tags_through_module_and_eval_function() -> None:
    """module_test.py: ModuleTest (all), EvalFunctionForModuleTest (all active ones),
    TestConvertInputsOutputs.testSingleInput/testMultipleInputs through hub.Module."""
    spec = _TaggedSpec()
    with tf.Graph().as_default():
        with tf1.variable_scope("foo"):
            m = hub.Module(spec)
            results = [m([1, 2]), m({"x": [1, 2]})]
        as_dict = m([1, 2], as_dict=True)
        assert isinstance(as_dict, dict) and list(as_dict) == ["default"]
        assert sorted(m.get_signature_names()) == ["default"]
        assert list(m.get_input_info_dict()) == ["x"]
        assert list(m.get_output_info_dict()) == ["default"]
        special = hub.Module(spec, tags={"special"})
        assert sorted(special.get_signature_names()) == ["default", "extra", "ragged", "sparse"]
        assert sorted(special.get_input_info_dict(signature="extra")) == ["x", "y"]
        assert sorted(special.get_output_info_dict(signature="extra")) == ["default", "z"]
        with pytest.raises(TypeError, match=r"missing \['x'\]"):
            m(None)
        with pytest.raises(TypeError, match=r"extra given \['y'\]"):
            m({"x": [1, 2], "y": [1, 2]})
        for missing in (None, {}, {"z": 1}):
            with pytest.raises(TypeError, match=r"missing \['x', 'y'\]"):
                special(missing, signature="extra")
        with pytest.raises(TypeError, match="Signature expects multiple inputs. Use a dict."):
            special(1, signature="extra")
        with tf1.Session() as session:
            assert [v.tolist() for v in session.run(results)] == [[2, 4], [2, 4]]

    with hub.eval_function_for_module(spec) as f:
        assert f([1, 2]).tolist() == [2, 4]
        assert f({"x": [1, 2]}).tolist() == [2, 4]
        result = f({"x": [1, 2]}, as_dict=True)
    assert list(result) == ["default"]
    with hub.eval_function_for_module(spec, tags={"special"}) as f:
        sparse = tf1.SparseTensorValue([[0]], [1], [2])  # The value [1, 0].
        assert f(sparse, signature="sparse").tolist() == [2, 0]
        extra = f({"x": [1], "y": [2]}, signature="extra", as_dict=True)
    assert extra["default"].tolist() == [2] and extra["z"].tolist() == [8]


def test_state_scopes_are_unique_and_a_taken_name_scope_is_refused() -> None:
    """module_test.py GetStateScopeTest (through hub.Module, which picks its state scope so)."""
    spec = hub.create_module_spec(_stateless_module_fn)
    with tf.Graph().as_default():
        first, second = hub.Module(spec, name="a"), hub.Module(spec, name="a")
        assert first(1).name.startswith("a_apply_default/")
        assert second(1).name.startswith("a_1_apply_default/")
        with tf1.name_scope("a") as scope:
            assert scope == "a_2/"
    with tf.Graph().as_default():
        hub.Module(spec, name="a")
        with tf1.variable_scope(None, default_name="a") as vs:
            assert vs.name == "a_1"
    with tf.Graph().as_default():
        with tf1.variable_scope("vs"):
            assert hub.Module(spec, name="a")(1).name.startswith("vs/a_apply_default/")
        with tf1.name_scope("foo"), tf1.variable_scope("vs2"):
            assert hub.Module(spec, name="a")(1).name.startswith("foo/vs2/a_apply_default/")
    with tf.Graph().as_default():
        with tf1.name_scope("a"):
            pass
        with pytest.raises(RuntimeError, match="name_scope was already taken"):
            hub.Module(spec, name="a")


def _instantiate(handler: Any, tags: Any = None) -> Any:
    with tf.Graph().as_default() as graph:
        tf1.train.import_meta_graph(handler.get_meta_graph(tags), import_scope="")
    return graph


@pytest.mark.parametrize("as_bytes", [False, True])
def test_saved_model_handler_assets_keep_their_files_and_distinct_names(
    tmp_path: Path, as_bytes: bool
) -> None:
    """saved_model_lib_test.py: testAssets, testWithMultipleAssetsWithSameBasename(AsBytes)."""
    from tfhub import saved_model_lib

    files: list[Any] = [str(tmp_path / "asset" / d / "hello.txt") for d in ("a", "b")]
    for path, text in zip(files, ("hello A", "hello B"), strict=True):
        os.makedirs(os.path.dirname(path))
        Path(path).write_text(text)
    if as_bytes:
        files = [os.fsencode(path) for path in files]
    with tf.Graph().as_default() as graph:
        assets = [tf.constant(f, name=n) for f, n in zip(files, ("file_a", "file_b"), strict=True)]
        for asset in assets:
            graph.add_to_collection(tf1.GraphKeys.ASSET_FILEPATHS, asset)
        saved_model_lib.add_signature("default", {}, {"default": assets[0]})
    handler = saved_model_lib.SavedModelHandler()
    handler.add_graph_copy(graph)
    export_dir = str(tmp_path / "exported")
    handler.export(export_dir)
    shutil.rmtree(tmp_path / "asset")
    assert sorted(os.listdir(os.path.join(export_dir, "assets"))) == ["hello.txt", "hello.txt0"]
    with _instantiate(saved_model_lib.load(export_dir)).as_default():
        with tf1.Session() as session:
            path_a, path_b = session.run(["file_a:0", "file_b:0"])
    assert path_a == os.path.join(export_dir, "assets", "hello.txt").encode()
    with open(path_a) as a, open(path_b) as b:
        assert (a.read(), b.read()) == ("hello A", "hello B")


def test_saved_model_handler_signatures_tags_and_attachments() -> None:
    """saved_model_lib_test.py: testSignatures, testSignatureImplementationIsInvisible,
    testTags, testModuleAttachments, testNoModuleAttachments,
    testEmptyCollectionsDoNotShowUpInMetaGraphDef."""
    from tfhub import saved_model_lib

    with tf.Graph().as_default() as graph:
        input_a, input_b = tf.constant(2), tf.constant(3)
        mul = input_a * input_b
        saved_model_lib.add_signature("six", {}, {"out": mul})
        saved_model_lib.add_signature("mul2", {"in": input_b}, {"out": mul})
    handler = saved_model_lib.SavedModelHandler()
    handler.add_graph_copy(graph)
    signatures = handler.get_meta_graph_copy().signature_def
    assert set(signatures) == {"six", "mul2"}
    assert (list(signatures["six"].inputs), list(signatures["six"].outputs)) == ([], ["out"])
    assert (list(signatures["mul2"].inputs), list(signatures["mul2"].outputs)) == (["in"], ["out"])

    with tf.Graph().as_default() as graph:
        saved_model_lib.add_signature("test", {}, {})
        assert graph.get_all_collection_keys() == []
    handler = saved_model_lib.SavedModelHandler()
    handler.add_graph_copy(graph)
    (meta_graph,) = handler.meta_graphs
    assert len(meta_graph.collection_def) == 0 and len(meta_graph.signature_def) == 1
    assert saved_model_lib.get_attached_bytes_map(meta_graph) == {}
    assert saved_model_lib.ATTACHMENT_COLLECTION_SAVED not in meta_graph.collection_def

    with tf.Graph().as_default() as graph:
        tf.Variable("name")
        assert len(graph.get_all_collection_keys()) == 2
        for key in graph.get_all_collection_keys():
            del graph.get_collection_ref(key)[:]
        saved_model_lib.add_signature("default", {}, {"default": tf.constant(1)})
        saved_model_lib.attach_bytes("key1", b"oops")
        saved_model_lib.attach_bytes("key2", b"value2")
        saved_model_lib.attach_bytes("key1", b"value1")
    handler = saved_model_lib.SavedModelHandler()
    handler.add_graph_copy(graph, ["tag1"])
    handler.add_graph_copy(graph, ["tag1", "tag2"])
    assert sorted(handler.get_tags(), key=sorted) == [{"tag1"}, {"tag1", "tag2"}]
    assert handler.get_meta_graph_copy(["tag2", "tag1"]) is not None
    with pytest.raises(KeyError):
        handler.get_meta_graph_copy(["tag2"])
    meta_graph = handler.get_meta_graph_copy(["tag1"])
    assert saved_model_lib.get_attached_bytes_map(meta_graph) == {
        "key1": b"value1",
        "key2": b"value2",
    }
    assert set(meta_graph.collection_def) == {saved_model_lib.ATTACHMENT_COLLECTION_SAVED}


def _signature(inputs: dict[str, Any], outputs: dict[str, Any]) -> Any:
    build = tf1.saved_model.utils.build_tensor_info
    return tf1.saved_model.signature_def_utils.build_signature_def(
        {k: build(v) for k, v in inputs.items()}, {k: build(v) for k, v in outputs.items()}
    )


def test_tensor_info_maps_parse_print_match_and_map_tensors() -> None:
    """tensor_info_test.py: testParsingTensorInfoProtoMaps, testRepr,
    testMatchingTensorInfoProtoMaps, testBuildInputMap, testBuildOutputMap, testConvertTensors."""
    from tfhub import tensor_info

    with tf.Graph().as_default() as graph:
        x = tf1.placeholder(tf.string, [2])
        y = tf1.placeholder(tf.int32, [2])
        z = tf1.sparse_placeholder(tf.float32, [2, 10])
        r = tf1.ragged.placeholder(tf.float32, 1, ())
        sig = _signature({"x": x}, {"y": y, "z": z, "r": r})
        inputs = tensor_info.parse_tensor_info_map(sig.inputs)
        outputs = tensor_info.parse_tensor_info_map(sig.outputs)
        assert set(inputs) == {"x"} and set(outputs) == {"y", "z", "r"}
        expected = {
            "x": (inputs, [2], tf.string, False, False, tf.TensorSpec([2], tf.string)),
            "y": (outputs, [2], tf.int32, False, False, tf.TensorSpec([2], tf.int32)),
            "z": (
                outputs,
                [2, 10],
                tf.float32,
                True,
                True,
                tf.SparseTensorSpec([2, 10], tf.float32),
            ),
            "r": (
                outputs,
                [None, None],
                tf.float32,
                False,
                True,
                tf.RaggedTensorSpec([None, None], tf.float32),
            ),
        }
        for key, (parsed, shape, dtype, is_sparse, is_composite, type_spec) in expected.items():
            info = parsed[key]
            assert info.get_shape().as_list() == shape and info.dtype == dtype
            assert (info.is_sparse, info.is_composite) == (is_sparse, is_composite)
            assert info.type_spec == type_spec and info.is_supported_type
        assert repr(outputs["y"]) == "<hub.ParsedTensorInfo shape=(2,) dtype=int32 is_sparse=False>"
        assert repr(outputs["z"]) == (
            "<hub.ParsedTensorInfo shape=(2, 10) dtype=float32 is_sparse=True>"
        )
        assert repr(outputs["r"]) == (
            "<hub.ParsedTensorInfo type_spec=RaggedTensorSpec(TensorShape([None, None]), "
            "tf.float32, 1, tf.int64)>"
        )

        sig1 = _signature(
            {"x": tf1.placeholder(tf.int32, [2])}, {"x": tf1.placeholder(tf.int32, [2])}
        )
        sig2 = _signature(
            {"x": tf1.placeholder(tf.int32, [2])}, {"x": tf1.sparse_placeholder(tf.int64, [2])}
        )
        sig3 = _signature(
            {"x": tf1.placeholder(tf.int32, [None])}, {"x": tf1.placeholder(tf.int32, [2])}
        )
        assert tensor_info.tensor_info_proto_maps_match(sig1.inputs, sig2.inputs)
        assert not tensor_info.tensor_info_proto_maps_match(sig1.outputs, sig2.outputs)
        assert not tensor_info.tensor_info_proto_maps_match(sig1.inputs, sig3.inputs)
        assert tensor_info.tensor_info_proto_maps_match(sig1.outputs, sig3.outputs)

        xi = tf1.placeholder(tf.int32, [2])
        ys = tf1.sparse_placeholder(tf.string, [None])
        rr = tf1.ragged.placeholder(tf.float32, 1, ())
        input_map = tensor_info.build_input_map(
            _signature({"x": xi, "y": ys, "r": rr}, {}).inputs, {"x": xi, "y": ys, "r": rr}
        )
        assert len(input_map) == 6
        for tensor in (xi, ys.indices, ys.values, ys.dense_shape, rr.values, rr.row_splits):
            assert input_map[tensor.name] is tensor
        output_map = tensor_info.build_output_map(
            _signature({}, {"x": xi, "y": ys, "r": rr}).outputs, graph.get_tensor_by_name
        )
        assert len(output_map) == 3 and output_map["x"] is xi
        assert output_map["y"].indices is ys.indices and output_map["y"].values is ys.values
        assert output_map["y"].dense_shape is ys.dense_shape
        assert output_map["r"].values is rr.values and output_map["r"].row_splits is rr.row_splits

        a = tf1.placeholder(tf.int32, [None])
        targets = tensor_info.parse_tensor_info_map(_signature({"a": a}, {}).inputs)
        converted = tensor_info.convert_dict_to_compatible_tensor({"a": [1, 2, 3]}, targets)
        assert converted["a"].dtype == a.dtype
        with pytest.raises(TypeError, match="Got SparseTensor. Expected Tensor."):
            tensor_info.convert_dict_to_compatible_tensor(
                {"a": tf1.sparse_placeholder(tf.int32, [])}, targets
            )


def test_exported_module_served_as_a_tarball_over_http(
    tmp_path: Path, served_dir: Path, server: Any
) -> None:
    """e2e_test.py testHttpLocations: export, pack, serve on 127.0.0.1, use by URL."""
    from tests._helpers.models import make_tarball

    export_path = str(tmp_path / "module")
    with tf.Graph().as_default():
        m = hub.Module(hub.create_module_spec(_stateless_module_fn), name="test_module")
        out = m(10)
        with tf1.Session() as session:
            assert session.run(out) == 100
            m.export(export_path, session)
    make_tarball(export_path, str(served_dir / "test_module.tgz"))
    with tf.Graph().as_default():
        out = hub.Module(server.url("test_module.tgz"))(11)
        with tf1.Session() as session:
            assert session.run(out) == 121


@pytest.fixture(scope="module")
def newer_types_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A module whose signatures carry a type this version does not take or return (an
    IndexedSlices input of `slices_in`, output of `default`), as a newer writer could make:
    exported by tfhub, then its TensorInfos rewritten in saved_model.pb."""
    from tensorflow.core.protobuf import saved_model_pb2

    def module_fn() -> None:
        x = tf1.placeholder(tf.int64, [None], name="x")
        y = tf1.placeholder(tf.int64, [None], name="y")
        tf.subtract(y, x, name="flipped")
        hub.add_signature(inputs={"x": x, "y": y}, outputs=tf.add(x, y, name="sum"))
        hub.add_signature("plain", inputs={"x": x, "y": y}, outputs=x - y)
        v = tf1.placeholder(tf.int64, [None], name="v")
        i = tf1.placeholder(tf.int64, [None], name="i")
        hub.add_signature("slices_in", inputs={"x": v, "i": i}, outputs=v * i)

    path = str(tmp_path_factory.mktemp("newer") / "module")
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf1.Session() as session:
            module.export(path, session)
    pb = os.path.join(path, "saved_model.pb")
    saved_model = saved_model_pb2.SavedModel()
    with open(pb, "rb") as handle:
        saved_model.ParseFromString(handle.read())
    with tf.Graph().as_default() as graph:
        tf1.train.import_meta_graph(saved_model.meta_graphs[0])
        tensor = graph.get_tensor_by_name
        build = tf1.saved_model.utils.build_tensor_info
        slices_out = build(tf.IndexedSlices(tensor("sum:0"), tensor("flipped:0")))
        slices_in = build(tf.IndexedSlices(tensor("v:0"), tensor("i:0")))
    for meta_graph in saved_model.meta_graphs:
        meta_graph.signature_def["default"].outputs["default"].CopyFrom(slices_out)
        meta_graph.signature_def["slices_in"].inputs["x"].CopyFrom(slices_in)
        del meta_graph.signature_def["slices_in"].inputs["i"]
    with open(pb, "wb") as handle:
        handle.write(saved_model.SerializeToString())
    return path


@pytest.mark.parametrize("mode", ["graph", "eval_function", "eager"])
def test_a_signature_of_an_unsupported_type_is_refused_when_called(
    newer_types_module: str, mode: str
) -> None:
    """AddSignatureWithUnsupportedTypesTest.testUnsupportedInputInCall and
    testUnsupportedOutputInCall: the module loads (its other signatures work), the signatures
    with such a type raise a ValueError naming it."""
    from tfhub import errors

    spec = hub.load_module_spec(newer_types_module)
    assert not spec.get_output_info_dict()["default"].is_supported_type
    inputs = {"x": [1, 2], "y": [3, 4]}
    expected = {
        "default": "Signature 'default' expects a IndexedSlices for output 'default', which is "
        "not supported by this version of tensorflow_hub.",
        "slices_in": "Signature 'slices_in' expects a IndexedSlices for input 'x', which is "
        "not supported by this version of tensorflow_hub.",
    }

    def check(call: Any) -> Any:
        for signature, message in expected.items():
            with pytest.raises(ValueError) as info:
                call(signature)
            assert str(info.value).startswith(message)
            assert isinstance(info.value, errors.ModuleSpecError)
        return call("plain")

    if mode == "graph":
        with tf.Graph().as_default():
            module = hub.Module(spec)
            plain = check(lambda signature: module(inputs, signature=signature))
            with tf1.Session() as session:
                assert session.run(plain).tolist() == [-2, -2]
    elif mode == "eval_function":
        with pytest.raises(ValueError, match="expects a IndexedSlices"):
            with hub.eval_function_for_module(spec):
                pass
    else:
        module = hub.Module(spec)
        assert check(lambda signature: module(inputs, signature=signature)).numpy().tolist() == [
            -2,
            -2,
        ]


def test_regularization_losses_with_control_dependencies_shape_training() -> None:
    """TFHubLayersModuleTest.testModuleWithRegularizedLayers (a dense layer from raw variables:
    tf.compat.v1.layers needs Keras 2). y = Mx + b with 2*l2 regularizers that depend on their
    weights, trained at x = [1, 1] towards [4, 4], learns M = [[1, 1], [1, 1]] and b = [1, 1]."""

    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None, 2], name="x")

        def l2(weights: Any) -> Any:
            with tf.control_dependencies([weights]):
                return 2.0 * tf1.nn.l2_loss(weights)

        kernel = tf1.get_variable(
            "dense/kernel", initializer=[[0.5, -0.5], [0.2, 0.1]], regularizer=l2
        )
        bias = tf1.get_variable("dense/bias", initializer=[0.0, 0.0], regularizer=l2)
        hub.add_signature(inputs=x, outputs=tf.matmul(x, kernel) + bias)

    with tf.Graph().as_default():
        m = hub.Module(hub.create_module_spec(module_fn), trainable=True)
        x = tf1.placeholder(tf.float32)
        y = m(x)
        loss = tf1.losses.mean_squared_error(y, [[4.0, 4.0]], weights=2.0)
        loss += tf1.losses.get_regularization_loss()
        train = tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for _ in range(50):
                session.run(train, {x: [[1.0, 1.0]]})
            out = session.run(y, {x: [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]})
    np.testing.assert_allclose(out, [[1.0, 1.0], [2.0, 2.0], [2.0, 2.0]], atol=0.001)
