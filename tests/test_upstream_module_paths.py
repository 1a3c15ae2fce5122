"""tensorflow_hub's module paths: `from tfhub.keras_layer import KerasLayer`, `from tfhub import
resolver` and the rest of upstream's package contents work as they did with tensorflow_hub.

Real code imports them: `from tensorflow_hub.keras_layer import KerasLayer` in many notebooks and
services, and Kaggle's notebook images register `class KaggleFileResolver(
resolver.HttpResolverBase)` with `registry.resolver.add_implementation(...)` (tensorflow_hub 0.10
had no `hub.register_resolver`).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tarfile
import urllib.request

import pytest
from tests._helpers.archives import MODEL_FILES, add_members, make_tar_gz, read_tree
from tests._helpers.http_server import archive_gets, enable_tls, see_other
from tests._helpers.python_process import run_python

import tfhub as hub
from tfhub import cache, errors, resolvers

# The public names (not starting with "_") each module of tensorflow_hub 0.10.0 defines, read
# from its wheel (tensorflow_hub-0.10.0-py2.py3-none-any.whl).
UPSTREAM_NAMES: dict[str, list[str]] = {
    "compressed_module_resolver": [
        "GcsCompressedFileResolver",
        "HttpCompressedFileResolver",
        "LOCK_FILE_TIMEOUT_SEC",
    ],
    "estimator": ["LatestModuleExporter", "register_module_for_export"],
    "feature_column": [
        "DenseFeatureColumn",
        "image_embedding_column",
        "sparse_text_embedding_column",
        "text_embedding_column",
    ],
    "feature_column_v2": ["text_embedding_column_v2"],
    "image_util": [
        "IMAGE_MODULE_INFO_KEY",
        "ImageModuleInfo",
        "attach_image_module_info",
        "get_expected_image_size",
        "get_image_module_info",
        "get_num_image_channels",
    ],
    "keras_layer": ["KerasLayer", "func_has_training_argument", "load_module"],
    "module": [
        "Module",
        "as_module_spec",
        "eval_function_for_module",
        "export_module_spec",
        "load_module_spec",
    ],
    "module_spec": ["ModuleSpec"],
    "module_v2": ["load", "resolve"],
    # Upstream's graph-surgery helpers of native_module (get_state_map, replace_apply_state,
    # find_signature_type_errors, ...) are internals of hub.Module: not public here.
    "native_module": [
        "Loader",
        "add_signature",
        "attach_message",
        "create_module_spec",
        "get_module_proto_path",
    ],
    "registry": ["MultiImplRegister", "loader", "resolver"],
    "resolver": [
        "DownloadManager",
        "FLAGS",
        "HttpResolverBase",
        "ModelLoadFormat",
        "PathResolver",
        "Resolver",
        "atomic_download",
        "create_local_module_dir",
        "get_env_setting",
        "model_load_format",
        "tfhub_cache_dir",
    ],
    "saved_model_module": ["create_module_spec_from_saved_model"],
    "uncompressed_module_resolver": ["HttpUncompressedFileResolver"],
    "version": ["__version__"],
    "config": [],
    "file_utils": ["extract_file", "extract_tarfile_to_destination", "merge_relative_path"],
    # Upstream's pruning helpers (mark_backward, prune_unused_nodes, prune_feed_map) were
    # internals of hub.Module's graph surgery: not offered.
    "meta_graph_lib": ["filter_collections", "prefix_shared_name_attributes", "prepend_name_scope"],
    "module_impl": ["ModuleImpl"],
    "saved_model_lib": [
        "ATTACHMENT_COLLECTION_SAVED",
        "SavedModelHandler",
        "add_signature",
        "attach_bytes",
        "get_attached_bytes_map",
        "get_variables_path",
        "load",
    ],
    "tensor_info": [
        "ParsedTensorInfo",
        "build_input_map",
        "build_output_map",
        "convert_dict_to_compatible_tensor",
        "parse_tensor_info_map",
        "tensor_info_proto_maps_match",
    ],
    "tf_utils": [
        "MAX_DIRECTORY_CREATION_ATTEMPTS",
        "SUPPORTED_ARGUMENT_TYPES",
        "absolute_path",
        "atomic_write_string_to_file",
        "bytes_to_readable_str",
        "composite_tensor_from_components",
        "composite_tensor_info_to_type_spec",
        "garbage_collect_exports",
        "get_composite_tensor_type_spec",
        "get_temp_export_dir",
        "get_timestamped_export_dir",
        "is_composite_tensor",
        "read_file_to_string",
        "tf",
    ],
    "image_module_info_pb2": ["DESCRIPTOR", "ImageModuleInfo"],
    "module_def_pb2": ["DESCRIPTOR", "ModuleDef"],
    "module_attachment_pb2": ["DESCRIPTOR", "ModuleAttachment"],
}


@pytest.mark.parametrize("module_name", sorted(UPSTREAM_NAMES))
def test_each_upstream_module_path_has_its_public_names(module_name):
    module = importlib.import_module(f"tfhub.{module_name}")
    missing = [name for name in UPSTREAM_NAMES[module_name] if not hasattr(module, name)]
    assert missing == []
    assert getattr(hub, module_name) is module  # `hub.resolver` as after `import tensorflow_hub`.


def test_the_names_are_tfhubs_own_objects():
    """Module paths are other doors to the same objects, never copies that could drift."""
    from tfhub import (
        estimator,
        feature_column_v2,
        keras_layer,
        module,
        module_spec,
        module_v2,
        native_module,
        registry,
        saved_model_module,
        version,
    )

    assert keras_layer.KerasLayer is hub.KerasLayer
    assert (module_v2.load, module_v2.resolve) == (hub.load, hub.resolve)
    assert module.Module is hub.Module and module.load_module_spec is hub.load_module_spec
    assert module.eval_function_for_module is hub.eval_function_for_module
    assert module_spec.ModuleSpec is hub.ModuleSpec
    assert native_module.create_module_spec is hub.create_module_spec
    assert native_module.add_signature is hub.add_signature
    assert saved_model_module.create_module_spec_from_saved_model is (
        hub.create_module_spec_from_saved_model
    )
    assert feature_column_v2.text_embedding_column_v2 is hub.text_embedding_column_v2
    assert estimator.LatestModuleExporter is hub.LatestModuleExporter
    assert registry.resolver is resolvers.registry and version.__version__ == hub.__version__
    assert native_module.get_module_proto_path("/m") == b"/m/tfhub_module.pb"
    from tfhub import image_module_info_pb2, module_def_pb2
    from tfhub.protos import ModuleDef

    assert module_def_pb2.ModuleDef is ModuleDef
    assert module_def_pb2.DESCRIPTOR.name == "tensorflow_hub/module_def.proto"
    assert image_module_info_pb2.DESCRIPTOR.message_types_by_name["ImageModuleInfo"]


def test_resolver_and_registry_paths_import_no_tensorflow():
    """A custom resolver module imports `tensorflow_hub.resolver` at its top: that must not
    cost the TensorFlow import that `hub.resolve` avoids."""
    out = run_python(
        "import sys; from tfhub import resolver, registry, compressed_module_resolver\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules))"
    ).stdout
    assert out.strip() == "[]"


def test_a_kaggle_style_resolver_registered_the_0_10_way(global_registry, tmp_path):
    """Kaggle's notebook resolver, written against tensorflow_hub: it subclasses
    `resolver.HttpResolverBase`, maps a Kaggle model URL to the attached folder, and is added
    with `registry.resolver.add_implementation`, before any resolve."""
    from tfhub import registry, resolver

    attached = tmp_path / "input" / "mobilenet" / "tensorflow2" / "classification" / "2"
    attached.mkdir(parents=True)

    class KaggleFileResolver(resolver.HttpResolverBase):
        def is_supported(self, handle):
            return self.is_http_protocol(handle) and "kaggle.com/models/" in handle

        def __call__(self, handle):
            owner, model, framework, variation, version = handle.split("/models/")[1].split("/")
            local = tmp_path / "input" / model / framework.lower() / variation / version
            if not local.exists():
                raise RuntimeError(f"You have to attach the '{handle}' model to your notebook.")
            return str(local)

    registry.resolver.add_implementation(KaggleFileResolver())
    handle = "https://www.kaggle.com/models/google/mobilenet/TensorFlow2/classification/2"
    assert hub.resolve(handle) == str(attached)
    with pytest.raises(RuntimeError, match="attach the"):
        hub.resolve(handle.replace("/2", "/3"))
    assert hub.resolve(str(tmp_path)) == str(tmp_path)  # Other handles: the built-in resolvers.
    # As upstream on Python 3 (its `__metaclass__ = abc.ABCMeta` is Python 2's spelling): the
    # base can be made, and supports no handle.
    assert not resolver.Resolver().is_supported(handle)


def test_a_downloading_resolver_written_for_tensorflow_hub(
    global_registry, server, served_dir, isolated_cache
):
    """The shape of upstream's own compressed resolver, as users copied it: `atomic_download`
    with a `download_fn(handle, tmp_dir)` that streams `_call_urlopen` into
    `DownloadManager.download_and_uncompress`. It gets tfhub's cache: one download, a
    descriptor, a safe extraction, nothing left from a bad archive."""
    from tfhub import resolver

    calls = []

    class MirrorResolver(resolver.HttpResolverBase):
        def is_supported(self, handle):
            return handle.startswith("mirror://")

        def __call__(self, handle):
            url = server.url(handle[len("mirror://") :])
            cache_dir = resolver.tfhub_cache_dir(use_temp=True)
            module_dir = resolver.create_local_module_dir(
                cache_dir, hashlib.sha1(handle.encode("utf8")).hexdigest()
            )

            def download(handle, tmp_dir):
                calls.append(handle)
                request = urllib.request.Request(self._append_format_query(url, ("x", "1")))
                with self._call_urlopen(request) as response:
                    resolver.DownloadManager(url).download_and_uncompress(response, tmp_dir)

            return resolver.atomic_download(handle, download, module_dir)

    hub.register_resolver(MirrorResolver())
    make_tar_gz(served_dir / "m.tar.gz")
    path = hub.resolve("mirror://m.tar.gz")
    assert path == cache.module_dir("mirror://m.tar.gz")
    assert read_tree(path) == MODEL_FILES and hub.resolve("mirror://m.tar.gz") == path
    assert calls == ["mirror://m.tar.gz"]  # Cached: downloaded once.
    assert cache.read_descriptor_handle(path) == "mirror://m.tar.gz"
    outside = tarfile.TarInfo("../outside.txt")
    outside.size = 3
    add_members(served_dir / "evil.tar.gz", [outside])
    with pytest.raises(errors.UnsafeArchiveError) as caught:
        hub.resolve("mirror://evil.tar.gz")
    assert isinstance(caught.value, OSError)  # Upstream raised IOError.
    assert not os.path.exists(isolated_cache.parent / "outside.txt")
    assert not os.path.exists(cache.module_dir("mirror://evil.tar.gz"))
    assert not [name for name in os.listdir(isolated_cache) if name.endswith(".tmp")]


def test_http_resolver_base_has_upstreams_ssl_context(server, served_dir, certificate, monkeypatch):
    """As tensorflow_hub's, `HttpResolverBase.__init__` makes an `ssl.SSLContext`: a subclass
    loads its own authority into it (`self._context.load_verify_locations`), and
    TFHUB_DISABLE_CERT_VALIDATION=true turns its checks off for `_call_urlopen`, also in an
    object made before the variable was set. A real self-signed https server."""
    import ssl
    import urllib.error

    from tfhub import resolver

    archive = make_tar_gz(served_dir / "m.tar.gz")
    base = enable_tls(server, *certificate)

    class Fetcher(resolver.HttpResolverBase):
        def is_supported(self, handle):
            return handle.startswith("fetch://")

        def __call__(self, handle):
            with self._call_urlopen(urllib.request.Request(base + "m.tar.gz")) as response:
                return response.read()

    class TrustingItsAuthority(Fetcher):
        def __init__(self):
            super().__init__()
            self._context.load_verify_locations(certificate[0])

    expected = open(archive, "rb").read()
    made_early = Fetcher()
    assert isinstance(made_early._context, ssl.SSLContext)
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        made_early("fetch://m")
    assert TrustingItsAuthority()("fetch://m") == expected
    monkeypatch.setenv("TFHUB_DISABLE_CERT_VALIDATION", "true")
    fetcher = Fetcher()
    assert not fetcher._context.check_hostname and fetcher._context.verify_mode == ssl.CERT_NONE
    assert fetcher("fetch://m") == expected
    assert made_early("fetch://m") == expected


def test_atomic_download_into_a_relative_folder(server, served_dir, monkeypatch, tmp_path):
    """As upstream (its lock and temporary folder were absolute paths), `module_dir` may be
    relative to the working folder, a bare name too (its dirname, "", could not be created),
    through `resolver.atomic_download` and tfhub's own `download.atomic_download`."""
    from tfhub import download, resolver

    make_tar_gz(served_dir / "m.tar.gz")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def download_fn(handle, tmp_dir):
        with urllib.request.urlopen(server.url("m.tar.gz"), timeout=30) as response:
            resolver.DownloadManager(handle).download_and_uncompress(response, tmp_dir)

    assert resolver.atomic_download("h", download_fn, "relentry") == "relentry"
    assert read_tree(work / "relentry") == MODEL_FILES
    assert cache.read_descriptor_handle(str(work / "relentry")) == "h"
    assert download.atomic_download("h2", lambda tmp: download_fn("h2", tmp), module_path="e2") == (
        "e2"
    )
    assert read_tree(work / "e2") == MODEL_FILES
    assert resolver.atomic_download("h", download_fn, "relentry") == "relentry"  # Cached.
    assert len(archive_gets(server, "m.tar.gz")) == 2
    assert not [name for name in os.listdir(work) if name.endswith((".tmp", ".lock"))]


def test_a_subclass_of_upstreams_http_compressed_file_resolver(
    global_registry, server, served_dir, isolated_cache
):
    """Code written for tensorflow_hub subclasses `HttpCompressedFileResolver`, narrows
    `is_supported` to its host and calls `super().__call__(handle)`. As upstream's, the class is
    an `HttpResolverBase` with its helpers; resolving goes through tfhub's resolver (its cache,
    descriptor and safe extraction)."""
    from tfhub import compressed_module_resolver, registry, resolver

    archive = make_tar_gz(served_dir / "m.tar.gz")
    base = server.url()
    called = []

    class OurHostOnly(compressed_module_resolver.HttpCompressedFileResolver):
        def is_supported(self, handle):
            return handle.startswith(base) and super().is_supported(handle)

        def __call__(self, handle):
            called.append(handle)
            return super().__call__(handle)

    ours = OurHostOnly()
    assert isinstance(ours, resolver.HttpResolverBase) and ours.is_http_protocol(base)
    gcs = compressed_module_resolver.GcsCompressedFileResolver()
    assert isinstance(gcs, resolver.Resolver) and gcs.is_supported("gs://b/m.tar.gz")
    assert not ours.is_supported("https://elsewhere.example/m.tar.gz")
    url = ours._append_compressed_format_query(base + "m.tar.gz?v=1")
    assert url == base + "m.tar.gz?v=1&tf-hub-format=compressed"
    assert compressed_module_resolver._append_compressed_format_query(base + "m") == (
        base + "m?tf-hub-format=compressed"  # tensorflow_hub 0.10's module function.
    )
    assert ours._lock_file_timeout_sec() == compressed_module_resolver.LOCK_FILE_TIMEOUT_SEC
    with ours._call_urlopen(urllib.request.Request(url)) as response:
        assert response.read() == open(archive, "rb").read()

    registry.resolver.add_implementation(ours)
    path = hub.resolve(base + "m.tar.gz")
    assert called == [base + "m.tar.gz"] and path == cache.module_dir(base + "m.tar.gz")
    assert read_tree(path) == MODEL_FILES and hub.resolve(base + "m.tar.gz") == path
    assert cache.read_descriptor_handle(path) == base + "m.tar.gz"
    assert len(archive_gets(server, "m.tar.gz")) == 2  # `_call_urlopen`'s, then one download.
    outside = tarfile.TarInfo("../outside.txt")
    outside.size = 3
    add_members(served_dir / "evil.tar.gz", [outside])
    with pytest.raises(errors.UnsafeArchiveError):
        hub.resolve(base + "evil.tar.gz")
    assert not os.path.exists(isolated_cache.parent / "outside.txt")


def test_upstreams_http_uncompressed_file_resolver_helpers(server, served_dir, monkeypatch):
    """As upstream's, `HttpUncompressedFileResolver` is an `HttpResolverBase` with
    `path_resolver`, `_append_uncompressed_format_query`, a `_call_urlopen` that returns the
    303's gs:// body (a ValueError for any other answer) and a one-argument
    `_request_gcs_location`. A real server answering as the hosting protocol does."""
    from tfhub import resolver, uncompressed_module_resolver

    server.state.behaviours.append(see_other("/models/m/1", "gs://bucket/m"))
    (served_dir / "plain").write_bytes(b"not a 303")
    ours = uncompressed_module_resolver.HttpUncompressedFileResolver()
    assert isinstance(ours, resolver.HttpResolverBase)
    assert isinstance(ours.path_resolver, resolver.PathResolver)
    url = ours._append_uncompressed_format_query(server.url("models/m/1"))
    assert url == server.url("models/m/1?tf-hub-format=uncompressed")
    assert ours._call_urlopen(urllib.request.Request(url)) == "gs://bucket/m"
    assert ours._request_gcs_location(url) == "gs://bucket/m"
    for path, code in (("plain", 200), ("missing", 404)):
        request = urllib.request.Request(ours._append_uncompressed_format_query(server.url(path)))
        with pytest.raises(ValueError, match=f"Expected 303 See other .* received code {code}"):
            ours._call_urlopen(request)
    assert not ours.is_supported(server.url("models/m/1"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    assert ours.is_supported(server.url("models/m/1"))


def test_resolver_settings_helpers(isolated_cache, monkeypatch, tmp_path):
    from tfhub import resolver

    assert resolver.tfhub_cache_dir() == str(isolated_cache)
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    assert resolver.tfhub_cache_dir() is None  # As upstream: no default unless asked.
    assert resolver.tfhub_cache_dir(str(tmp_path)) == str(tmp_path)
    assert resolver.tfhub_cache_dir(use_temp=True).endswith("tfhub_modules")
    assert resolver.model_load_format() == "AUTO"
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "uncompressed")
    assert resolver.model_load_format() == resolver.ModelLoadFormat.UNCOMPRESSED.value
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "zipped")
    with pytest.raises(ValueError, match="TFHUB_MODEL_LOAD_FORMAT must be one of"):
        resolver.model_load_format()
    assert resolver.get_env_setting("TFHUB_MODEL_LOAD_FORMAT", "tfhub_model_load_format") == (
        "zipped"
    )
    with pytest.raises(errors.ModelNotFoundError) as caught:
        resolver.PathResolver()(str(tmp_path / "missing"))
    assert isinstance(caught.value, OSError)
    assert resolver.FLAGS["tfhub_cache_dir"].name == "tfhub_cache_dir"


def test_keras_layer_module_helpers(tmp_path):
    import tensorflow as tf

    from tfhub.keras_layer import func_has_training_argument, load_module

    def takes_training(x, training=False):
        return x

    class Callable:
        def __call__(self, x, *, training=None):
            return x

    assert load_module(takes_training) is takes_training
    with pytest.raises(ValueError, match="mutually exclusive with setting tags"):
        load_module(takes_training, tags=["train"])
    assert func_has_training_argument(Callable())

    class Model(tf.Module):  # A restored SavedModel's object: `__call__` is a tf.function.
        @tf.function
        def __call__(self, x, training=False):
            return x

    assert func_has_training_argument(Model())
    # As upstream (it read `func.__call__`) and as hub.KerasLayer decides whether to pass
    # `training`: a plain function's `__call__` is `(*args, **kwargs)`.
    assert not func_has_training_argument(takes_training)
    assert not func_has_training_argument(lambda x: x) and not func_has_training_argument(3)
    with pytest.raises(errors.ModelNotFoundError):
        load_module(str(tmp_path / "missing"))


def test_tensor_info_as_upstreams_tests_used_it(upstream_dir):
    """`ParsedTensorInfo(dtype, shape, is_sparse)` (upstream's constructor, in its module tests)
    is what `get_input_info_dict()` returns; maps of TensorInfo protos compare by spec."""
    import tensorflow as tf

    from tfhub import tensor_info

    info = tensor_info.ParsedTensorInfo(tf.float32, tf.TensorShape([None, 3]), is_sparse=False)
    assert (info.dtype, info.get_shape().as_list(), info.is_sparse) == (
        tf.float32,
        [None, 3],
        False,
    )
    sparse = tensor_info.ParsedTensorInfo(tf.string, [None], True)
    assert sparse.is_sparse and sparse.type_spec == tf.SparseTensorSpec([None], tf.string)
    ragged = tf.RaggedTensorSpec([None, None], tf.int64)
    assert tensor_info.ParsedTensorInfo.from_type_spec(ragged).is_composite
    with pytest.raises(errors.ArgumentError, match="needs a dtype"):
        tensor_info.ParsedTensorInfo()

    spec = hub.load_module_spec(str(upstream_dir / "tf1_multi_sig"))
    got = spec.get_input_info_dict()["x"]
    assert isinstance(got, tensor_info.ParsedTensorInfo)
    assert got.type_spec == tensor_info.ParsedTensorInfo(tf.float32, [None, 3]).type_spec

    with tf.Graph().as_default():
        a = tf.compat.v1.placeholder(tf.float32, [None, 3])
        b = tf.compat.v1.placeholder(tf.float32, [None, 4])
        build = tf.compat.v1.saved_model.utils.build_tensor_info
        assert tensor_info.tensor_info_proto_maps_match({"x": build(a)}, {"x": build(a)})
        assert not tensor_info.tensor_info_proto_maps_match({"x": build(a)}, {"x": build(b)})
        assert not tensor_info.tensor_info_proto_maps_match({"x": build(a)}, {"y": build(a)})


def test_tf_utils_helpers(tmp_path):
    import tensorflow as tf

    from tfhub import tf_utils

    assert hub.tf_utils.tf.constant(2).numpy() == 2  # As real code wrote it.
    assert tf_utils.SUPPORTED_ARGUMENT_TYPES == (tf.Tensor, tf.SparseTensor, tf.RaggedTensor)
    target = str(tmp_path / "file.txt")
    tf_utils.atomic_write_string_to_file(target, "héllo", overwrite=False)
    assert tf_utils.read_file_to_string(target) == "héllo"
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf_utils.atomic_write_string_to_file(target, "again", overwrite=False)
    tf_utils.atomic_write_string_to_file(target, b"again", overwrite=True)
    assert tf_utils.read_file_to_string(target) == "again"
    assert sorted(os.listdir(tmp_path)) == ["file.txt"]  # No temporary file left.

    assert [tf_utils.bytes_to_readable_str(n) for n in (None, 512, 1536, 3 << 20, 5 << 30)] == [
        "None",
        "512",
        "1.50k",
        "3.00M",
        "5.00G",
    ]
    assert tf_utils.bytes_to_readable_str(2048, include_b=True) == "2.00kB"
    assert tf_utils.absolute_path("gs://b/m") == "gs://b/m"
    assert tf_utils.absolute_path("m") == os.path.abspath("m")

    base = tmp_path / "exports"
    base.mkdir()
    for stamp in ("1600000000", "1600000001", "1600000002", "temp-1", "other"):
        (base / stamp).mkdir()
    tf_utils.garbage_collect_exports(str(base), 2)
    assert sorted(os.listdir(base)) == ["1600000001", "1600000002", "other", "temp-1"]
    new = tf_utils.get_timestamped_export_dir(str(base))
    assert os.path.dirname(new) == os.fsencode(base) and os.path.basename(new).isdigit()
    assert tf_utils.get_temp_export_dir(new) == os.path.join(
        os.fsencode(base), b"temp-" + os.path.basename(new)
    )

    ragged = tf.ragged.constant([[1, 2], [3]])
    assert tf_utils.is_composite_tensor(ragged) and not tf_utils.is_composite_tensor(tf.ones(2))
    spec = tf_utils.get_composite_tensor_type_spec(ragged)
    rebuilt = tf_utils.composite_tensor_from_components(spec, spec._to_components(ragged))
    assert rebuilt.to_list() == [[1, 2], [3]]
    with tf.Graph().as_default():
        info = tf.compat.v1.saved_model.utils.build_tensor_info(
            tf.compat.v1.ragged.placeholder(tf.int64, 1, [])
        )
        dense = tf.compat.v1.saved_model.utils.build_tensor_info(tf.ones(2))
    assert tf_utils.composite_tensor_info_to_type_spec(info) == tf.RaggedTensorSpec(
        [None, None], tf.int64, 1, tf.int64
    )
    with pytest.raises(errors.ArgumentError, match="encoding=composite_tensor"):
        tf_utils.composite_tensor_info_to_type_spec(dense)


def test_file_utils_extract_safely(tmp_path):
    import io

    from tfhub import file_utils

    archive = make_tar_gz(tmp_path / "m.tar.gz")
    sizes = []
    with open(archive, "rb") as handle:
        file_utils.extract_tarfile_to_destination(handle, str(tmp_path / "out"), sizes.append)
    assert read_tree(tmp_path / "out") == MODEL_FILES
    assert sorted(sizes) == sorted(len(data) for data in MODEL_FILES.values())

    with tarfile.open(archive) as tgz:  # One member, by upstream's extract_file.
        member = tgz.getmember("variables/variables.index")
        file_utils.extract_file(tgz, member, str(tmp_path / "one"), log_function=sizes.append)
    assert (tmp_path / "one").read_bytes() == MODEL_FILES["variables/variables.index"]

    escape = tarfile.TarInfo("../escaped.txt")
    escape.size = 1
    hostile = add_members(tmp_path / "hostile.tar.gz", [escape])
    with open(hostile, "rb") as handle, pytest.raises(errors.UnsafeArchiveError):
        file_utils.extract_tarfile_to_destination(handle, str(tmp_path / "bad"))
    assert not (tmp_path / "escaped.txt").exists()

    assert file_utils.merge_relative_path("/d", "/a/./b") == "/d/a/b"
    assert file_utils.merge_relative_path("gs://b/d", "a//b") == "gs://b/d/a/b"
    assert file_utils.merge_relative_path("/d", ".") == "/d"
    for bad in ("../x", "a/../../x", ".."):
        with pytest.raises(ValueError, match="is invalid"):
            file_utils.merge_relative_path("/d", bad)

    import tensorflow as tf  # A gfile destination (ram:// stands in for gs://).

    with open(archive, "rb") as handle:
        file_utils.extract_tarfile_to_destination(io.BytesIO(handle.read()), "ram://fu/out")
    assert (
        tf.io.gfile.GFile("ram://fu/out/variables/variables.index", "rb").read()
        == (MODEL_FILES["variables/variables.index"])
    )


def test_saved_model_handler_methods(upstream_dir):
    """Upstream's SavedModelHandler: copies of its MetaGraphs in and out, and the attached
    messages of one graph variant."""
    from tfhub import saved_model_lib

    handler = saved_model_lib.load(str(upstream_dir / "tf1_image_info"))
    tags = handler.get_tags()
    assert tags and all(isinstance(t, frozenset) for t in tags)
    for variant in tags:
        attached = handler.get_attached_bytes_map(variant)
        assert attached["numbers"] == bytes.fromhex("0a022a45")  # As upstream serialized it.
    copy = handler.get_meta_graph_copy(tags[0])
    copy.meta_info_def.tags.append("changed")
    assert "changed" not in handler.get_meta_graph(tags[0]).meta_info_def.tags
    other = saved_model_lib.SavedModelHandler()
    other.add_meta_graph_copy(handler.get_meta_graph_copy(tags[0]))
    assert other.get_tags() == [tags[0]]
    assert other.get_attached_bytes_map(tags[0]) == handler.get_attached_bytes_map(tags[0])
    with pytest.raises(KeyError, match="No such graph variant"):
        handler.get_meta_graph_copy(["nope"])


def test_parsed_tensor_info_is_supported_type():
    import tensorflow as tf

    from tfhub import tensor_info

    parsed = tensor_info.ParsedTensorInfo
    assert parsed(tf.float32, [None]).is_supported_type
    assert parsed(tf.string, [None], is_sparse=True).is_supported_type
    assert parsed.from_type_spec(tf.RaggedTensorSpec([None, None], tf.int64)).is_supported_type
    dataset = tf.data.DatasetSpec(tf.TensorSpec([], tf.int32))
    assert not parsed.from_type_spec(dataset).is_supported_type


def test_an_empty_signature_name_means_default(upstream_dir):
    """Upstream's Module asked its ModuleImpl (`get_signature_name`): no name, None or "",
    is the "default" signature."""
    import tensorflow as tf

    with tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_multi_sig"))
        assert module._impl.get_signature_name("") == "default"
        assert module._impl.get_signature_name("other") == "other"
        x = tf.constant([[1.0, 2.0, 3.0]])
        outputs = [module(x), module(x, signature=""), module(x, signature="default")]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            first, *rest = session.run(outputs)
    for other in rest:
        assert (other == first).all()


def test_export_folder_helpers_by_upstreams_keywords_and_on_a_url():
    """tf_utils' export-folder helpers take upstream's parameter names and, as upstream, a
    `scheme://` folder (through tf.io.gfile; TensorFlow's ram:// here, gs:// for users)."""
    import uuid

    import tensorflow as tf

    from tfhub import tf_utils

    base = f"ram://exports-{uuid.uuid4().hex}"
    for stamp in ("1600000000", "1600000001", "1600000002", "temp-1"):
        tf.io.gfile.makedirs(f"{base}/{stamp}")
        with tf.io.gfile.GFile(f"{base}/{stamp}/saved_model.pb", "wb") as handle:
            handle.write(b"")
    tf_utils.garbage_collect_exports(export_dir_base=base, exports_to_keep=1)
    assert sorted(n.rstrip("/") for n in tf.io.gfile.listdir(base)) == ["1600000002", "temp-1"]
    new = tf_utils.get_timestamped_export_dir(export_dir_base=base)
    assert new.startswith(base.encode() + b"/") and new.rsplit(b"/", 1)[1].isdigit()
    assert not tf.io.gfile.exists(new)
    temp = tf_utils.get_temp_export_dir(timestamped_export_dir=new)
    assert temp == new.rsplit(b"/", 1)[0] + b"/temp-" + new.rsplit(b"/", 1)[1]


def test_column_classes_at_upstreams_module_paths():
    """Upstream's code and tests name its (private) column classes by module path, e.g.
    `hub.feature_column_v2._TextEmbeddingColumnV2.from_config(column.get_config())`."""
    from tfhub import feature_column, feature_column_v2
    from tfhub.feature_column import image, text, text_v2

    assert feature_column._TextEmbeddingColumn is text._TextEmbeddingColumn
    assert feature_column._SparseTextEmbeddingColumn is text._SparseTextEmbeddingColumn
    assert feature_column._ImageEmbeddingColumn is image._ImageEmbeddingColumn
    assert feature_column_v2._TextEmbeddingColumnV2 is text_v2._TextEmbeddingColumnV2
