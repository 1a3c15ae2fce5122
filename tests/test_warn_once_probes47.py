"""`utils.warn_once.WarnedOnce`: the one bounded "warned about once" memory of the server
(settled's journals, api's sizes and docs, commit's unfollowed journals, app's refused packs)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableSet

import pytest

from tfhub.hub import api, archive_answers, commit, settled
from tfhub.utils.warn_once import DEFAULT_LIMIT, WarnedOnce


def test_first_time_is_true_once_per_key():
    warned: WarnedOnce[str] = WarnedOnce(4)
    assert [warned.first_time(key) for key in "abab"] == [True, True, False, False]
    assert list(warned) == ["a", "b"] and len(warned) == 2 and "a" in warned


def test_past_the_limit_the_key_seen_longest_ago_is_forgotten():
    warned: WarnedOnce[int] = WarnedOnce(3)
    for key in (1, 2, 3):
        assert warned.first_time(key)
    assert not warned.first_time(1)  # Seen again: the last seen now, 2 the oldest.
    assert warned.first_time(4)
    assert list(warned) == [3, 1, 4] and 2 not in warned
    assert warned.first_time(2)  # Forgotten: warned about again.
    assert len(warned) == 3 and 3 not in warned


def test_add_and_discard_keep_the_order_and_the_bound():
    warned: WarnedOnce[str] = WarnedOnce(2)
    warned.add("a")
    warned.add("b")
    warned.add("a")
    warned.add("c")
    assert list(warned) == ["a", "c"]
    warned.discard("a")
    warned.discard("absent")
    assert list(warned) == ["c"]
    assert warned.first_time("a")


def test_the_limit_is_at_least_one():
    with pytest.raises(ValueError, match="Received: limit=0"):
        WarnedOnce(0)
    assert WarnedOnce().limit == DEFAULT_LIMIT == 1024


def test_threads_adding_at_once_keep_the_bound_and_warn_each_key_once():
    """A server calls it from its event loop and worker threads: of 8 threads asking about the
    same 2,000 keys at once, exactly one gets True for each key kept; the bound holds."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # Threads switch every few bytecodes: races show.
    warned: WarnedOnce[int] = WarnedOnce(5000)
    firsts = [0] * 8
    start = threading.Barrier(8)

    def ask(index: int) -> None:
        start.wait()
        for key in range(2000):
            firsts[index] += warned.first_time(key)
            list(warned)  # Iterating while others add never raises (a copy).

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert sum(firsts) == 2000 and len(warned) == 2000
    small: WarnedOnce[int] = WarnedOnce(10)
    workers = [
        threading.Thread(target=lambda base=base: [small.add(base + k) for k in range(500)])
        for base in range(0, 4000, 500)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(small) == 10 and len(list(small)) == 10


def test_every_memory_of_the_server_is_one():
    """settled's journals, api's refused sizes and docs, commit's unfollowed journals and
    archive_answers' refused packs are all `WarnedOnce`s (commit's set was cleared whole at
    1024: every journal was then warned about again at once)."""
    memories = [
        settled._WARNED,
        api._SIZES_REFUSED,
        api._DOCS_LEFT_OUT,
        commit._UNFOLLOWED,
        archive_answers.UNPACKABLE,
    ]
    assert all(isinstance(memory, WarnedOnce) for memory in memories)
    assert all(isinstance(memory, MutableSet) for memory in memories)
    assert settled._WARNED.limit == settled.MAX_WARNED
    assert commit._UNFOLLOWED.limit == 1024


def test_commit_warns_about_each_unfollowed_journal_once(tmp_path, monkeypatch, caplog):
    """`_other_journals` (asked on each request) names a garbled journal once while it is
    remembered, and again once forgotten (the oldest first)."""
    monkeypatch.setattr(commit, "_UNFOLLOWED", WarnedOnce(2))
    publisher = tmp_path / "docs" / "acme"
    for index in range(3):
        staging = publisher / "models" / f"m{index}" / f".1.publish-{index:032d}"
        staging.mkdir(parents=True)
        (staging / commit.JOURNAL).write_text("not json")

    def warned() -> int:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tfhub.hub.commit"):
            assert commit._other_journals(publisher, []) == ([], False)
        return sum("unreadable publish journal" in r.getMessage() for r in caplog.records)

    assert warned() == 3  # m0 forgotten past the bound of 2: m1 and m2 kept.
    assert len(commit._UNFOLLOWED) == 2
    monkeypatch.setattr(commit, "_UNFOLLOWED", WarnedOnce(3))
    assert [warned(), warned()] == [3, 0]


def test_set_operators_return_memories_of_their_keys():
    """|, &, - and ^ (the `Set` mixins) build their result through `_from_iterable`, whose
    default took the keys as the limit (TypeError); none of the keys is forgotten."""
    warned: WarnedOnce[str] = WarnedOnce(2)
    warned.add("a")
    warned.add("b")
    results = [warned | {"c"}, warned & {"a"}, warned - {"a"}, warned ^ {"b", "c"}]
    assert all(isinstance(result, WarnedOnce) for result in results)
    assert [list(result) for result in results] == [["a", "b", "c"], ["a"], ["b"], ["a", "c"]]
    assert results[0].limit == DEFAULT_LIMIT
    many = WarnedOnce[int](DEFAULT_LIMIT) | set(range(DEFAULT_LIMIT + 5))
    assert len(many) == DEFAULT_LIMIT + 5
