"""The hub.KerasLayer call shown by the starter doc, the model page and `tfhub inspect` quotes
names one way, Python's (`repr`), and runs as written whatever the names hold.

The starter doc and the page wrote names with json.dumps, which writes a character outside the
BMP as a surrogate pair: Python reads `"a\\ud83d\\ude00"` as two lone surrogates, not as
"a😀", so the snippet called a signature that does not exist. A name holding a Markdown fence
(```) or a line break must not end the starter doc's code block either.
"""

from __future__ import annotations

import ast
import html
import re

from tfhub.hub import render
from tfhub.hub.doc_handles import parse_handle
from tfhub.hub.keras_call import KerasCall
from tfhub.hub.signatures import MetaGraphInfo, SignatureInfo, SignatureSummary, TensorInfo
from tfhub.hub.starter import StarterInfo, starter_module_doc

ODD = "a😀```\n```\"'\\ \u2028end"  # Non-BMP, fences, a line break, quotes, a backslash.


def _summary(signature: str, outputs: tuple[str, ...]) -> SignatureSummary:
    """A SavedModel without `__call__` whose one signature is `signature` (input `x`)."""
    tensor = lambda name: TensorInfo(name=name, dtype="float32", shape=(None, 3))  # noqa: E731
    signed = SignatureInfo(
        name=signature, inputs=(tensor("x"),), outputs=tuple(map(tensor, outputs))
    )
    return SignatureSummary(
        format="TF2 SavedModel",
        doc_format="tf2",
        files_bytes=1,
        variable_count=0,
        variable_bytes=0,
        meta_graphs=(MetaGraphInfo(tags=("serve",), signatures=(signed,)),),
    )


def _keywords_text(words: list[str]) -> dict[str, object]:
    """The keyword arguments `words` as Python reads them."""
    call = ast.parse(f"f({', '.join(words)})", mode="eval").body
    assert isinstance(call, ast.Call)
    return {word.arg: ast.literal_eval(word.value) for word in call.keywords}


def test_keywords_read_back_as_the_names_in_python() -> None:
    call = KerasCall(signature=ODD, output_key=ODD + "2", outputs=(ODD + "2",))
    assert _keywords_text(call.keywords()) == {"signature": ODD, "output_key": ODD + "2"}
    many = KerasCall(signature=ODD, outputs_as_dict=True, outputs=("a", "b"))
    assert _keywords_text(many.keywords()) == {
        "signature": ODD,
        "signature_outputs_as_dict": True,
    }


def _starter_doc(signature: str, outputs: tuple[str, ...]) -> str:
    return starter_module_doc(
        parse_handle("lab/odd/1"),
        _summary(signature, outputs),
        StarterInfo(description="Odd names.", task="image-classification", license="mit"),
        asset_path="https://hub.example/lab/odd/1.tar.gz",
    )


def test_the_starter_snippet_runs_as_written_and_stays_one_code_block() -> None:
    doc = _starter_doc(ODD, (ODD + "2",))
    shown = render.markdown_to_html(doc.split("\n---\n", 1)[-1])
    blocks = re.findall(r"<pre><code[^>]*>(.*?)</code></pre>", shown, re.S)
    (snippet,) = [html.unescape(block) for block in blocks if "hub.KerasLayer(" in block]
    assert snippet.rstrip("\n").endswith(")"), snippet  # The block holds the whole call.
    parsed = ast.parse(snippet)
    layer_call = parsed.body[-1].value  # layer = hub.KerasLayer(url, signature=..., ...)
    assert {word.arg: ast.literal_eval(word.value) for word in layer_call.keywords} == {
        "signature": ODD,
        "output_key": ODD + "2",
    }
    (comment,) = [line for line in snippet.splitlines() if "model.signatures[" in line]
    named = re.search(r"model\.signatures\[(.*)\], or:$", comment)
    assert named and ast.literal_eval(named.group(1)) == ODD


def test_the_page_line_reads_back_as_the_names_once_unescaped() -> None:
    """The page writes the words into a <pre> with the template's autoescape: a browser shows
    (and a user copies) the words themselves; a fence means nothing in HTML."""
    from tfhub.hub import pages

    words = pages._keras_keywords(_summary(ODD, ("y", "z")))
    assert words is not None
    shown = pages._environment().from_string("f({% for w in keras %}{{ w }}, {% endfor %})")
    text = shown.render(keras=words)
    assert "'" not in text and "&#39;" in text  # Escaped in HTML...
    call = ast.parse(html.unescape(text), mode="eval").body  # ...read back as written.
    assert isinstance(call, ast.Call)
    assert {word.arg: ast.literal_eval(word.value) for word in call.keywords} == {
        "signature": ODD,
        "signature_outputs_as_dict": True,
    }
