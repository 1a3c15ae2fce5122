"""The damage said of an entry names what is wrong (review50a, low note): an empty folder that
a download_fn writing nothing installed was "its manifest is missing or corrupt", though its
manifest is there and valid; the folder is what holds nothing."""

from __future__ import annotations

import os

from tfhub import resolver
from tfhub.cache import health


def test_an_empty_entry_says_its_folder_holds_no_file(isolated_cache):
    def writes_nothing(handle: str, tmp_dir: str) -> None:
        pass

    entry = os.path.join(str(isolated_cache), "e" * 40)
    os.makedirs(str(isolated_cache))
    resolver.atomic_download("https://h.example/m/1", writes_nothing, entry)
    assert os.path.isfile(entry + ".manifest.json")
    assert health.damage(entry) == "the folder holds no file"
