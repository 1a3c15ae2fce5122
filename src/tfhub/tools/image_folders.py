"""Image folders shared by the tools: list the classes and images of a folder with one
sub-folder per class (`list_image_files`), and reject unusable folders before anything heavy
runs.

The classes are the sub-folders, sorted by name (their order is the order of a classifier's
predictions); the images are the .jpg, .jpeg, .png, .bmp, .gif and .webp files in them (any
case, also in nested folders). Images TensorFlow would decode wrongly or not at all are left
out with a warning naming them: TIFF and PPM files, palette, 16-bit and compressed BMPs, and
images of more than `MAX_IMAGE_PIXELS` pixels (their header, `image_headers`, says so: a
decompression bomb is a small file whose decoding would take gigabytes; a GIF's pixels are its
largest frame's, or an eighth of all its frames' together, which TensorFlow keeps, a byte each).
Decoding them is
`image_decoding` (all at once) or `image_store` (each when a `tf.data` pipeline first asks for
it); the memory they need, `host_memory`.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
from collections.abc import Sequence

from .. import errors
from . import image_headers
from .image_headers import read_header

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"})
# Images that TensorFlow cannot decode (upstream's ImageDataGenerator read TIFF and PPM).
_LEFT_OUT_IMAGES = frozenset({".tif", ".tiff", ".ppm"})
_LISTED_IMAGES = IMAGE_EXTENSIONS | _LEFT_OUT_IMAGES
_NAMED_AT_MOST = 10  # Files named in a message, at most (then "and N more").

# Images with more pixels are left out (None: no bound). Pillow's decompression-bomb bound
# (`PIL.Image.MAX_IMAGE_PIXELS`), above which upstream's ImageDataGenerator warned (and failed
# mid-epoch above twice as many): decoding one such image takes ~1.5 GB (the pixels, and a
# float copy to resize), and tf.data decodes several at once. A 631-byte JPEG declaring
# 13000 x 13000 pixels took 3 GB and 10 s to decode; a 390 KB PNG of 20000 x 20000, 6.3 GB.
MAX_IMAGE_PIXELS: int | None = 89_478_485


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


@dataclasses.dataclass
class _LeftOut:
    """The image files left out of a folder's listing, by reason."""

    undecodable: list[str] = dataclasses.field(default_factory=list)  # TIFF, PPM.
    not_files: list[str] = dataclasses.field(default_factory=list)  # Pipes, devices, links.
    unsupported: list[str] = dataclasses.field(default_factory=list)  # "path (why)".
    too_large: list[str] = dataclasses.field(default_factory=list)  # "path (W x H)".
    too_long: list[str] = dataclasses.field(default_factory=list)  # GIFs of too many blocks.

    def warn(self) -> None:
        """Logs one warning per reason, naming the files."""
        if self.undecodable:
            logger.warning(
                "Left out %d image(s) of a format TensorFlow cannot decode (TIFF, PPM): %s. "
                "Convert them to PNG or JPEG to use them.",
                len(self.undecodable),
                named(self.undecodable),
            )
        if self.not_files:
            logger.warning(
                "Left out %d image name(s) that are not files (a named pipe, whose reading "
                "would wait forever, a device, a broken or looping link): %s.",
                len(self.not_files),
                named(self.not_files),
            )
        if self.unsupported:
            logger.warning(
                "Left out %d BMP image(s) TensorFlow decodes wrongly or not at all: %s. "
                "Convert them to PNG or JPEG to use them.",
                len(self.unsupported),
                named(self.unsupported),
            )
        if self.too_large:
            logger.warning(
                "Left out %d image(s) of more than %s pixels (possible decompression bombs; "
                "decoding one would take gigabytes of memory): %s. Shrink them to use them, "
                "or raise tfhub.tools.image_folders.MAX_IMAGE_PIXELS.",
                len(self.too_large),
                f"{MAX_IMAGE_PIXELS:,}",
                named(self.too_large),
            )
        if self.too_long:
            logger.warning(
                "Left out %d GIF(s) of more than %s blocks (frames, extensions and their "
                "sub-blocks; possible decompression bombs: counting their pixels would take "
                "seconds, and TensorFlow keeps every frame): %s. Convert them to PNG or JPEG "
                "to use them, or raise tfhub.tools.image_headers.GIF_MAX_STEPS.",
                len(self.too_long),
                f"{image_headers.GIF_MAX_STEPS:,}",
                named(self.too_long),
            )

    def __bool__(self) -> bool:
        return bool(
            self.undecodable
            or self.not_files
            or self.unsupported
            or self.too_large
            or self.too_long
        )


def _decodable(paths: list[str], left_out: _LeftOut) -> list[str]:
    """The images of `paths` TensorFlow can decode right: files (reading a named pipe would
    wait forever) whose header says so (a file whose header cannot be read is left to the
    decoder, which names it if it cannot decode it); records the others in `left_out`.
    ~35 us per file: ~0.13 s CPU for TF Flowers' 3,670 JPEGs, ~1% of decoding them."""
    kept = []
    for path in paths:
        if not os.path.isfile(path):
            left_out.not_files.append(path)
            continue
        header = read_header(path)
        if header is None:
            kept.append(path)
        elif header.unsupported:
            left_out.unsupported.append(f"{path} ({header.unsupported})")
        elif MAX_IMAGE_PIXELS is not None and header.too_long:
            left_out.too_long.append(path)
        elif MAX_IMAGE_PIXELS is not None and header.pixels > MAX_IMAGE_PIXELS:
            frames = f", {header.frames} frames" if header.frames > 1 else ""
            left_out.too_large.append(f"{path} ({header.width} x {header.height}{frames})")
        else:
            kept.append(path)
    return kept


def _images_below(folder: str, left_out: _LeftOut) -> list[str]:
    """Image files below `folder` (recursively, following no links), in upstream's order (keras'
    DirectoryIterator: the folders sorted by their whole path, so "x y" and "x-y" come before
    "x/z", then each folder's files by name), which decides the validation split; records in
    `left_out` the images TensorFlow cannot decode (right). Hidden files and folders and
    system folders (`is_hidden`) are not images, as such class folders are not classes."""
    walked: list[tuple[str, list[str]]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [name for name in dirnames if not is_hidden(name)]
        walked.append((dirpath, filenames))
    found: list[str] = []
    for dirpath, filenames in sorted(walked, key=lambda walk: walk[0]):
        for name in sorted(filenames):
            if is_hidden(name):
                continue
            extension = os.path.splitext(name)[1].lower()
            if extension in _LEFT_OUT_IMAGES:
                left_out.undecodable.append(os.path.join(dirpath, name))
            elif extension in IMAGE_EXTENSIONS:
                found.append(os.path.join(dirpath, name))
    return _decodable(found, left_out)


def _shared_class_folder(image_dir: str, labels: list[str]) -> str:
    """Why two class folders of `image_dir` share images, or "" if none do: a class folder may
    be a link (a class of its own), but not to another class's folder, to the image folder, or
    to a folder inside either (os.walk lists a class folder's sub-folders)."""
    real = _parts(os.path.realpath(image_dir))
    folders = sorted(
        (_parts(os.path.realpath(os.path.join(image_dir, label))), label) for label in labels
    )
    for folder, label in folders:
        if real[: len(folder)] == folder:
            return f"{label!r} is the image folder itself, or holds it: every class is inside it"
    # Sorted by their parts, a folder comes right before the first folder inside it.
    for (outer, first), (inner, second) in itertools.pairwise(folders):
        if inner == outer:
            return f"{first!r} and {second!r} are one folder"
        if inner[: len(outer)] == outer:
            return f"{second!r} is inside {first!r}"
    return ""


def _parts(path: str) -> tuple[str, ...]:
    """The names of an absolute path's folders, outermost first."""
    return tuple(part for part in path.split(os.sep) if part)


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
    labels = _class_folders(image_dir, flag)
    left_out = _LeftOut()
    per_class = [_images_below(os.path.join(image_dir, label), left_out) for label in labels]
    left_out.warn()
    _check_classes(image_dir, labels, per_class, left_out=left_out, flag=flag)
    paths = tuple(path for files in per_class for path in files)
    ids = tuple(i for i, files in enumerate(per_class) for _ in files)
    return ImageFiles(image_dir, tuple(labels), paths, ids, flag)


_REMEDY = "Put the images of each class in their own sub-folder, e.g. cats/*.jpg, dogs/*.jpg."


def _class_folders(image_dir: str, flag: str) -> list[str]:
    """The names of the class sub-folders of `image_dir`, sorted (hidden ones left out).

    Raises:
        tfhub.errors.ImageFolderError: `image_dir` is not a folder, or two of its class
            folders share images (through links).
    """
    if not os.path.isdir(image_dir):
        what = "it is a file" if os.path.exists(image_dir) else "it does not exist"
        raise folder_error(image_dir, f"it is not a folder: {what}", _REMEDY, flag)
    labels = sorted(
        name
        for name in os.listdir(image_dir)
        if not is_hidden(name) and os.path.isdir(os.path.join(image_dir, name))
    )
    shared = _shared_class_folder(image_dir, labels)
    if shared:
        raise folder_error(
            image_dir,
            f"its class folders {shared}, through links, so each of their images "
            "would be in two classes",
            "Give each class a folder of its own (copy the images, or remove the link).",
            flag,
        )
    return labels


def _check_classes(
    image_dir: str,
    labels: list[str],
    per_class: list[list[str]],
    *,
    left_out: _LeftOut,
    flag: str,
) -> None:
    """Refuses classes that cannot be trained on: no images at all, fewer than 2 classes, or a
    class of no images (`per_class`: each label's image files, `left_out`: those left out).

    Raises:
        tfhub.errors.ImageFolderError: naming the folder, and the empty classes.
    """
    if not any(per_class):
        raise folder_error(image_dir, "it holds no images in class sub-folders", _REMEDY, flag)
    if len(labels) < 2:
        raise folder_error(
            image_dir,
            f"it has {len(labels)} class sub-folder(s) {labels}, at least 2 are needed",
            _REMEDY,
            flag,
        )
    empty = [label for label, files in zip(labels, per_class, strict=True) if not files]
    if empty:
        raise folder_error(
            image_dir,
            f"the class folder(s) {empty} hold no image ({', '.join(sorted(IMAGE_EXTENSIONS))})"
            + (" besides those left out above" if left_out else ""),
            "Add images to them or remove them.",
            flag,
        )
