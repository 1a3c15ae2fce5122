"""The images make_image_classifier trains on without --image_dir: TF Flowers, as upstream's."""

from __future__ import annotations

import os
from collections.abc import Callable

from ... import constants
from ...utils.redact import redact


def get_default_image_dir() -> str:
    """Returns the TF Flowers images (one folder per class), downloading them if needed.

    The archive (upstream's URL, or TFHUB_FLOWERS_URL) goes through tfhub's cache: downloaded
    once, with progress, extracted safely and atomically.
    """
    from ...archive_fetch import fetch_http_archive
    from ...download import atomic_download

    url = constants.flowers_url()
    folder = atomic_download(url, fetch_http_archive(url, handle=url))
    inner = [name for name in os.listdir(folder) if os.path.isdir(os.path.join(folder, name))]
    if "flower_photos" in inner:
        return os.path.join(folder, "flower_photos")
    return os.path.join(folder, inner[0]) if len(inner) == 1 else folder


def default_image_dir(say: Callable[[str], None]) -> str:
    """`get_default_image_dir`, first saying (through `say`) where the images come from."""
    say(
        f"No --image_dir given: using the TF Flowers example images from "
        f"{redact(constants.flowers_url())} (downloaded once into the tfhub cache)."
    )
    return get_default_image_dir()
