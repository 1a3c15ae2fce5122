"""Reading and writing the SavedModel that holds a TF1 Hub module.

The on-disk format matches upstream tensorflow_hub exactly: one MetaGraphDef per tag set in
`saved_model.pb`, signatures as SignatureDefs, attached messages as serialized
`ModuleAttachment` protos in the `hub_module_attachments` collection (a bytes_list), and assets
as constant string tensors listed in ASSET_FILEPATHS whose files are copied to `assets/` and
recorded in the `saved_model_assets` collection (`module_assets` places them).

What a module_fn records (signatures, attachments) and how a MetaGraphDef stores it is
`module_records.py`; its names are also offered here, as upstream's `saved_model_lib` had them.
"""

from __future__ import annotations

import logging
import os
import posixpath
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .. import errors, gfile_io
from ..model_damage import file_not_found_error
from ..saved_model_proto import read_saved_model_proto
from ..utils.lazy import tensorflow as tf
from ..vocabulary_assets import refuse_empty_vocabularies
from .meta_graph_lib import collection_variable_defs
from .module_assets import (
    assets_dir,
    is_scheme_url,
    make_assets_key_collection,
    merge_assets_key_collection,
    shown,
)
from .module_records import ATTACHMENT_COLLECTION_INTERNAL as ATTACHMENT_COLLECTION_INTERNAL
from .module_records import ATTACHMENT_COLLECTION_SAVED as ATTACHMENT_COLLECTION_SAVED
from .module_records import SIGNATURE_COLLECTION as SIGNATURE_COLLECTION
from .module_records import add_signature as add_signature
from .module_records import attach_bytes as attach_bytes
from .module_records import damaged_message_error as damaged_message_error
from .module_records import export_attachments, export_signatures, get_attached_bytes_map

logger = logging.getLogger(__name__)


def get_variables_path(export_dir: str) -> str:
    """Returns the checkpoint prefix `<export_dir>/variables/variables`."""
    return os.path.join(export_dir, "variables", "variables")


def tag_set(tags: Iterable[str] | str | None) -> frozenset[str]:
    """The graph variant's tags as a set: None is the empty set and a lone string one tag (as
    `tf.saved_model.load` takes it), not the set of its letters. An empty string, like None, is
    the empty set: tensorflow_hub 0.10.0 read `set(tags or [])`, the default graph variant.
    Bytes tags are decoded (UTF-8): a MetaGraph stores its tags as str.

    Raises:
        tfhub.errors.ArgumentTypeError: if `tags` is not an iterable of strings (before: a bare
            "'int' object is not iterable", or a failed sort of the tags for the error message).
    """
    if isinstance(tags, str):
        return frozenset([tags] if tags else [])
    try:
        result = frozenset(tags or [])
    except TypeError as err:
        raise _tags_type_error(tags) from err
    if any(not isinstance(tag, str | bytes) for tag in result):
        raise _tags_type_error(tags)
    try:  # Stored as str (a proto string field), as upstream's protobuf stored bytes.
        return frozenset(tag.decode("utf-8") if isinstance(tag, bytes) else tag for tag in result)
    except UnicodeDecodeError as err:
        raise _tags_type_error(tags) from err


def unknown_tags_message(
    wanted: Iterable[str], tag_sets: Iterable[Iterable[str]], where: str, tags: Any
) -> str:
    """What `hub.Module` and a spec's methods say of `tags` (normalized: `wanted`) that none of
    the module's `tag_sets` is: the tag sets, `where` (" (at PATH)" or ""), and how to pick
    one (the empty set is picked by leaving `tags` out)."""
    listed = [sorted(tag_set) for tag_set in tag_sets]
    default = " ([] is tags=None, the default)" if [] in listed else ""
    return (
        f"No such graph variant: tags={sorted(wanted)!r}. The module's tag sets are: "
        f"{', '.join(str(tag_set) for tag_set in listed)}{where}. Pass one of them as "
        f"tags=...{default}. Received: tags={tags!r}"
    )


def _tags_type_error(tags: Any) -> errors.ArgumentTypeError:
    return errors.ArgumentTypeError(
        "tags names a graph variant of the module: a set of strings (e.g. {'train'}), one "
        "string, or None for the default variant. "
        f"Received: tags={tags!r} of type {type(tags).__name__}"
    )


def atomic_write(path: str, contents: bytes, *, overwrite: bool) -> None:
    """Writes `contents` to `path` through a temporary file and a rename, each request
    bounded (`gfile_io`).

    Raises:
        tfhub.errors.ModuleExistsError: (an ExportError and, as upstream's,
            tf.errors.AlreadyExistsError) if `path` exists and `overwrite` is False.
        tfhub.errors.RetryTimeoutError: a request gave no answer within TFHUB_HTTP_TIMEOUT
            plus TFHUB_HTTP_RETRY_TIMEOUT (the temporary file is then left).
    """
    if not overwrite and gfile_io.exists_for_export(path):
        raise errors.ModuleExistsError(
            f"Refusing to overwrite an existing module file. Received: path={path}", path=path
        )
    # The temporary name must not start with `path`: ram:// says a path exists if it is a
    # prefix of any file name, which would fail the rename below.
    join, split = (
        (posixpath.join, posixpath.split) if is_scheme_url(path) else (os.path.join, os.path.split)
    )
    folder, name = split(path)
    temp_path = join(folder, f".tmp{uuid.uuid4().hex}.{name}")
    try:  # Each request bounded (`gfile_io`): a gfile file system may stall.
        gfile_io.write_bytes(temp_path, contents)
        gfile_io.rename(temp_path, path, overwrite=overwrite)
    except errors.RetryTimeoutError:
        raise  # No more requests: they would wait as long (the write may still run).
    except BaseException:
        if gfile_io.exists_for_export(temp_path):  # A full disk or a failed rename.
            gfile_io.remove(temp_path)
        raise


class SavedModelHandler:
    """A SavedModel proto with helpers for tags, signatures, attachments, assets and export."""

    def __init__(self, proto: Any = None, *, source: str | None = None) -> None:
        from tensorflow.core.protobuf import saved_model_pb2

        self._proto = proto if proto is not None else saved_model_pb2.SavedModel()
        self.source = source

    def where(self) -> str:
        """Returns " (at <folder>)" for error messages, or "" when built in memory."""
        return f" (at {self.source})" if self.source else ""

    def add_graph_copy(self, graph: Any, tags: Iterable[str] | None = None) -> None:
        """Adds a MetaGraphDef copy of `graph` (with its signatures and attachments) for `tags`."""
        with graph.as_default():
            meta_graph = tf.compat.v1.train.export_meta_graph(strip_default_attrs=True)
        if tags is not None:
            meta_graph.meta_info_def.tags.extend(sorted(tag_set(tags)))
        export_signatures(graph, meta_graph)
        export_attachments(graph, meta_graph)
        self._proto.meta_graphs.extend([meta_graph])

    def add_meta_graph_copy(self, meta_graph: Any) -> None:
        """Adds a copy of the MetaGraphDef `meta_graph` (its tags as they are)."""
        self._proto.meta_graphs.extend([meta_graph])

    def get_meta_graph_copy(self, tags: Iterable[str] | None = None) -> Any:
        """Returns a copy of the MetaGraphDef whose tag set equals `tags` (see get_meta_graph).

        Raises:
            tfhub.errors.UnknownGraphVariantError: as get_meta_graph.
        """
        copy = tf.compat.v1.MetaGraphDef()
        copy.CopyFrom(self.get_meta_graph(tags))
        return copy

    def get_attached_bytes_map(self, tags: Iterable[str] | None = None) -> dict[str, bytes]:
        """Returns the attached messages (`attach_bytes`) of the MetaGraph of `tags`.

        Raises:
            tfhub.errors.UnknownGraphVariantError: as get_meta_graph.
            tfhub.errors.TFHubLoadError: (a ValueError) the attachments are malformed.
        """
        return get_attached_bytes_map(self.get_meta_graph(tags), source=self.source)

    @property
    def meta_graphs(self) -> list[Any]:
        """The MetaGraphDefs, in stored order."""
        return list(self._proto.meta_graphs)

    def get_tags(self) -> list[frozenset[str]]:
        """Returns the tag sets of the MetaGraphs, sorted."""
        return sorted(frozenset(mg.meta_info_def.tags) for mg in self._proto.meta_graphs)

    def get_meta_graph(self, tags: Iterable[str] | None = None) -> Any:
        """Returns the MetaGraphDef whose tag set equals `tags` (None means the empty set).

        Raises:
            tfhub.errors.UnknownGraphVariantError: (a KeyError, as upstream, and an
                UnknownTagsError) if there is no such MetaGraph (lists the tag sets).
        """
        wanted = tag_set(tags)
        matches = [mg for mg in self._proto.meta_graphs if set(mg.meta_info_def.tags) == wanted]
        if len(matches) != 1:
            raise errors.UnknownGraphVariantError(
                unknown_tags_message(wanted, self.get_tags(), self.where(), tags),
                available=[sorted(t) for t in self.get_tags()],
            )
        return matches[0]

    def export(self, path: str, variables_saver: Callable[[str], None] | None = None) -> None:
        """Writes the SavedModel: assets, then variables (through `variables_saver`), then proto.
        tfhub's requests are bounded (`gfile_io`: RetryTimeoutError), `variables_saver`'s are
        TensorFlow's (a gs:// export is therefore written into a local folder first).
        """
        from tensorflow.core.protobuf import saved_model_pb2

        proto = saved_model_pb2.SavedModel()
        proto.CopyFrom(self._proto)
        assets_map = make_assets_key_collection(proto, path)
        gfile_io.makedirs(assets_dir(path))  # Each request bounded: see `gfile_io`.
        for source, destination in assets_map.items():
            if not _same_file(source, destination):  # A copy onto itself would empty it.
                gfile_io.copy(source, destination, overwrite=True)
        if variables_saver is not None:
            variables_path = get_variables_path(path)
            gfile_io.makedirs(os.path.dirname(variables_path))
            variables_saver(variables_path)
        atomic_write(
            os.path.join(path, "saved_model.pb"), proto.SerializeToString(), overwrite=True
        )


def _same_file(source: str, destination: str) -> bool:
    """Whether the asset `source` is the file `destination` already (an export into the folder
    the module's assets are read from: its own, or a SavedModel's made a module in place)."""
    if is_scheme_url(source) or is_scheme_url(destination):
        return posixpath.normpath(source) == posixpath.normpath(destination)
    try:
        return os.path.samefile(source, destination)
    except OSError:  # Either is missing (the copy then says so for the source).
        return False


def checkpoint_variable_names(meta_graph: Any) -> set[str]:
    """The names a graph's variables have in the module's checkpoint (a partitioned
    variable's full name, once)."""
    return {
        variable.save_slice_info_def.full_name or variable.variable_name.split(":")[0]
        for variable in collection_variable_defs(meta_graph, "variables")
    }


def refuse_incomplete_export(spec: Any, tags: Iterable[str] | None, path: str) -> None:
    """Refuses to export `spec` from its graph variant `tags` if another variant needs a
    variable that this one lacks: the checkpoint would not hold it, and loading that variant
    would fail (upstream's documented rule, which it did not check).

    Raises:
        tfhub.errors.ExportError: (a ValueError) naming both variants, the variables, and the
            variant to export from instead.
    """
    if not hasattr(spec, "get_meta_graph"):  # A ModuleSpec of one's own: its own rules.
        return
    exported = tag_set(tags)
    needed = {t: checkpoint_variable_names(spec.get_meta_graph(t)) for t in spec.get_tags()}
    if exported not in needed:  # Said where the variant is instantiated (UnknownTagsError).
        return
    lacking = {t: names - needed[exported] for t, names in needed.items()}
    other = min((t for t in lacking if lacking[t]), key=sorted, default=None)
    if other is None:
        return
    every = set().union(*needed.values())
    complete = min((t for t in needed if needed[t] >= every), key=sorted, default=None)
    todo = "No graph variant has them all: make module_fn create the same variables in each"
    if complete is not None:
        todo = "Export from a hub.Module of a graph variant that has them all: "
        todo += _module_call(complete)
    raise errors.ExportError(
        f"Cannot export the module from its graph variant tags={sorted(exported)!r}: the graph "
        f"variant tags={sorted(other)!r} needs the variables {sorted(lacking[other])[:10]!r}, "
        "which it lacks, so the module's checkpoint would not hold them and that variant would "
        f"not load. {todo}, with a session of its graph. Received: path={path!r}"
    )


def _module_call(tags: frozenset[str]) -> str:
    """How a user builds the hub.Module of graph variant `tags`, e.g. "hub.Module(spec,
    tags={'train'})"."""
    if not tags:
        return "hub.Module(spec)"
    return "hub.Module(spec, tags={" + ", ".join(repr(t) for t in sorted(tags)) + "})"


def load(path: str) -> SavedModelHandler:
    """Reads `<path>/saved_model.pb`, pointing asset tensors at `<path>/assets`.

    Raises:
        tfhub.errors.TFHubLoadError: if the file is missing or cannot be parsed;
            `tfhub.errors.ModelFileNotFoundError` (a MissingModelFileError and, as upstream's
            table initializer raised, a tf.errors.NotFoundError) if an asset file the graphs
            name is missing (else the session's table initializer would fail, naming a node);
            `tfhub.errors.EmptyAssetError` (a DamagedModelError and, as that initializer
            raised, a tf.errors.OutOfRangeError) if a lookup table reads a vocabulary asset
            that is empty.
    """
    proto = read_saved_model_proto(path)
    assets = merge_assets_key_collection(proto, path)
    for filename, asset_path in assets.items():
        if not gfile_io.exists(asset_path):  # Bounded in time (a gs:// listing).
            problem = f"assets/{shown(filename)} is missing"  # A name from the file.
            raise file_not_found_error(path, problem)  # Also NotFoundError, as upstream
    refuse_empty_vocabularies(path, proto.meta_graphs, assets)
    return SavedModelHandler(proto, source=path)
