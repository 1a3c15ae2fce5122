"""The download bar shows a handle's invisible characters escaped: with
TFHUB_DOWNLOAD_PROGRESS=1 a right-to-left override (U+202E) or a zero-width space in a URL was
printed raw, so `http://h/x\\u202e1/gnp.m` showed as another URL; the logs escape them."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "char", ["\u202e", "\u200b", "\x1b", "\r"], ids=["rlo", "zwsp", "esc", "cr"]
)
def test_the_bar_escapes_invisible_characters_of_a_url(
    bars_on: None, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    tqdm = pytest.importorskip("tqdm").tqdm
    from tfhub.utils import progress

    url = f"http://127.0.0.1:8000/x{char}1/gnp.m"
    bar = progress.download_bar(description=f"Downloading {url}", total=10, tqdm_class=tqdm)
    bar.update(10)
    shown = capsys.readouterr().err
    bar.close()
    assert f"x{char}1" not in shown  # (tqdm itself starts its line with a \\r.)
    assert "http://127.0.0.1:8000/x\\" in shown
