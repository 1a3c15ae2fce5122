"""make_image_classifier's own Keras callbacks (built for the Keras flavour in use, passed as
`keras`): the per-epoch progress line, the unreadable-files check after the first epoch, and the
early validation pass of bottleneck training."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..image_folders import ImageStore

Say = Callable[[str], None]


def epoch_logger(keras: Any, *, epochs: int, images: int, say: Say) -> Any:
    """A callback that reports each epoch's metrics, duration and images/s in one line."""

    class EpochLogger(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            took = time.perf_counter() - self.started
            metrics = ", ".join(f"{k} {float(v):.4f}" for k, v in sorted((logs or {}).items()))
            say(
                f"Epoch {epoch + 1}/{epochs}: {metrics} "
                f"({took:.1f} s, {images / max(took, 1e-9):.0f} training images/s)"
            )

    return EpochLogger()


def unreadable_files_check(keras: Any, store: ImageStore) -> Any:
    """A callback that, once the first epoch (training and validation) has asked for every
    image, warns naming the unreadable files and stops on a class with no readable image."""

    class UnreadableFilesCheck(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if epoch == 0:
                store.check()

    return UnreadableFilesCheck()


def early_validation_pass(keras: Any, valid_data: Any) -> Any:
    """A callback that reads `valid_data` once in a background thread from the start of
    training, and waits for it before the first validation pass (and the end of the first
    epoch). With bottlenecks this decodes the validation images and computes their features
    while Keras traces the train function (the training pipeline starts only after that), and
    the first validation pass then reads the kept features."""

    class EarlyValidationPass(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.thread: threading.Thread | None = None
            self.error: BaseException | None = None

        def _read(self) -> None:
            try:
                # Not `for _ in valid_data`: its end is an OutOfRangeError inside TensorFlow,
                # and under a MirroredStrategy that status, raised in this thread, can fail the
                # training thread's creation of a per-replica iterator at the same moment
                # ("End of sequence [Op:GeneratorDataset]"; measured with 2 logical CPUs: 27
                # of 300 creations failed, none of 800 with optionals).
                iterator = iter(valid_data)
                while iterator.get_next_as_optional().has_value():
                    pass
            except BaseException as err:  # Raised in the training thread by `_wait`.
                self.error = err

        def on_train_begin(self, logs: Any = None) -> None:
            self.thread = threading.Thread(target=self._read, name="tfhub-validation-pass")
            self.thread.start()

        def _wait(self) -> None:
            if self.thread is not None:
                self.thread.join()
                self.thread = None
                if self.error is not None:
                    raise self.error

        def on_test_begin(self, logs: Any = None) -> None:
            self._wait()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._wait()

        def on_train_end(self, logs: Any = None) -> None:
            self._wait()

    return EarlyValidationPass()


def for_store(keras: Any, store: ImageStore, early_valid: Any) -> tuple[Any, ...]:
    """The tool's own callbacks: the unreadable-files check after the first epoch, after an
    early validation pass if `early_valid` (a dataset) is given."""
    check = unreadable_files_check(keras, store)
    if early_valid is None:
        return (check,)
    return (early_validation_pass(keras, early_valid), check)
