"""--image_size (module_search, make_image_classifier) is refused, in one line before any module
loads, when the images kept at that size cannot fit in the memory available: module_search
--image_size 100000 allocated until the system's out-of-memory killer ended the process (or
another one)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.tools._one_child import ForkServer

from tfhub import errors
from tfhub.tools import host_memory
from tfhub.tools.module_search import lib
from tfhub.tools.module_search.cli import main as tool_main

_50_MB = 50_000_000


def test_available_memory_is_known_on_linux() -> None:
    available = host_memory.available_memory()
    assert available is not None and 0 < available < 1 << 50


@pytest.mark.tf
def test_an_image_size_whose_images_cannot_fit_is_refused_before_any_module_loads(
    shape_images, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(host_memory, "available_memory", lambda: 100_000_000)
    missing = tmp_path / "never_loaded"  # Not reached: the check comes first.
    argv = [f"--dataset={shape_images}#6", f"--module={missing}", "--image_size=600"]
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line.startswith(
        "tfhub: error: --image_size 600 cannot fit in memory: a batch of 32 images at 600x600 "
        "as float needs about 0.3 GB, and 0.1 GB is available. Pass a smaller --image_size (224"
    )
    assert line.endswith("Received: image_size=600") and "never_loaded" not in line


@pytest.mark.tf
def test_the_python_api_refuses_it_too(shape_images, monkeypatch) -> None:
    dataset = lib.load_dataset(lib.DataSpec.parse(f"{shape_images}#6"))
    # A batch at 600x600 as float (276.5 MB) fits; with the 6 images kept (6.5 MB) it does not.
    monkeypatch.setattr(host_memory, "available_memory", lambda: 280_000_000)
    with pytest.raises(errors.ToolFlagError) as e:
        lib.rank_modules(["never/loaded"], dataset, image_size=600)
    assert (e.value.flag, e.value.value) == ("image_size", 600)
    assert "cannot fit in memory: 6 images kept at 600x600 and a batch of 32" in str(e.value)
    lib.rank_modules([], dataset, image_size=590)  # (6 + 256) * 590 * 590 * 3 bytes fit.


def test_a_size_whose_one_batch_cannot_fit_is_refused_before_the_dataset_is_read(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(host_memory, "available_memory", lambda: _50_MB)
    argv = [f"--dataset={tmp_path / 'not_read'}", "--module=m", "--image_size=100000"]
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line.startswith(
        "tfhub: error: --image_size 100000 cannot fit in memory: a batch of 32 images at "
        "100000x100000 as float needs about 7,680.0 GB"
    )


@pytest.mark.tf
def test_make_image_classifier_refuses_an_image_size_whose_images_cannot_fit(
    shape_images, image_modules, tmp_path, monkeypatch
) -> None:
    """The same for make_image_classifier, which keeps the images (uint8) when it fine-tunes or
    augments, and only their features with bottlenecks."""
    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=8, do_fine_tuning=True)
    # 60 images at 600x600 (64.8 MB) and a batch of 8 as float (69.1 MB) do not fit in 100 MB.
    monkeypatch.setattr(host_memory, "available_memory", lambda: 100_000_000)
    outputs = Outputs(saved_model_dir=str(tmp_path / "sm"))
    with pytest.raises(errors.ToolFlagError) as e:
        train_and_export(
            str(tmp_path / "never_loaded"), str(shape_images), hparams, outputs=outputs,
            image_size=600, say=lambda line: None,
        )  # fmt: skip
    assert str(e.value).startswith(
        "--image_size 600 cannot fit in memory: 60 images kept at 600x600 and a batch of 8 "
    )
    assert not (tmp_path / "sm").exists()


# Each check runs as the tools run, in a process of its own: the measure then depends on nothing
# earlier tests left. Measured as the growth of the process's peak RSS, a fresh process that had
# run the module once at that size (as both tools do before measuring) counted 0.1 MB an image,
# the memory its allocators kept reused, and nothing was refused; TensorFlow's own count of its
# allocator's peak (tfhub.tools.host_memory) gives 140 MB every run.
_CLASSIFIER_CHECK = """
import json, sys
from tfhub import errors
from tfhub.tools import host_memory
from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export
from tests._helpers.image_models import save_image_feature_vector

images, work = sys.argv[1:3]
module = save_image_feature_vector(work + "/wide", image_size=None, dim=256)
hparams = get_default_hparams()._replace(train_epochs=1, batch_size=8)
host_memory.available_memory = lambda: 200_000_000  # 0.2 GB refuses 21 MB an image and more.
outputs = Outputs(saved_model_dir=work + "/sm", summaries_dir=work + "/logs")
try:
    train_and_export(module, images, hparams, outputs=outputs, image_size=600, say=print)
except errors.ToolFlagError as e:
    print(json.dumps([str(e), e.flag, e.value]))
"""

_MODULE_SEARCH_CHECK = """
import json, sys
from tfhub.tools import host_memory
from tfhub.tools.module_search import lib
from tests._helpers.image_models import save_image_feature_vector

images, work = sys.argv[1:3]
module = save_image_feature_vector(work + "/wide", image_size=None, dim=256)
dataset = lib.load_dataset(lib.DataSpec.parse(images + "#6"))
host_memory.available_memory = lambda: 400_000_000
failed = []
scores = lib.rank_modules(
    [module], dataset, image_size=600, on_failure=lambda *failure: failed.append(failure)
)
print(json.dumps([
    [score.module for score in scores],
    [[handle, type(err).__name__, str(err), err.flag, err.value] for handle, err in failed],
]))
"""


def _in_own_process(code: str, images: Path, work: Path) -> Any:
    """Runs `code` with the images and a work folder as arguments in a Python process of its
    own (the tests' helpers importable; what it replaces stays its own), forked from the tools'
    warm server (tests/tools/_one_child.py: TensorFlow imported, not started), and returns the
    JSON of its last stdout line."""
    done = ForkServer().run(code, os.fspath(images), os.fspath(work), timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.tf
@pytest.mark.timeout(300)
def test_make_image_classifier_counts_the_modules_activations_measured_on_one_image(
    shape_images, tmp_path
) -> None:
    """The images (none kept: bottlenecks) and a batch as float fit, but the module's
    activations for the batch do not: its conv layer's output alone is 91 MB an image at
    600x600 (300 x 300 x 253 floats), 0.73 GB for a batch of 8. The check measured none of it,
    and training would have grown the process until the out-of-memory killer ended it."""
    message, flag, value = _in_own_process(_CLASSIFIER_CHECK, shape_images, tmp_path)
    assert message.startswith(
        "--batch_size 8 cannot fit in memory: a batch of 8 at 600x600 as float and the "
        "module's activations for it ("
    )
    per_image = float(message.split("activations for it (")[1].split(" MB")[0])
    assert 20 < per_image < 200, message  # The activations counted, not the image alone.
    assert "Pass a smaller --batch_size or --image_size. Received: batch_size=8" in message
    assert (flag, value) == ("batch_size", 8)
    assert not (tmp_path / "sm").exists() and not (tmp_path / "logs").exists()


@pytest.mark.tf
@pytest.mark.timeout(300)
def test_module_search_counts_the_modules_activations_measured_on_two_images(
    shape_images, tmp_path
) -> None:
    """The 6 images at 600x600 and a batch of 32 as float fit (283 MB), but the module's
    activations (91 MB an image: its conv layer's output) for a batch of 32 do not: module_search
    embedded on, unchecked, as far as the memory went. It is one module's failure now: with
    `on_failure`, the others are still scored."""
    scored, failed = _in_own_process(_MODULE_SEARCH_CHECK, shape_images, tmp_path)
    module = os.fspath(tmp_path / "wide")
    assert scored == [] and [handle for handle, *_ in failed] == [module], failed
    _, kind, message, flag, value = failed[0]
    assert kind == "ToolFlagError" and (flag, value) == ("module", module)
    assert message.startswith(
        f"--module {module} cannot fit in memory: a batch of 32 at 600x600 as float and the "
        "module's activations for it ("
    ), message
    per_image = float(message.split("activations for it (")[1].split(" MB")[0])
    assert 20 < per_image < 200, message  # The activations counted, not the image alone.
    assert "Pass fewer images (--dataset NAME#N), a smaller --image_size" in message
