"""A TF1 Hub module that uses an op no library registers, for the missing-op error tests."""

from __future__ import annotations

from pathlib import Path


def _module_fn() -> None:
    import tensorflow as tf

    import tfhub as hub

    text = tf.compat.v1.placeholder(tf.string, [None])
    hub.add_signature(inputs=text, outputs=tf.strings.lower(text))


def export_tf1_module_with_unknown_op(path: Path, op: str) -> Path:
    """Exports a TF1 module (string in, its lower case out) to `path`, then renames its
    StringLower op to `op` in its nodes and in its op list, as a module of a library this
    process has not loaded would name it.

    Returns:
        `path`.
    """
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    import tfhub as hub

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_module_fn))
        with tf.compat.v1.Session() as session:
            module.export(str(path), session)
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString((path / "saved_model.pb").read_bytes())
    for meta_graph in saved_model.meta_graphs:
        for node in meta_graph.graph_def.node:
            if node.op == "StringLower":
                node.op = op
        for op_def in meta_graph.meta_info_def.stripped_op_list.op:
            if op_def.name == "StringLower":
                op_def.name = op
    (path / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    return path
