"""tensorflow_hub's `tools.module_search.search` module: the command as upstream's absl program,
for code that drives it that way, and the command line itself (`python -m
tfhub.tools.module_search.search --dataset=... --module=...`)::

    from tfhub.tools.module_search import search

    search.FLAGS.dataset = "flowers#500"
    search.FLAGS.module = ["https://hub.example/m/1", "./m2"]
    search.main(["search"])

`FLAGS` holds upstream's flags (`dataset`, `module`, `module_list`) and tfhub's `image_size`,
absl flags of their own `FlagValues` (not absl's global one, so they clash with no program's);
`main(argv)` ranks the modules and prints the table as the command does (`FLAGS.module` None,
upstream's default, is no module). `utils` is upstream's
helper module; `compute_score(module_spec, data_spec)` scores one module as upstream's did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import errors
from .. import absl_argv
from . import cli, utils

__all__ = ["FLAGS", "compute_score", "main", "run_main", "utils"]


FLAGS = absl_argv.flag_values(cli.build_parser(), purpose="module_search's FLAGS")


def main(argv: Sequence[str] | None) -> int:
    """Ranks the modules `FLAGS` name on `FLAGS.dataset` and prints the table (upstream's absl
    main; `argv` holds only the program's name). A module that cannot be scored is reported on
    stderr and the others are still ranked.

    Returns:
        0, or the exit code of the first module that could not be scored.

    Raises:
        tfhub.errors.ToolFlagError: (a ValueError) arguments besides the program's name, no
            --dataset, no module, or FLAGS.module set to a str (not a list of them).
        tfhub.errors.TFHubError: subclasses say what went wrong with the dataset.
    """
    if argv is not None and len(argv) > 1:
        raise errors.ToolFlagError(
            f"Too many command-line arguments. Received: argv={list(argv)!r}",
            flag="argv",
            value=list(argv),
        )
    if not FLAGS.dataset:
        raise errors.ToolFlagError(
            "--dataset is a required argument: set FLAGS.dataset (NAME or NAME#N). "
            "Received: dataset=None",
            flag="dataset",
            value=FLAGS.dataset,
        )
    if isinstance(FLAGS.module, str):  # Its characters were scored as modules.
        raise errors.ToolFlagError(
            "FLAGS.module is a list of modules: set FLAGS.module = "
            f"[{FLAGS.module!r}]. Received: module={FLAGS.module!r}",
            flag="module",
            value=FLAGS.module,
        )
    values = {name: FLAGS[name].value for name in FLAGS}
    values["module"] = values["module"] or []  # None, upstream's default: no module (`if`).
    return cli.run(argparse.Namespace(**values))


def compute_score(module_spec: str, data_spec: dict[str, Any]) -> np.ndarray:
    """Upstream's helper: the leave-one-out 1-NN error of `module_spec`'s embeddings of a
    dataset, as a 0-d array. `data_spec` is upstream's {"dataset": NAME, "split": "train",
    "num_examples": N or None}; NAME is a class-folder tree or a downloaded
    tensorflow_datasets name, whose train split is read; N 0 or None: all the examples.

    Raises:
        tfhub.errors.ToolFlagError: a split other than "train".
        tfhub.errors.TFHubError: subclasses say what went wrong (see `lib.score_module`).
    """
    from . import lib

    split = data_spec.get("split", "train")
    if split != "train":
        raise errors.ToolFlagError(
            f"module_search reads the train split only. Received: split={split!r}",
            flag="split",
            value=split,
        )
    count = data_spec.get("num_examples") or None  # 0: all of them, as upstream's `if`.
    dataset = lib.load_dataset(lib.DataSpec(data_spec["dataset"], count))
    return np.array(lib.score_module(module_spec, dataset).error)


def run_main() -> None:
    """The console script: parses the command line and runs; exits with its status."""
    sys.exit(cli.main())


if __name__ == "__main__":  # pragma: no cover
    run_main()
