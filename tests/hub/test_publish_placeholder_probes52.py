"""Publishing the version a Placeholder doc announces (rf52c-F2).

A placeholder "announces a version not published" (docs/hub.md), as on tfhub.dev, where the
model's Module doc later replaced it. `tfhub publish` refused such a version saying it "is
already published ... versions are immutable: publish a new version": no client can have
downloaded it (the server answers it 404), and the way to publish it was not said.
"""

from __future__ import annotations

from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import write_publisher


def _hub_with_placeholder(tmp_path):
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = root / "assets" / "docs" / "acme" / "models" / "ph" / "1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text("# Placeholder acme/ph/1\nComing soon.\n\n<!-- task: text-embedding -->\n")
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"")
    return root, doc, model


def test_publishing_a_placeholders_version_says_it_is_announced_and_how_to_publish(
    tmp_path, capsys
):
    root, doc, model = _hub_with_placeholder(tmp_path)
    before = doc.read_text()
    code, out, err = run_tfhub(capsys, "publish", str(model), str(root), "--handle", "acme/ph/1")
    assert code == 1 and out == ""
    assert "already published" not in err and "immutable" not in err
    assert "Placeholder" in err and str(doc) in err
    assert "--force" in err and "--doc" in err
    assert doc.read_text() == before


def test_a_published_version_is_still_refused_as_published(tmp_path, capsys):
    root, doc, model = _hub_with_placeholder(tmp_path)
    doc.write_text(doc.read_text().replace("# Placeholder", "# Module"))
    (doc.parent / "1.tar.gz").write_bytes(b"")
    code, _, err = run_tfhub(capsys, "publish", str(model), str(root), "--handle", "acme/ph/1")
    assert code == 1 and "is already published" in err
