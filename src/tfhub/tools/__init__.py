"""Command-line tools built on tfhub (upstream's `tensorflow_hub.tools`).

- `make_image_classifier`: trains an image classifier on top of an image feature-vector module.
- `make_nearest_neighbour_index`: embeds text with a module and builds a nearest-neighbour index.
- `module_search`: ranks image feature-vector modules for a labelled image dataset.
- `image_folders` (listing), `image_decoding` (all at once), `image_store` (on first use, kept),
  `host_memory` (will it fit) and `image_modules` (module checks): what both image tools use.
- `atomic_output`: the tools' output files and folders, written complete or not at all.
- `absl_argv`: command lines as upstream's absl flags took them (`-image_dir=x`).

Each tool keeps its library apart from its command line; nothing here imports TensorFlow.
`tool_progress_shown` is how the tools' commands show their own progress lines by default.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

# The tools' own loggers: their INFO records are the tools' progress ("Scoring m", "Starting
# the Beam pipeline"), shown without `-v`; the rest of tfhub's INFO records (downloads,
# retries) are the library's, shown with `-v` only, as by the `tfhub` command.
TOOLS_LOGGER_NAME = __name__


@contextlib.contextmanager
def tool_progress_shown() -> Iterator[None]:
    """Lets the tools' own INFO records through while the block runs, whatever the level of
    the "tfhub" logger (the commands set it to WARNING without `-v`); restored afterwards.

    Yields:
        Nothing.
    """
    logger = logging.getLogger(TOOLS_LOGGER_NAME)
    saved = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(saved)
