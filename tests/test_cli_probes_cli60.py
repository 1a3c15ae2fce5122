"""Probes of the `tfhub` command line (session 60, cli60): what users do that no test covered.

A non-UTF-8 path given to a command that refuses it: docs/cli.md promises that an error line
says each byte of such a name as `\\xff` (where Python writes `\\udcff`); the `Received: ...='...'`
part of many messages (the repr of the argument) still said `\\udcff`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

_NAME = os.fsdecode(b"mod\xffel")  # A file name that is not UTF-8, as Python decodes it.


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("validate", f"no-{_NAME}"), 7),
        (("import", f"{_NAME}.tar.gz", "--handle", "https://example.com/m/1"), 7),
        (("pull", f"/models/{_NAME}"), 2),
    ],
    ids=["validate", "import", "pull"],
)
def test_error_line_says_a_non_utf8_byte_as_xff(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], code: int
) -> None:
    got, out, err = run_tfhub(capsys, *argv)
    assert (got, out) == (code, "")
    assert err.startswith("tfhub: ") and err.count("\n") == 1, err
    assert "mod\\xffel" in err and "\\udc" not in err, err


@pytest.mark.parametrize(
    "argv",
    [
        # A user who takes publish for an upload to the hub's address.
        ("publish", "MODEL", "https://hub.example.com", "--handle", "me/emb/1"),
        # mirror with ROOT first: the URL to mirror is taken as ROOT (the last argument).
        ("mirror", "MODEL", "http://127.0.0.1:9/m/emb.tar.gz", "--as", "me/emb/1"),
        ("publish", "MODEL", "file:///srv/hub", "--handle", "me/emb/1"),
    ],
    ids=["publish-https", "mirror-swapped", "publish-file-url"],
)
def test_a_url_given_as_root_is_refused_and_no_folder_is_made(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    upstream_dir: Path,
    argv: tuple[str, ...],
) -> None:
    """ROOT is a local hub folder: `tfhub publish MODEL https://hub.example.com` made the folders
    `https:/hub.example.com/assets/docs/...` in the working folder and said it had published."""
    model = str(upstream_dir / "tf2_saved_model")
    argv = tuple(model if arg == "MODEL" else arg for arg in argv)
    code, out, err = run_tfhub(capsys, *argv, "--task", "text-embedding")
    assert (code, out) == (1, ""), err
    assert err.startswith("tfhub: error: ROOT is the local hub folder"), err
    assert f"Received: root='{argv[2]}'" in err, err
    made = [p.name for p in tmp_path.iterdir() if p.name.endswith(":")]
    assert made == [], made  # No `https:` or `http:` folder in the working folder.


def test_a_url_root_of_mirror_from_docs_alone_is_refused_by_the_library(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`tfhub mirror https://hub.example.com --from-docs` mirrors no HANDLE: the refusal is
    `mirror_doc_assets`'s own, as `mirror`'s is for a HANDLE (the CLI holds no check of its own)."""
    from tfhub import errors
    from tfhub.hub.mirror_docs import mirror_doc_assets

    code, out, err = run_tfhub(capsys, "mirror", "https://hub.example.com", "--from-docs")
    assert (code, out) == (1, ""), err
    assert err.startswith("tfhub: error: ROOT is the local hub folder"), err
    with pytest.raises(errors.PublishTargetError, match="not a URL"):
        mirror_doc_assets("https://hub.example.com")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(":")] == []
