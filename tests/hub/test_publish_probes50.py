"""review50b-F3: `publish --force` without `--doc` replaces the version's doc with a starter doc
(tests/hub/test_publish.py::test_versions_are_immutable_unless_forced), and now says so: the
former doc's text is gone, and `--doc ROOT/<its doc>` would have kept it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests._helpers import models

from tfhub.hub import publish, starter

pytestmark = pytest.mark.tf

HANDLE = "acme/emb/1"


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("pub50") / "model")))


def test_a_forced_publish_without_a_doc_warns_that_the_doc_was_replaced(
    text_model, tmp_path, caplog
):
    info = starter.StarterInfo(description="Word embeddings.", license="apache-2.0")
    first = publish.publish(text_model, tmp_path, HANDLE, info=info)
    first.doc.write_text(first.doc.read_text() + "HAND-WRITTEN USAGE NOTES\n")
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.publish"):
        forced = publish.publish(text_model, tmp_path, HANDLE, force=True)
    assert "HAND-WRITTEN" not in forced.doc.read_text()  # By design: a starter doc.
    assert (
        f"Replaced the doc of {HANDLE} ({first.doc}) with a starter doc (--force without "
        "--doc): its former text is not kept" in caplog.text
    )
    assert f"--doc {first.doc} --force" in caplog.text


def test_a_forced_publish_with_a_doc_or_of_a_new_version_does_not_warn(
    text_model, tmp_path, caplog
):
    first = publish.publish(text_model, tmp_path, HANDLE)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.publish"):
        publish.publish(text_model, tmp_path, HANDLE, doc=first.doc, force=True)
        publish.publish(text_model, tmp_path, "acme/emb/2", force=True)
    assert "Replaced the doc" not in caplog.text
