"""What every tfhub program (`tfhub` and the tools' commands) uses to run a command and report
its errors, gathered under one name. Each part has its own module:

- `_error_table`: the ordered table from exceptions to labels and exit codes (`classify`);
- `_report`: the one line said on stderr (`report`, `tell`, `one_line`);
- `_signals`: SIGTERM, SIGHUP and Ctrl-C unwinding the command, and how it ended;
- `_stdout`: stdout written whatever its encoding, its failures reported as the output's;
- `_runner`: `run_reported`, which runs a command with all of the above.
"""

from __future__ import annotations

from ._error_table import classify
from ._report import one_line, report, tell
from ._runner import quiet_tensorflow, run_reported
from ._signals import StopSignals, stop_signal_was_the_end
from ._stdout import flush_stdout, parse_args, write_output

__all__ = [
    "StopSignals",
    "classify",
    "flush_stdout",
    "one_line",
    "parse_args",
    "quiet_tensorflow",
    "report",
    "run_reported",
    "stop_signal_was_the_end",
    "tell",
    "write_output",
]
