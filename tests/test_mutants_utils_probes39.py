"""Mutants of `tfhub.utils`, `tfhub.constants` and `tfhub.file_utils` that the other tests let
live (session 39): each test here fails with one such change made to the code it names."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.cache_users import python_as_nobody
from tests._helpers.python_process import child_env, python_command

from tfhub import errors
from tfhub.utils import filelock, paths

# --- utils.filelock ---------------------------------------------------------------------------


@contextlib.contextmanager
def _held_by_hand(lock_path: Path, text: str) -> Iterator[None]:
    """Holds an flock on `lock_path` through a descriptor of its own (an flock belongs to the
    open file: another `open` of it, in this process too, waits as another process would),
    with `text` written in it as a holder that never beats again."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, text.encode())
        yield
    finally:
        os.close(fd)  # Releases the flock.


def _wait_for_lock(lock_path: Path, timeout: float) -> tuple[float, BaseException | None]:
    """Waits for `lock_path` in a thread (bounded by the holder: the caller releases it);
    returns how long the wait lasted and what it raised."""
    outcome: list[BaseException | None] = []
    started = time.monotonic()

    def wait() -> None:
        try:
            with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=timeout):
                outcome.append(None)
        except BaseException as err:  # Handed to the test.
            outcome.append(err)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(timeout=8)
    return time.monotonic() - started, outcome[0] if outcome else None


@pytest.mark.parametrize("beat", ["nan", "inf", "1e400"])
def test_a_heartbeat_line_that_is_no_finite_number_gives_the_holder_no_grace(
    tmp_path: Path, beat: str
) -> None:
    """A lock whose holder wrote `heartbeat nan` (a damaged or foreign lock file) is timed out
    like one that wrote none: read as nan, the waiter's "two beats" of grace was nan, every
    comparison with it false, and a stuck holder was waited for for ever (`inf`: 10 s, not
    the waiter's 0.3 s)."""
    lock_path = tmp_path / "entry.lock"
    with _held_by_hand(lock_path, f"otherhost pid 1\nheartbeat {beat}\n"):
        assert filelock.read_heartbeat(str(lock_path)) is None
        waited, raised = _wait_for_lock(lock_path, timeout=0.3)
    assert isinstance(raised, errors.LockTimeoutError) and "otherhost pid 1" in str(raised)
    assert waited < 5


def test_a_lock_taken_with_timeout_0_beats_at_the_normal_rate(tmp_path: Path) -> None:
    """`timeout=0` tries once: its holder beats every HEARTBEAT_SEC (and says so in the lock),
    not every 50 ms as a quarter of a zero wait, floored, would make it."""
    lock_path = tmp_path / "entry.lock"
    with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=0) as held:
        assert held and filelock.read_heartbeat(str(lock_path)) == filelock.HEARTBEAT_SEC
    assert filelock.heartbeat_interval(0) == filelock.heartbeat_interval(-1) == 5.0


@pytest.mark.parametrize(
    ("timeout", "beat"), [(1.0, 0.25), (0.1, 0.05), (0.01, 0.05), (100.0, 5.0)]
)
def test_a_holder_beats_every_quarter_of_its_timeout_from_50_ms_to_5_s(
    tmp_path: Path, timeout: float, beat: float
) -> None:
    """As `heartbeat_interval` says: a quarter of the holder's timeout, at least 50 ms, at most
    HEARTBEAT_SEC; the lock's second line tells waiters that rate."""
    lock_path = tmp_path / "entry.lock"
    with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=timeout) as held:
        assert held and filelock.read_heartbeat(str(lock_path)) == beat


def test_a_holder_claiming_slow_beats_gets_at_most_two_beats_of_the_fastest_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tfhub holder never beats slower than HEARTBEAT_SEC: one whose lock says it beats every
    60 s (not tfhub's, or a damaged lock) gets two HEARTBEAT_SEC of silence, not 120 s."""
    monkeypatch.setattr(filelock, "HEARTBEAT_SEC", 0.5)  # The setting, made short for the test.
    lock_path = tmp_path / "entry.lock"
    with _held_by_hand(lock_path, "otherhost pid 1\nheartbeat 60\n"):
        waited, raised = _wait_for_lock(lock_path, timeout=0.2)
    assert isinstance(raised, errors.LockTimeoutError)
    assert 0.9 < waited < 6


def test_a_lock_file_removed_between_its_open_and_its_lock_is_locked_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder's `cache prune` removes the lock file, then ends, just after a waiter opened
    it and before the waiter locks it: the waiter's lock is then on a file no one else can
    open, and a third process would lock the new file at that path too. The waiter sees the
    file is no longer linked and locks the one at the path. (The removal is made at that
    point by wrapping the real `_open_shared`, which runs unchanged.)"""
    lock_path = tmp_path / "entry.lock"
    real_open_shared = filelock._open_shared
    hand = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(hand, fcntl.LOCK_EX)
    opened: list[int] = []

    def open_then_removed_by_the_holder(path: str) -> int:
        fd = real_open_shared(path)
        opened.append(fd)
        if len(opened) == 1:
            os.remove(path)  # The holder removes the lock file, then ends.
            os.close(hand)
        return fd

    monkeypatch.setattr(filelock, "_open_shared", open_then_removed_by_the_holder)
    with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=2) as held:
        assert held and len(opened) == 2
        assert lock_path.exists() and filelock.try_lock(str(lock_path)) is False


# --- utils.paths ------------------------------------------------------------------------------


def test_a_link_into_a_folder_this_user_may_not_enter_is_said_so(shared_dir: Path) -> None:
    """`non_folder_kind` of a link whose target lies in a folder the user may not enter names
    the target and says it cannot be reached (not "does not exist": it does)."""
    private = shared_dir / "private"
    (private / "cache").mkdir(parents=True)
    private.chmod(0o700)  # root's: the user nobody may not enter it.
    link = shared_dir / "cache"
    link.symlink_to(private / "cache")
    code = "import sys\nfrom tfhub.utils.paths import non_folder_kind\n"
    code += "print(non_folder_kind(sys.argv[1]))"
    done = python_as_nobody(code, os.fspath(link))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"is a link to {private / 'cache'}, which this user may not reach\n"


@pytest.mark.parametrize(
    ("size", "si", "shown"),
    [(999, False, "999 B"), (1500, False, "1.5 KB"), (1500, True, "1.5 kB"),
     (1024, True, "1.0 kB"), (1000, False, "1000 B"), (3 * 1024**2, False, "3.0 MB")],
)  # fmt: skip
def test_human_size_counts_in_1024_or_in_1000_with_si(size: int, si: bool, shown: str) -> None:
    assert paths.human_size(size, si=si) == shown


def test_a_filesystem_that_counts_no_inodes_never_runs_out_of_them() -> None:
    """sysfs, like btrfs, says it has 0 inodes and 0 free: not "no inode left"."""
    if not os.path.isdir("/sys") or os.statvfs("/sys").f_files != 0:
        pytest.skip("needs /sys mounted as sysfs, which counts no inodes")
    room = paths.disk_room("/sys/kernel")
    assert room is not None and not room.no_inode_left
    assert "no inode left" not in room.describe("/sys/kernel")


def test_tree_size_counts_regular_files_and_not_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "weights").write_bytes(b"x" * 1000)
    (tmp_path / "a" / "link").symlink_to(tmp_path / "a" / "weights")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    os.mkfifo(tmp_path / "pipe")
    assert paths.tree_size(tmp_path) == 1000


def test_home_expanded_expands_a_users_home_and_nothing_else() -> None:
    home_of_root = os.path.expanduser("~root")
    if home_of_root == "~root":
        pytest.skip("no user root to expand ~root for")
    assert paths.home_expanded("~root/models") == os.path.join(home_of_root, "models")
    assert paths.home_expanded("~") == os.path.expanduser("~")
    assert paths.home_expanded("a/~/b") == "a/~/b"
    assert paths.home_expanded("https://h/~x") == "https://h/~x"


def test_relative_below_tells_the_folder_and_what_is_below_it_from_the_rest(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "hub"
    assert paths.relative_below(os.fspath(folder), os.fspath(folder)) == "."
    assert paths.relative_below(os.fspath(folder / "..foo"), os.fspath(folder)) == "..foo"
    assert paths.relative_below(os.fspath(folder / "a" / "b"), os.fspath(folder)) == "a/b"
    assert paths.relative_below(os.fspath(tmp_path), os.fspath(folder)) is None
    assert paths.relative_below(os.fspath(tmp_path / "hubx"), os.fspath(folder)) is None
    assert paths.relative_below(os.fspath(tmp_path / "x" / "y"), os.fspath(folder)) is None


def test_make_folders_refuses_a_file_that_appears_where_it_makes_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer puts a file at `a/b` between the check and the `mkdir` of `a/b`: the
    FileExistsError goes out (`a/b` is no folder), and `a`, made by this call, is kept since
    it holds that writer's file."""
    real_mkdir = os.mkdir
    blocked = os.fspath(tmp_path / "a" / "b")

    def mkdir_after_another_writer(path: str, *args: object) -> None:
        if path == blocked:
            Path(path).write_text("another writer's file")
        real_mkdir(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", mkdir_after_another_writer)
    with pytest.raises(FileExistsError):
        paths.make_folders(blocked)
    assert (tmp_path / "a" / "b").read_text() == "another writer's file"


def test_export_folder_name_takes_str_bytes_and_paths_and_refuses_empty_ones(
    tmp_path: Path,
) -> None:
    name = paths.export_folder_name
    assert name(b"/tmp/x", argument="path", caller="The export") == "/tmp/x"
    assert name(tmp_path, argument="path", caller="The export") == os.fspath(tmp_path)
    for empty in ("", b"", Path("")):
        if os.fspath(empty) == ".":
            continue  # Path("") is ".": a folder, named.
        with pytest.raises(errors.ExportError, match="Received: path="):
            name(empty, argument="path", caller="The export")
    with pytest.raises(errors.ArgumentTypeError, match="of type int"):
        name(3, argument="path", caller="The export")


def test_is_terminal_tells_a_terminal_from_a_file(tmp_path: Path) -> None:
    controller, terminal = os.openpty()
    try:
        assert paths.is_terminal(os.ttyname(terminal))
    finally:
        os.close(controller)
        os.close(terminal)
    (tmp_path / "f").write_text("x")
    assert not paths.is_terminal(os.fspath(tmp_path / "f"))
    assert not paths.is_terminal(os.fspath(tmp_path / "missing"))


# --- utils.urls -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "fine"),
    [("gs://abc/m", True), ("gs://ab/m", False), ("gs://" + "a" * 223, True),
     ("gs://" + "a" * 224, False), ("gs://-abc/m", False), ("gs://abc-/m", False),
     ("gs://abc/a b", False), ("gs://abc/a/../b", False), ("gs://abc/a/..b", True),
     ("gs:/xabc/m", False), ("https://abc/m", False)],
)  # fmt: skip
def test_a_gcs_folder_is_a_bucket_name_and_a_printable_path_without_dot_dot(
    location: str, fine: bool
) -> None:
    from tfhub.utils import urls

    assert urls.is_gcs_folder(location) is fine


# --- utils.numbers ----------------------------------------------------------------------------


def test_is_number_takes_any_length_when_the_interpreter_has_no_digit_limit() -> None:
    import sys

    from tfhub.utils.numbers import is_number

    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # 0: no limit; `int()` then reads any length.
    try:
        assert is_number("9" * 5000)
    finally:
        sys.set_int_max_str_digits(before)


@pytest.mark.parametrize(
    ("text", "fine"),
    [("30", True), ("30.", True), ("2.5", True), (".5", True), ("1e3", True),
     ("1.5E-2", True), ("1e+3", True), (".", False), ("1e", False), ("-1", False),
     ("1_0", False), ("inf", False), ("1..2", False), (" 1", False), ("٣", False)],
)  # fmt: skip
def test_is_decimal_reads_what_float_reads_in_plain_ascii(text: str, fine: bool) -> None:
    from tfhub.utils.numbers import is_decimal

    assert is_decimal(text) is fine


def test_is_whole_number_takes_numpy_ints_and_not_bools() -> None:
    np = pytest.importorskip("numpy")
    from tfhub.utils.numbers import is_whole_number

    assert is_whole_number(3) and is_whole_number(np.int64(3))
    assert not is_whole_number(True) and not is_whole_number(np.bool_(True))
    assert not is_whole_number(3.0) and not is_whole_number("3")


# --- utils.redact -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("C:/a@b/model", "C:/a@b/model"),  # A Windows path, not a URL.
        ("/m/https:/user:secret@host/m", "/m/https:/***@host/m"),  # Path(url) keeps one slash.
        ("https://h/m?a=1#access_token=abc", "https://h/m?a=1#access_token=***"),
        ("https://h/m?X%2DAmz%2DSignature=abc", "https://h/m?X%2DAmz%2DSignature=***"),
        ("https://h/m?sig=abc&x=1", "https://h/m?sig=***&x=1"),
        ("https://h/m?key=abc", "https://h/m?key=***"),
        ("https://h/m?db_passwd=abc", "https://h/m?db_passwd=***"),
        ("https://h/m?a=1;sig=abc", "https://h/m?a=1;sig=***"),
        ("https://h/m?sig=abc;token=def", "https://h/m?sig=***"),  # One value, redacted once.
        ("https://h/m?si%67=abc", "https://h/m?si%67=***"),  # `sig`, percent-encoded.
        ("https://h/m?note=x&token=abc'", "https://h/m?note=x&token=***'"),
        ("https://h/m?keep=1", "https://h/m?keep=1"),
        ("https://u:p@h/m", "https://***@h/m"),
    ],
)
def test_redact_hides_userinfo_and_secret_parameters_only(text: str, shown: str) -> None:
    from tfhub.utils.redact import redact

    assert redact(text) == shown


def test_redact_reads_a_parameter_name_of_up_to_100_characters() -> None:
    from tfhub.utils.redact import redact

    name = "x" * 90 + "_token"
    assert redact(f"https://h/m?{name}=abc") == f"https://h/m?{name}=***"


# --- utils.progress ---------------------------------------------------------------------------


@pytest.fixture
def bars_reset() -> Iterator[None]:
    from tfhub.utils import progress

    saved = progress._override
    try:
        yield
    finally:
        progress._override = saved


def test_disabling_bars_wins_over_the_variable(
    bars_reset: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub.utils import progress

    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    progress.disable_progress_bars()
    assert not progress.are_progress_bars_enabled()
    assert isinstance(progress.download_bar(description="d", total=1), progress._NoBar)


_BARS_ON_A_TERMINAL = """
import os, sys
from tfhub.utils import progress
terminal = os.open(os.ttyname(int(sys.argv[1])), os.O_WRONLY)
sys.stderr = os.fdopen(terminal, "w")
print(progress.are_progress_bars_enabled())
"""


@pytest.mark.parametrize(("setting", "enabled"), [(None, "True"), ("0", "False"), ("1", "True")])
def test_on_a_terminal_bars_show_unless_the_variable_says_0(
    setting: str | None, enabled: str
) -> None:
    controller, terminal = os.openpty()
    env = child_env()
    env.pop("TFHUB_DOWNLOAD_PROGRESS", None)
    if setting is not None:
        env["TFHUB_DOWNLOAD_PROGRESS"] = setting
    try:
        done = subprocess.run(
            python_command(_BARS_ON_A_TERMINAL, str(terminal)), env=env, pass_fds=(terminal,),
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(controller)
        os.close(terminal)
    assert done.stdout == f"{enabled}\n", done.stderr


def test_no_bar_when_python_started_without_a_stderr() -> None:
    code = (
        "import sys\nfrom tfhub.utils import progress\nprogress.enable_progress_bars()\n"
        "print(type(progress.download_bar(description='d', total=1)).__name__)"
    )
    done = subprocess.run(
        python_command(code), env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, timeout=60, check=False, preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert done.stdout == "_NoBar\n"


def test_a_bar_shows_on_stderr_in_units_of_1024_without_credentials(
    bars_reset: None, capsys: pytest.CaptureFixture[str]
) -> None:
    tqdm = pytest.importorskip("tqdm").tqdm
    from tfhub.utils import progress

    progress.enable_progress_bars()
    bar = progress.download_bar(
        description="https://user:secret@h/m.tar.gz", total=2048, tqdm_class=tqdm
    )
    bar.update(2048)
    shown = capsys.readouterr()
    bar.close()
    # Not a terminal (captured): the final state stays, on a line of its own (in a terminal it is
    # wiped: tests/test_progress_logs_fx61a.py's pty test).
    assert "2.00k/2.00k" in capsys.readouterr().err.rsplit("\r", 1)[-1]
    assert "secret" not in shown.err and "https://***@h/m.tar.gz" in shown.err
    assert "/2.00k" in shown.err and shown.out == ""  # 2048 B: 2.00k in units of 1024.


def test_a_bar_whose_reader_goes_away_stops_drawing_once(
    bars_reset: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`... 2>&1 | head -1`: the bar's first write after the reader left raises BrokenPipeError;
    the bar stops there (said once at DEBUG), and a bar made then is a no-op one."""
    import logging

    tqdm = pytest.importorskip("tqdm").tqdm
    from tfhub.utils import progress

    progress.enable_progress_bars()
    reader, writer = os.pipe()
    stream = os.fdopen(writer, "w")
    monkeypatch.setattr("sys.stderr", stream)
    try:
        bar = progress.download_bar(description="d", total=10, tqdm_class=tqdm)
        os.close(reader)  # The reader goes away.
        time.sleep(0.6)  # Past the bar's `mininterval`: the next update draws.
        with caplog.at_level(logging.DEBUG, logger="tfhub.utils.progress"):
            bar.update(5)
            bar.update(5)
            bar.close()
            assert isinstance(progress.download_bar(description="d", total=1), progress._NoBar)
    finally:
        monkeypatch.undo()
        with contextlib.suppress(OSError):
            stream.close()
    said = [record.getMessage().split(" (")[0] for record in caplog.records]
    assert said == [
        "The progress bar stopped: its stream failed",
        "No progress bar: its stream failed",
    ]


# --- constants --------------------------------------------------------------------------------


def test_nested_overrides_keep_the_outer_ones() -> None:
    from tfhub import constants

    with constants.overrides({"TFHUB_LOCK_TIMEOUT": "7"}):
        with constants.overrides({"TFHUB_HTTP_RETRIES": "2"}):
            assert constants.lock_timeout() == 7.0 and constants.http_retries() == 2
        with constants.overrides({"TFHUB_LOCK_TIMEOUT": None}):
            assert constants.lock_timeout() == constants.DEFAULT_LOCK_TIMEOUT_SEC


@pytest.mark.parametrize("value", ["uncompressed", "Uncompressed", "UNCOMPRESSED"])
def test_the_model_load_format_is_read_in_any_case(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub import constants

    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", value)
    assert constants.model_load_format() is constants.ModelLoadFormat.UNCOMPRESSED


@pytest.mark.parametrize(
    ("value", "offline"), [("1", True), ("yes", True), ("0", False), ("", False)]
)
def test_offline_is_a_yes_or_a_no(
    value: str, offline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub import constants

    monkeypatch.setenv("TFHUB_OFFLINE", value)
    assert constants.is_offline() is offline


@pytest.mark.parametrize(("value", "disabled"), [("true", True), ("True", False), ("1", False)])
def test_cert_validation_is_disabled_by_exactly_true_as_upstream(
    value: str, disabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub import constants

    monkeypatch.setenv("TFHUB_DISABLE_CERT_VALIDATION", value)
    assert constants.cert_validation_disabled() is disabled


def test_token_hosts_are_lower_cased_and_blank_ones_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tfhub import constants

    monkeypatch.setenv("TFHUB_TOKEN", " t0k ")
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "Hub.Example:8443, ,HOST2,")
    assert constants.hub_token() == ("t0k", ("hub.example:8443", "host2"))
    monkeypatch.setenv("TFHUB_TOKEN", "  ")
    assert constants.hub_token() is None


def test_blank_sizes_and_speeds_are_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from tfhub import constants

    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "  ")
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", " ")
    assert constants.max_extracted_bytes() == constants.DEFAULT_MAX_EXTRACTED_BYTES
    assert constants.download_min_speed() == constants.DEFAULT_DOWNLOAD_MIN_SPEED


def test_zero_retries_are_allowed_and_zero_archive_members_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tfhub import constants

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.setenv("TFHUB_MAX_ARCHIVE_MEMBERS", "0")
    assert constants.http_retries() == 0
    with pytest.raises(errors.SettingError, match="TFHUB_MAX_ARCHIVE_MEMBERS"):
        constants.max_archive_members()
    monkeypatch.setenv("TFHUB_MAX_ARCHIVE_MEMBERS", "1")
    assert constants.max_archive_members() == 1


# --- file_utils -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dst", "rel", "merged"),
    [("gs://b/d", "/a/b", "gs://b/d/a/b"), ("/d", "/a", "/d/a"), ("/d", ".", "/d"),
     ("/d", "a/..", "/d"), ("gs://b/d", "./", "gs://b/d"), ("/d", "a/../b", "/d/b")],
)  # fmt: skip
def test_merge_relative_path_joins_a_member_below_the_folder(
    dst: str, rel: str, merged: str
) -> None:
    from tfhub import file_utils

    assert file_utils.merge_relative_path(dst, rel) == merged


@pytest.mark.parametrize("rel", ["..", "../x", "a/../../x", "/../x", "a/../.."])
def test_merge_relative_path_refuses_a_member_out_of_the_folder(rel: str) -> None:
    from tfhub import file_utils

    for dst in ("/d", "gs://b/d"):
        with pytest.raises(errors.ArgumentError, match="leads out of"):
            file_utils.merge_relative_path(dst, rel)


def test_config_run_installs_the_built_in_resolvers_in_upstreams_order() -> None:
    """Upstream's entry point `config._run()`, in a fresh process (nothing resolved yet)."""
    code = (
        "from tfhub import config, resolvers\n"
        "before = resolvers.registry.implementations\n"
        "config._run()\n"
        "print(len(before), [type(r).__name__ for r in resolvers.registry.implementations])"
    )
    done = subprocess.run(
        python_command(code), env=child_env(), capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.stdout == (
        "0 ['PathResolver', 'HttpUncompressedResolver', 'GcsCompressedResolver', "
        "'HttpCompressedResolver']\n"
    ), done.stderr


# --- utils.refused_writes ---------------------------------------------------------------------


def test_a_refused_write_counts_only_for_a_file_in_the_folder(tmp_path: Path) -> None:
    import errno

    from tfhub.utils.refused_writes import failed_write

    folder = tmp_path / "export"
    inside = OSError(errno.ENOSPC, "No space left on device", os.fspath(folder / "v" / "x.pb"))
    assert failed_write(inside, os.fspath(folder)) is inside
    for elsewhere in (tmp_path / "exports" / "x.pb", tmp_path / "x.pb"):
        err = OSError(errno.ENOSPC, "No space left on device", os.fspath(elsewhere))
        assert failed_write(err, os.fspath(folder)) is None
    assert failed_write(OSError(errno.ENOSPC, "No space left on device"), os.fspath(folder)) is None
    assert failed_write(ValueError("a bug"), os.fspath(folder)) is None


def test_a_tensorflow_write_error_counts_only_when_it_names_a_file_in_the_folder(
    tmp_path: Path,
) -> None:
    import errno

    tf = pytest.importorskip("tensorflow")
    from tfhub.utils.refused_writes import failed_write

    folder = os.fspath(tmp_path / "export")
    full = tf.errors.ResourceExhaustedError(None, None, f"{folder}/variables/x; No space")
    denied = tf.errors.PermissionDeniedError(None, None, f"{folder}/saved_model.pb; denied")
    sibling = tf.errors.ResourceExhaustedError(None, None, f"{folder}s/variables/x; No space")
    other = tf.errors.InternalError(None, None, f"{folder}/variables/x; failed")
    assert getattr(failed_write(full, folder), "errno", None) == errno.ENOSPC
    assert getattr(failed_write(denied, folder), "errno", None) == errno.EACCES
    assert failed_write(sibling, folder) is None and failed_write(other, folder) is None


# --- utils.printable --------------------------------------------------------------------------


def test_escaped_writes_bytes_that_were_not_utf8_and_the_extra_characters_asked_for() -> None:
    from tfhub.utils.printable import escaped

    assert escaped("a\udc80\udcffb") == "a\\x80\\xffb"  # The whole surrogate range, ends too.
    assert escaped("a|b", also="|") == "a\\x7Cb"  # Printable, but asked for.
    assert escaped("\x1b[31m\u2028\U0001f600") == "\\x1B[31m\\u2028\U0001f600"


def test_repr_escaped_rewrites_only_real_surrogates() -> None:
    from tfhub.utils.printable import repr_escaped

    assert repr_escaped("a\udcffb") == "'a\\xffb'"
    assert repr_escaped("\\udcff") == repr("\\udcff")  # A backslash and letters: kept.
    assert repr_escaped("\\\udcff") == "'\\\\\\xff'"  # A backslash, then a bad byte.


def test_the_output_error_handler_is_for_encoding_only() -> None:
    from tfhub.utils.printable import register_output_errors

    handler = register_output_errors()
    assert "a\udcff\u00e9".encode("ascii", handler) == b"a\xff\\xe9"
    with pytest.raises(UnicodeDecodeError):
        b"\xff".decode("utf-8", handler)


# --- utils.live_files -------------------------------------------------------------------------


def test_leftovers_are_the_names_the_pattern_matches_whole(tmp_path: Path) -> None:
    import re

    from tfhub.utils import live_files

    for name in ("m.tar.gz.tmp-abc123", "m.tar.gz.tmp-abc123.keep", "xm.tar.gz.tmp-abc124"):
        (tmp_path / name).write_text("")
    pattern = re.compile(r"m\.tar\.gz\.tmp-[a-z0-9]{6}")
    assert live_files.matching(os.fspath(tmp_path), pattern) == ["m.tar.gz.tmp-abc123"]
    live_files.remove_abandoned(os.fspath(tmp_path), pattern, left_by="a probe")
    assert sorted(os.listdir(tmp_path)) == ["m.tar.gz.tmp-abc123.keep", "xm.tar.gz.tmp-abc124"]


# --- utils.logging and utils.lazy -------------------------------------------------------------


def test_urllib3_request_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from tfhub.utils.logging import redact_urllib3_logs

    redact_urllib3_logs()
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logging.getLogger("urllib3.connectionpool").debug(
            '"GET %s HTTP/1.1" 200', "/m.tar.gz?X-Amz-Signature=abc"
        )
    assert caplog.records[-1].getMessage() == '"GET /m.tar.gz?X-Amz-Signature=*** HTTP/1.1" 200'


def test_warnings_to_stderr_adds_its_handler_once() -> None:
    import logging

    from tfhub.utils.logging import warnings_to_stderr

    logger = logging.getLogger("tfhub")
    before = list(logger.handlers)
    try:
        logger.handlers = []
        warnings_to_stderr()
        warnings_to_stderr()
        assert len(logger.handlers) == 1 and logger.handlers[0].level == logging.WARNING
    finally:
        logger.handlers = before


def test_a_cli_log_line_escapes_a_line_break_in_what_it_quotes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from tfhub.utils.logging import cli_logging

    with cli_logging(verbose=False):
        logging.getLogger("tfhub.probe").warning("folder %s is odd", "a\nb")
    assert capsys.readouterr().err == "tfhub: folder a\\x0Ab is odd\n"


def test_the_install_hint_names_tensorflow_or_the_extra() -> None:
    from tfhub.utils.lazy import install_hint

    assert install_hint("tensorflow.python")[0].startswith(
        "Install TensorFlow 2.21, Keras and tf_keras with: pip install"
    )
    assert install_hint("starlette")[0].startswith("Install tfhub's 'hub' extra with: pip install")
    assert install_hint("faiss") == (
        "Install it with: pip install faiss-cpu",
        "pip install faiss-cpu",
    )
