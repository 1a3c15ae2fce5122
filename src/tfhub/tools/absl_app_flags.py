"""absl's own flags (those of `absl.app` and `absl.logging`) on the tools' command lines, which
upstream's tools took because they ran under `app.run(main)`: scripts written for them pass
`--logtostderr`, `-v 1`, `--log_dir=DIR`, `--only_check_args`, `--undefok=a,b`, ...

What each does here (absl 2.x checked with an `app.run` program; docs/tools.md):
- `--verbosity=N` (`-v N`, `--v=N`): the level of tfhub's records, as absl maps it: 1 DEBUG (and
  `-v`'s TensorFlow lines), 0 INFO (tfhub's library progress too), -1 WARNING (the tool's own
  progress lines hidden), -2 ERROR, -3 FATAL. Without it tfhub's default stays (`-v` off).
- `--logtostderr`, `--alsologtostderr`, `--stderrthreshold`, `--showprefixforinfo`: tfhub's
  records go to stderr already, as absl's went without a log file; accepted, no change.
- `--logger_levels=NAME:LEVEL,...` (absl.logging's): the named Python loggers at those levels
  while the tool runs, as absl's `app.run` sets them (after `--verbosity`, so `tfhub:DEBUG`
  wins over `-v -1` for tfhub's loggers).
- `--log_dir=DIR`: tfhub's records are also written to a log file there, named as absl names its
  files (absl's `app.run` itself writes none; the flag says it is "directory to write logfiles
  into"); none with `--logtostderr` ("only log to stderr").
- `--only_check_args`: the flags are read and checked, then the tool exits 0 without running.
- `--undefok=a,b`: `--a`, `--a=V`, `--noa` (one dash or two) that the tool does not know are
  dropped instead of refused (`without_undefok`).
- `--run_with_pdb`, `--pdb_post_mortem` (`--pdb`), `--run_with_profiling`, `--profile_file`,
  `--use_cprofile_for_profiling`: accepted with a warning that they are ignored: they change how
  a run is debugged or profiled, not what it computes or writes, so a script keeps working.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence

from .. import errors
from .absl_flagfiles import end_of_flags

logger = logging.getLogger(__name__)

# The switches (`--name`, `--noname`, `--name=BOOL`) and the flags taking a value; each is
# parsed into the namespace as `absl_<name>`.
LOGGING_SWITCHES = ("logtostderr", "alsologtostderr", "showprefixforinfo")
DEBUG_SWITCHES = ("run_with_pdb", "pdb_post_mortem", "pdb", "run_with_profiling",
                  "use_cprofile_for_profiling")  # fmt: skip
STDERR_THRESHOLDS = ("debug", "info", "warning", "warn", "error", "fatal", "0", "1", "2", "3")
# absl's verbosity -> Python's level: 1 DEBUG, 0 INFO, -1 WARNING, -2 ERROR, -3 FATAL.
_LEVELS = {1: logging.DEBUG, 0: logging.INFO, -1: logging.WARNING, -2: logging.ERROR}
# Python's level names (`logging.getLevelNamesMapping()`, which Python 3.10 lacks).
_LEVEL_NAMES = {
    "CRITICAL": logging.CRITICAL,
    "FATAL": logging.FATAL,
    "ERROR": logging.ERROR,
    "WARN": logging.WARN,
    "WARNING": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "NOTSET": logging.NOTSET,
}
# absl's prefix, as `I1207 16:14:08 4242 tfhub.tools.x] message` (date, time, process, logger).
_FILE_FORMAT = "%(levelname).1s%(asctime)s %(process)d %(name)s] %(message)s"
_LOGGERS = ("tfhub", "tfhub.tools")  # The library's, and the tools' own (`tool_progress_shown`).


def absl_int(value: str) -> int:
    """Parses an absl integer flag's value as absl does: decimal, or hexadecimal after "0x",
    octal after "0o" (`--batch_size=0x20` is 32)."""
    base = 10
    if len(value) > 2 and value[0] == "0":
        base = {"o": 8, "x": 16}.get(value[1], 10)
    try:
        return int(value, base)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer. Received: {value!r}") from None


def is_verbosity(value: str) -> bool:
    """Whether `value`, after a `-v`, is absl's verbosity: an integer as absl reads one
    (`absl_int`: `-v 1`, `-v -1`, `-v +1`, `-v 0x2`)."""
    try:
        absl_int(value)
    except argparse.ArgumentTypeError:
        return False
    return True


def with_verbosity_spelled(argv: Sequence[str]) -> list[str]:
    """`argv` with absl's short verbosity flag (before a `--`: `-v N`, `-v=N`, `--v=N`,
    `--v N`) as `--verbosity=N` (the `tfhub` parser took `--v=0` for an abbreviation of its
    `--verbose` or `--version`); a `-v` not followed by an integer stays tfhub's `-v`
    (`--verbose`)."""
    end, spelled, index = end_of_flags(argv), [], 0
    while index < len(argv):
        arg = argv[index]
        option, sep, value = arg.partition("=")
        if index < end and option in ("-v", "--v") and sep:
            arg = f"--verbosity={value}"
        elif index + 1 < end and arg in ("-v", "--v") and is_verbosity(argv[index + 1]):
            arg, index = f"--verbosity={argv[index + 1]}", index + 1
        spelled.append(arg)
        index += 1
    return spelled


def without_undefok(argv: Sequence[str], known: set[str]) -> list[str]:
    """`argv` without the flags its `--undefok=a,b` (all of them, before a `--`) names that
    are not in `known` (the parser's long options), as absl drops them: given as `--a`,
    `--a=V` or `--noa`, one dash or two; `--a V` leaves V, as absl does."""
    end = end_of_flags(argv)
    named = {
        name.strip()
        for arg in argv[:end]
        if arg.startswith("--undefok=")
        for name in arg.partition("=")[2].split(",")
    }
    named.discard("")

    def dropped(arg: str) -> bool:
        if not arg.startswith("-") or arg in ("-", "--"):
            return False
        name = arg.lstrip("-").partition("=")[0]
        base = name[2:] if name.startswith("no") and name[2:] in named else name
        return base in named and f"--{name}" not in known

    return [arg for index, arg in enumerate(argv) if index >= end or not dropped(arg)]


def absl_level(verbosity: int) -> int:
    """Python's logging level of absl's verbosity (above 1: finer than DEBUG, as absl's)."""
    if verbosity > 1:
        return logging.DEBUG - (verbosity - 1)
    return _LEVELS.get(verbosity, logging.CRITICAL)


def stderr_threshold(value: str) -> str:
    """argparse `type` of `--stderrthreshold`: one of absl's values, any case, lower-cased
    (`warn` is `warning`, as absl names it).

    Raises:
        argparse.ArgumentTypeError: another value.
    """
    lowered = value.lower()
    if lowered in STDERR_THRESHOLDS:
        return "warning" if lowered == "warn" else lowered
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join(STDERR_THRESHOLDS)} (any case). Received: {value!r}"
    )


def logger_levels(value: str) -> tuple[tuple[str, int], ...]:
    """argparse `type` of absl's `--logger_levels`: `NAME:LEVEL` pairs, comma-separated
    (spaces around each part ignored, empty pairs skipped), each LEVEL a name Python's logging
    knows (`DEBUG`, `INFO`, `WARNING`, `WARN`, `ERROR`, `CRITICAL`, `FATAL`, `NOTSET`).

    Returns:
        The (logger name, level) pairs, in the order given.

    Raises:
        argparse.ArgumentTypeError: a pair without a name and a colon, or an unknown level.
    """
    known = _LEVEL_NAMES
    pairs = []
    for pair in filter(None, (part.strip() for part in value.split(","))):
        name, colon, level = (part.strip() for part in pair.partition(":"))
        if not name or not colon or level not in known:
            raise argparse.ArgumentTypeError(
                "expected NAME:LEVEL pairs separated by commas, each LEVEL one of "
                f"{', '.join(sorted(known, key=known.__getitem__))}. Received: {pair!r}"
            )
        pairs.append((name, known[level]))
    return tuple(pairs)


def run_with_absl_flags(args: argparse.Namespace, run: Callable[[], int], *, prog: str) -> int:
    """Runs `run` as absl's flags in `args` (parsed into `absl_<name>`; absent ones as not
    given) say: not at all with `--only_check_args` (returns 0), else with tfhub's records at
    `--verbosity`'s level and in a `--log_dir` file, after a warning for each debugging flag
    given (see the module's docstring). Returns `run`'s exit code.

    Raises:
        tfhub.errors.ToolFlagError: `--log_dir` is not a folder (before `run`).
    """
    if getattr(args, "absl_only_check_args", False):
        return 0
    for name in (*DEBUG_SWITCHES, "profile_file"):
        if getattr(args, f"absl_{name}", None):
            logger.warning("%s", _ignored(name))
    with _levels(_levels_asked(args)), _log_file(args, prog):
        return run()


def _levels_asked(args: argparse.Namespace) -> list[tuple[str, int]]:
    """The (logger name, level) pairs that `--verbosity` and then `--logger_levels` ask for."""
    verbosity = getattr(args, "absl_verbosity", None)
    asked = [] if verbosity is None else [(name, absl_level(verbosity)) for name in _LOGGERS]
    return [*asked, *(getattr(args, "absl_logger_levels", None) or ())]


def _ignored(name: str) -> str:
    """The warning for absl's debugging flag `name`, given."""
    return (
        f"--{name} (absl's debugging flag) is ignored: the tool runs under tfhub's error "
        "reporting, not absl's app.run; for a debugger or a profile, run it under "
        f"`python -m pdb` or `python -m cProfile`. Received: {name}"
    )


@contextlib.contextmanager
def _levels(levels: Sequence[tuple[str, int]]) -> Iterator[None]:
    """Sets each named logger to its level (in order: a later pair wins) while the block
    runs; restores their levels after it."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name, _ in levels]
    for name, level in levels:
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for one, level in reversed(saved):
            one.setLevel(level)


@contextlib.contextmanager
def _log_file(args: argparse.Namespace, prog: str) -> Iterator[None]:
    """Writes tfhub's records to a file in `--log_dir` while the block runs (nothing without
    the flag, or with `--logtostderr`), named as absl's: `PROG.HOST.USER.log.INFO.TIME.PID`,
    with the link `PROG.INFO` to it."""
    folder = getattr(args, "absl_log_dir", None)
    if not folder or getattr(args, "absl_logtostderr", False):
        yield
        return
    from ..utils.logging import RedactingFormatter

    # As stderr's: no URL's credentials (tracebacks too), one line per record, a byte that
    # is not UTF-8 as `\xff`; "backslashreplace" for any other character UTF-8 cannot take.
    handler = logging.FileHandler(
        _log_path(folder, prog), encoding="utf-8", errors="backslashreplace"
    )
    handler.setFormatter(RedactingFormatter(_FILE_FORMAT, datefmt="%m%d %H:%M:%S"))
    library = logging.getLogger("tfhub")
    library.addHandler(handler)
    try:
        yield
    finally:
        library.removeHandler(handler)
        handler.close()


def _log_path(folder: str, prog: str) -> str:
    """The path of a new log file in `folder` (and its `PROG.INFO` link, best effort).

    Raises:
        tfhub.errors.ToolFlagError: `folder` is not a folder.
    """
    folder = os.path.expanduser(folder)
    if not os.path.isdir(folder):
        raise errors.ToolFlagError(
            f"--log_dir {folder} is not a folder: create it, or omit the flag (tfhub's records "
            f"go to stderr). Received: log_dir={folder!r}",
            flag="log_dir",
            value=folder,
        )
    name = prog.replace(" ", "-")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    file = f"{name}.{socket.gethostname()}.{_user()}.log.INFO.{stamp}.{os.getpid()}"
    link = os.path.join(folder, f"{name}.INFO")
    with contextlib.suppress(OSError):
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(file, link)
    return os.path.join(folder, file)


def _user() -> str:
    """The user's name, as absl puts it in a log file's name ("unknown" if there is none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
