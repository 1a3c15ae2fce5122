"""Every tfhub error survives pickling with its message and data, and hides credentials."""

from __future__ import annotations

import copy
import inspect
import pickle

import pytest

from tfhub import errors

_DATA = {  # A value for each keyword an error class takes.
    "status": 404,
    "url": "https://h/m",
    "lock_path": "/cache/.locks/x.lock",
    "holder": "host pid 7",
    "waited": 1.5,
    "scheme": "htps",
    "tried": ["HttpCompressedResolver", "PathResolver"],
    "available": ["serving_default", "tokens"],
    "suggested": ("serving_default", "output_0"),
    "handle": "https://h/m",
    "cache_dir": "/cache",
    "path": "/models/x",
    "source": "https://h/m.tar.gz",
    "target": "gs://bucket/m.tar.gz",
    "limit": 1 << 30,
    "min_speed": 1024.0,
    "seconds": 60.0,
    "module": "tensorflow",
    "command": 'pip install "tfhub[tf]"',
    "field": "url",
    "problem": "saved_model.pb (0 bytes) holds no MetaGraph",
    "name": "TFHUB_HTTP_TIMEOUT",
    "remedy": "Free space on the disk of the cache folder /cache.",
    "op": "SentencepieceOp",
    "library": "tensorflow_text",
    "cause": "the connection was refused",
    "attempts": 3,
    "tmpdir": "/scratch/tmp",
    "key": "numbers",
    "message_type": "tensorflow.Example",
    "redirects": 10,
    "reason": "The URL names no host",
    "content_range": "bytes 0-99/552",
}


def _error_classes() -> list[type[BaseException]]:
    # Subclasses of urllib's HTTPError and URLError, imported then.
    built_on_use = [
        errors.HTTPStatusError,
        errors.ConnectionFailedError,
        errors.RetryTimeoutStatusError,
        errors.UnfollowableRedirectError,
        errors.DamagedMessageError,  # Subclasses protobuf's DecodeError.
        errors.AttachedMessageParseError,  # Also protobuf's DecodeError.
        errors.RedirectLoopError,
        errors.NoServerURLError,
    ]
    return built_on_use + [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    ]


def _instance(cls: type[BaseException]) -> BaseException:
    params = inspect.signature(cls.__init__).parameters.values()
    kwargs = {p.name: _DATA[p.name] for p in params if p.kind is p.KEYWORD_ONLY}
    return cls("what went wrong at https://h/m", **kwargs)


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_pickles_with_its_data(cls):
    err = _instance(cls)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and str(again) == str(err) and again.args == err.args
    assert vars(again) == vars(err)
    if isinstance(err, OSError):  # Kept outside `vars`: ConnectionFailedError lost .filename.
        fields = ("errno", "strerror", "filename", "filename2")
        for copied in (again, copy.copy(err)):
            assert [getattr(copied, f) for f in fields] == [getattr(err, f) for f in fields]
    params = inspect.signature(cls.__init__).parameters.values()
    for name in (p.name for p in params if p.kind is p.KEYWORD_ONLY):
        assert getattr(again, name) == _DATA[name]


def test_all_classes_are_covered():
    names = {cls.__name__ for cls in _error_classes()}
    assert {"HTTPStatusError", "DownloadRestartError", "LockTimeoutError", "CacheError"} <= names
    assert "UnsafeAssetError" in names  # A DamagedModelError: `.path`, `.problem` pickle.
    assert len(names) >= 25


def test_data_attributes_and_builtin_bases():
    assert isinstance(errors.LockTimeoutError("m", lock_path="/l"), (TimeoutError, OSError))
    assert isinstance(errors.UnknownSchemeError("m", scheme="x"), (ValueError, RuntimeError))
    assert errors.UnknownTagsError("m", available=[{"serve"}]).available == [{"serve"}]
    assert errors.OfflineModeError("m", handle="h", cache_dir="/c").cache_dir == "/c"
    assert errors.ModelNotFoundError("m", path="/p").path == "/p"
    assert errors.CacheError(28, "full").errno == 28  # OSError's (errno, message) form.
    full = errors.DiskFullError(28, "No space left on device", path="/c", remedy=None)
    assert isinstance(full, errors.CacheError) and (full.errno, full.path) == (28, "/c")
    again = pickle.loads(pickle.dumps(full))
    assert (again.errno, again.strerror, again.path) == (28, "No space left on device", "/c")


def test_messages_never_show_credentials():
    err = errors.DownloadError("Cannot download https://user:s3cret@host/m.tar.gz: 404")
    assert "s3cret" not in str(err) and "https://***@host/m.tar.gz" in str(err)
    assert "s3cret" not in str(pickle.loads(pickle.dumps(err)))


def test_restart_download_is_a_tfhub_error():
    from tfhub import _http

    assert _http.RestartDownload is errors.DownloadRestartError
    assert issubclass(errors.DownloadRestartError, errors.DownloadError)


@pytest.mark.tf
def test_unknown_tags_and_signature_errors_carry_what_is_available(upstream_dir):
    import tfhub as hub
    from tfhub import saved_model, saved_model_proto

    model = str(upstream_dir / "tf2_saved_model")
    with pytest.raises(errors.UnknownTagsError) as info:
        hub.load(model, tags=["no-such-tag"])
    assert info.value.available == [["serve"]]
    assert pickle.loads(pickle.dumps(info.value)).available == [["serve"]]
    with pytest.raises(errors.UnknownSignatureError) as info:
        saved_model.read_signature_def(model, ["serve"], "no-such-signature")
    assert "serving_default" in info.value.available
    with pytest.raises(errors.TFHubLoadError, match=r"its tag sets are \[\['serve'\]\]"):
        saved_model_proto.read_meta_graph(model, ["no-such-tag"])  # Says which there are.


# Where src/tfhub may raise a builtin exception itself, and why: none of these reaches a user.
_BUILTIN_RAISES_ALLOWED = {
    ("__init__.py", "AttributeError"): "module __getattr__: Python's protocol",
    ("utils/lazy.py", "AttributeError"): "package_getattr (cache/, gfile_io/): Python's protocol",
    ("keras/__init__.py", "AttributeError"): "module __getattr__: Python's protocol",
    ("resolver.py", "AttributeError"): "module __getattr__: Python's protocol (lazy FLAGS)",
    ("tf_utils.py", "AttributeError"): "module __getattr__: Python's protocol (lazy TF types)",
    ("tools/make_image_classifier/__init__.py", "AttributeError"): "module __getattr__",
    ("keras/layer.py", "AttributeError"): "Keras probes input_shape/output_shape with hasattr",
    ("keras/_keras2_api.py", "AttributeError"): "Keras 2's input_mask & co: hasattr probes",
    ("keras/layer.py", "NotImplementedError"): "Keras falls back from compute_output_shape",
    ("feature_column/_base.py", "NotImplementedError"): "abstract methods",
    ("tf1/module_impl.py", "NotImplementedError"): "upstream's ModuleImpl interface's methods",
    ("feature_column/image.py", "ValueError"): "caught two lines below, re-raised as ours",
    ("archive_fetch.py", "AssertionError"): "unreachable",
    ("_http.py", "AssertionError"): "unreachable",
    ("_archive_stream.py", "OSError"): "tarfile's seek protocol, inside extraction",
    ("_archive_stream.py", "EOFError"): "a cut-short archive: extraction raises ArchiveError",
    ("_archive_decoder.py", "EOFError"): "a cut-short member: extraction raises ArchiveError",
    ("tools/atomic_output.py", "NotADirectoryError"): "caught below: OutputNotWritableError",
    ("utils/paths.py", "NotADirectoryError"): "make_folders, as os.mkdir's own: its callers' error",
    ("hub/publish_locks.py", "FileNotFoundError"): "caught by lock_model_folder: made again",
    ("hub/cache_dir.py", "FileExistsError"): "caught by check_cache_dir and recheck: a file given",
    ("cache/entry_files.py", "OSError"): "file_digest: a pipe or device is unreadable, as open's",
    ("cache/bookkeeping.py", "AttributeError"): (
        "module __getattr__: Python's protocol (names moved off the hot path)"
    ),
    ("tools/make_nearest_neighbour_index/files.py", "OSError"): (
        "_naming gives a buffered write's error its file: output_folder makes it ours"
    ),
    ("hub/files.py", "OSError"): "ends a response whose file shrank; logged by the server",
    ("hub/model_files.py", "ValueError"): "caught in the same function",
    ("hub/signatures.py", "ValueError"): "caught by the reader, which reports the file",
    ("hub/tags.py", "ValueError"): "caught by the reader, which reports the file",
    ("hub/tags.py", "IsADirectoryError"): "caught by the reader, which reports the file",
    ("hub/docs_format.py", "ValueError"): "an internal misuse (a kind without a path)",
    ("hub/commit.py", "ValueError"): "a garbled journal: caught by read_journal, which warns",
}


def test_users_get_tfhub_errors_not_bare_builtins():
    """A `raise ValueError(...)` (or any builtin) in src/tfhub must be ours or listed above."""
    import ast
    import builtins
    from pathlib import Path

    root = Path(errors.__file__).parent.parent  # src/tfhub (errors/ is a package)
    found = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else None
            if name and isinstance(getattr(builtins, name, None), type):
                if issubclass(getattr(builtins, name), BaseException) and not rel.startswith(
                    "errors/"
                ):
                    found.add((rel, name))
    assert found - set(_BUILTIN_RAISES_ALLOWED) == set()
    assert set(_BUILTIN_RAISES_ALLOWED) - found == set()  # Keep the list true.


# What each exit code of the `tfhub` command means (docs/cli.md, "Errors"), by tfhub's kinds of
# error first, then by the builtin a class subclasses; 1 for any other error.
_CODE_OF_KIND: list[tuple[type[BaseException], int]] = [
    (errors.OfflineModeError, 3),  # Offline and not cached.
    (errors.DownloadError, 4),  # Download failed, not an archive.
    (errors.ArchiveError, 5),  # Bad or unsafe archive.
    (errors.CacheError, 6),  # Cache not usable.
    (errors.InvalidHandleError, 2),  # Invalid or unsupported handle, invalid value.
    (errors.UnsupportedHandleError, 2),
    (errors.SettingError, 2),
    (errors.TempFolderError, 2),  # Set TMPDIR (docs/cli.md).
    (errors.ArgumentError, 2),
]
_CODE_OF_BUILTIN: list[tuple[type[BaseException], int]] = [
    (FileNotFoundError, 7),  # Not found.
    (ImportError, 8),  # Missing dependency.
]


def _documented_code(err: BaseException) -> int:
    for cls, code in _CODE_OF_KIND + _CODE_OF_BUILTIN:
        if isinstance(err, cls):
            return code
    return 1


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_exits_with_the_code_its_meaning_documents(cls):
    """MissingDependencyError exited 1, not 8, and the FileNotFoundErrors other than
    ModelNotFoundError (a model folder without saved_model.pb, a tool's module that does not
    exist) 1, not 7: the catch-all TFHubError row of the table came before theirs."""
    from tfhub.program.error_table import classify

    err = _instance(cls)
    label, code = classify(err)
    assert code == _documented_code(err), (label, code)
    assert (code == 7) == (label == "not found") and (code == 8) == (label == "missing dependency")


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("not a folder", 7),  # Missing, or a file: no model folder where the command looked.
        ("no saved_model.pb", 7),  # A folder, but no model in it: as `tfhub inspect` says 7.
        ("not a regular file: variables/link", 1),  # A model, but not one to publish.
        ("saved_model.pb (0 bytes) holds no MetaGraph", 1),  # A damaged model.
    ],
)
def test_a_folder_that_holds_no_model_exits_not_found(reason, code):
    from tfhub.program.error_table import classify

    err = errors.NotAModelError("m", path="/models/x", reason=reason)
    assert classify(err) == (("not found", 7) if code == 7 else ("error", 1))
