"""Upstream's absl flags `--tfhub_cache_dir` and `--tfhub_model_load_format` on the tools'
command lines.

tensorflow_hub 0.10.0 defined both as absl flags (resolver.py), so its absl-based tools took
them beside their own (`make_image_classifier --tfhub_cache_dir=/data/hub ...`), and its docs
(caching.md) name `--tfhub_cache_dir`. The tools here parse with argparse: `add_hub_flags` adds
the two flags, and `hub_flags_applied` makes them count while a tool runs, with the
environment variable winning, as upstream's `get_env_setting` had it. Nothing here imports
TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator

from .. import constants
from ..settings_reading import ModelLoadFormat

# The flag's destination in the parsed arguments -> the environment variable it stands for.
_VARIABLE_OF_FLAG = {
    "tfhub_cache_dir": constants.TFHUB_CACHE_DIR,
    "tfhub_model_load_format": constants.TFHUB_MODEL_LOAD_FORMAT,
}
HUB_FLAG_NAMES = tuple(_VARIABLE_OF_FLAG)


def add_hub_flags(parser: argparse.ArgumentParser) -> None:
    """Adds `--tfhub_cache_dir` and `--tfhub_model_load_format` to a tool's parser."""
    parser.add_argument(
        "--tfhub_cache_dir",
        default=None,
        help="the tfhub cache folder (upstream's absl flag; TFHUB_CACHE_DIR wins if set)",
    )
    parser.add_argument(
        "--tfhub_model_load_format",
        choices=[member.value for member in ModelLoadFormat],
        default=None,
        help="how http(s) handles are fetched (upstream's absl flag; TFHUB_MODEL_LOAD_FORMAT "
        "wins if set)",
    )


@contextlib.contextmanager
def hub_flags_applied(args: argparse.Namespace) -> Iterator[None]:
    """Sets the environment variable of each hub flag given in `args` while the block runs,
    unless the variable is already set (non-empty): the variable wins, as upstream. The
    environment itself is set (not `constants.overrides`), so the tool's threads and the
    processes it starts (Beam's workers) read the same cache. Restored afterwards.

    Args:
        args: a tool's parsed arguments (flags missing from them count as not given).

    Yields:
        Nothing.
    """
    saved: dict[str, str | None] = {}
    for flag, variable in _VARIABLE_OF_FLAG.items():
        value = getattr(args, flag, None)
        if value is None or os.environ.get(variable):
            continue
        saved[variable] = os.environ.get(variable)
        os.environ[variable] = value
    try:
        yield
    finally:
        for variable, old in saved.items():
            if old is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = old
