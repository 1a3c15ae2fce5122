"""The tools' private hub of tests: the tiny image module and text embedding published with
`tfhub publish` under these handles (`private_hub_root` in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

IMAGE = "acme/shapes-features/1"
TEXT = "acme/words/1"


def publish_tiny_models(root: Path, image_module: str, text_module: str) -> Path:
    """Publishes `image_module` as IMAGE and `text_module` as TEXT into the hub folder `root`
    (made by the first publish); returns `root`."""
    from tfhub.cli.main import main as tfhub_main

    for model, handle in ((image_module, IMAGE), (text_module, TEXT)):
        argv = ["publish", model, os.fspath(root), "--handle", handle]
        argv += ["--description", "A tiny model for the tools' tests.", "--license", "mit"]
        assert tfhub_main(argv) == 0
    return root
