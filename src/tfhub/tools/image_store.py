"""`ImageStore`: the images of an image folder, each decoded the first time a `tf.data`
pipeline asks for it and kept, as pixels or as its `Features` (e.g. a frozen module's feature
vector), for later passes (make_image_classifier: decoding overlaps the first training epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .image_decoding import decode_one, path_tensor, report_unreadable
from .image_folders import ImageFiles

# Images per call of a store's feature function. The module's passes over a batch of 4 224x224
# float images (2.4 MB) stay near a core's cache (2 MB of L2 on the benchmark's VM), not those
# over 32 (19 MB): the benchmark's "tiny" module cost 15-20% less CPU per image, the first epoch
# ~0.4-0.5 s less CPU (of ~6.8 s, measured under load), for the same features (equal bits).
FEATURES_BATCH = 4


def _plain() -> Any:
    """TensorFlow's `do_not_convert`, for the pipelines' functions: AutoGraph would parse and
    convert each function's source (and the Keras code a feature function calls), 0.5-1 s CPU
    per run, and these functions need none of it."""
    import tensorflow as tf

    return tf.autograph.experimental.do_not_convert


def _order(indices: np.ndarray, shuffle: bool, seed: int | None) -> Any:
    """A dataset of `indices`, reshuffled each pass if `shuffle` (with `seed`)."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(indices)
    if shuffle:
        dataset = dataset.shuffle(len(indices), seed=seed, reshuffle_each_iteration=True)
    return dataset


class Features(NamedTuple):
    """What an `ImageStore` keeps of each image instead of its pixels.

    Attributes:
        function: graph ops (run in the `tf.data` pipeline, one call per `FEATURES_BATCH`
            images or fewer) from float32 images [b, height, width, 3] in [0, 1] to float32
            features [b, dim], e.g. a frozen image feature-vector module in inference mode.
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
            self._paths = path_tensor(files.paths)
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
        return decode_one(path, self.image_size, as_float=self._features is not None)

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
        once: bool = False,
    ) -> Any:
        """A `tf.data` pipeline of batches (indices [b], values [b, ...]) of the readable images
        at `indices`; reshuffled each pass if `shuffle`. The values are uint8 images
        [b, height, width, 3], or float32 features [b, dim] with `features`.

        With `once` (a pipeline read once, to keep the values for `kept`), every pass decodes:
        the pipeline of kept values and the choice between the two (four functions more to
        trace and instantiate) are not made.

        Until a pass over these images (of this or another pipeline of the store) has been
        read to its end, each pass decodes its images in parallel (one `tf.data` map call per
        file: read, decode, resize), computes their features (if asked, one map call per
        `FEATURES_BATCH` images, in parallel with decoding and with the consumer; then batched
        as asked) and keeps them; later passes
        gather the kept values, one gather per batch. Batches hold `batch_size` images, the
        last one fewer. Two passes over the same images at the same time, before either has
        ended, both decode them.
        """
        import tensorflow as tf

        indices = np.asarray(indices, np.int64)
        with tf.device("/CPU:0"):
            all_indices = tf.constant(indices)
        decoding = self._decoding(_order(indices, shuffle, seed), batch_size, all_indices)
        if once:
            return decoding
        kept = self._kept_batches(_order(indices, shuffle, seed), batch_size)
        return tf.data.Dataset.choose_from_datasets(
            [decoding, kept], self._choice(all_indices), stop_on_empty_dataset=True
        )

    def _decoding(self, order: Any, batch_size: int, all_indices: Any) -> Any:
        """The pipeline of a pass that decodes: each image of `order` (a dataset of indices)
        read, decoded and resized in parallel, unreadable ones dropped, (features) run through
        the feature function, batched, kept; then the images `all_indices` are marked tried
        after the last batch (the empty marker batch is dropped)."""
        import tensorflow as tf

        plain = _plain()
        decoded = order.map(
            plain(lambda index: (index, self._decode(self._paths[index]))),
            num_parallel_calls=tf.data.AUTOTUNE,
        ).ignore_errors()
        if self._features is not None:
            batched = (
                decoded.batch(FEATURES_BATCH)
                .map(plain(self._to_features), num_parallel_calls=tf.data.AUTOTUNE)
                .rebatch(batch_size)
            )
        else:
            batched = decoded.batch(batch_size)
        return (
            batched.map(plain(self._keep))
            .concatenate(self._tried_marker(all_indices))
            .filter(plain(lambda batch, _: tf.size(batch) > 0))
        )

    def _tried_marker(self, all_indices: Any) -> Any:
        """A dataset of one empty batch whose making marks the images `all_indices` tried
        (asked for by a pass read to its end)."""
        import tensorflow as tf

        def mark_done(_: Any) -> tuple[Any, Any]:
            tried = self._tried.scatter_update(
                tf.IndexedSlices(tf.ones_like(all_indices, tf.bool), all_indices)
            )
            with tf.control_dependencies([tried]):
                return tf.zeros([0], tf.int64), tf.zeros([0, *self.value_shape], self.value_dtype)

        return tf.data.Dataset.from_tensors(np.int64(0)).map(_plain()(mark_done))

    def _kept_batches(self, order: Any, batch_size: int) -> Any:
        """The pipeline of a pass that reads the kept values: the read images of `order` (a
        dataset of indices), batched, one gather per batch."""
        plain = _plain()
        return (
            order.filter(plain(self._read.sparse_read))
            .batch(batch_size)
            .map(plain(lambda batch: (batch, self._values.sparse_read(batch))))
        )

    def _choice(self, all_indices: Any) -> Any:
        """The endless dataset choosing a pass's pipeline, once per pass: 1 (the kept values)
        if every image of `all_indices` has been tried, else 0 (decode); a pass is all decoded
        or all kept, never a mix of the two."""
        import tensorflow as tf

        plain = _plain()
        all_tried = plain(
            lambda _: tf.cast(tf.reduce_all(self._tried.sparse_read(all_indices)), tf.int64)
        )
        return (
            tf.data.Dataset.from_tensors(0)
            .map(all_tried)
            .flat_map(plain(lambda chosen: tf.data.Dataset.from_tensors(chosen).repeat()))
        )

    def kept(self, indices: np.ndarray) -> tuple[np.ndarray, Any]:
        """The kept values of the readable images at `indices`, once a pass over them has been
        read to its end (what a later pass of `batches(indices, ...)` yields, unbatched).

        Returns:
            (the indices of the readable images, in the order given; their values: a
            tf.Tensor [n, ...] of the store's dtype).
        """
        readable = self.readable(indices)
        return readable, self._values.sparse_read(readable)

    def readable(self, indices: np.ndarray) -> np.ndarray:
        """The indices of the readable images among `indices` (in the order given), once a
        pass over them has been read to its end."""
        indices = np.asarray(indices, np.int64)
        return indices[self._read.numpy()[indices]]

    def check(self) -> tuple[str, ...]:
        """After every file has been asked for: warns naming the unreadable files.

        Returns:
            The paths of the unreadable files.

        Raises:
            tfhub.errors.ImageFolderError: if a class has no readable image.
        """
        return report_unreadable(self.files, self._read.numpy())
