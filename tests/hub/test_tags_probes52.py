"""tfhub.dev's tag definitions (ROOT/tags/*.yaml) that are no regular file (rf52c-F4).

A named pipe named like a tag file (`mkfifo ROOT/tags/task.yaml`) was opened with a plain
`read_text`: `tfhub validate` (and `tfhub publish --doc`, which checks the doc's tags) waited
for a writer for ever, without a word.
"""

from __future__ import annotations

import os
import threading

import pytest

from tfhub.hub.tags import load_tag_definitions

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")


def test_a_named_pipe_as_tag_file_is_reported_not_waited_on(tmp_path):
    (tmp_path / "tags").mkdir()
    (tmp_path / "tags" / "language.yaml").write_text("values:\n  - id: en\n")
    fifo = tmp_path / "tags" / "task.yaml"
    os.mkfifo(fifo)
    found: list[object] = []
    thread = threading.Thread(
        target=lambda: found.append(load_tag_definitions(tmp_path)), daemon=True
    )
    thread.start()
    thread.join(10)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # Lets the stuck open() return.
        thread.join(10)
        pytest.fail(f"reading {fifo} waited for a writer")
    definitions = found[0]
    assert definitions.ids == {"language": frozenset({"en"})}
    assert [path for path, _ in definitions.errors] == ["tags/task.yaml"]
    assert "not a regular file" in definitions.errors[0][1]
