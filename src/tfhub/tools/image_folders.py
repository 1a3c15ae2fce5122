"""Image folders shared by the tools: list the classes and images of a folder with one
sub-folder per class (`list_image_files`), and reject unusable folders before anything heavy
runs.

The classes are the sub-folders, sorted by name (their order is the order of a classifier's
predictions); the images are the .jpg, .jpeg, .png, .bmp, .gif and .webp files in them (any
case, also in nested folders). Decoding them is `image_decoding` (all at once) or `image_store`
(each when a `tf.data` pipeline first asks for it); the memory they need, `host_memory`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence

from .. import errors

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"})
# Images that TensorFlow cannot decode (upstream's ImageDataGenerator read TIFF and PPM).
_LEFT_OUT_IMAGES = frozenset({".tif", ".tiff", ".ppm"})
_LISTED_IMAGES = IMAGE_EXTENSIONS | _LEFT_OUT_IMAGES
_NAMED_AT_MOST = 10  # Files named in a message, at most (then "and N more").


@dataclasses.dataclass(frozen=True)
class ImageFiles:
    """The images of a folder with one sub-folder per class.

    Attributes:
        image_dir: the folder.
        labels: the class names (sub-folder names), sorted; a label's index is its class id.
        paths: every image file, class by class, sorted within a class.
        label_ids: the class id of each path.
        flag: the flag that named the folder, for error messages ("image_dir", "dataset").
    """

    image_dir: str
    labels: tuple[str, ...]
    paths: tuple[str, ...]
    label_ids: tuple[int, ...]
    flag: str = "image_dir"


def folder_error(
    image_dir: str, problem: str, remedy: str, flag: str = "image_dir"
) -> errors.ImageFolderError:
    """The error for an image folder that cannot be used: what is wrong, what to do."""
    return errors.ImageFolderError(
        f"Cannot use the image folder {image_dir}: {problem}. {remedy} "
        f"Received: {flag}={image_dir!r}",
        path=image_dir,
        problem=problem,
    )


def named(paths: Sequence[str], limit: int = _NAMED_AT_MOST) -> str:
    """`paths` for a message: the first `limit`, then how many more (a folder may hold
    thousands of unreadable files)."""
    shown = ", ".join(paths[:limit])
    return shown if len(paths) <= limit else f"{shown} and {len(paths) - limit} more"


# Folders that file systems, archivers and NAS boxes add, never a class nor a user's images:
# macOS's resource forks in a zip (`__MACOSX/._photo.jpg`), Synology's thumbnails (`@eaDir`,
# real JPEGs that would join their class as extra, smaller copies), Windows' bins.
_SYSTEM_FOLDERS = frozenset({"__MACOSX", "@eaDir", "$RECYCLE.BIN", "System Volume Information"})


def is_hidden(name: str) -> bool:
    """True for a hidden name (".xyz": `._photo.jpg` metadata files, `.ipynb_checkpoints`) or
    a system folder's."""
    return name.startswith(".") or name in _SYSTEM_FOLDERS


def _images_below(folder: str, left_out: list[str]) -> list[str]:
    """Image files below `folder` (recursively, following no links), sorted; appends to
    `left_out` the images of a format TensorFlow cannot decode. Hidden files and folders and
    system folders (`is_hidden`) are not images, as such class folders are not classes."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(name for name in dirnames if not is_hidden(name))
        for name in sorted(filenames):
            if is_hidden(name):
                continue
            extension = os.path.splitext(name)[1].lower()
            if extension in _LISTED_IMAGES:
                into = found if extension in IMAGE_EXTENSIONS else left_out
                into.append(os.path.join(dirpath, name))
    return found


def list_image_files(image_dir: str, *, flag: str = "image_dir") -> ImageFiles:
    """Lists the classes and images of `image_dir` (one sub-folder of images per class).

    Args:
        image_dir: the folder.
        flag: the flag that named the folder, for error messages.

    Returns:
        The classes and image files.

    Raises:
        tfhub.errors.ImageFolderError: if the folder does not exist, has fewer than 2 class
            sub-folders, or a class sub-folder holds no image.
    """
    remedy = "Put the images of each class in their own sub-folder, e.g. cats/*.jpg, dogs/*.jpg."
    if not os.path.isdir(image_dir):
        what = "it is a file" if os.path.exists(image_dir) else "it does not exist"
        raise folder_error(image_dir, f"it is not a folder: {what}", remedy, flag)
    labels = sorted(
        name
        for name in os.listdir(image_dir)
        if not is_hidden(name) and os.path.isdir(os.path.join(image_dir, name))
    )
    left_out: list[str] = []
    per_class = [_images_below(os.path.join(image_dir, label), left_out) for label in labels]
    if left_out:
        logger.warning(
            "Left out %d image(s) of a format TensorFlow cannot decode (TIFF, PPM): %s. "
            "Convert them to PNG or JPEG to use them.", len(left_out), named(left_out)
        )  # fmt: skip
    if not any(per_class):
        raise folder_error(image_dir, "it holds no images in class sub-folders", remedy, flag)
    if len(labels) < 2:
        raise folder_error(
            image_dir,
            f"it has {len(labels)} class sub-folder(s) {labels}, at least 2 are needed",
            remedy,
            flag,
        )
    empty = [label for label, files in zip(labels, per_class, strict=True) if not files]
    if empty:
        raise folder_error(
            image_dir,
            f"the class folder(s) {empty} hold no image ({', '.join(sorted(IMAGE_EXTENSIONS))})",
            "Add images to them or remove them.",
            flag,
        )
    paths = tuple(path for files in per_class for path in files)
    ids = tuple(i for i, files in enumerate(per_class) for _ in files)
    return ImageFiles(image_dir, tuple(labels), paths, ids, flag)
