"""tfhub.hub.catalog and tfhub.hub.search: what a ROOT holds, lookups, search and filters."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub.catalog import Catalog
from tfhub.hub.search import SearchIndex, words

DATA = Path(__file__).parents[1] / "data" / "hub_docs"


def _root(tmp_path):
    root = tmp_path / "root"
    write_publisher(root, "g", "G")
    one = write_model_doc(
        root, "g/imagenet/mobilenet_v2/feature_vector/1", task="image-feature-vector"
    )
    make_tar_gz(one.with_name("1.tar.gz"))
    two = write_model_doc(
        root,
        "g/imagenet/mobilenet_v2/feature_vector/2",
        description="Faster features.",
        task="image-feature-vector",
        language="en",
    )
    for name, data in MODEL_FILES.items():
        (two.parent / "2" / name).parent.mkdir(parents=True, exist_ok=True)
        (two.parent / "2" / name).write_bytes(data)
    text = write_model_doc(root, "g/nnlm-en-dim50/3", description="Text embedding from news.")
    tfjs = text.parent / "3" / "default" / "tfjs"  # tfhub.dev keeps Tfjs docs in <version>/.
    tfjs.mkdir(parents=True)
    (tfjs / "1.md").write_text("# Tfjs g/nnlm-en-dim50/3/default/1\nThe TF.js version.\n")
    lite = text.parent / "lite" / "1.md"  # `# Lite g/nnlm-en-dim50/1`: not version 1 of the module.
    lite.parent.mkdir()
    lite.write_text("# Lite g/nnlm-en-dim50/1\nThe TF Lite version.\n")
    collection = root / "assets/docs/g/collections/favourites/1.md"
    collection.parent.mkdir(parents=True)
    collection.write_text(
        "# Collection g/favourites/1\nFavourites.\n\n<!-- task: text-embedding -->\n"
    )
    return root


def test_scan_and_lookups(tmp_path):
    catalog = Catalog.scan(_root(tmp_path))
    model, version = catalog.find(["g", "imagenet", "mobilenet_v2", "feature_vector"])
    assert model.handle == "g/imagenet/mobilenet_v2/feature_vector" and version.version == 2
    assert version.folder is not None and version.archive is None
    _, first = catalog.find(["g", "imagenet", "mobilenet_v2", "feature_vector", "1"])
    assert first.archive is not None and first.archive.name == "1.tar.gz"
    assert catalog.find(["g", "imagenet", "mobilenet_v2", "feature_vector", "9"]) is None
    _, text = catalog.find(["g", "nnlm-en-dim50", "3"])
    assert text.folder is None and not text.servable  # Its 3/ folder holds docs, not a model.
    assert catalog.find(["g", "favourites", "1"]) is None
    collection, _ = catalog.find_collection(["g", "collections", "favourites"])
    assert collection.handle == "g/favourites"
    assert catalog.publishers["g"].collections == ["g/favourites"]
    # tfhub.dev's URLs of derived models: /<publisher>/tfjs-model/..., /<publisher>/lite-model/...
    assert catalog.find(["g", "nnlm-en-dim50", "1"]) is None
    assert sorted(catalog.find(["g", "nnlm-en-dim50"])[0].versions) == [3]
    tfjs_model, _ = catalog.find(["g", "tfjs-model", "nnlm-en-dim50", "3", "default", "1"])
    assert (tfjs_model.kind.value, tfjs_model.name) == (
        "Tfjs",
        "tfjs-model/nnlm-en-dim50/3/default",
    )
    lite_model, lite_version = catalog.find(["g", "lite-model", "nnlm-en-dim50"])
    assert (
        lite_model.kind.value == "Lite" and lite_version.doc.description == "The TF Lite version."
    )


def test_search_words_prefixes_and_filters(tmp_path):
    index = SearchIndex.build(Catalog.scan(_root(tmp_path)))
    assert words("mobilenet_v2_100 Text") == ["mobilenet_v2_100", "text", "mobilenet", "v2", "100"]
    hits = [model.handle for model in index.search("mobile")]
    assert hits == ["g/imagenet/mobilenet_v2/feature_vector"]
    assert [m.handle for m in index.search("news embedding")] == ["g/nnlm-en-dim50"]
    assert index.search("news zebra") == []
    filtered = index.search("", {"task": "IMAGE-feature-vector", "language": "en"})
    assert [m.handle for m in filtered] == ["g/imagenet/mobilenet_v2/feature_vector"]
    assert len(index.search("")) == len(index.catalog.models)
    assert index.facets["task"]["image-feature-vector"] == 1


def test_search_finds_runs_of_a_compound_name_and_handles_with_their_version(tmp_path):
    """`mobilenet_v2_1` asked for the word `1` too (absent), `efficientnet/b` for the word `b`
    (too short to be a prefix), and `acme/model/1` for `1`: none found the model they name."""
    root = tmp_path / "root"
    write_publisher(root, "google", "Google")
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "google/imagenet/mobilenet_v2_100_224/feature_vector/5")
    write_model_doc(root, "google/efficientnet/b0/feature-vector/1")
    write_model_doc(root, "acme/model/1")
    write_model_doc(root, "acme/model/2")
    write_model_doc(root, "acme/other/3")
    index = SearchIndex.build(Catalog.scan(root))

    def found(query: str) -> list[str]:
        return [model.handle for model in index.search(query)]

    mobilenet = ["google/imagenet/mobilenet_v2_100_224/feature_vector"]
    for query in ("mobilenet_v2_1", "mobilenet_v2_100", "MobileNet_V2", "v2_100_2", "mobilenet v2"):
        assert found(query) == mobilenet, query
    for query in ("efficientnet/b", "efficientnet/b0", "b0/feature-vector", "efficientnet-b0"):
        assert found(query) == ["google/efficientnet/b0/feature-vector"], query
    for query in ("acme/model/1", "acme/model/2", "acme/model", "model/1", "acme/model/"):
        assert found(query) == ["acme/model"], query
    assert found("acme/other/3") == ["acme/other"]
    assert found("acme/model/3") == [] and found("mobilenet_v3") == []
    assert found("google/imagenet/mobilenet_v2_100_224/feature_vector/5") == mobilenet


def test_a_query_with_no_word_matches_no_model(tmp_path):
    """`.*[(`, `++` or an emoji found every model ('3 of 3 models'), as an empty query does."""
    index = SearchIndex.build(Catalog.scan(_root(tmp_path)))
    everything = len(index.catalog.models)
    for query in [".*[(", "++", "\U0001f600", "<>&"]:
        assert index.search(query) == [], query
    assert len(index.search("")) == len(index.search("  \t")) == everything


def test_a_huge_doc_is_indexed_as_far_as_its_page_shows_it(tmp_path):
    """Indexing takes about 1 s per MB of doc: one 10 MB doc held up each start and rescan of
    tfhub serve (all requests wait for the first) for 10 s."""
    root = tmp_path / "root"
    write_publisher(root, "g", "G")
    write_model_doc(root, "g/huge/1", body="firstword " + "word " * 2_000_000 + "lastword")
    catalog = Catalog.scan(root)
    started = time.perf_counter()
    index = SearchIndex.build(catalog)
    took = time.perf_counter() - started
    assert [model.handle for model in index.search("firstword")] == ["g/huge"]
    assert index.search("lastword") == []  # Past what the page shows: not indexed.
    assert took < 10, f"indexing one 10 MB doc took {took:.1f} s"  # A hang guard, not a target.


@pytest.mark.parametrize("tree", ["valid", "broken"])
def test_every_page_of_the_example_trees_renders(tree):
    import requests

    from tfhub.hub.runner import BackgroundServer
    from tfhub.hub.settings import ServeSettings

    root = DATA / tree
    settings = ServeSettings(root=str(root), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as server:
        catalog = Catalog.scan(root)
        paths = [
            "",
            *catalog.publishers,
            *(f"{h}/{max(m.versions)}" for h, m in catalog.models.items()),
        ]
        paths += [f"{m.publisher}/collections/{m.name}" for m in catalog.collections.values()]
        for path in paths:
            answer = requests.get(server.url(path), timeout=10)
            assert answer.status_code == 200, (path, answer.status_code)
        assert requests.get(server.url("api/models"), timeout=10).json()["total"] == len(
            catalog.models
        )


def test_search_refuses_a_filter_it_does_not_have(tmp_path):
    """`filters={"tsk": ...}` (a typo) found every model, as if no filter were asked."""
    index = SearchIndex.build(Catalog.scan(_root(tmp_path)))
    with pytest.raises(errors.ArgumentError, match=r"'tsk'.*task.*Received: filters="):
        index.search("", {"tsk": "image-feature-vector"})
    with pytest.raises(errors.ArgumentError, match="'tsk'"):
        index.facet_counts("", {"tsk": "image-feature-vector"})
