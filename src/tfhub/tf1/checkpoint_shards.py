"""Which file of a checkpoint TensorFlow's failure to restore it is about: the index, or which
data file (shard) of `<prefix>.data-0000K-of-0000N`. TensorFlow's reason names a shard for a
checksum that does not match ("shard 1"), the file for one this process may not read, no file
for one cut short ("Read less bytes than requested"): then the index, a TensorFlow table of
BundleEntryProto (each tensor's shard, offset and size), says which data file holds fewer bytes
than its tensors take. Asked only once a restore failed."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator

from .. import errors, gfile_io

_MAGIC = 0xDB4775248B80FB57  # The last 8 bytes of a TensorFlow table (little-endian).
_FOOTER = 48  # Two block handles (varints, padded to 40 bytes), then the magic number.
_SHOWN_MOST = 3  # Data files named in a message; the rest are counted.
_INDEX_MOST = 64 << 20  # Bytes of an index read (100K tensors take a few MB); a longer one is not.


class _NotATableError(ValueError):
    """Bytes that are not a checkpoint's index as this module reads it; never leaves it
    (`cut_short` then knows nothing)."""


def damaged_files(prefix: str, reason: str) -> list[str]:
    """The suffixes of the files of the checkpoint `prefix` that TensorFlow's `reason` (for a
    failed restore: damaged, cut short, refused to this process) is about: [".index"]
    ("sstable"), the data files it names (by name, or as "shard 1"), else those cut short (for
    "Read less bytes"), else the only data file, else [".data-*"] (not known which).

    A look-up that fails or gives no answer in time (tfhub.errors.DownloadError) is not asked
    again: TensorFlow's reason, in the message, says enough.
    """
    if "sstable" in reason:
        return [".index"]
    folder, base = _split(prefix)
    try:
        listed = gfile_io.listdir(folder)
    except errors.DownloadError:
        listed = []
    names = sorted(name for name in listed if name.startswith(f"{base}.data-"))
    named = _named_in(reason, base, names)
    if not named and len(names) > 1 and "Read less bytes" in reason:
        named = cut_short(prefix, names)
    names = named or names
    return [name[len(base) :] for name in names] if len(names) == 1 or named else [".data-*"]


def shown_files(prefix: str, suffixes: list[str]) -> str:
    """Files of the checkpoint `prefix` as a message shows them: "<folder's name>/<prefix><suffix>",
    or "each of A, B" for several (the first few; "and N more")."""
    folder, base = _split(prefix)
    shown = [f"{_split(folder)[1]}/{base}{suffix}" for suffix in suffixes[:_SHOWN_MOST]]
    if len(suffixes) == 1:
        return shown[0]
    more = len(suffixes) - len(shown)
    return f"each of {', '.join(shown)}" + (f" and {more} more" if more else "")


def cut_short(prefix: str, names: list[str]) -> list[str]:
    """Those of the data files `names` (in the folder of the checkpoint `prefix`) that hold
    fewer bytes than the tensors its index places in them take; [] if none, or if the index or
    a size cannot be read (or is not a table, or is longer than 64 MiB: nothing is known)."""
    folder = _split(prefix)[0]
    try:
        index = gfile_io.read_bytes(f"{prefix}.index", most=_INDEX_MOST)
        if len(index) > _INDEX_MOST:
            return []
        ends = shard_ends(index)
        short = []
        for name in names:
            shard = re.fullmatch(r".*\.data-([0-9]{1,9})-of-[0-9]+", name)
            need = ends.get(int(shard[1]), 0) if shard else 0
            if need and gfile_io.size(_join(folder, name)) < need:
                short.append(name)
    except (errors.DownloadError, errors.ModelNotFoundError, _NotATableError):
        return []
    return short


def shard_ends(index: bytes) -> dict[int, int]:
    """{shard number: the byte its last tensor ends at} of a checkpoint's index (its bytes).

    The work is bounded by the size of `index`: each data block is read once.

    Raises:
        ValueError: (a private subclass) the bytes are not a TensorFlow table of uncompressed
            blocks, each after the one before, holding BundleEntryProto.
    """
    try:
        return _shard_ends(index)
    except IndexError as err:  # Bytes that run short of what they announce.
        raise _NotATableError(f"a value runs past the end of its block: {err}") from err


def _shard_ends(index: bytes) -> dict[int, int]:
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf.tensor_bundle_pb2 import BundleEntryProto

    ends: dict[int, int] = {}
    for key_length, value in _table_entries(index):
        if not key_length:  # The header (BundleHeaderProto, key ""), not a tensor.
            continue
        try:
            entry = BundleEntryProto.FromString(value)
        except DecodeError as err:
            raise _NotATableError(f"not a BundleEntryProto: {err}") from err
        if entry.size:
            end = entry.offset + entry.size
            ends[entry.shard_id] = max(ends.get(entry.shard_id, 0), end)
    return ends


def _table_entries(table: bytes) -> Iterator[tuple[int, bytes]]:
    """The (key's length, value) pairs of a TensorFlow (LevelDB-format) table: its footer
    names the index block, whose values name the data blocks; each must start after the one
    before ends (as TensorFlow writes them), so no byte is read twice."""
    if len(table) < _FOOTER or int.from_bytes(table[-8:], "little") != _MAGIC:
        raise _NotATableError("not a TensorFlow table (no magic number)")
    footer = table[-_FOOTER:]
    at = _varint(footer, _varint(footer, 0)[1])[1]  # Past the metaindex block's handle.
    offset, at = _varint(footer, at)
    size = _varint(footer, at)[0]
    after = 0  # Where the data block before ends (its type byte and checksum included).
    for _, handle in _block_entries(_block(table, offset, size)):
        block_offset, at = _varint(handle, 0)
        block_size = _varint(handle, at)[0]
        if block_offset < after:
            raise _NotATableError("a data block starts before the one before it ends")
        yield from _block_entries(_block(table, block_offset, block_size))
        after = block_offset + block_size + 5


def _block(table: bytes, offset: int, size: int) -> bytes:
    """The block at `offset` of `size` bytes, followed by its compression type (0: none)."""
    if offset + size + 5 > len(table) - _FOOTER or table[offset + size] != 0:
        raise _NotATableError("a block out of the table, or compressed")
    return table[offset : offset + size]


def _block_entries(block: bytes) -> Iterator[tuple[int, bytes]]:
    """A block's (key's length, value) pairs: each key shares a prefix with the one before,
    then come the restart points (uint32s) and their count (uint32)."""
    end = len(block) - 4 * (int.from_bytes(block[-4:], "little") + 1)
    key_length, at = 0, 0
    while at < end:
        shared, at = _varint(block, at)
        unshared, at = _varint(block, at)
        length, at = _varint(block, at)
        if shared > key_length or at + unshared + length > end:
            raise _NotATableError("a key or value runs past what its block holds")
        key_length = shared + unshared
        at += unshared
        yield key_length, block[at : at + length]
        at += length


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """The unsigned varint at `at` in `data`, and where the next value starts."""
    value = shift = 0
    while shift < 64:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
    raise _NotATableError("a varint of more than 64 bits")


def _named_in(reason: str, base: str, names: list[str]) -> list[str]:
    """Those of the data files `names` that `reason` names: by name (a path ending in it), or
    as "shard N"."""
    named = [name for name in names if re.search(rf"(?:^|[/\\]){re.escape(name)}(?![0-9])", reason)]
    shard = re.search(r"\bshard (\d+)\b", reason)
    if not named and shard:
        named = [name for name in names if name.startswith(f"{base}.data-{int(shard[1]):05d}-")]
    return named


def _split(path: str) -> tuple[str, str]:
    """(folder, name) of a local path or a URL (gs://...)."""
    return (posixpath if gfile_io.is_url(path) else os.path).split(path)


def _join(folder: str, name: str) -> str:
    """The path of `name` in `folder`, a local path or a URL."""
    return (posixpath if gfile_io.is_url(folder) else os.path).join(folder, name)
