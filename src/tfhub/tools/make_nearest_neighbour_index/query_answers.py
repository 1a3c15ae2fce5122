"""The answers of `make_nearest_neighbour_index query`: each --query's matches, or those of the
queries typed one a line, printed as upstream printed them (one line per match, `distance<TAB>
item`, its control characters escaped). The finder itself is similarity_finder's.
"""

from __future__ import annotations

import argparse
import logging
import sys
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from ... import errors
from ...utils.printable import BOM, escaped, not_utf8

# The name of the logger of cli.py, where these lines were logged before it was split.
logger = logging.getLogger("tfhub.tools.make_nearest_neighbour_index.cli")


def one_line(text: str) -> str:
    """`text` with its control characters but the tab (line ends, ESC, ...) as `\\xHH`
    escapes: an item of an index (from input files, or records other programs wrote) or a
    query, printed on a line of its own, can then neither end that line, forge another nor
    send terminal escapes. Other characters stay as they are (tabs of TSV lines: the
    `distance<TAB>item` columns split at the first tab; no-break spaces, zero-width joiners)."""
    return "".join(
        escaped(char) if unicodedata.category(char) == "Cc" and char != "\t" else char
        for char in text
    )


def print_matches(matches: Sequence[Any], out: TextIO) -> None:
    """Prints results as upstream did, with the distance before each item (see one_line)."""
    print("Results:", file=out)
    print("=========", file=out)
    for match in matches:
        print(f"{match.distance:.4f}\t{one_line(match.item)}", file=out)


def query_text(text: str) -> str:
    """The text of a query as typed, piped or given: without a byte-order mark starting it
    (an editor's, as in generate's input) or the CR of a CRLF line end ending it (Python reads
    a pipe's lines up to the LF, and `$(head -1 queries.txt)` drops only the LF), as generate
    reads the lines of such a file."""
    return text.removeprefix(BOM).rstrip("\r")


def _check_queries(queries: Sequence[str]) -> None:
    """Refuses, before the module loads, a --query that is blank (it has no text to find
    items like: the interactive prompt ends on one) or not UTF-8 text.

    Raises:
        tfhub.errors.ToolFlagError: naming the query (its bytes) and which --query it is.
    """
    for number, text in enumerate(queries, 1):
        if not text.strip():
            raise errors.ToolFlagError(
                f"--query {number} of {len(queries)} is blank: pass the text to find similar "
                f"items to (an empty query finds arbitrary ones). Received: query={text!r}",
                flag="query",
                value=text,
            )
        data = not_utf8(text)
        if data is not None:
            raise errors.ToolFlagError(
                f"--query {number} of {len(queries)} is not UTF-8 text: pass the query in UTF-8 "
                f"(e.g. convert it with iconv -f latin1 -t utf-8). Received: query={data!r}",
                flag="query",
                value=data,
            )


def _read_stdin_leniently() -> None:
    """Makes stdin hand bytes that are not UTF-8 over as lone surrogates, so that such a line
    is reported and skipped instead of ending the reading (or reaching TensorFlow)."""
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")


def _typed_on_a_terminal() -> bool:
    """Whether stdin is a terminal (which echoes what is typed, line ends included)."""
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty is not None and isatty())


def answer_queries(args: argparse.Namespace, ask: Callable[[str], str] = input) -> None:
    """Answers --query, or the queries typed until an empty line or EOF (`query_text`: a
    byte-order mark at the start of either, a CR at its end, is no text of the query). A typed
    query that is not UTF-8 text, has no words the module embeds (its embedding is all zeros:
    any item would be as near as any other), or that the module fails on, is reported on
    stderr (with its line number) and skipped.

    Raises:
        tfhub.errors.ToolFlagError: no --query and stdin closed, or a --query that is not
            UTF-8 text (before the module loads) or has no words (before any is answered).
    """
    from .similarity_finder import SimilarityFinder

    if not args.query and sys.stdin is None:  # Started with stdin closed (`<&-`).
        raise errors.ToolFlagError(
            "No queries to answer: stdin is closed and --query is not given. Pass --query TEXT "
            "(it may be repeated), or type the queries. Received: query=None",
            flag="query",
            value=None,
        )
    queries = [query_text(text) for text in args.query or ()]
    _check_queries(queries)
    finder = SimilarityFinder(
        args.module_url,
        args.index_output_dir,
        allow_pickle=args.allow_pickle,
        allow_other_module=bool(getattr(args, "allow_other_module", False)),
    )
    if queries:
        _answer_flags(finder, queries, args.num_matches)
    else:
        _answer_typed(finder, args.num_matches, ask)


def _answer_flags(finder: Any, queries: Sequence[str], num_matches: int) -> None:
    """Prints the matches of each --query under a `Query:` line (see _answers)."""
    answers = _answers(finder, queries, num_matches)
    for text, matches in zip(queries, answers, strict=True):
        print(f"Query: {one_line(text)}")
        print_matches(matches, sys.stdout)


def _answer_typed(finder: Any, num_matches: int, ask: Callable[[str], str]) -> None:
    """Asks for queries and prints their matches, as upstream; ends on an empty line, EOF or
    Ctrl-C (re-raised), each leaving the terminal on a fresh line."""
    _read_stdin_leniently()
    line = 0
    while True:
        try:
            text = ask("Enter your query: ")
        except EOFError:  # Ctrl-D echoes no newline: the shell's prompt would follow ours.
            print()
            return
        except KeyboardInterrupt:  # Nor does Ctrl-C: "interrupted" would follow the "^C".
            if _typed_on_a_terminal():
                print(flush=True)
            raise
        line += 1
        text = query_text(text)
        if not text.strip():
            if not _typed_on_a_terminal():  # A terminal echoed the line's end; a pipe not.
                print()
            return
        _answer_line(finder, text, line, num_matches)


def _answer_line(finder: Any, text: str, line: int, num_matches: int) -> None:
    """Prints the matches of the query typed on line `line`; a query that is not UTF-8 text,
    has no words the module embeds, or that the module fails on (or gives NaN for), is
    reported on stderr instead and skipped."""
    data = not_utf8(text)
    if data is not None:
        logger.warning(
            "The query on line %d is not UTF-8 text, skipped: type it in UTF-8. Received: %r",
            line,
            data,
        )
        return
    try:
        matches = finder.find_matches(text, num_matches)
    except (errors.ArgumentError, errors.NotATextEmbeddingError) as err:
        # No words the module embeds; or the module fails on it (a length limit), or gives
        # NaN for it: the session, and the module loaded, stay for the next query.
        logger.warning("The query on line %d is skipped: %s", line, err)
        return
    print_matches(matches, sys.stdout)


def _answers(finder: Any, queries: Sequence[str], num_matches: int) -> list[list[Any]]:
    """The matches of each --query, all found before any is printed, so that a query the
    finder refuses (no words the module embeds) is named before any answer.

    Raises:
        tfhub.errors.ToolFlagError: naming the refused query and which --query it is.
    """
    answers = []
    for number, text in enumerate(queries, 1):
        try:
            answers.append(finder.find_matches(text, num_matches))
        except errors.ArgumentError as err:
            raise errors.ToolFlagError(
                f"--query {number} of {len(queries)} cannot be answered: {err}",
                flag="query",
                value=text,
            ) from err
    return answers
