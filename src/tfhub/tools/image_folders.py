"""Image folders shared by the tools: list the classes and images of a folder with one
sub-folder per class, and decode the images in parallel with `tf.data`.

`list_image_files` finds the classes (sub-folders, sorted by name: their order is the order of
a classifier's predictions) and the images in them (.jpg, .jpeg, .png, .bmp, .gif, any case, also
in nested folders), and rejects unusable folders before anything heavy runs. `decode_images`
reads, decodes and resizes every image at once (module_search); `ImageStore` decodes each image
the first time a `tf.data` pipeline asks for it and keeps it, or its `Features` (e.g. a frozen
module's feature vector), for later passes (make_image_classifier: decoding overlaps the first
training epoch). Either way unreadable files are skipped with a warning that names them, and a
class with no readable image is an error.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import errors

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"})
# Images that TensorFlow cannot decode (upstream's ImageDataGenerator read TIFF and PPM).
_LEFT_OUT_IMAGES = frozenset({".tif", ".tiff", ".ppm"})
_LISTED_IMAGES = IMAGE_EXTENSIONS | _LEFT_OUT_IMAGES
_DECODE_BATCH = 256
_NAMED_AT_MOST = 10  # Files named in a message, at most (then "and N more").
_WEBP_HINT = (
    ". TensorFlow reads a WebP only without transparency or animation: convert such files to "
    "PNG or JPEG to use them"
)


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


@dataclasses.dataclass(frozen=True)
class DecodedImages:
    """Images decoded and resized, in the order of `ImageFiles.paths` (unreadable ones left out).

    Attributes:
        images: uint8 array [n, height, width, 3].
        label_ids: int32 array [n].
        paths: the n files the images came from.
        skipped: the files that could not be read or decoded.
    """

    images: np.ndarray
    label_ids: np.ndarray
    paths: tuple[str, ...]
    skipped: tuple[str, ...]


def _folder_error(
    image_dir: str, problem: str, remedy: str, flag: str = "image_dir"
) -> errors.ImageFolderError:
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
        raise _folder_error(image_dir, f"it is not a folder: {what}", remedy, flag)
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
        raise _folder_error(image_dir, "it holds no images in class sub-folders", remedy, flag)
    if len(labels) < 2:
        raise _folder_error(
            image_dir,
            f"it has {len(labels)} class sub-folder(s) {labels}, at least 2 are needed",
            remedy,
            flag,
        )
    empty = [label for label, files in zip(labels, per_class, strict=True) if not files]
    if empty:
        raise _folder_error(
            image_dir,
            f"the class folder(s) {empty} hold no image ({', '.join(sorted(IMAGE_EXTENSIONS))})",
            "Add images to them or remove them.",
            flag,
        )
    paths = tuple(path for files in per_class for path in files)
    ids = tuple(i for i, files in enumerate(per_class) for _ in files)
    return ImageFiles(image_dir, tuple(labels), paths, ids, flag)


def _decode_one(path: Any, image_size: tuple[int, int], *, as_float: bool = False) -> Any:
    """Graph ops: the file at `path` decoded (first frame), resized (bilinear), uint8 [h, w, 3];
    with `as_float`, the same pixels as float32 in [0, 1] (uint8 value / 255)."""
    import tensorflow as tf

    # A WebP too (TF 2.21), unless it has alpha or is animated: DecodeImage refuses channels=3
    # for those (an unreadable file). DecodeWebP would take one with alpha (channels=4 only),
    # but the per-image test of the file's header cost ~3.5% of make_image_classifier's first
    # epoch; and it must never get channels=0, with which it writes an animation's RGBA frames
    # into a buffer sized for RGB (heap corruption, TF 2.21).
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    # Same pixels as resizing the uint8 image, ~40% less CPU: ResizeBilinear is slower on uint8.
    resized = tf.image.resize(tf.cast(image, tf.float32), image_size, method="bilinear")
    pixels = tf.round(tf.clip_by_value(resized, 0.0, 255.0))
    if as_float:  # Exactly tf.cast(uint8 pixels, float32) / 255, without the two casts.
        return pixels / 255.0
    return tf.cast(pixels, tf.uint8)


def _path_tensor(paths: tuple[str, ...]) -> Any:
    """A string tensor of `paths` as the file system names them (bytes): a file name that is
    not UTF-8 (a surrogate-escaped str in Python) reaches its file instead of failing the
    conversion ("Error converting unicode string")."""
    import tensorflow as tf

    return tf.constant([os.fsencode(path) for path in paths], dtype=tf.string)


def _decode_dataset(paths: tuple[str, ...], image_size: tuple[int, int]) -> Any:
    """(index, uint8 image) for each readable file, decoded in parallel; errors are dropped."""
    import tensorflow as tf

    indices = tf.range(len(paths), dtype=tf.int64)
    dataset = tf.data.Dataset.from_tensor_slices((indices, _path_tensor(paths)))
    dataset = dataset.map(
        lambda index, path: (index, _decode_one(path, image_size)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=False,
    )
    return dataset.ignore_errors().batch(_DECODE_BATCH).prefetch(tf.data.AUTOTUNE)


def _report_unreadable(
    files: ImageFiles, read: np.ndarray, *, warn: bool = True
) -> tuple[str, ...]:
    """Warns naming the files not read (if `warn`); raises if a class is left without a
    readable image.

    Returns:
        The paths of the files not read.
    """
    skipped = tuple(path for path, ok in zip(files.paths, read, strict=True) if not ok)
    if skipped and warn:
        webp = any(path.lower().endswith(".webp") for path in skipped)
        logger.warning(
            "Skipped %d file(s) that could not be read as images: %s%s",
            len(skipped),
            named(skipped),
            _WEBP_HINT if webp else "",
        )
    listed = np.asarray(files.label_ids, np.int32)
    label_ids = listed[read]
    # Only classes with files listed (module_search's `#N` may take none of some classes).
    unreadable = [
        label
        for i, label in enumerate(files.labels)
        if np.any(listed == i) and not np.any(label_ids == i)
    ]
    if unreadable:
        raise _folder_error(
            files.image_dir,
            f"the class folder(s) {unreadable} hold no readable image",
            "Replace the damaged files listed above.",
            files.flag,
        )
    return skipped


def decode_images(
    files: ImageFiles, image_size: tuple[int, int], *, warn: bool = True
) -> DecodedImages:
    """Reads, decodes (JPEG, PNG, BMP, GIF: first frame, WebP) and resizes every image, in
    parallel.

    Args:
        files: the images to read.
        image_size: (height, width) to resize to (bilinear).
        warn: whether a warning names the files skipped (False: the caller's error will).

    Returns:
        The decoded images, in the order of `files.paths`, without the unreadable files.

    Raises:
        tfhub.errors.ImageFolderError: if a class is left with no readable image.
    """
    height, width = image_size
    images = np.zeros((len(files.paths), height, width, 3), np.uint8)
    read = np.zeros(len(files.paths), bool)
    for indices, batch in _decode_dataset(files.paths, image_size):
        images[indices.numpy()] = batch.numpy()
        read[indices.numpy()] = True
    skipped = _report_unreadable(files, read, warn=warn)
    label_ids = np.asarray(files.label_ids, np.int32)[read]
    kept = tuple(path for path, ok in zip(files.paths, read, strict=True) if ok)
    if not skipped:  # All read: no copy (a mask would copy them all, 0.55 GB for TF Flowers).
        return DecodedImages(images, label_ids, kept, skipped)
    return DecodedImages(images[read], label_ids, kept, skipped)


def available_memory() -> int | None:
    """Bytes of memory this process may still take: the kernel's MemAvailable, bounded by the
    cgroup's limit (cgroup v2: memory.max less memory.current, as in a container); None if
    neither is known (not Linux)."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as limit:
            maximum = limit.read().strip()
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as current:
            found.append(int(maximum) - int(current.read().strip()))
    except (OSError, ValueError):  # No cgroup v2, or "max" (no limit).
        pass
    return min(found) if found else None


def _gigabytes(count: int) -> str:
    return f"{count / 1e9:,.1f} GB"


def check_images_fit(
    count: int,
    image_size: tuple[int, int],
    *,
    batch: int,
    flag: str,
    value: object,
    per_image: int = 0,
    advice: str | None = None,
) -> None:
    """Checks that `count` images kept at `image_size` (uint8, 3 bytes a pixel) and a batch of
    `batch` of them as float32 (twice: the cast and the scaling) fit in the memory available,
    before anything is allocated: a size that cannot fit would grow the process until the
    system's out-of-memory killer ends it (or another process). Nothing is checked where the
    available memory is not known.

    Args:
        count, image_size, batch: as above.
        flag, value: the flag that asked for `image_size`, and its value, for the error.
        per_image: bytes a module's activations take per image of the batch, at least (as
            `host_memory.bytes_per_image` measured them; 0: not counted).
        advice: what the error says to pass instead (default: a smaller `flag`, ...).

    Raises:
        tfhub.errors.ToolFlagError: naming `flag` (whose `value` asked for `image_size`).
    """
    height, width = image_size
    needed = (count + 2 * batch * 4) * height * width * 3 + batch * per_image
    available = available_memory()
    if available is None or needed <= available:
        return
    what = f"a batch of {batch} images at {height}x{width} as float needs about"
    if count:
        what = f"{count} images kept at {height}x{width} and a batch of {batch} as float need about"
    default_advice = (
        f"a smaller --{flag} (224, upstream's only size, suits most modules) or fewer images"
    )
    if per_image:
        kept = f"{count} images kept at {height}x{width}, " if count else ""
        what = (
            f"{kept}a batch of {batch} at {height}x{width} as float and the module's activations "
            f"for it ({per_image / 1e6:,.1f} MB an image, measured) need at least"
        )
        if flag == "batch_size":
            default_advice = f"a smaller --{flag} or --image_size"
    advice = advice or default_advice
    raise errors.ToolFlagError(
        f"--{flag} {value} cannot fit in memory: {what} {_gigabytes(needed)}, and "
        f"{_gigabytes(available)} is available. Pass {advice}. Received: {flag}={value}",
        flag=flag,
        value=value,
    )


def first_images(
    files: ImageFiles, image_size: tuple[int, int], *, count: int = 2, tries: int = 8
) -> np.ndarray:
    """The first `count` readable images of `files` (of the first `tries` files; the first of
    them repeated to make `count`), as a module takes them: float32 [count, height, width, 3]
    in [0, 1]. For a quick look at a module's output before a long run; unreadable files are
    passed over silently (the run names them).

    Returns:
        The images; [0, height, width, 3] if none of the files tried is readable.
    """
    import tensorflow as tf

    images = []
    for path in files.paths[:tries]:
        try:
            images.append(_decode_one(_path_tensor((path,))[0], image_size, as_float=True))
        except (tf.errors.OpError, ValueError):
            continue
        if len(images) == count:
            break
    if not images:
        return np.zeros((0, *image_size, 3), np.float32)
    images += images[:1] * (count - len(images))
    return np.stack([image.numpy() for image in images])


class Features(NamedTuple):
    """What an `ImageStore` keeps of each image instead of its pixels.

    Attributes:
        function: graph ops (run in the `tf.data` pipeline, one call per batch) from float32
            images [b, height, width, 3] in [0, 1] to float32 features [b, dim], e.g. a frozen
            image feature-vector module in inference mode.
        dim: the length of a feature vector.
    """

    function: Callable[[Any], Any]
    dim: int


class ImageStore:
    """The images of `files`, each decoded the first time a `tf.data` pipeline asks for it
    and kept in memory for every later pass: as pixels (uint8, resized), or, with `features`,
    as the features of the image (e.g. a frozen module's feature vector, computed once).

    A pipeline from `batches` decodes in parallel while its consumer (e.g. a training loop)
    runs, so decoding overlaps the first epoch instead of preceding it; once a pipeline has
    been read to its end, its later passes read the kept copy, one gather per batch.
    Unreadable files are dropped from the pipeline; once every file has been asked for,
    `check` names them. Make the store outside any tf.distribute strategy's scope: its
    variables are plain host variables, not mirrored.
    """

    def __init__(
        self,
        files: ImageFiles,
        image_size: tuple[int, int],
        *,
        features: Features | None = None,
    ) -> None:
        """Makes the store (decodes nothing yet).

        Args:
            files: the images.
            image_size: (height, width) to resize to (bilinear).
            features: if given, the store keeps the features of each image (computed once, on
                the first pass) instead of its pixels.
        """
        import tensorflow as tf

        self.files = files
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self._features = features
        count = len(files.paths)
        if features is None:
            self.value_shape: tuple[int, ...] = (*self.image_size, 3)
            self.value_dtype = tf.uint8
        else:
            self.value_shape = (int(features.dim),)
            self.value_dtype = tf.float32
        with tf.device("/CPU:0"):
            self._paths = _path_tensor(files.paths)
            # Uninitialised: every value is written before it is read (`_read` says which).
            # Zeroing (and copying) the whole array cost ~0.4 s CPU on TF Flowers' 3,670.
            empty = tf.raw_ops.Empty(shape=[count, *self.value_shape], dtype=self.value_dtype)
            self._values = tf.Variable(empty, trainable=False)
            self._read = tf.Variable(tf.zeros([count], tf.bool), trainable=False)
            # Asked for by a pass read to its end: decoded and kept, or found unreadable.
            self._tried = tf.Variable(tf.zeros([count], tf.bool), trainable=False)

    @property
    def keeps_features(self) -> bool:
        """Whether the store keeps features (float32 [dim]) rather than pixels (uint8)."""
        return self._features is not None

    def _to_features(self, indices: Any, images: Any) -> tuple[Any, Any]:
        """Graph ops: a batch of decoded float images in [0, 1] -> their features (a store
        that keeps features only)."""
        import tensorflow as tf

        assert self._features is not None
        return indices, tf.cast(self._features.function(images), tf.float32)

    def _decode(self, path: Any) -> Any:
        """Graph ops: one image decoded and resized, as the store's features take it (float32
        in [0, 1]) or as it keeps it (uint8)."""
        return _decode_one(path, self.image_size, as_float=self._features is not None)

    def _keep(self, indices: Any, values: Any) -> tuple[Any, Any]:
        """Graph ops: keeps a batch of values; marks them read once kept."""
        import tensorflow as tf

        # ResourceScatterUpdate: scatter_nd_update (ResourceScatterNdUpdate) costs 10x more CPU
        # here (0.24 vs 0.02 ms per 224x224 image).
        kept = self._values.scatter_update(tf.IndexedSlices(values, indices))
        with tf.control_dependencies([kept]):
            marked = self._read.scatter_update(
                tf.IndexedSlices(tf.ones_like(indices, tf.bool), indices)
            )
        with tf.control_dependencies([marked]):
            return tf.identity(indices), tf.identity(values)

    def batches(
        self,
        indices: np.ndarray,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int | None = None,
    ) -> Any:
        """A `tf.data` pipeline of batches (indices [b], values [b, ...]) of the readable images
        at `indices`; reshuffled each pass if `shuffle`. The values are uint8 images
        [b, height, width, 3], or float32 features [b, dim] with `features`.

        Until a pass over these images (of this or another pipeline of the store) has been
        read to its end, each pass decodes its images in parallel (one `tf.data` map call per
        file: read, decode, resize), computes their features (if asked, one map call per
        batch, in parallel with decoding and with the consumer) and keeps them; later passes
        gather the kept values, one gather per batch. Batches hold `batch_size` images, the
        last one fewer. Two passes over the same images at the same time, before either has
        ended, both decode them.
        """
        import tensorflow as tf

        indices = np.asarray(indices, np.int64)
        with tf.device("/CPU:0"):
            all_indices = tf.constant(indices)

        def order() -> Any:
            dataset = tf.data.Dataset.from_tensor_slices(indices)
            if shuffle:
                dataset = dataset.shuffle(len(indices), seed=seed, reshuffle_each_iteration=True)
            return dataset

        def mark_done(_: Any) -> tuple[Any, Any]:
            tried = self._tried.scatter_update(
                tf.IndexedSlices(tf.ones_like(all_indices, tf.bool), all_indices)
            )
            with tf.control_dependencies([tried]):
                return tf.zeros([0], tf.int64), tf.zeros([0, *self.value_shape], self.value_dtype)

        # AutoGraph would parse and convert each function's source (and the Keras code a
        # feature function calls): 0.5-1 s CPU per run; these functions need none of it.
        plain = tf.autograph.experimental.do_not_convert
        decoding = (
            order()
            .map(
                plain(lambda index: (index, self._decode(self._paths[index]))),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .ignore_errors()
            .batch(batch_size)
        )
        if self._features is not None:
            decoding = decoding.map(plain(self._to_features), num_parallel_calls=tf.data.AUTOTUNE)
        decoding = (
            decoding.map(plain(self._keep))
            # Marks the images tried after the last batch; the empty marker is dropped.
            .concatenate(tf.data.Dataset.from_tensors(np.int64(0)).map(plain(mark_done)))
            .filter(plain(lambda batch, _: tf.size(batch) > 0))
        )
        kept = (
            order()
            .filter(plain(self._read.sparse_read))
            .batch(batch_size)
            .map(plain(lambda batch: (batch, self._values.sparse_read(batch))))
        )
        # Chosen once per pass: a pass is all decoded or all kept, never a mix of the two.
        all_tried = plain(
            lambda _: tf.cast(tf.reduce_all(self._tried.sparse_read(all_indices)), tf.int64)
        )
        choice = (
            tf.data.Dataset.from_tensors(0)
            .map(all_tried)
            .flat_map(plain(lambda chosen: tf.data.Dataset.from_tensors(chosen).repeat()))
        )
        return tf.data.Dataset.choose_from_datasets(
            [decoding, kept], choice, stop_on_empty_dataset=True
        )

    def kept(self, indices: np.ndarray) -> tuple[np.ndarray, Any]:
        """The kept values of the readable images at `indices`, once a pass over them has been
        read to its end (what a later pass of `batches(indices, ...)` yields, unbatched).

        Returns:
            (the indices of the readable images, in the order given; their values: a
            tf.Tensor [n, ...] of the store's dtype).
        """
        indices = np.asarray(indices, np.int64)
        readable = indices[self._read.numpy()[indices]]
        return readable, self._values.sparse_read(readable)

    def check(self) -> tuple[str, ...]:
        """After every file has been asked for: warns naming the unreadable files.

        Returns:
            The paths of the unreadable files.

        Raises:
            tfhub.errors.ImageFolderError: if a class has no readable image.
        """
        return _report_unreadable(self.files, self._read.numpy())
