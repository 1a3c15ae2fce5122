"""`generate`'s Beam pipeline options: the arguments the tool's parser left for Beam must all
be options Beam knows. Beam itself drops an unknown one with a warning and runs without it, so a
misspelt tool flag (`--projectd_dim=4`) would give an unprojected result and exit 0."""

from __future__ import annotations

import contextlib
import difflib
import importlib
import io
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence

from ... import errors


def _runner_module_loads(beam_args: Sequence[str]) -> bool:
    """Imports the module of a runner given by its full name (`--runner=pkg.mod.Runner`), as
    Beam will, so that the options it defines (e.g. DaskRunner's) are known. False if it
    cannot be imported (then Beam says what is wrong when the pipeline starts)."""
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    runner = PipelineOptions(list(beam_args)).view_as(StandardOptions).runner
    if not isinstance(runner, str) or "." not in runner:
        return True
    try:
        importlib.import_module(runner.rsplit(".", 1)[0])
    except Exception:
        return False
    return True


class _DroppedArgs(logging.Handler):
    """Collects the arguments Beam's option parser reports as unparseable (and drops)."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if record.msg == _BEAM_DROPPED_MESSAGE and isinstance(args, tuple) and args:
            self.dropped.extend(str(arg) for arg in args[0])  # type: ignore[attr-defined]


_BEAM_OPTIONS_LOGGER = "apache_beam.options.pipeline_options"
_BEAM_DROPPED_MESSAGE = "Discarding unparseable args: %s"


def unknown_pipeline_args(beam_args: Sequence[str]) -> list[str]:
    """The arguments that Beam's option parser does not know and would drop with a warning."""
    from apache_beam.options.pipeline_options import PipelineOptions

    if not beam_args or not _runner_module_loads(beam_args):
        return []
    catcher, beam_logger = _DroppedArgs(), logging.getLogger(_BEAM_OPTIONS_LOGGER)
    saved = (beam_logger.level, beam_logger.propagate, beam_logger.disabled)
    beam_logger.addHandler(catcher)  # Only here: the warning is not printed.
    beam_logger.setLevel(logging.WARNING)
    beam_logger.propagate, beam_logger.disabled = False, False
    try:
        PipelineOptions(list(beam_args)).get_all_options()
    finally:
        beam_logger.removeHandler(catcher)
        beam_logger.setLevel(saved[0])
        beam_logger.propagate, beam_logger.disabled = saved[1], saved[2]
    return catcher.dropped


@contextlib.contextmanager
def _refused_values(beam_args: Sequence[str]) -> Iterator[None]:
    """Turns Beam's option parser ending the process on an option's value it refuses
    (`--direct_num_workers=two`, `--direct_running_mode=bogus`, a last option without its
    value) into one error: argparse prints Beam's whole usage (about 300 lines) and the
    problem on stderr, then raises SystemExit(2). What the parser printed otherwise is
    printed after all.

    Raises:
        tfhub.errors.ToolFlagError: naming the problem argparse found.
    """
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            yield
    except SystemExit:
        lines = said.getvalue().strip().splitlines()
        problem = lines[-1].split(": error: ", 1)[-1] if lines else "it does not parse"
        # Option names only: other options' values may be secrets (--s3_secret_access_key).
        names = " ".join(arg.split("=", 1)[0] for arg in beam_args if arg.startswith("-"))
        raise errors.ToolFlagError(
            f"Apache Beam refuses a pipeline option: {problem}. Correct its value. Received: "
            f"options {names}",
            flag="arguments",
            value=names,
        ) from None
    if sys.stderr is not None:  # None when the tool was started with stderr closed.
        sys.stderr.write(said.getvalue())


def check_pipeline_args(beam_args: Sequence[str], *, tool_flags: Iterable[str] = ()) -> None:
    """Refuses arguments that are no Beam pipeline option (a misspelt tool flag such as
    `--projectd_dim=4`), which Beam would drop with a warning, running without them, and
    options whose value Beam refuses.

    Args:
        beam_args: what the tool's parser left for Beam.
        tool_flags: the tool's own flag names, offered with Beam's as "Did you mean".

    Raises:
        tfhub.errors.ToolFlagError: naming the unknown arguments, and the nearest known names;
            or what is wrong with a value.
    """
    from apache_beam.options.pipeline_options import PipelineOptions

    with _refused_values(beam_args):
        unknown = unknown_pipeline_args(beam_args)
    if not unknown:
        return
    known = set(PipelineOptions([]).get_all_options())
    names = sorted(known | set(tool_flags))
    close = {
        match
        for arg in unknown
        if arg.startswith("-")
        for match in difflib.get_close_matches(_option_name(arg), names, n=1, cutoff=0.75)
    }
    hint = f" Did you mean {', '.join(f'--{name}' for name in sorted(close))}?" if close else ""
    shown = _without_values(unknown)
    raise errors.ToolFlagError(
        f"Unknown argument(s) {shown}: neither a flag of this tool nor an Apache Beam pipeline "
        f"option (Beam would drop them and run without).{hint} Received: arguments={shown!r}",
        flag="arguments",
        value=shown,
    )


def _without_values(args: Sequence[str]) -> str:
    """Arguments as an error shows them: option names, each value as `...` (the value of a
    misspelt `--s3_secret_access_key` is a secret; the user has the command line)."""
    return " ".join(
        arg.split("=", 1)[0] + ("=..." if "=" in arg else "") if arg.startswith("-") else "..."
        for arg in args
    )


def _option_name(arg: str) -> str:
    """`--direct-num-workers=2` -> `direct_num_workers`, to compare with option names."""
    return arg.lstrip("-").split("=", 1)[0].replace("-", "_")
