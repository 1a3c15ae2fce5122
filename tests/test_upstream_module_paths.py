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


@pytest.fixture
def global_registry():
    """Restores the resolvers registered with tfhub after the test."""
    resolvers.install_default_resolvers()
    kept = resolvers.registry.implementations
    yield resolvers.registry
    resolvers.registry.clear_implementations()
    for impl in kept:
        resolvers.registry.add_implementation(impl)


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
    with pytest.raises(TypeError, match="abstract"):
        resolver.Resolver()  # As upstream: both methods must be implemented.


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
