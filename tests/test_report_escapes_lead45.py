"""The one line a tfhub program says for an error escapes every character that is not printable
(session 45): a handle holding U+202E (right-to-left override) or a terminal escape reversed or
recoloured the rest of the line on the user's terminal when the message quoted it raw."""

from __future__ import annotations

import pytest
from tests._helpers.warm_python import run_warm_tfhub

from tfhub import errors
from tfhub.program.report import report


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("/m\u202eevil", "/m\\u202Eevil"),  # Right-to-left override.
        ("/m\x1b[31mred", "/m\\x1B[31mred"),  # A terminal escape.
        ("/m\u2067x", "/m\\u2067x"),  # Right-to-left isolate.
        ("/m\tx", "/m\tx"),  # A tab: `tfhub pack`'s report line separates its fields so.
        ("/m\udcffx", "/m\\xffx"),  # A byte that was not UTF-8, said as before.
        ("/modèles/模型", "/modèles/模型"),  # Printable text stays as it is.
    ],
)
def test_an_error_line_escapes_what_is_not_printable(
    capsys: pytest.CaptureFixture[str], raw: str, shown: str
) -> None:
    assert report(errors.ModelNotFoundError(f"The module {raw} does not exist.", path=raw)) != 0
    line = capsys.readouterr().err
    assert line == f"tfhub: not found: The module {shown} does not exist.\n", line


def test_module_search_of_a_module_named_with_a_bidi_override_escapes_it(tmp_path) -> None:
    # The command end to end (`python -m tfhub`, forked after TensorFlow's import): the "not
    # found" line quoted the handle raw.
    from PIL import Image

    for name, colour in (("a", (255, 0, 0)), ("b", (0, 0, 255))):
        (tmp_path / name).mkdir()
        for index in range(2):
            Image.new("RGB", (8, 8), colour).save(tmp_path / name / f"{index}.png")
    done = run_warm_tfhub(
        "module-search", f"--dataset={tmp_path}", "--module=/m\u202eevil", timeout=120
    )
    assert "\u202e" not in done.stderr, done.stderr
    assert "The module /m\\u202Eevil does not exist" in done.stderr, done.stderr
