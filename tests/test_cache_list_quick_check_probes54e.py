"""`tfhub cache list` and `cache info` mark damage found by resolve's bounded check (fix54e-F5).

They check an entry as `hub.resolve` does: the manifest's sample of files (the largest, the
SavedModel's key files and a spread of the rest), in a time that does not grow with the number
of files. A missing file outside that sample is found by `tfhub cache verify` only. The docs
("a damaged entry's line ends with [damaged: WHAT]") and the help ("damaged entries are
marked") promised every damaged entry; they now say which check marks it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import run_tfhub

from tfhub.cache import bookkeeping

DOCS = Path(__file__).parent.parent / "docs" / "cli.md"


def _one_paragraph(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _entry_damaged_outside_its_sample(tmp_path: Path) -> str:
    """Imports a model of 82 files and deletes one that its manifest's sample leaves out."""
    files = {"saved_model.pb": b"pb", "variables/variables.index": b"ix"}
    files.update({f"assets/f{i:02}.txt": b"%d" % i for i in range(80)})
    archive = make_tar_gz(tmp_path / "m.tar.gz", files)
    done = run_tfhub("import", str(archive), "--handle", "https://host/m/1")
    assert done.returncode == 0, done.stderr
    entry = Path(done.stdout.strip())
    header = bookkeeping.read_header(str(entry))
    assert header is not None
    sample = header.sample
    left_out = sorted(name for name in files if name not in sample)
    assert left_out, "the sample holds every file: make more files"
    (entry / left_out[0]).unlink()
    return left_out[0]


def test_list_and_info_use_the_quick_check_and_verify_finds_the_rest(
    tmp_path: Path, isolated_cache: Path
) -> None:
    missing = _entry_damaged_outside_its_sample(tmp_path)
    assert "[damaged" not in run_tfhub("cache", "list").stdout
    assert "damaged entries: 0" in run_tfhub("cache", "info").stdout.splitlines()
    verified = run_tfhub("cache", "verify")
    assert verified.returncode == 1 and f"DAMAGED: {missing} is missing" in verified.stdout


@pytest.mark.parametrize("action", ["list", "info"])
def test_the_help_says_which_check_marks_damage(action: str, isolated_cache: Path) -> None:
    done = run_tfhub("cache", action, "--help")
    assert done.returncode == 0
    text = _one_paragraph(done.stdout)
    assert "resolve's quick check" in text and "`tfhub cache verify` checks every file" in text


def test_the_docs_say_which_check_marks_damage() -> None:
    text = _one_paragraph(DOCS.read_text())
    assert "a damaged entry's line ends with" not in text
    assert "`cache list` and `cache info` mark the damage that resolve's quick check finds" in text
    assert "`cache verify` checks every file" in text
