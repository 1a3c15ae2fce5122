"""Full-text search and filters over a catalog's models, built once in memory.

Each model's text (handle, its versions' handles, description, metadata values, documentation
body: its first `MAX_INDEXED_CHARS` characters, what its page shows) is cut into lower-case
words; a query matches the models that contain every query word, as a whole word or as a word
prefix (`mobile` finds `mobilenet`), ranked by how often the words occur (words of the handle
and description count more). Filters keep models whose latest doc has the value.

A compound word (parts joined by `.`, `_`, `-` or `/`: `mobilenet_v2_100_224`,
`google/efficientnet/b0`) is indexed whole, by its parts, and by each run of parts to its end
(`v2_100_224`), so a query compound matches as a prefix of any run (`mobilenet_v2_1`,
`efficientnet/b`, `acme/model/1`); a query compound that matches no model asks for its parts
instead (`efficientnet-b0` finds `efficientnet_b0`; its first `MAX_QUERY_WORDS` parts).

Scripts written without spaces between words (Chinese, Japanese kanji and kana, Korean hangul,
Thai, Lao, Khmer, Myanmar) are cut as search engines without a dictionary cut them: a run of
such characters is indexed as its overlapping pairs of characters (`文本模型` -> `文本`, `本模`,
`模型`) and its single characters, and a query run asks for all its pairs (a one-character
query run for that character), so any part of two or more characters of such a text matches.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .. import errors
from .catalog import Catalog
from .catalog_entries import FACETS, Model, handle_order
from .render import MAX_RENDERED_CHARS

# Letters of scripts written without spaces (with their combining marks and digits): CJK
# ideographs (and `々〆〇`), hiragana, katakana (not `゠`, `・`), hangul, Thai, Lao, Khmer, Myanmar.
_UNSPACED = (
    "\u0e01-\u0e3a\u0e40-\u0e4e\u0e50-\u0e59"  # Thai
    "\u0e81-\u0ece\u0ed0-\u0ed9\u0edc-\u0edf"  # Lao
    "\u1000-\u1049\u1050-\u109d"  # Myanmar
    "\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff"  # Hangul
    "\u1780-\u17d3\u17d7\u17dc\u17dd\u17e0-\u17e9"  # Khmer
    "\u3005-\u3007\u3041-\u3096\u3099-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"  # Ideographs, half-width kana
    "\U00020000-\U0003134f"  # Ideographs (extensions B to G)
)


def _mark_ranges() -> str:
    """The combining marks of the Basic Multilingual Plane (categories Mn, Mc, Me: Devanagari's
    vowel signs and virama, Hebrew points, Arabic harakat) as a character-class body."""
    marks = [code for code in range(0x300, 0x10000) if unicodedata.category(chr(code))[0] == "M"]
    ranges: list[list[int]] = []
    for code in marks:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{start:04x}-\\u{end:04x}" for start, end in ranges)


# A letter or digit of a script written with spaces, with the combining marks after it (not
# word characters to `re`: a word was cut at each of them).
_LETTER = rf"[^\W_{_UNSPACED}][{_mark_ranges()}]*"
# A word: letters and digits (of any other script: `brûlée`, `модель`, `हिन्दी`), with `._/-`
# inside for compounds (`mobilenet_v2_100`); or a run of an unspaced script.
_WORD = re.compile(rf"(?:{_LETTER})+(?:[._/-](?:{_LETTER})+)*|[{_UNSPACED}]+", re.UNICODE)
_UNSPACED_RUN = re.compile(rf"[{_UNSPACED}]")
_PARTS = re.compile(r"[._/-]")
_TITLE_WEIGHT = 5
MAX_QUERY_WORDS = 16
MIN_PREFIX = 3  # Shorter query words match whole words only.
# The start of a doc body that is indexed: what its page shows (`render.MAX_RENDERED_CHARS`).
# Indexing takes about 1 s per MB: one 10 MB doc held up each start and rescan for 10 s.
MAX_INDEXED_CHARS = MAX_RENDERED_CHARS


def _latin_folds() -> dict[int, str]:
    """Latin letters with diacritics -> their ASCII letters (`é` -> `e`, `ñ` -> `n`), for
    `normalized`; letters with no ASCII base (`ß`, `ø`, `æ`) are kept."""
    folds = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        base = "".join(char for char in decomposed if not unicodedata.combining(char))
        if base != chr(code) and base.isascii() and base.isalpha():
            folds[code] = base
    return folds


_LATIN_FOLDS = _latin_folds()


# The blocks that hold every symbol or number character whose compatibility form differs from
# it (Unicode 15: spacing accents, `½ ²`, letterlike symbols `™ ℃ №`, `Ⅱ ①`, squared CJK units
# `㎏`, full-width and enclosed ones); tests/hub/test_search_symbols_fx61b.py checks them
# against all of Unicode.
_SYMBOL_BLOCKS = (
    (0x0, 0x400),
    (0x1F00, 0x3500),
    (0xFB00, 0x10000),
    (0x1D100, 0x1D800),
    (0x1F100, 0x1F300),
)


_BREAKING_CATEGORIES = frozenset({"Sm", "Sc", "Sk", "So", "No", "Nl"})


def _symbol_breaks() -> dict[int, str]:
    """Each symbol (category S*) or number character (No, Nl: `Ⅱ`, `①`, `½`) whose NFKC form
    differs from it -> that form as a word of its own (`™` -> " tm ", `①` -> " 1 "), for
    `normalized`: NFKC alone glued its letters or digits onto the word before (`TF™` was
    `tftm`, `Net①` `net1`, which a query `tf`, `net` did not find)."""
    breaks = {}
    for start, end in _SYMBOL_BLOCKS:
        for code in range(start, end):
            char = chr(code)
            if unicodedata.category(char) in _BREAKING_CATEGORIES:
                compatible = unicodedata.normalize("NFKC", char)
                if compatible != char:
                    breaks[code] = f" {compatible} "
    return breaks


_SYMBOL_BREAKS = _symbol_breaks()


# A combining diacritic left after a Latin letter once folded: `İ`.lower() is `i` and U+0307,
# and letters with no precomposed form (`q̃`). Left in, it cut the word in two.
_MARKS_AFTER_LATIN = re.compile(r"(?<=[a-z])[\u0300-\u036f]+")


def normalized(text: str) -> str:
    """`text` as words are looked for in it: composed (NFC: a letter written decomposed, as
    PDFs and some macOS tools give it, `e` then U+0301, is `é`) in its compatibility form
    (NFKC, as search engines' normalizers: full-width `ｍｏｂｉｌｅ`, typed by a CJK input method,
    is `mobile`, half-width `ﾓﾃﾞﾙ` is `モデル`, `ﬁ` is `fi`), lower case, and Latin letters
    without their diacritics, so `cafe` finds `Café` and `brû` finds `brûlée` (as search
    engines fold them; other scripts are kept as they are: Thai vowels, kana voicing marks and
    hangul are letters). A symbol or number character whose compatibility form is letters or
    digits stays a word break (`TF™` is `tf tm`, `5㎏` is `5 kg`, `Net①` is `net 1`)."""
    if not unicodedata.is_normalized("NFKC", text):  # Else it holds no such symbol: fast.
        text = text.translate(_SYMBOL_BREAKS)
    folded = unicodedata.normalize("NFKC", text).lower().translate(_LATIN_FOLDS)
    return _MARKS_AFTER_LATIN.sub("", folded)


def words(text: str) -> list[str]:
    """The search words of a text: lower-case runs of letters and digits, plus their parts.

    `mobilenet_v2_100` gives `mobilenet_v2_100`, `mobilenet`, `v2` and `100`; a run of a
    script written without spaces gives its pairs of characters (`_pairs`).
    """
    return _with_parts(_query_tokens(_WORD.findall(normalized(text))))


def _is_unspaced(token: str) -> bool:
    """Whether a token of `_WORD` is a run of a script written without spaces."""
    return _UNSPACED_RUN.match(token) is not None


def _pairs(run: str) -> list[str]:
    """The overlapping pairs of characters of a run (`文本模型` -> `文本`, `本模`, `模型`);
    [run] for one character."""
    return [run[start : start + 2] for start in range(max(len(run) - 1, 1))]


def _query_tokens(tokens: list[str]) -> list[str]:
    """The tokens of `_WORD`, each run of an unspaced script as its `_pairs`."""
    found: list[str] = []
    for token in tokens:
        found.extend(_pairs(token) if _is_unspaced(token) else [token])
    return found


def _split(text: str) -> tuple[list[str], list[str]]:
    """The words of a lower-case text as indexed, apart: the other words, and the `_pairs`
    and single characters of each run of an unspaced script (so that a one-character query
    finds them; a compound's parts and runs are only looked for in the others)."""
    others: list[str] = []
    unspaced: list[str] = []
    for token in _WORD.findall(text):
        if not _is_unspaced(token):
            others.append(token)
        elif len(token) == 1:
            unspaced.append(token)
        else:
            unspaced.extend(_pairs(token))
            unspaced.extend(token)
    return others, unspaced


def _with_parts(tokens: list[str]) -> list[str]:
    """The tokens, then the parts of each compound one."""
    found = list(tokens)
    for token in tokens:
        parts = _parts(token)
        if len(parts) > 1:
            found.extend(parts)
    return found


def _parts(token: str) -> list[str]:
    """The parts of a compound word (`mobilenet_v2` -> `mobilenet`, `v2`); [token] if none."""
    return [part for part in _PARTS.split(token) if part]


def _runs(token: str) -> list[str]:
    """The runs of two or more parts that end a compound word: `v2_100_224` and `100_224` of
    `mobilenet_v2_100_224` (the word itself and its last part are indexed as words)."""
    separators = list(_PARTS.finditer(token))
    return [token[separator.end() :] for separator in separators[:-1]]


def index_words(text: str) -> list[str]:
    """What the index holds for a text: its `words`, and the runs that end its compound words
    (`_runs`), so that a query naming parts from the middle on (`v2_1`) matches as a prefix."""
    tokens, unspaced = _split(normalized(text))  # Once: a doc body may be long.
    found = _with_parts(tokens)
    for token in tokens:
        found.extend(_runs(token))
    found.extend(unspaced)
    return found


@dataclass
class SearchIndex:
    """An inverted index: word -> {model handle: weight}, plus each filter's values."""

    catalog: Catalog
    postings: dict[str, dict[str, int]] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)
    facets: dict[str, Counter[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, catalog: Catalog) -> SearchIndex:
        """Indexes every model of the catalog (their latest version's doc)."""
        postings: dict[str, dict[str, int]] = defaultdict(dict)
        facets: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        for handle, model in catalog.models.items():
            for word, count in _model_words(model).items():
                postings[word][handle] = count
            for name in FACETS:
                facets[name].update(model.facet_keys(name))
        return cls(catalog, dict(postings), sorted(postings), facets)

    def _matching(self, word: str) -> dict[str, int]:
        """Models containing `word` or a word starting with it, with summed weights."""
        found: dict[str, int] = dict(self.postings.get(word, {}))
        if len(word) < MIN_PREFIX:
            return found
        start = bisect.bisect_right(self.vocabulary, word)
        for candidate in self.vocabulary[start:]:
            if not candidate.startswith(word):
                break
            for handle, weight in self.postings[candidate].items():
                found[handle] = found.get(handle, 0) + weight
        return found

    def _matching_word(self, token: str) -> dict[str, int]:
        """Models matching one query word; a compound one that matches none asks for its
        parts instead (each as `_matching` does; its first `MAX_QUERY_WORDS`, as a query's
        words: a word of 1,900 parts took seconds), with their weights summed, and stops as
        soon as no model has them all."""
        found = self._matching(token)
        parts = _parts(token)[:MAX_QUERY_WORDS]
        if found or len(parts) < 2:
            return found
        together = self._matching(parts[0])
        for part in parts[1:]:
            if not together:
                break
            more = self._matching(part)
            together = {key: together[key] + more[key] for key in together.keys() & more.keys()}
        return together

    def search(self, query: str = "", filters: dict[str, str] | None = None) -> list[Model]:
        """Models matching every word of `query` and every filter, best first.

        Args:
            query: free text ("" or only spaces matches every model).
            filters: facet name (see `catalog_entries.FACETS`) -> value (case-insensitive).

        Returns:
            The models, by score then handle (`catalog_entries.handle_order`: whatever the case);
            none for a query with nothing to search for (only punctuation or symbols: `.*[(`,
            `++`, an emoji), which matched every model.

        Raises:
            tfhub.errors.ArgumentError: a filter name that is not a facet.
        """
        _check_filter_names(filters or {})
        scores = self._scores(query)
        hits = _filtered([self.catalog.models[handle] for handle in scores], filters or {})
        return sorted(hits, key=lambda model: (-scores[model.handle], handle_order(model.handle)))

    def _scores(self, query: str) -> dict[str, int]:
        """The handles of the models matching every word of `query`, with their scores."""
        scores: dict[str, int] | None = None
        asked = list(dict.fromkeys(_WORD.findall(normalized(query))))  # Compounds whole (above).
        if query.strip() and not asked:
            return {}
        # The first words, a run of an unspaced script counting as one (all its pairs asked).
        for token in dict.fromkeys(_query_tokens(asked[:MAX_QUERY_WORDS])):
            if scores == {}:  # No model has the words so far: the others cannot add one.
                break
            found = self._matching_word(token)
            if scores is None:
                scores = found
            else:
                scores = {key: scores[key] + found[key] for key in scores.keys() & found.keys()}
        return dict.fromkeys(self.catalog.models, 0) if scores is None else scores

    def facet_counts(self, query: str, filters: dict[str, str]) -> dict[str, Counter[str]]:
        """For each filter, how many models each of its values finds with the query and the
        other filters (the filter's own value unset, as shops count them): a value of the hub
        that finds none there counts 0.

        Args:
            query: the free text, as for `search`.
            filters: facet name -> the value chosen ("" for none).

        Returns:
            facet name -> Counter of every value of the hub (lower case), and of the chosen
            value if the hub has none such (0).

        Raises:
            tfhub.errors.ArgumentError: a filter name that is not a facet.
        """
        _check_filter_names(filters)
        found = [self.catalog.models[handle] for handle in self._scores(query)]
        counts: dict[str, Counter[str]] = {}
        for name in FACETS:
            others = {key: value for key, value in filters.items() if key != name}
            counter: Counter[str] = Counter(dict.fromkeys(self.facets[name], 0))
            for model in _filtered(found, others):
                counter.update(model.facet_keys(name))
            chosen = filters.get(name, "").lower()
            if chosen:
                counter[chosen] += 0
            counts[name] = counter
        return counts


def _check_filter_names(filters: dict[str, str]) -> None:
    """Refuses a filter name that is not a facet (a typo would filter nothing)."""
    unknown = sorted(name for name in filters if name not in FACETS)
    if unknown:
        raise errors.ArgumentError(
            f"No filter named {', '.join(map(repr, unknown))}; the filters are "
            f"{', '.join(FACETS)}. Received: filters={filters!r}"
        )


def _filtered(models: list[Model], filters: dict[str, str]) -> list[Model]:
    """The models that have every chosen filter value (case-insensitive; "" chooses none)."""
    for name, value in filters.items():
        if value:
            wanted = value.lower()
            models = [model for model in models if wanted in model.facet_keys(name)]
    return models


def _model_words(model: Model) -> Counter[str]:
    doc = model.latest.doc
    counts: Counter[str] = Counter()
    title = f"{model.handle} {doc.shown_description}"
    for word in index_words(title):
        counts[word] += _TITLE_WEIGHT
    for version in model.versions:  # `acme/model/1` and `model/1`, not the bare number.
        for token in _WORD.findall(normalized(f"{model.handle}/{version}")):
            for word in [token, *_runs(token)]:
                counts[word] += _TITLE_WEIGHT
    metadata = " ".join(value.value for _, value in doc.entries)
    counts.update(index_words(metadata))
    counts.update(index_words(doc.body[:MAX_INDEXED_CHARS]))
    return counts
