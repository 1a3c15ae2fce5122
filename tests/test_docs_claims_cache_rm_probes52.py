"""docs/cli.md on what `tfhub cache rm` takes: "handles and entry folder names ... only: any
other argument is "not in the cache" (exit 7), never a path to remove". A name that is no
handle at all (empty, spaces around it, a `file://` URL a slash short, a password holding a
`/`) is an invalid handle instead (exit 2, as `tfhub resolve` says of it), and then nothing
is removed, not even the entries the other names name (rf52e-F7: the page said 7).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cli import run_tfhub

from tfhub import cache


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("", "A handle cannot be empty"),
        (" http://h/m/1", "with spaces around it"),
        ("file://models/m", "not a host ('models')"),
        ("https://user:Ab/cd@host/m", "percent-encode them"),
    ],
    ids=["empty", "spaced", "file-url-host", "slash-in-password"],
)
def test_a_name_that_is_no_handle_is_an_invalid_handle_and_nothing_goes(
    capsys: pytest.CaptureFixture[str], isolated_cache: Path, tmp_path: Path, name: str, said: str
) -> None:
    archive = tmp_path / "m.tar.gz"
    make_tar_gz(archive)
    kept = "https://host.example/models/kept/1"
    assert run_tfhub(capsys, "import", str(archive), "--handle", kept)[0] == 0
    code, out, err = run_tfhub(capsys, "cache", "rm", kept, name)
    assert err.startswith("tfhub: invalid handle: ") and said in err, err
    assert (code, out, err.count("\n")) == (2, "", 1), err
    assert cache.is_complete(cache.module_dir(kept))
    assert "Ab/cd" not in err


def test_any_other_name_is_not_in_the_cache(
    capsys: pytest.CaptureFixture[str], isolated_cache: Path, tmp_path: Path
) -> None:
    """A path, a handle never cached, a mistyped scheme: "not in the cache", 7."""
    names = [str(tmp_path), "https://host.example/never/1", "htps://host.example/m/1"]
    code, out, err = run_tfhub(capsys, "cache", "rm", *names)
    assert (code, out) == (7, "") and err.startswith("tfhub: not found: Not in the cache "), err
    assert str(names) in err


def test_the_page_says_which_names_are_invalid_handles() -> None:
    """The page said every other argument is "not in the cache" (exit 7)."""
    page = " ".join((Path(__file__).parents[1] / "docs" / "cli.md").read_text().split())
    assert (
        "a name that is no handle at all (empty, spaces around it, `file://models/m`) is an "
        "invalid handle (exit 2), and nothing is removed" in page
    )
