"""Hand-mutation audit (session 44) of session 43's new code: each test here kills a mutant the
existing tests let live (the log of mutants is in the session's report).

Redaction (`utils.redact`), the http(s) handle checks (`handles`), the linear clean-up of a
module's error (`tools.error_marks`), the escaping of what is printed (`utils.printable`), and
the bounded writes of a gfile cache (`gfile_io._writes._write`: its late requests, `landing`, the
MOST_LATE refusal) with the fence of `cache.remote`.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.gfile_files import hold_gfile_call, write_file

from tfhub import errors, gfile_io, handles
from tfhub.tools import error_marks
from tfhub.utils.redact import hide_access_tokens, redact

# --- Redaction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # A scheme of none (`{0,32}`): what precedes "://" may be no scheme's character.
        ("(://user:secret@host/m", "(://***@host/m"),
        # A scheme of two characters then one slash: `Path("gs://u:p@b/m")` as a string.
        ("gs:/user:secret@bucket/m", "gs:/***@bucket/m"),
        # Two secret parameters in a row: the second starts where the first's value ends.
        ("https://h/m?token=abc&sig=def", "https://h/m?token=***&sig=***"),
        ("https://h/m?a=1&X-Amz-Signature=s1&X-Amz-Security-Token=s2", None),
    ],
)
def test_redact_hides_each_secret(text: str, shown: str | None) -> None:
    hidden = redact(text)
    if shown is not None:
        assert hidden == shown
    for secret in ("secret", "abc", "def", "s1", "s2"):
        assert f"={secret}" not in hidden and f":{secret}@" not in hidden, hidden


@pytest.mark.parametrize("space", ["%20", "+", "\t", "\n"], ids=["pct20", "plus", "tab", "newline"])
def test_a_bearer_token_after_any_of_its_separators_is_hidden(space: str) -> None:
    """The quick check before the search must let every form of "Bearer <token>" through."""
    token = "abcdefghij0123456789"
    shown = hide_access_tokens(f"Authorization: Bearer{space}{token}")
    assert token not in shown and shown.endswith(f"Bearer{space}***"), shown


# --- http(s) handles ------------------------------------------------------------------------------


def test_a_url_with_a_user_name_and_an_at_in_its_path_is_taken() -> None:
    """`_cut_userinfo_end` looks for a cut password only where the authority holds no '@'."""
    url = "https://user:pw@host.example/a@b/m.tar.gz"
    assert str(handles.parse(url)) == url


def test_a_bad_port_after_a_user_name_is_said_to_be_a_bad_port() -> None:
    with pytest.raises(errors.InvalidHandleError) as raised:
        handles.parse("https://user:pw@host.example:abc/m@1")
    assert "not a port number" in str(raised.value), raised.value


def test_a_password_of_non_ascii_digits_cut_by_a_slash_is_not_shown() -> None:
    """'١٢٣' is `isdigit()` but no port: taken for one, the password was quoted in the error."""
    with pytest.raises(errors.InvalidHandleError) as raised:
        handles.parse("https://user:\u0661\u0662\u0663/x@host.example/m.tar.gz")
    message = str(raised.value)
    assert "\u0661" not in message and "percent-encode" in message, message


def test_a_cut_password_error_shows_the_url_with_its_userinfo_hidden_as_redact_does() -> None:
    with pytest.raises(errors.InvalidHandleError) as raised:
        handles.parse("https://user:Ab/cd@host.example/m.tar.gz")
    assert str(raised.value).endswith("handle='https://***@host.example/m.tar.gz'"), raised.value


# --- A module's error, cleaned in linear time ---------------------------------------------------
# Each function promises the text of the regular expression it replaced (see its docstring).


def _keras_arguments_by_regex(text: str) -> str:
    return re.sub(r"^\s*(Call a|A)rguments received by .*", "", text, flags=re.M | re.S)


def _node_marks_by_regex(text: str) -> str:
    return re.sub(r"\s*\[\[\{\{node [^}]*\}\}\]\]|\s*\[Op:[^\]]*\]", "", text)


@pytest.mark.parametrize(
    "text",
    [
        "r\nArguments received by x\n  y",
        " Arguments received by x",
        "  Arguments received by x\n",
        "a\n\n  Call arguments received by l\nz\n",
        "a Arguments received by x\nb",
    ],
)
def test_without_keras_arguments_is_its_regular_expression(text: str) -> None:
    assert error_marks.without_keras_arguments(text) == _keras_arguments_by_regex(text)


@pytest.mark.parametrize(
    "text",
    [
        "a [Op:X] b [Op:Y] c",
        "  [Op:X] a ",
        "a [[{{node f}}]] b [[{{node g}}]] c",
        "x [Op:A] [[{{node f}}]] [Op:B]",
        "[[{{node f}}]]\n",
    ],
)
def test_without_node_marks_is_its_regular_expression(text: str) -> None:
    assert error_marks.without_node_marks(text) == _node_marks_by_regex(text)


# --- What the download bar prints -------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u2067", "\u2069", "\u200f", "\x85", "\x9b", "\x7f", "\x00", "\n", "\x07"],
    ids=["lre", "rli", "pdi", "rlm", "nel", "csi", "del", "nul", "lf", "bel"],
)
def test_the_bar_escapes_each_class_of_invisible_character(
    bars_on: None, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    """Bidi embeddings and isolates (U+202A-202E, U+2066-2069), marks (U+200E-200F), C0 and
    C1 controls and DEL: each printed as its escape, never raw."""
    tqdm = pytest.importorskip("tqdm").tqdm
    from tfhub.utils import progress

    bar = progress.download_bar(
        description=f"Downloading http://h/x{char}1/m", total=10, tqdm_class=tqdm
    )
    bar.update(10)
    bar.close()
    shown = capsys.readouterr().err
    code = ord(char)
    escape = f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"
    assert f"x{char}1" not in shown and f"x{escape}1" in shown, repr(shown)


# --- The bounded writes of a gfile cache (gfile_io) --------------------------------------------
# `_write` is given Python calls held on an event, as TensorFlow's request to a server that
# trickles is held: each one times out, and lands (ends) when the test lets it.


@pytest.fixture
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.25")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.25")


def _held(release: threading.Event) -> Callable[[], None]:
    def call() -> None:
        release.wait(30)

    return call


def _ended(prefix: str) -> None:
    """Waits until no held call about a path starting with `prefix` runs (its thread ended)."""
    from tfhub.utils.threads import running_keys

    def running() -> bool:
        return any(
            isinstance(part, str) and part.startswith(prefix)
            for key in running_keys()
            if isinstance(key, tuple)
            for part in key
        )

    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_question_behind_two_stuck_requests_is_refused_at_once_until_they_end(
    short_bounds: None, release: threading.Event
) -> None:
    """MOST_LATE (2) requests of one question that timed out may run; the next is refused at
    once (not a third thread stuck), another question is not, and once they end it runs."""
    path = f"ram://late-{uuid.uuid4().hex}/f"
    what = "whether it wrote the file"
    for _ in range(2):  # Each its own request (its own key): neither joins the other.
        with pytest.raises(errors.RetryTimeoutError) as raised:
            gfile_io._writes._write(_held(release), path, what=what, verb="write")
        assert "did not say" in str(raised.value), raised.value
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError) as raised:
        gfile_io._writes._write(_held(release), path, what=what, verb="write")
    assert time.monotonic() - started < 0.2, "waited for a third stuck request"
    assert "2 earlier requests" in str(raised.value), raised.value
    assert (
        gfile_io._writes._write(lambda: 7, path, what="whether it removed the file", verb="remove")
        == 7
    )
    release.set()
    _ended(path)
    assert gfile_io._writes._write(lambda: 8, path, what=what, verb="write") == 8


def test_landing_names_the_late_writes_of_the_paths_asked_about_only(
    short_bounds: None, release: threading.Event
) -> None:
    base = f"ram://late-{uuid.uuid4().hex}"
    written, read = f"{base}/e/f", f"{base}/e/g"
    with pytest.raises(errors.RetryTimeoutError):
        gfile_io._writes._write(
            _held(release), written, what="whether it wrote the file", verb="write"
        )
    with pytest.raises(errors.RetryTimeoutError):  # A read: landing late, it changes nothing.
        gfile_io._writes._write(
            _held(release), read, what="what the file holds", verb="read", changes=False
        )
    assert gfile_io.landing(lambda path: path.startswith(base)) == [written]
    assert gfile_io.landing(lambda path: path == read) == []
    release.set()
    _ended(base)
    assert gfile_io.landing(lambda path: path.startswith(base)) == []


def test_a_late_stat_or_walk_of_the_cache_changes_nothing_that_lands(
    short_bounds: None, release: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = pytest.importorskip("tensorflow")
    base = f"ram://late-stat-{uuid.uuid4().hex}"  # A URL: a local path's calls are unbounded.
    write_file(f"{base}/f", b"x")
    for name in ("stat", "walk"):
        real = getattr(tf.io.gfile, name)

        def call(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            release.wait(30)
            return _real(*args, **kwargs)

        monkeypatch.setattr(tf.io.gfile, name, call)
    with pytest.raises(errors.RetryTimeoutError):
        gfile_io.mtime_nsec(f"{base}/f")
    with pytest.raises(errors.RetryTimeoutError):
        gfile_io.walk_tree(base)
    assert gfile_io.landing(lambda path: path.startswith(base)) == []


def test_read_text_reads_at_most_its_most_characters(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    (tmp_path / "big").write_text("a" * 5000)
    (tmp_path / "small").write_text("bc")
    assert gfile_io.read_text(str(tmp_path / "big"), most=4096) == "a" * 4096
    assert gfile_io.read_text(str(tmp_path / "small"), most=4096) == "bc"


def test_walk_tree_keeps_out_of_the_folders_enter_refuses_but_names_them(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    for rel in ("a/x", "b/y", "z"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"1")
    walked = gfile_io.walk_tree(str(tmp_path), enter=lambda top, name: name.rstrip("/") != "b")
    files = sorted(name for _, _, names in walked for name in names)
    assert files == ["x", "z"], walked
    assert sorted(name.rstrip("/") for name in walked[0][1]) == ["a", "b"], walked


# --- The fence of a gfile cache entry (cache.remote) ---------------------------------------------
# ram:// stands in for GCS; one of TensorFlow's calls is held on `release` as a trickling
# request is (the first call `held(*args)` picks), and lands when the test lets it.

_VARIABLES = "variables/variables.data-00000-of-00001"


def _model(root: Path, marker: bytes) -> str:
    for rel, data in {"saved_model.pb": marker * 100, _VARIABLES: marker * 256}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return str(root)


@pytest.mark.parametrize("late", ["manifest", "descriptor"])
def test_a_late_write_of_the_entrys_manifest_or_descriptor_fences_the_entry(
    tmp_path: Path,
    short_bounds: None,
    release: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
    late: str,
) -> None:
    from tfhub.cache import layout, remote

    entry = f"ram://fence44-{uuid.uuid4().hex}/e"
    path = getattr(layout, f"{late}_path")(entry)
    hold_gfile_call(monkeypatch, "rename", lambda source, target, *_: target == path, release)
    with pytest.raises(errors.RetryTimeoutError):
        remote.install("https://h/m", _model(tmp_path / "one", b"1"), entry, replace=True)
    with pytest.raises(errors.RetryTimeoutError) as refused:
        remote.install("https://h/m", _model(tmp_path / "two", b"2"), entry, replace=True)
    assert "still running" in str(refused.value) and path in str(refused.value), refused.value


def test_a_late_upload_into_a_staging_folder_does_not_fence_the_entry(
    tmp_path: Path, short_bounds: None, release: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each copy stages into a folder of its own (`<entry>.<uuid>.tmp`): an upload of an
    earlier copy landing there late changes nothing of the entry (a trickling upload is the
    usual timeout; a retry of the resolve must not be refused for it)."""
    from tfhub.cache import remote

    entry = f"ram://fence44-{uuid.uuid4().hex}/e"
    model = _model(tmp_path / "m", b"1")

    def held(source: str, target: str, *_: Any) -> bool:
        return target.startswith(entry + ".") and target.endswith(_VARIABLES)

    hold_gfile_call(monkeypatch, "copy", held, release)
    with pytest.raises(errors.RetryTimeoutError):
        remote.install("https://h/m", model, entry, replace=True)
    remote.install("https://h/m", model, entry, replace=True)
    assert remote.damage(entry) is None


def test_a_copy_refused_by_the_fence_uploads_nothing(
    tmp_path: Path, short_bounds: None, release: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fence is asked before any request: a refused copy leaves no staging folder (not
    removed after a refusal, it would stay until it is taken for abandoned)."""
    from tfhub.cache import remote

    entry = f"ram://fence44-{uuid.uuid4().hex}/e"
    model = _model(tmp_path / "m", b"1")
    tf = pytest.importorskip("tensorflow")
    hold_gfile_call(
        monkeypatch, "rename", lambda source, target, *_: target.endswith(_VARIABLES), release
    )
    with pytest.raises(errors.RetryTimeoutError):
        remote.install("https://h/m", model, entry, replace=True)
    before = sorted(tf.io.gfile.glob(entry + ".*"))
    with pytest.raises(errors.RetryTimeoutError) as refused:
        remote.install("https://h/m", model, entry, replace=True)
    assert "still running" in str(refused.value), refused.value
    assert sorted(tf.io.gfile.glob(entry + ".*")) == before


# --- Mirroring a gs:// folder (hub.mirror_copy) ------------------------------------------------


def test_a_name_too_long_is_named_as_the_bucket_names_it_for_a_folder_given_with_a_slash() -> None:
    tf = pytest.importorskip("tensorflow")
    from tfhub.hub import mirror_copy

    folder = f"ram://mirror44-{uuid.uuid4().hex}/model"
    long_name = "n" * 300
    for rel, data in {"saved_model.pb": b"\x08\x01", long_name: b"x"}.items():
        with tf.io.gfile.GFile(f"{folder}/{rel}", "wb") as out:
            out.write(data)
    with pytest.raises(errors.PublishWriteError) as raised, mirror_copy.local_copy(folder + "/"):
        pass
    message = str(raised.value)
    assert f"{folder}/{long_name}" in message and "too long" in message, message


# --- Listings of a gs:// model: a refusal is tfhub's error -------------------------------------


@pytest.mark.parametrize(
    ("ask", "call"), [("is_dir", "isdir"), ("listdir", "listdir"), ("glob", "glob")]
)
def test_a_listing_tensorflow_refuses_is_a_download_error_naming_the_path(
    monkeypatch: pytest.MonkeyPatch, ask: str, call: str
) -> None:
    tf = pytest.importorskip("tensorflow")

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise tf.errors.PermissionDeniedError(None, None, "403: no storage.objects.list access")

    monkeypatch.setattr(tf.io.gfile, call, refused)
    path = f"ram://refused44-{uuid.uuid4().hex}/m"
    with pytest.raises(errors.DownloadError) as raised:
        getattr(gfile_io, ask)(path)
    assert path in str(raised.value) and "403" in str(raised.value), raised.value


# --- The staging folders of a gfile cache entry: a listing that times out is raised ------------


def test_a_staging_listing_that_times_out_stops_the_copy(
    tmp_path: Path, short_bounds: None, release: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not taken for "no staging folder": each later request would wait as long."""
    from tfhub.cache import remote

    entry = f"ram://staging44-{uuid.uuid4().hex}/e"
    hold_gfile_call(
        monkeypatch, "glob", lambda pattern, *_: pattern.startswith(entry + "."), release
    )
    with pytest.raises(errors.RetryTimeoutError) as raised:
        remote.install("https://h/m", _model(tmp_path / "m", b"1"), entry, replace=True)
    assert "what matches it" in str(raised.value), raised.value


def test_an_owner_file_read_that_times_out_stops_the_copy(
    tmp_path: Path, short_bounds: None, release: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another copy's staging folder whose owner cannot be read in time: not known to be
    abandoned, nor taken for a folder without an owner."""
    tf = pytest.importorskip("tensorflow")
    from tfhub.cache import layout, remote, remote_staging

    entry = f"ram://staging44-{uuid.uuid4().hex}/e"
    remote_staging.claim(layout.new_tmp_dir(entry))  # Another copy's (alive: this process).
    real = tf.io.gfile.GFile

    def gfile(path: str, mode: str = "r") -> Any:
        if str(path).endswith(remote_staging.OWNER_SUFFIX) and "r" in mode:
            release.wait(30)
        return real(path, mode)

    monkeypatch.setattr(tf.io.gfile, "GFile", gfile)
    with pytest.raises(errors.RetryTimeoutError) as raised:
        remote.install("https://h/m", _model(tmp_path / "m", b"1"), entry, replace=True)
    assert "what the file holds" in str(raised.value), raised.value


def test_a_staging_folder_whose_age_cannot_be_read_in_time_stops_the_copy(
    tmp_path: Path, short_bounds: None, release: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staging folder without an owner file, whose files' times do not come in time: its
    age is not known (not taken for 0, a folder that is not abandoned)."""
    tf = pytest.importorskip("tensorflow")
    from tfhub.cache import layout, remote

    entry = f"ram://staging44-{uuid.uuid4().hex}/e"
    staging = layout.new_tmp_dir(entry)
    tf.io.gfile.makedirs(staging)
    with tf.io.gfile.GFile(f"{staging}/saved_model.pb", "wb") as out:
        out.write(b"x")
    hold_gfile_call(monkeypatch, "stat", lambda path, *_: str(path).startswith(staging), release)
    with pytest.raises(errors.RetryTimeoutError) as raised:
        remote.install("https://h/m", _model(tmp_path / "m", b"1"), entry, replace=True)
    assert "when it changed" in str(raised.value), raised.value
