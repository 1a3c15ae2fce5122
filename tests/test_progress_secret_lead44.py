"""The download bar hides a URL's password even when it holds a character the bar escapes
(a newline, a tab: only a URL handed to the upstream-compatible DownloadManager directly can
carry one, handles refuse them). Redacting after escaping sees the password whole (mut44)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("char", ["\n", "\t", "\x1b"], ids=["newline", "tab", "esc"])
def test_the_bar_hides_a_password_holding_an_escaped_character(
    bars_on: None, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    tqdm = pytest.importorskip("tqdm").tqdm
    from tfhub.utils import progress

    url = f"https://user:se{char}cret99@127.0.0.1:8000/m.tar.gz"
    bar = progress.download_bar(description=f"Downloading {url}", total=10, tqdm_class=tqdm)
    bar.update(10)
    bar.close()
    shown = capsys.readouterr().err
    assert "cret99" not in shown and "se" + char not in shown, shown
    assert "***@127.0.0.1:8000/m.tar.gz" in shown, shown
