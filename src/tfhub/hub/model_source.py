"""The model folder a publish (or mirror) reads: the folder given, checked packable, or an
archive file of one (.tar, .tar.gz, .tgz, as tfhub.dev served models and Kaggle's downloads
are) extracted safely into the publish's staging folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .. import _archive
from ..handles import is_archive_path
from ..model_folder_checks import model_files_in
from . import pack as pack_lib
from . import publish_refusals as refusals

logger = logging.getLogger(__name__)


def model_folder(model_dir: str | os.PathLike[str], staging: Path, command: str) -> str:
    """Returns the model folder: `model_dir` itself, or for an archive file of one (a .tar,
    .tar.gz or .tgz, as tfhub.dev served models and Kaggle's downloads are), the folder in
    `staging` it is extracted into, safely (a member that would land outside is refused). An
    archive that holds the model in its only folder gives that folder. `command` (publish,
    mirror) is what an error says to run again.

    Raises:
        tfhub.errors.ArchiveError: a damaged or hostile archive (UnsafeArchiveError, ...).
        tfhub.errors.NotAnArchiveError: a file named as an archive that is none (a ZIP, an
            HTML page, an empty file): the extractor says what it holds.
        NotAModelError: the archive holds a link (`publish_refusals.refuse_links`).
    """
    path = os.fspath(model_dir)
    if os.path.isdir(path):  # A link or a named pipe inside: refused before TensorFlow reads.
        pack_lib.check_packable(path)
        return path
    if not os.path.isfile(path):
        return path  # Nothing, or a special file: check_loadable says which.
    with open(path, "rb") as handle:
        kind = _archive.sniff(handle.read(512))
    if kind not in ("gzip", "tar", "bz2", "xz") and not is_archive_path(path):
        return path  # check_loadable says what it is (a Keras file, a saved_model.pb...).
    folder = staging / "model"
    folder.mkdir()
    _archive.extract_file(path, os.fspath(folder))
    refusals.refuse_links(folder, path, command)
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not model_files_in(os.fspath(folder)):
        logger.info("%s holds the model in its folder %s/.", path, entries[0].name)
        return os.fspath(entries[0])
    return os.fspath(folder)
