"""Generated image folders for the tools' tests (shared: make_image_classifier, module_search).

A folder holds one sub-folder per class; each class is a shape drawn in its own colour at a
random place and scale on a noisy grey background, so a linear classifier on simple features
(channel means) separates the classes easily. Images are deterministic for a given `seed`.
Drawing uses numpy; files are written with Pillow (JPEG, PNG, BMP, GIF).

API (stable):
    DEFAULT_CLASSES, CLASS_COLOURS, IMAGE_FORMATS
    draw_shape(kind, *, height, width, rng, colour=None) -> uint8 array [height, width, 3]
    write_image(path, pixels) -> path (format from the suffix)
    make_image_folder(root, *, classes, per_class, sizes, formats, seed) -> {class: [paths]}
    write_corrupt_image(path) -> path (a file with an image suffix that no decoder reads)
    make_image_archive(folder, archive, *, root_name) -> archive (.tgz as TF Flowers is packed)
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Sequence

import numpy as np

DEFAULT_CLASSES = ("circle", "square", "triangle")
CLASS_COLOURS: dict[str, tuple[int, int, int]] = {
    "circle": (220, 40, 40),
    "square": (40, 180, 60),
    "triangle": (40, 70, 220),
    "cross": (230, 200, 30),
    "ring": (200, 60, 200),
}
IMAGE_FORMATS = ("jpg", "png", "bmp", "gif")
_PIL_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "bmp": "BMP", "gif": "GIF"}


def _mask(kind: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A boolean [height, width] mask of `kind` at a random centre and radius."""
    radius = rng.uniform(0.22, 0.35) * min(height, width)
    cy = rng.uniform(radius, height - radius)
    cx = rng.uniform(radius, width - radius)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    dy, dx = y - cy, x - cx
    if kind == "circle":
        return dx**2 + dy**2 <= radius**2
    if kind == "ring":
        dist2 = dx**2 + dy**2
        return (dist2 <= radius**2) & (dist2 >= (0.6 * radius) ** 2)
    if kind == "square":
        return (np.abs(dx) <= radius) & (np.abs(dy) <= radius)
    if kind == "triangle":
        return (np.abs(dy) <= radius) & (np.abs(dx) <= (dy + radius) / 2)
    if kind == "cross":
        bar = radius / 3
        return (
            ((np.abs(dx) <= bar) | (np.abs(dy) <= bar))
            & (np.abs(dx) <= radius)
            & (np.abs(dy) <= radius)
        )
    raise ValueError(f"Unknown shape; use one of {sorted(CLASS_COLOURS)}. Received: kind={kind!r}")


def draw_shape(
    kind: str,
    *,
    height: int,
    width: int,
    rng: np.random.Generator,
    colour: tuple[int, int, int] | None = None,
) -> np.ndarray:
    """Draws one image: `kind` (a key of CLASS_COLOURS) on a noisy grey background.

    Args:
        kind: "circle", "square", "triangle", "cross" or "ring".
        height: image height in pixels.
        width: image width in pixels.
        rng: the random generator (position, radius, noise).
        colour: the shape's RGB colour (default: CLASS_COLOURS[kind]).

    Returns:
        A uint8 array [height, width, 3].
    """
    mask = _mask(kind, height, width, rng)
    image = rng.normal(128.0, 12.0, (height, width, 3))
    fill = np.array(colour or CLASS_COLOURS[kind], np.float64)
    image[mask] = fill + rng.normal(0.0, 8.0, (int(mask.sum()), 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def write_image(path: str | os.PathLike[str], pixels: np.ndarray) -> str:
    """Writes a uint8 [H, W, 3] array as JPEG, PNG, BMP or GIF, chosen by the file suffix.

    Returns:
        The path as a string.
    """
    from PIL import Image

    path = os.fspath(path)
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix not in _PIL_FORMATS:
        known = sorted(_PIL_FORMATS)
        raise ValueError(f"Unknown image suffix; use one of {known}. Received: path={path!r}")
    Image.fromarray(pixels, "RGB").save(path, format=_PIL_FORMATS[suffix])
    return path


def make_image_folder(
    root: str | os.PathLike[str],
    *,
    classes: Sequence[str] = DEFAULT_CLASSES,
    per_class: int = 12,
    sizes: Sequence[tuple[int, int]] = ((32, 32), (48, 64), (96, 96)),
    formats: Sequence[str] = IMAGE_FORMATS,
    seed: int = 0,
) -> dict[str, list[str]]:
    """Writes `root/<class>/<class>_NNN.<format>` images, cycling through `sizes` and `formats`.

    Args:
        root: the folder to fill (created if missing).
        classes: class names; each must be a shape name (a key of CLASS_COLOURS).
        per_class: images per class.
        sizes: (height, width) pairs used in turn.
        formats: file suffixes used in turn ("jpg", "png", "bmp", "gif").
        seed: makes the images reproducible.

    Returns:
        {class name: [image paths]} in the order written.
    """
    rng = np.random.default_rng(seed)
    written: dict[str, list[str]] = {}
    for name in classes:
        folder = os.path.join(os.fspath(root), name)
        os.makedirs(folder, exist_ok=True)
        written[name] = []
        for i in range(per_class):
            height, width = sizes[i % len(sizes)]
            pixels = draw_shape(name, height=height, width=width, rng=rng)
            path = os.path.join(folder, f"{name}_{i:03d}.{formats[i % len(formats)]}")
            written[name].append(write_image(path, pixels))
    return written


def write_corrupt_image(path: str | os.PathLike[str]) -> str:
    """Writes a file that has an image suffix and a JPEG header but cannot be decoded.

    Returns:
        The path as a string.
    """
    path = os.fspath(path)
    with open(path, "wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x13\x37" * 64)
    return path


def make_image_archive(
    folder: str | os.PathLike[str],
    archive: str | os.PathLike[str],
    *,
    root_name: str = "flower_photos",
) -> str:
    """Packs `folder` as a .tgz whose single top folder is `root_name`, as TF Flowers is packed.

    A LICENSE.txt is added beside the class folders (the real archive has one).

    Returns:
        The archive path as a string.
    """
    folder, archive = os.fspath(folder), os.fspath(archive)
    license_path = os.path.join(folder, "LICENSE.txt")
    with open(license_path, "w", encoding="utf-8") as handle:
        handle.write("Generated test images, no rights reserved.\n")
    try:
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname=root_name)
    finally:
        os.remove(license_path)
    return archive
