"""Review fixes (rev59a) on session 59's TF1 changes (tfr59).

1. `checkpoint_shards`: reading a checkpoint's index (a TensorFlow table) parsed each data block
   once per index entry naming it: an index of many entries over one block (crafted in a
   downloaded module) took time growing with the square of its size. Each data block must now
   start after the one before (as TensorFlow writes them), so the work is bounded by the file's
   size; keys are tracked by length only; an IndexError of bytes that run short is the
   ValueError `shard_ends` promises.
2. `module_apply.keep_feedable_update_ops`: an update op colocated (`loc:@`) with a node
   computed from another signature's placeholder was dropped, though colocation needs no feed;
   the walk is now one forward pass from the unfed placeholders (data and control inputs).
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub.tf1 import checkpoint_shards  # noqa: E402
from tfhub.tf1.checkpoint_shards import shard_ends  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
_MAGIC = (0xDB4775248B80FB57).to_bytes(8, "little")


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _block(entries: list[tuple[int, bytes, bytes]]) -> bytes:
    """A table block of (shared, unshared key bytes, value) entries, one restart point."""
    body = b"".join(
        _varint(shared) + _varint(len(key)) + _varint(len(value)) + key + value
        for shared, key, value in entries
    )
    return body + (0).to_bytes(4, "little") + (1).to_bytes(4, "little")


def _table(blocks: list[bytes], *, handles: list[tuple[int, int]] | None = None) -> bytes:
    """A TensorFlow (LevelDB-format) table of the uncompressed data `blocks`, each followed by
    its type byte and checksum (not checked by the reader), then an index block of `handles`
    ((offset, size); by default each block's own), then the footer."""
    table, own = b"", []
    for block in blocks:
        own.append((len(table), len(block)))
        table += block + b"\0" * 5
    named = enumerate(handles or own)
    index = _block([(0, b"k%d" % i, _varint(at) + _varint(size)) for i, (at, size) in named])
    index_at = len(table)
    table += index + b"\0" * 5
    footer = _varint(0) + _varint(0) + _varint(index_at) + _varint(len(index))
    return table + footer.ljust(40, b"\0") + _MAGIC


def _entry(shard: int, offset: int, size: int) -> bytes:
    from tensorflow.core.protobuf.tensor_bundle_pb2 import BundleEntryProto

    return BundleEntryProto(shard_id=shard, offset=offset, size=size).SerializeToString()


def _entries_read(table: bytes) -> tuple[int, BaseException | None]:
    """How many entries `_table_entries` gives of `table`, and what it raised (or None)."""
    count = 0
    try:
        for _ in checkpoint_shards._table_entries(table):
            count += 1
    except Exception as err:  # The test asserts which.
        return count, err
    return count, None


def test_an_index_naming_one_data_block_many_times_is_refused_after_one_pass() -> None:
    """300 index entries over one block of 300 entries: 90,000 entries parsed before the fix
    (the work grows with the square of the file's size); now the second handle, which does
    not start after the first block, is refused."""
    block = _block([(0, b"t%d" % i, b"") for i in range(300)])
    table = _table([block], handles=[(0, len(block))] * 300)
    count, raised = _entries_read(table)
    assert isinstance(raised, ValueError) and "block" in str(raised), (count, raised)
    assert count <= 300, count
    with pytest.raises(ValueError):
        shard_ends(table)


def test_overlapping_data_blocks_are_refused() -> None:
    first = _block([(0, b"a", _entry(0, 0, 8))])
    second = _block([(0, b"b", _entry(1, 0, 8))])
    table = _table([first, second])
    assert shard_ends(table) == {0: 8, 1: 8}
    for handles in ([(0, len(first)), (len(first), len(second))], [(1, len(first))]):
        with pytest.raises(ValueError):
            shard_ends(_table([first, second], handles=handles))


def test_a_table_of_several_blocks_is_read_once_each() -> None:
    blocks = [
        _block([(0, b"", b"")] + [(0, b"v%d" % i, _entry(i % 3, 4 * i, 4)) for i in range(5)]),
        _block([(0, b"w%d" % i, _entry(i % 3, 100 + 4 * i, 4)) for i in range(5)]),
    ]
    table = _table(blocks)
    assert _entries_read(table) == (11, None)
    assert shard_ends(table) == {0: 116, 1: 120, 2: 112}


def test_a_key_sharing_more_than_the_key_before_is_refused() -> None:
    """Keys are tracked by length: one sharing more bytes than the previous key has is not a
    table (before, the key was rebuilt, silently shorter)."""
    block = _block([(0, b"ab", _entry(0, 0, 4)), (5, b"c", _entry(0, 4, 4))])
    with pytest.raises(ValueError):
        shard_ends(_table([block]))


@pytest.mark.parametrize("value", [b"", b"\x80"], ids=["empty", "unfinished-varint"])
def test_bytes_running_short_are_the_value_error_promised(value: bytes) -> None:
    """An index entry whose block handle runs short raised an IndexError, not the ValueError
    `shard_ends` promises (`cut_short` caught both)."""
    index = _block([(0, b"k", value)])
    table = b"\0" * 8 + index + b"\0" * 5
    footer = _varint(0) + _varint(0) + _varint(8) + _varint(len(index))
    with pytest.raises(ValueError):
        shard_ends(table + footer.ljust(40, b"\0") + _MAGIC)


def _colocated_module_fn(is_training: bool = False) -> None:
    """`default` takes `x`; `other` takes `y`, whose update op is colocated with `hidden`, a
    node computed from `x` (as `tf.compat.v1.colocate_with` or an optimizer's slots place it)."""
    x = v1.placeholder(tf.float32, [None, 2], name="x")
    y = v1.placeholder(tf.float32, [None, 2], name="y")
    hidden = tf.nn.relu(x, name="hidden")
    mean = v1.get_variable("mean", initializer=tf.zeros([2]), trainable=False)
    if is_training:
        with v1.colocate_with(hidden.op):
            update = v1.assign(mean, tf.reduce_mean(y, 0), name="update_mean")
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, update)
    hub.add_signature(inputs=x, outputs=hidden)
    hub.add_signature("other", inputs=y, outputs=y - mean)


def test_an_update_op_colocated_with_another_signatures_node_is_kept() -> None:
    """Colocation places an op; it needs no value: applying `other` feeds all its update op
    needs (before, the walk followed `loc:@hidden` to `x` and dropped it)."""
    spec = hub.create_module_spec(
        _colocated_module_fn, tags_and_args=[({"train"}, {"is_training": True})]
    )
    node = {n.name: n for n in spec.get_meta_graph(tags={"train"}).graph_def.node}["update_mean"]
    assert list(node.attr["_class"].list.s) == [b"loc:@hidden"]
    with tf.Graph().as_default():
        module = hub.Module(spec, trainable=True, tags={"train"})
        module(np.array([[1.0, 3.0], [3.0, 5.0]], np.float32), signature="other")
        (update,) = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            session.run(update)
            np.testing.assert_allclose(session.run(module.variable_map["mean"]), [2.0, 4.0])


def test_a_real_index_of_several_data_blocks_gives_each_shards_end(tmp_path) -> None:
    """TensorFlow's own writer: 6000 tensors (names of ~50 bytes) fill two data blocks of the
    index, each after the one before; the end is the data file's size."""
    count = 6000
    names = [f"layer_{i:05d}/some/long/variable/name/kernel" for i in range(count)]
    tensors = [tf.fill([i % 7 + 1], float(i)) for i in range(count)]
    prefix = str(tmp_path / "model")
    tf.raw_ops.SaveV2(
        prefix=prefix, tensor_names=names, shape_and_slices=[""] * count, tensors=tensors
    )
    index = (tmp_path / "model.index").read_bytes()
    assert _entries_read(index) == (count + 1, None)  # With the header.
    footer = index[-48:]
    at = checkpoint_shards._varint(footer, checkpoint_shards._varint(footer, 0)[1])[1]
    offset, at = checkpoint_shards._varint(footer, at)
    size = checkpoint_shards._varint(footer, at)[0]
    handles = list(checkpoint_shards._block_entries(checkpoint_shards._block(index, offset, size)))
    assert len(handles) >= 2, len(handles)
    data = tmp_path / "model.data-00000-of-00001"
    assert shard_ends(index) == {0: data.stat().st_size}
