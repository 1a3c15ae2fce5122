"""How every tfhub program (`tfhub` and the tools' console scripts) runs a command: below both
`tfhub.cli` and `tfhub.tools`, one module per job.

- `runner`: `run_reported`, which runs a command with all of the below, TensorFlow kept quiet;
- `error_table`: the ordered table from exceptions to labels and exit codes (`classify`);
- `report`: the one line said on stderr (`report`, `tell`, `one_line`);
- `signals`: SIGTERM, SIGHUP and Ctrl-C unwinding the command, and how it ended;
- `stdout`: stdout written whatever its encoding, its failures reported as the output's, and
  argparse's own output (`parse_args`).

This file imports nothing: `tfhub --help` imports only the modules it uses.
"""
