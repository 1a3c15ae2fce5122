"""module_search probed with hostile input (session 45): a module that pools over the batch,
a module list that never ends, names that hold terminal escapes, GIFs whose frames hide their
size, and the table's numbers against a leave-one-out computed here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.module_search import lib
from tfhub.tools.module_search.cli import main as tool_main


def _save_batch_pooling_module(path: Path) -> str:
    """A broken image module: one vector for the whole batch ([1, 3], the mean colour of every
    image together), whatever the number of images."""
    import tensorflow as tf

    class Pooled(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            return tf.reduce_mean(images, axis=[0, 1, 2])[None]

    tf.saved_model.save(Pooled(), os.fspath(path))
    return os.fspath(path)


@pytest.fixture(scope="module")
def pooled_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _save_batch_pooling_module(tmp_path_factory.mktemp("pooled") / "pooled")


@pytest.mark.tf
def test_a_module_that_pools_over_the_batch_is_not_ranked(
    shape_images: Path, image_modules: dict[str, str], pooled_module: str, capsys
) -> None:
    """One vector for a batch of 6 images was compared with 6 labels by broadcasting: the
    module was ranked with a 1-NN error of 0.667 that meant nothing."""
    good = image_modules["fixed"]
    argv = [f"--dataset={shape_images}#6", f"--module={pooled_module}", f"--module={good}"]
    assert tool_main(argv) == 1
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert len(table) == 3 and table[2].split()[-1] == good, printed.out
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert f"{pooled_module} is not an image feature-vector module: " in line
    assert "it returns 1 vector(s) for a batch of 6 images, not one per image" in line
    assert line.endswith(f"Received: module={pooled_module!r}")
    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 6))
    with pytest.raises(errors.NotAnImageModuleError) as caught:
        lib.score_module(pooled_module, dataset)
    assert caught.value.handle == pooled_module


def test_a_module_list_that_never_ends_is_refused_in_bounded_memory(tmp_path: Path, capsys) -> None:
    """`--module_list /dev/zero` (or a model archive given by mistake) was read whole: memory
    grew until a MemoryError ("tfhub: unexpected error") or the out-of-memory killer."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(errors.ToolFlagError, match="larger than 1 MiB") as caught:
            lib.read_module_list("/dev/zero")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20 and caught.value.value == "/dev/zero"
    assert str(caught.value).endswith("Received: module_list='/dev/zero'")
    big = tmp_path / "big.txt"
    big.write_bytes(b"/m\n" * (2**20 // 3 + 1))
    with pytest.raises(errors.ToolFlagError, match="larger than 1 MiB"):
        lib.read_module_list(str(big))
    big.write_bytes(b"/m\n" * (2**20 // 3))  # 1 MiB less a byte: read.
    assert len(lib.read_module_list(str(big))) == 2**20 // 3
    assert tool_main(["--dataset=d", "--module_list=/dev/zero"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tfhub: error: The module list /dev/zero is larger than 1 MiB")


@pytest.mark.tf
def test_the_last_line_counts_each_module_once(shape_images: Path, tmp_path: Path, capsys) -> None:
    """A module named twice is scored once, but the last line said "2 of 3 modules could not
    be scored" for two modules."""
    missing, other = str(tmp_path / "missing"), str(tmp_path / "other")
    argv = [f"--dataset={shape_images}#6", f"--module={missing}", f"--module={missing}"]
    assert tool_main([*argv, f"--module={other}"]) == 7
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == (
        f"tfhub: 2 of 2 modules could not be scored ({missing}, {other}): see the errors above; "
        "no module was scored."
    )


@pytest.mark.tf
def test_the_last_line_escapes_the_modules_it_names(shape_images: Path, capsys) -> None:
    """Module names that could not be scored were printed as given in the last line: a
    newline forged a line, an ANSI escape coloured the terminal."""
    names = ["/m\x1b[31mred", "/m\nforged", "/m\u202eevil", "http://ada:pw@127.0.0.1:9/m\x1b[0m"]
    assert tool_main([f"--dataset={shape_images}#6", *(f"--module={n}" for n in names)]) != 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == (
        "tfhub: 4 of 4 modules could not be scored (/m\\x1B[31mred, /m\\x0Aforged, "
        "/m\\u202Eevil, http://***@127.0.0.1:9/m\\x1B[0m): see the errors above; no module was "
        "scored."
    )


def test_the_table_escapes_the_dataset_and_module_names() -> None:
    """The table printed its names as given: a dataset folder named with a newline split the
    header in two, its ANSI escape coloured the terminal, and a module path holding U+202E
    (which handles may hold) reversed the rest of its row; tfhub's log lines escape them."""
    spec = lib.DataSpec("photos\x1b[31m\nforged", 6)
    scores = [lib.Score("/models/m\u202egpj.exe", 0.5, 8, 1.0)]
    table = lib.format_table(scores, spec, 6)
    assert table.splitlines() == [
        "# Module ranking for photos\\x1B[31m\\x0Aforged#6 (6 images; lower 1-NN error is better)",
        "rank  1nn_error    dim  seconds  module",
        "   1      0.500      8      1.0  /models/m\\u202Egpj.exe",
    ]
    table = lib.format_table([lib.Score("http://a:pw@h/m\x1b?sig=x", 0.5, 8, 1.0)], spec, 6)
    assert table.splitlines()[2].endswith("  http://***@h/m\\x1B?sig=***")
