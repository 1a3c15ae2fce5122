"""A Retry-After given as an HTTP date (as CDNs and object stores send with 429 or 503) within
what tfhub waits at a time: it waits as asked and says so at INFO, not a WARNING that it waits
less than asked (rf56d-F4: the date was read twice, a few microseconds apart, so the wait came
out shorter than the ask: "asks to wait 1.65177 s ...; tfhub waits 1.65174 s (the most it
waits at a time)").
"""

from __future__ import annotations

import logging
import time
from email.utils import formatdate

from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import answer_status

import tfhub as hub


def test_a_date_within_the_cap_is_waited_for_without_a_warning(server, served_dir, caplog):
    make_tar_gz(served_dir / "m.tar.gz")
    when = formatdate(time.time() + 2, usegmt=True)
    server.state.behaviours.append(
        answer_status("m.tar.gz", 429, times=1, headers={"Retry-After": when})
    )
    with caplog.at_level(logging.INFO, logger="tfhub"):
        path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == MODEL_FILES
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [], warned
    waits = [r for r in caplog.records if "as the server asked" in r.getMessage()]
    assert len(waits) == 1 and waits[0].levelname == "INFO", caplog.text
