"""review50b-F1: text written decomposed (NFD: a letter, then its combining accent, as PDFs and
some macOS tools give it) and the dotted capital `İ` are searched as their precomposed words:
`resume` finds "Résumé" written in NFD, `istanbul` finds "İstanbul"."""

from __future__ import annotations

import unicodedata

import pytest
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub.catalog import Catalog
from tfhub.hub.search import SearchIndex, words

NFD = unicodedata.normalize("NFD", "Résumé brûlée café encoder.")


def test_decomposed_latin_letters_are_one_word_folded():
    assert words(NFD) == ["resume", "brulee", "cafe", "encoder"]


def test_dotted_capital_i_is_folded_to_i():
    assert words("İstanbul İSTANBUL") == ["istanbul", "istanbul"]


@pytest.mark.parametrize(
    "query", ["resume", "résumé", unicodedata.normalize("NFD", "résumé"), "brulee", "istanbul"]
)
def test_a_doc_written_in_nfd_is_found(tmp_path, query):
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb3/1", description=f"{NFD} İstanbul")
    write_model_doc(tmp_path, "acme/other/1", description="Another model.")
    index = SearchIndex.build(Catalog.scan(tmp_path))
    assert [model.handle for model in index.search(query)] == ["acme/emb3"]
