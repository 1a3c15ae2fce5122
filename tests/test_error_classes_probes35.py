"""The exception classes whose raise sites no other test triggered, each raised for real.

Session 35's audit of `tfhub.errors`: for every class raised somewhere in src/ but named by no
test, one test makes tfhub raise it the way a user would (a real handle, folder, archive,
registry or export folder) and checks its class, the builtin upstream raised (so old `except`
clauses catch it), its data, and that the message says what went wrong, where, and what to do;
where a command reaches it, also the exit status docs/cli.md gives it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cache_users import python_as_nobody, tfhub_as_nobody
from tests._helpers.python_process import child_env, run_tfhub

import tfhub
from tfhub import errors, resolvers


@pytest.fixture
def no_resolvers() -> Iterator[None]:
    """The resolver registry emptied (as upstream's `clear_implementations()` in tests), then
    given back its resolvers."""
    resolvers.install_default_resolvers()
    saved = list(resolvers.registry.implementations)
    resolvers.registry.clear_implementations()
    try:
        yield
    finally:
        resolvers.registry.clear_implementations()
        for impl in saved:
            resolvers.registry.add_implementation(impl)


# --- Handles --------------------------------------------------------------------------------------


def test_an_empty_handle_is_an_empty_handle_error_and_an_ioerror():
    with pytest.raises(errors.EmptyHandleError) as caught:
        tfhub.resolve("")
    err = caught.value
    assert isinstance(err, FileNotFoundError) and isinstance(err, ValueError)  # Upstream: IOError.
    assert isinstance(err, errors.InvalidHandleError) and err.tried == []
    message = str(err)
    assert "cannot be empty" in message and "Received: handle=''" in message
    assert "pass a model's URL or folder" in message and "environment variable" in message


@pytest.mark.parametrize(
    ("handle", "says"),
    [
        (" http://127.0.0.1:9/m.tar.gz ", "spaces around it"),
        ("http://127.0.0.1:9/m.tar.gz\n", "control characters ('\\n')"),
    ],
    ids=["spaces around a URL", "a line break after it"],
)
def test_a_url_with_spaces_or_a_line_break_around_it_is_a_spaced_handle_error(handle, says):
    with pytest.raises(errors.SpacedHandleError) as caught:
        tfhub.resolve(handle)
    err = caught.value
    assert isinstance(err, OSError) and isinstance(err, ValueError)
    message = str(err)
    assert says in message and f"Received: handle={handle!r}" in message
    assert "handle.strip()" in message and "Did you mean 'http://127.0.0.1:9/m.tar.gz'?" in message


def test_a_spaced_url_exits_2_from_the_command_line():
    done = run_tfhub("resolve", " http://127.0.0.1:9/m.tar.gz", timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("tfhub: invalid handle: The handle is a URL with spaces")


def test_a_file_url_naming_a_host_is_a_file_url_host_error():
    with pytest.raises(errors.FileUrlHostError) as caught:
        tfhub.resolve("file://models/m")
    err = caught.value
    assert isinstance(err, FileNotFoundError) and isinstance(err, ValueError)
    message = str(err)
    assert "not a host ('models')" in message and "Received: handle='file://models/m'" in message
    assert "Did you mean 'file:///models/m'?" in message


def test_a_file_url_naming_a_host_exits_2_not_7():
    """A FileNotFoundError, but an invalid handle first: the table lists InvalidHandleError
    before FileNotFoundError."""
    done = run_tfhub("resolve", "file://models/m", timeout=30)
    assert done.returncode == 2 and done.stderr.startswith("tfhub: invalid handle: "), done.stderr


def test_a_bytes_handle_is_a_handle_type_error_offering_its_text():
    with pytest.raises(errors.HandleTypeError) as caught:
        tfhub.resolve(b"/models/m")  # type: ignore[arg-type]
    err = caught.value
    assert isinstance(err, TypeError) and isinstance(err, ValueError)
    message = str(err)
    assert "must be a non-empty string" in message and "Received: handle=b'/models/m'" in message
    assert "Did you mean '/models/m' (handle.decode())?" in message


# --- Resolvers ------------------------------------------------------------------------------------


def test_no_resolver_at_all_is_an_unsupported_handle_error(no_resolvers, tmp_path):
    with pytest.raises(errors.UnsupportedHandleError) as caught:
        tfhub.resolve(str(tmp_path))
    err = caught.value
    assert isinstance(err, RuntimeError)  # As upstream's registry.
    assert not isinstance(err, errors.UnknownSchemeError) and err.tried == []
    assert repr(str(tmp_path)) in str(err) and "Tried []" in str(err)


def test_a_refusing_resolver_is_listed_as_tried(no_resolvers, tmp_path):
    class OnlyMine(resolvers.Resolver):
        def is_supported(self, handle: str) -> bool:
            return handle.startswith("mine://")

        def _resolve(self, handle: str) -> str:  # pragma: no cover - never supported here.
            return handle

    tfhub.register_resolver(OnlyMine())
    with pytest.raises(errors.UnsupportedHandleError) as caught:
        tfhub.resolve(str(tmp_path))
    assert caught.value.tried == ["OnlyMine"] and "OnlyMine" in str(caught.value)


def test_no_resolver_at_all_says_what_to_do(no_resolvers, tmp_path):
    with pytest.raises(errors.UnsupportedHandleError) as caught:
        tfhub.resolve(str(tmp_path))
    assert "register_resolver" in str(caught.value)


# --- Archives -------------------------------------------------------------------------------------


_EXTRACT_AS_NOBODY = """
    import json, sys
    from tfhub import _archive, errors
    try:
        _archive.extract_file(sys.argv[1], sys.argv[2])
    except errors.UnreadableArchiveError as err:
        print(json.dumps({"message": str(err), "path": err.path,
                          "permission": isinstance(err, PermissionError),
                          "archive_error": isinstance(err, errors.ArchiveError)}))
"""


def test_an_archive_this_user_may_not_read_is_an_unreadable_archive_error(shared_dir):
    archive = make_tar_gz(shared_dir / "private.tar.gz")
    os.chmod(archive, 0o600)  # Root's, and private: the user nobody may not read it.
    env = child_env(HOME=str(shared_dir), TFHUB_CACHE_DIR=str(shared_dir / "cache"))
    done = python_as_nobody(_EXTRACT_AS_NOBODY, str(archive), str(shared_dir / "target"), env=env)
    assert done.returncode == 0 and done.stdout, done.stderr
    seen = json.loads(done.stdout)
    assert seen["permission"] and not seen["archive_error"] and seen["path"] == str(archive)
    assert str(archive) in seen["message"] and "make it readable" in seen["message"]
    assert "chmod a+r" in seen["message"]
    assert not (shared_dir / "target").exists() or not os.listdir(shared_dir / "target")


def test_tfhub_import_of_an_unreadable_archive_exits_1_as_documented(shared_dir):
    """docs/cli.md: "An archive this user may not read is `UnreadableArchiveError` (a
    `PermissionError`, exit 1) ...; no entry is made in the cache"."""
    archive = make_tar_gz(shared_dir / "private.tar.gz")
    os.chmod(archive, 0o600)
    cache_dir = shared_dir / "cache"
    done = tfhub_as_nobody(
        "import", str(archive), "--handle", "https://h.test/m/1", cache_dir=cache_dir
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("tfhub: error: Cannot read ") and "chmod a+r" in done.stderr
    assert not cache_dir.exists() or all(name.startswith(".") for name in os.listdir(cache_dir))


# --- Exports (TensorFlow) -------------------------------------------------------------------------


@pytest.mark.tf
def test_no_free_timestamped_export_folder_is_an_export_folder_error(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow", reason="the TF1 export helpers need TensorFlow")
    from tfhub.tf1 import export

    monkeypatch.setattr(export, "MAX_TIMESTAMP_ATTEMPTS", 2)  # Upstream's 10 take 10 seconds.
    now = int(time.time())
    for second in range(now, now + 30):  # Every name the next seconds would give is taken.
        (tmp_path / str(second)).mkdir()
    started = time.monotonic()
    with pytest.raises(errors.ExportFolderError) as caught:
        export.timestamped_export_dir(str(tmp_path))
    assert time.monotonic() - started < 1.9  # One wait between the 2 attempts, none after.
    err = caught.value
    assert isinstance(err, RuntimeError)  # As upstream.
    message = str(err)
    assert "unique export folder name after 2 attempts" in message
    assert "pass another export_dir_base" in message
    assert f"Received: export_dir_base={str(tmp_path)!r}" in message


# --- Exit statuses --------------------------------------------------------------------------------

_DOCS_CLI = Path(__file__).parents[1] / "docs" / "cli.md"


def _documented_exit_statuses() -> dict[int, str]:
    """docs/cli.md's "Errors print one line ... and exit non-zero: 2 ..., 1 other." as
    {status: what it says the status means}."""
    text = " ".join(_DOCS_CLI.read_text(encoding="utf-8").split())
    start = text.index("exit non-zero: ") + len("exit non-zero: ")
    sentence = text[start : text.index(" 1 other.", start) + len(" 1 other")]
    sentence = re.sub(r"\([^()]*\)", "", sentence)  # The examples in parentheses.
    statuses: dict[int, str] = {}
    for part in sentence.split(","):
        match = re.fullmatch(r"(\d) (.+)", part.strip())
        assert match, f"docs/cli.md's exit statuses: cannot read {part!r}"
        statuses[int(match[1])] = " ".join(match[2].split())
    return statuses


def test_docs_cli_gives_every_exit_status_of_the_error_table_the_meaning_of_its_label():
    """Every row of the CLI's class -> exit status table has a status docs/cli.md lists, and
    docs/cli.md's words for that status name the row's label (1: "other")."""
    from tfhub.program import error_table

    documented = _documented_exit_statuses()
    assert set(documented) == {1, 2, 3, 4, 5, 6, 7, 8}, documented
    for row in error_table._TABLE:
        meaning = documented.get(row.code, "")
        if row.code == 1:
            assert meaning == "other" and row.label in ("error", "OS error"), row
            continue
        words = [word for word in row.label.split() if len(word) > 3]
        assert set(words) & set(meaning.split()), (row.cls.__name__, row.label, meaning)
    assert error_table.classify(RuntimeError("x")) == ("unexpected error", 1)


def test_the_error_table_module_lists_the_exit_statuses_docs_cli_lists():
    from tfhub.program import error_table

    listed = {int(code) for code in re.findall(r"\b(\d) [a-z]", error_table.__doc__ or "")}
    assert listed == set(_documented_exit_statuses()), listed


@pytest.mark.tf
def test_a_module_with_update_ops_applied_in_a_tpu_function_is_a_function_collections_error():
    """Upstream's check, without a TPU: a function graph in a TPU replication context (as
    `tpu.replicate` builds one) applying a trainable module whose graph has UPDATE_OPS."""
    tf = pytest.importorskip("tensorflow", reason="hub.Module needs TensorFlow")
    replication = pytest.importorskip(
        "tensorflow.python.tpu.tpu_replication", reason="TensorFlow's TPU replication context"
    )

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        y = x * 2.0
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, tf.identity(y))
        tfhub.add_signature(inputs=x, outputs=y)

    def in_tpu_function(x: object) -> object:
        context = replication.TPUReplicateContext(name="probe", num_replicas=1, pivot=tf.no_op())
        context.Enter()
        try:
            return tfhub.Module(spec, trainable=True)(x)
        finally:
            context.Exit()

    with tf.Graph().as_default():
        spec = tfhub.create_module_spec(module_fn)
        with pytest.raises(errors.FunctionCollectionsError) as caught:
            tf.compat.v1.wrap_function(in_tpu_function, [tf.TensorSpec([None], tf.float32)])
    err = caught.value
    assert isinstance(err, NotImplementedError)  # As upstream.
    message = str(err)
    assert "collections inside TPU functions is not supported" in message
    assert "['update_ops']" in message and "Apply this module outside the TPU function" in message


def _export_with_another_graphs_session(
    tf: object, tmp_path: Path, *, empty: bool = False
) -> errors.ModuleGraphError:
    """Module.export(path, session) in the module's graph, with a session of another graph."""
    tf_: Any = tf

    def module_fn() -> None:
        x = tf_.compat.v1.placeholder(tf_.float32, [None])
        tfhub.add_signature(inputs=x, outputs=x * 2.0)

    with tf_.Graph().as_default() as module_graph:
        module = tfhub.Module(tfhub.create_module_spec(module_fn))
    with tf_.Graph().as_default() as other_graph:
        if not empty:
            tf_.constant(1.0)
    session = tf_.compat.v1.Session(graph=other_graph)  # Not `with`: it would be default.
    try:
        with module_graph.as_default(), pytest.raises(errors.ModuleGraphError) as caught:
            module.export(str(tmp_path / "export"), session)
    finally:
        session.close()
    assert not (tmp_path / "export").exists()
    return caught.value


@pytest.mark.tf
def test_exporting_a_module_with_another_graphs_session_is_a_module_graph_error(tmp_path):
    tf = pytest.importorskip("tensorflow", reason="hub.Module needs TensorFlow")
    err = _export_with_another_graphs_session(tf, tmp_path)
    assert isinstance(err, RuntimeError)  # As upstream.
    assert "session graph differs from the graph where the module was instantiated" in str(err)


@pytest.mark.tf
def test_exporting_with_another_graphs_session_says_what_to_do(tmp_path):
    tf = pytest.importorskip("tensorflow", reason="hub.Module needs TensorFlow")
    err = _export_with_another_graphs_session(tf, tmp_path)
    assert "Session(graph=" in str(err) or "session of the module's graph" in str(err)


@pytest.mark.tf
def test_an_open_session_of_an_empty_graph_is_not_said_to_be_closed(tmp_path):
    tf = pytest.importorskip("tensorflow", reason="hub.Module needs TensorFlow")
    err = _export_with_another_graphs_session(tf, tmp_path, empty=True)
    assert "closed" not in str(err)


@pytest.mark.parametrize("kind", ["parent", "symlink"])
def test_an_unsafe_member_is_a_value_error_as_upstream_raised(tmp_path: Path, kind: str) -> None:
    """Upstream's `extract_tarfile_to_destination` raised ValueError for a `..` member and for
    a link; `except ValueError` around it keeps working (and it is an ArchiveError, exit 5)."""
    import tarfile

    from tests._helpers.archives import add_members

    from tfhub import file_utils
    from tfhub.program.error_table import classify

    member = tarfile.TarInfo("../outside" if kind == "parent" else "link")
    if kind == "symlink":
        member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
    archive = add_members(tmp_path / "m.tar.gz", [member])
    with open(archive, "rb") as fileobj, pytest.raises(ValueError) as caught:
        file_utils.extract_tarfile_to_destination(fileobj, str(tmp_path / "out"))
    assert isinstance(caught.value, errors.UnsafeArchiveError), caught.value
    assert classify(caught.value) == ("unsafe archive", 5)
    assert not (tmp_path / "outside").exists()
