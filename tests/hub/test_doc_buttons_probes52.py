"""tfhub.dev's Colab and Demo button lines among a doc's metadata (rf52c-F1).

tfhub.dev's validator (tools/validator.py, `consume_metadata`) skips lines starting with
`[![Open Colab notebook]]` and `[![Open Demo]]` there, as it skips the publisher's icon line,
and its tests `test_markdown_colab_button` / `test_markdown_demo_button` validate such docs.
tfhub reported the line as unexpected (`tfhub validate` failed, `mirror --from-docs` refused
the doc) and the server read no metadata after it (a `language` below the button was lost
from the API, the pages and the search filters).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub.hub import docs_format as fmt
from tfhub.hub import render
from tfhub.hub.validator import validate_tree

COLAB = "[![Open Colab notebook]](https://colab.research.google.com/github/acme/emb.ipynb)"
DEMO = "[![Open Demo]](https://teachablemachine.withgoogle.com/train/pose)"


def _doc(button: str) -> str:
    """tfhub.dev's MARKDOWN_WITH_COLAB_BUTTON, with one metadata line below the button."""
    return (
        "# Module acme/emb/1\n"
        "One line description.\n"
        "<!-- asset-path: legacy -->\n"
        "<!-- module-type: text-embedding -->\n"
        "<!-- fine-tunable: true -->\n"
        "<!-- format: saved_model_2 -->\n"
        "\n"
        f"{button}\n"
        "\n"
        "<!-- language: en -->\n"
        "\n"
        "## Overview\n"
        "Embeds text.\n"
    )


@pytest.mark.parametrize("button", [COLAB, DEMO], ids=["colab", "demo"])
def test_a_button_line_among_the_metadata_is_no_problem_and_hides_none(button):
    doc = fmt.parse_text(_doc(button), path=Path("/hub/1.md"), rel_path="acme/models/emb/1.md")
    assert doc.problems == ()
    assert [value.value for value in doc.metadata["language"]] == ["en"]
    assert [value.value for value in doc.metadata["format"]] == ["saved_model_2"]


@pytest.mark.parametrize("button", [COLAB, DEMO], ids=["colab", "demo"])
def test_the_button_is_still_shown_on_the_page_as_a_link(button):
    doc = fmt.parse_text(_doc(button), path=Path("/hub/1.md"), rel_path="acme/models/emb/1.md")
    url = button.partition("](")[2].rstrip(")")
    html = render.markdown_to_html(doc.body)
    assert f'href="{url}"' in html and "Embeds text." in html
    assert "language" not in html  # The metadata lines between are comments, not shown.
    assert doc.body_line == 8  # Warnings about the body name the file's own lines.


def test_tfhub_validate_passes_a_fork_doc_with_a_colab_button(tmp_path):
    docs = tmp_path / "assets" / "docs" / "acme"
    (docs / "models" / "emb").mkdir(parents=True)
    (docs / "acme.md").write_text("# Publisher acme\nAcme.\n")
    (docs / "models" / "emb" / "1.md").write_text(_doc(COLAB))
    assert validate_tree(tmp_path) == []


def test_another_line_among_the_metadata_is_still_reported():
    doc = fmt.parse_text(
        _doc("[![Open Somewhere]](https://example.com)"),
        path=Path("/hub/1.md"),
        rel_path="acme/models/emb/1.md",
    )
    assert [problem.line for problem in doc.problems] == [8]
    assert "unexpected line" in doc.problems[0].message
