"""module_search probed with hostile input (session 45): a module that pools over the batch,
a module list that never ends, names that hold terminal escapes, GIFs whose frames hide their
size, and the table's numbers against a leave-one-out computed here."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.nearest_neighbour import direct_loo_error

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


def _save_gram_module(path: Path) -> str:
    """A broken image module: each image's products with every image of its batch, [batch,
    batch], so the length of its vectors is the size of the batch."""
    import tensorflow as tf

    class Gram(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            means = tf.reduce_mean(images, axis=[1, 2])
            return means @ tf.transpose(means)

    tf.saved_model.save(Gram(), os.fspath(path))
    return os.fspath(path)


def _save_wide_module(path: Path, dim: int) -> str:
    """An image module of `dim` numbers: the mean colour, repeated (a module whose vectors
    are large, as a flattened feature map's 7 x 7 x 2048 = 100,352)."""
    import tensorflow as tf

    class Wide(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            return tf.tile(tf.reduce_mean(images, axis=[1, 2]), [1, dim // 3])

    tf.saved_model.save(Wide(), os.fspath(path))
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


@pytest.mark.tf
def test_a_module_whose_vector_length_follows_the_batch_is_not_ranked(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path, capsys
) -> None:
    """Vectors of 32 numbers for the first batch and 28 for the last could not be put
    together: numpy's ValueError ended the whole search ("tfhub: invalid value: all the input
    array dimensions ...", exit 2), and the modules after it were never scored."""
    gram = _save_gram_module(tmp_path / "gram")
    good = image_modules["fixed"]
    assert tool_main([f"--dataset={shape_images}", f"--module={gram}", f"--module={good}"]) == 1
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert len(table) == 3 and table[2].split()[-1] == good, printed.out
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert f"{gram} is not an image feature-vector module: " in line
    assert "its vectors of a batch of 32 images have 32 numbers, of 2 images 2" in line


@pytest.mark.tf
def test_vectors_that_cannot_fit_in_memory_are_refused_before_the_images_are_embedded(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path, monkeypatch, capsys
) -> None:
    """The images and a batch were checked against the memory available, not the vectors:
    600 vectors of 200,000 numbers (480 MB) took 3.3 GB to rank, and a module of large
    vectors on a large dataset grew the process until the out-of-memory killer ended it."""
    from tfhub.tools import host_memory

    wide = _save_wide_module(tmp_path / "wide", 30_000)
    monkeypatch.setattr(host_memory, "available_memory", lambda: 10_000_000)
    good = image_modules["fixed"]
    assert tool_main([f"--dataset={shape_images}", f"--module={wide}", f"--module={good}"]) == 1
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert len(table) == 3 and table[2].split()[-1] == good, printed.out
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert line.startswith(f"tfhub: error: --module {wide} cannot fit in memory: the vectors of ")
    assert "60 images (30,000 numbers each) need about 0.02 GB to rank" in line
    assert "0.01 GB is available" in line and line.endswith(f"Received: module={wide!r}")


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
    big.write_bytes(b"/m\n" * (2**20 // 3) + b"\n")  # 1 MiB exactly: read.
    assert len(big.read_bytes()) == 2**20
    assert len(lib.read_module_list(str(big))) == 2**20 // 3
    big.write_bytes(big.read_bytes() + b"\n")
    with pytest.raises(errors.ToolFlagError, match="larger than 1 MiB"):
        lib.read_module_list(str(big))
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


_BLACK_AND_WHITE = [0, 0, 0, 255, 255, 255] + [0] * (256 * 3 - 6)


def _write_gif(path: Path, size: tuple[int, int], frames: int) -> Path:
    """A GIF of `frames` frames of `size` (width, height), each all black or all white; an
    animation (several frames) has the extensions animations have: a loop count (NETSCAPE2.0)
    and each frame's delay (Graphic Control)."""
    from PIL import Image

    images = []
    for number in range(frames):
        image = Image.new("P", size, color=number % 2)
        image.putpalette(_BLACK_AND_WHITE)
        images.append(image)
    options = {"duration": 40, "loop": 0} if frames > 1 else {}
    images[0].save(path, save_all=True, append_images=images[1:], optimize=False, **options)
    if frames > 1:
        assert b"NETSCAPE2.0" in path.read_bytes() and b"\x21\xf9\x04" in path.read_bytes()
    return path


def _with_screen(path: Path, size: tuple[int, int]) -> Path:
    """The GIF at `path` with its logical screen (the size in its first bytes) set to `size`."""
    import struct

    content = bytearray(path.read_bytes())
    struct.pack_into("<HH", content, 6, *size)
    path.write_bytes(bytes(content))
    return path


def test_a_gif_is_as_large_as_its_largest_frame_and_its_frames_together(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    """The header gave a GIF's logical screen only: TensorFlow decodes a GIF at the size of its
    largest frame, and reads every frame even for the first: a 190 KB GIF claiming 10 x 10
    decoded to 16000 x 16000 (1.6 GB), one of 240 frames of 3000 x 3000 took 2.7 GB and 23 s,
    both let through the decompression-bomb bound."""
    from tfhub.tools import image_folders, image_headers

    one = _write_gif(tmp_path / "one.gif", (40, 30), 1)
    header = image_headers.read_header(os.fspath(one))
    assert header is not None and header.format == "GIF" and header.unsupported == ""
    assert (header.width, header.height, header.frames, header.pixels) == (40, 30, 1, 1200)
    screen = _with_screen(_write_gif(tmp_path / "screen.gif", (200, 150), 1), (10, 10))
    header = image_headers.read_header(os.fspath(screen))
    assert header is not None and (header.width, header.height, header.pixels) == (200, 150, 30000)
    frames = _write_gif(tmp_path / "frames.gif", (40, 30), 40)
    header = image_headers.read_header(os.fspath(frames))
    assert header is not None and (header.width, header.height) == (40, 30)
    # Eight frame pixels weigh one (image_headers.GIF_FRAME_PIXELS_PER_PIXEL).
    assert (header.frames, header.pixels) == (40, 40 * 40 * 30 // 8)

    folder = tmp_path / "images"
    for name, gif in (("a", one), ("b", screen), ("b", frames)):
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / gif.name).write_bytes(gif.read_bytes())
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 5_000)
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        with pytest.raises(
            errors.ImageFolderError, match=r"\['b'\] hold no image .* besides those left out"
        ):
            image_folders.list_image_files(os.fspath(folder))
    assert f"{folder / 'b' / 'frames.gif'} (40 x 30, 40 frames)" in caplog.text
    assert f"{folder / 'b' / 'screen.gif'} (200 x 150)" in caplog.text
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 10_000)  # Frames' 6,000 pass.
    files = image_folders.list_image_files(os.fspath(folder))
    assert [os.path.basename(path) for path in files.paths] == ["one.gif", "frames.gif"]


def test_a_gif_whose_frame_is_a_bomb_is_left_out_by_name(tmp_path: Path, caplog) -> None:
    """A frame that claims 20000 x 20000 behind an 8 x 8 logical screen (TensorFlow would
    decode it at 20000 x 20000: 1.2 GB of pixels) is left out as the other bombs are."""
    import struct

    gif = bytearray(_write_gif(tmp_path / "bomb.gif", (8, 8), 1).read_bytes())
    frame = gif.index(b"\x2c\x00\x00\x00\x00\x08\x00\x08\x00")  # At (0, 0), 8 x 8.
    struct.pack_into("<HH", gif, frame + 5, 20000, 20000)
    folder = tmp_path / "images"
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
        _write_gif(folder / name / "ok.gif", (8, 8), 1)
    (folder / "a" / "bomb.gif").write_bytes(bytes(gif))
    from tfhub.tools import image_folders

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        files = image_folders.list_image_files(os.fspath(folder))
    assert len(files.paths) == 2
    assert f"{folder / 'a' / 'bomb.gif'} (20000 x 20000)" in caplog.text


def _save_levels_module(path: Path) -> str:
    """An image module of one whole number, 4 x the brightness rounded (exact ties)."""
    import tensorflow as tf

    class Levels(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32)])
        def __call__(self, images):
            return tf.round(4.0 * tf.reduce_mean(images, axis=[1, 2, 3]))[:, None]

    tf.saved_model.save(Levels(), os.fspath(path))
    return os.fspath(path)


@pytest.mark.tf
def test_the_table_is_an_exact_leave_one_out_the_same_on_every_run(
    image_modules: dict[str, str], tmp_path: Path, capsys
) -> None:
    """Classes of mixed shapes (a 1-NN error far from 0), a photo copied into both classes:
    each module's error is the leave-one-out computed here on its own vectors, and two runs
    print the same ranking."""
    from tests._helpers import image_sets

    rng = np.random.default_rng(45)
    folder = tmp_path / "mixed"
    for label in ("a", "b"):
        (folder / label).mkdir(parents=True)
        for number in range(14):
            kind = ("circle", "square", "triangle")[int(rng.integers(3))]
            pixels = image_sets.draw_shape(kind, height=32, width=32, rng=rng)
            image_sets.write_image(folder / label / f"{number:02d}.png", pixels)
    (folder / "b" / "copy.png").write_bytes((folder / "a" / "03.png").read_bytes())
    modules = [image_modules["fixed"], image_modules["variable"]]
    dataset = lib.load_dataset(lib.DataSpec(str(folder)))
    scores = {score.module: score for score in lib.rank_modules(modules, dataset)}
    for module in modules:
        vectors = lib.embed(module, dataset, None)
        assert scores[module].error == direct_loo_error(vectors, dataset.labels), module
    assert 0.1 < scores[modules[0]].error < 0.9
    runs = []
    for _ in range(2):
        assert tool_main([f"--dataset={folder}", *(f"--module={m}" for m in modules)]) == 0
        runs.append(
            [row.split()[:3] + row.split()[4:] for row in capsys.readouterr().out.splitlines()]
        )
    assert runs[0] == runs[1]


@pytest.mark.tf
def test_ties_go_to_the_image_listed_first_and_the_module_named_first(
    tmp_path: Path, capsys
) -> None:
    """Level 2 (class b) is as near to level 1 (class a) as to level 3 (its own class): its
    nearest is the image listed first, a's; two modules of one error are ranked by name."""
    from tests._helpers import image_sets

    folder = tmp_path / "levels"
    for label, values in (("a", (64,)), ("b", (128, 191))):
        (folder / label).mkdir(parents=True)
        for value in values:
            pixels = np.full((8, 8, 3), value, np.uint8)
            image_sets.write_image(folder / label / f"{value}.png", pixels)
    first = _save_levels_module(tmp_path / "z_levels")
    second = _save_levels_module(tmp_path / "a_levels")
    dataset = lib.load_dataset(lib.DataSpec(str(folder)))
    vectors = lib.embed(first, dataset, None)
    assert vectors[:, 0].tolist() == [1.0, 2.0, 3.0] and dataset.labels.tolist() == [0, 1, 1]
    # 1: 2, wrong; 2: 1 or 3, a tie won by 1 (listed first), wrong; 3: 2, right.
    assert lib.loo_1nn_error(vectors, dataset.labels) == pytest.approx(2 / 3)
    assert tool_main([f"--dataset={folder}", f"--module={first}", f"--module={second}"]) == 0
    rows = [row.split() for row in capsys.readouterr().out.splitlines()[2:]]
    assert [(row[1], row[-1]) for row in rows] == [("0.667", second), ("0.667", first)]


def test_a_class_of_one_image_is_named_in_a_warning(shape_images: Path, tmp_path: Path, caplog):
    """An image alone in its class has no other of its class to be nearest to: it counts as
    an error for every module (as upstream's leave-one-out counted it), which the table
    showed without a word."""
    import shutil

    folder = tmp_path / "images"
    shutil.copytree(shape_images, folder)
    for path in sorted((folder / "square").iterdir())[1:]:
        path.unlink()
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        dataset = lib.load_dataset(lib.DataSpec(str(folder)))
    assert len(dataset.labels) == 41
    (message,) = [r.getMessage() for r in caplog.records if "one image" in r.getMessage()]
    assert message.startswith("1 class(es) of the dataset have one image only (square): ")
    assert "an error for every module" in message
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        lib.load_dataset(lib.DataSpec(str(shape_images), 4))  # 2, 1, 1 of the three classes.
    assert "2 class(es) of the dataset have one image only (square, triangle)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        lib.load_dataset(lib.DataSpec(str(shape_images), 6))
    assert caplog.text == ""


def test_one_module_given_as_a_str_is_not_read_as_its_characters(
    shape_images: Path, monkeypatch, capsys
) -> None:
    """`rank_modules("/models/m", dataset)` and `search.FLAGS.module = "/models/m"` scored
    each character as a module: "The module / is not a SavedModel", then t, m, p, ... (12 of
    12 modules could not be scored)."""
    from tfhub.tools.module_search import search

    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 6))
    with pytest.raises(errors.ArgumentTypeError, match=r"a list of module handles") as caught:
        lib.rank_modules("/models/m", dataset)
    assert str(caught.value).endswith("Received: modules='/models/m'")
    assert isinstance(caught.value, TypeError)
    monkeypatch.setattr(search.FLAGS["dataset"], "value", f"{shape_images}#6")
    monkeypatch.setattr(search.FLAGS["module"], "value", "/models/m")
    with pytest.raises(errors.ToolFlagError, match=r"FLAGS.module = \['/models/m'\]"):
        search.main(["search"])
    assert capsys.readouterr().err == ""  # Before any module.


@pytest.mark.parametrize("copies", [False, True])
def test_large_vectors_are_ranked_with_one_float64_copy(copies: bool, monkeypatch) -> None:
    """Ranking held the vectors four times at once: a float64 copy, every row's bytes (to find
    copies), the distinct rows and a block of up to 1,024 of them: 480 MB of vectors took
    3.3 GB. One float64 copy and blocks bounded in bytes remain."""
    import tracemalloc

    rng = np.random.default_rng(7)
    x = rng.random((160, 20_000), dtype=np.float32)  # 12.8 MB; 25.6 MB as float64.
    if copies:
        x[1::7] = x[0]
    labels = rng.integers(0, 3, 160)
    expected = direct_loo_error(x, labels)
    monkeypatch.setattr(lib, "_BLOCK_BYTES", 2 * 2**20)  # A block's rows: 2 MB, not 25.6.
    tracemalloc.start()
    try:
        error = lib.loo_1nn_error(x, labels)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error == expected
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MB"


def test_vectors_whose_digests_collide_are_still_told_apart(monkeypatch) -> None:
    """Copies are found by a 16-byte digest of each vector; two distinct vectors of one digest
    (made here by a digest that is the same for all) are still two vectors."""
    import hashlib

    class Same:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def digest(self) -> bytes:
            return bytes(16)

    rng = np.random.default_rng(8)
    x = rng.integers(-2, 3, (60, 3)).astype(np.float32)  # Copies and exact ties.
    labels = rng.integers(0, 3, 60)
    expected = direct_loo_error(x, labels)
    monkeypatch.setattr(hashlib, "blake2b", Same)
    assert lib.loo_1nn_error(x, labels) == expected
