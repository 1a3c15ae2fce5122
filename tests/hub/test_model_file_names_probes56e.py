"""A model file name the hub refuses is refused saying which character, and how to fix a name
written decomposed (rf56e-F3).

A name written decomposed (NFD: `e` + U+0301, as macOS tools give names) was refused as "not a
valid file path in a model (e.g. it starts with '.')", though it starts with no `.` and prints
exactly as the composed (NFC) name, which is accepted.
"""

from __future__ import annotations

import unicodedata

import pytest

from tfhub.hub.model_files import path_problem

RESUME = "Résumé.txt"


def test_a_composed_name_is_accepted() -> None:
    assert path_problem("assets/" + unicodedata.normalize("NFC", RESUME)) is None


def test_a_decomposed_name_says_to_write_it_composed() -> None:
    path = "assets/" + unicodedata.normalize("NFD", RESUME)
    problem = path_problem(path)
    assert problem is not None
    assert problem.startswith(f"{path!r} is not a valid file path in a model")
    assert "e.g. it starts with '.'" not in problem
    assert "U+0301 COMBINING ACUTE ACCENT" in problem
    assert "composed (NFC)" in problem


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("assets/new\nline.txt", "'\\n' (U+000A)"),
        ("assets/vocab✓.txt", "'✓' (U+2713 CHECK MARK)"),
        ("assets/.DS_Store", "its part '.DS_Store' starts with '.'"),
        ("variables/.hidden", "its part '.hidden' starts with '.'"),
        ("assets/ lead.txt", "its part ' lead.txt' starts with ' '"),
        ("assets//x.txt", "an empty part"),
    ],
)
def test_the_refusal_names_what_is_wrong(path: str, says: str) -> None:
    problem = path_problem(path)
    assert problem is not None
    assert problem.startswith(f"{path!r} is not a valid file path in a model")
    assert says in problem
    assert "e.g. it starts with '.'" not in problem
