"""An export to gs:// tells a full TMPDIR from the server's refusal by the error's data, not by
its words (session 45): a refusal whose text holds "(TMPDIR)" (a bucket folder so named) said
"Free space in TMPDIR"."""

from __future__ import annotations

import errno
import pickle

import pytest

from tfhub import errors
from tfhub.tf1 import export_writes
from tfhub.utils.refused_writes import export_write_error

TARGET = "gs://bucket/(TMPDIR)/exports/1700000000/linear"
EXPORT_PATH = "gs://bucket/(TMPDIR)/exports"


def _exporters_error(refused: OSError, *, tmpdir: str) -> errors.ExportWriteError:
    """The error the exporter raises for one module's ExportWriteError (`tmpdir` as
    `native_export.export_staged` / `_export_upload` pass it)."""
    module_error = export_write_error(refused, TARGET, argument="path", tmpdir=tmpdir)
    return export_writes._export_path_write_error(module_error, EXPORT_PATH, staged=True)


def test_a_refusal_naming_a_folder_called_tmpdir_says_to_fix_permissions() -> None:
    refused = OSError(errno.EIO, f"403 Forbidden: copy refused into {TARGET}/variables")
    err = _exporters_error(refused, tmpdir="/tmp")
    assert err.tmpdir == "" and "Free space in TMPDIR" not in str(err), str(err)
    assert "Choose a folder you can write, or fix its permissions" in str(err)
    assert err.path == EXPORT_PATH


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_tmpdir_says_to_free_space_there_and_names_it(code: int) -> None:
    full = OSError(code, "no space left in the temporary folder /scratch/t (TMPDIR)")
    err = _exporters_error(full, tmpdir="/scratch")
    assert err.tmpdir == "/scratch", err.tmpdir
    assert "Free space in TMPDIR (/scratch), or set TMPDIR to a folder" in str(err), str(err)
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.tmpdir, again.path) == (str(err), "/scratch", EXPORT_PATH)


def test_a_full_export_folder_keeps_no_tmpdir() -> None:
    err = export_write_error(OSError(errno.ENOSPC, "disk full"), "/models/m")
    assert err.tmpdir == "" and "Free space on its disk" in str(err), str(err)
