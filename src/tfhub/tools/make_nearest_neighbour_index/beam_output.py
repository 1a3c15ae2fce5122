"""The embedding folder as Beam writes it: a path Beam can glob (a link around a folder whose
name holds glob characters), and no Beam temporary left in it afterwards."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator

from .. import atomic_output
from . import files

logger = logging.getLogger(__name__)


_GLOB_CHARACTERS = re.compile(r"[*?[]")


@contextlib.contextmanager
def beam_folder(output_dir: str, embed_output_dir: str) -> Iterator[str]:
    """The path of `output_dir` to give Beam: itself, or, if it holds glob characters (`emb[1]`),
    a link to it from the temporary folder (removed afterwards). Beam finds the files it wrote
    with a glob of the folder's path and has no way to escape one: `[1]` then matched nothing
    and the write failed ("src and dst files do not exist").

    Args:
        output_dir: the folder to write into (local or remote).
        embed_output_dir: the folder as the user named it (for the error).

    Raises:
        tfhub.errors.OutputNotWritableError: the link cannot be made (a local folder with glob
            characters on a system without symbolic links).
    """
    if files.is_remote(output_dir) or not _GLOB_CHARACTERS.search(os.path.abspath(output_dir)):
        yield output_dir
        return
    link_dir = tempfile.mkdtemp(prefix="tfhub-emb-")
    try:
        link = os.path.join(link_dir, "out")
        failure = ""
        if _GLOB_CHARACTERS.search(link):
            failure = f"the temporary folder {link_dir} has glob characters too"
        else:
            try:
                os.symlink(os.path.abspath(output_dir), link, target_is_directory=True)
            except OSError as err:
                failure = str(err)
        if failure:
            raise atomic_output.not_writable(
                embed_output_dir,
                f"Beam cannot write to a path with glob characters (*?[) and the link around "
                f"it failed ({failure})",
                what=files.OUTPUT_FOLDERS["embed_output_dir"],
                flag="embed_output_dir",
                todo="Choose a folder without them.",
            )
        yield link
    finally:
        shutil.rmtree(link_dir, ignore_errors=True)


def remove_beam_leftovers(folder: str) -> None:
    """Beam's temporary sub-folders are removed after a run; make sure none stays."""
    if files.is_remote(folder):
        return
    for name in os.listdir(folder):
        if name.startswith("beam-temp-"):
            logger.debug("Removing Beam's leftover %s", name)
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
