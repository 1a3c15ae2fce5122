"""Exit codes as docs/cli.md and `tfhub --help` state them, checked as a user meets them."""

from __future__ import annotations

import pytest

from tfhub.cli.main import main


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--port", "70000", "--port must be between 1 and 65535"),
        ("--workers", "0", "--workers must be 1 or more"),
        ("--rescan", "-1", "--rescan must be a number of seconds"),
        ("--base-url", "hub.example.com", "--base-url must be"),
    ],
)
def test_serve_option_out_of_range_is_an_invalid_value(
    capsys, tmp_path, option: str, value: str, said: str
) -> None:
    """docs/cli.md: exit 2 is an "invalid value (... an argument out of range)"; `tfhub serve
    --port 70000` and the like exited 1 ("tfhub: error: ...")."""
    pytest.importorskip("starlette")
    assert main(["serve", str(tmp_path), option, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tfhub: invalid value: {said}"), err


def test_serve_what_is_not_there_keeps_its_code(capsys, tmp_path) -> None:
    """A ROOT that is a file (1), a missing ROOT (7) or a token file without tokens (1) are not
    out-of-range values: their codes stay."""
    pytest.importorskip("starlette")
    (tmp_path / "file").write_text("not a hub")
    (tmp_path / "tokens").write_text("# none\n")
    assert main(["serve", str(tmp_path / "file")]) == 1
    assert main(["serve", str(tmp_path / "missing")]) == 7
    assert main(["serve", str(tmp_path), "--token-file", str(tmp_path / "tokens")]) == 1
    assert "tfhub: invalid value" not in capsys.readouterr().err
