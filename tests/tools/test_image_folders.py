"""tfhub.tools.image_folders, image_decoding, image_store: listing a folder of class sub-folders
and decoding its images (shared by make_image_classifier and module_search)."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub import errors
from tfhub.tools import image_decoding, image_folders, image_store

# --- The image folder ---------------------------------------------------------------------------


def test_lists_classes_sorted_and_every_image_format(tmp_path: Path) -> None:
    image_sets.make_image_folder(tmp_path / "imgs", classes=("square", "circle"), per_class=4)
    (tmp_path / "imgs" / "circle" / "notes.txt").write_text("not an image")
    (tmp_path / "imgs" / "circle" / "UPPER.PNG").write_bytes(
        (tmp_path / "imgs" / "circle" / "circle_001.png").read_bytes()
    )
    (tmp_path / "imgs" / "LICENSE.txt").write_text("a file beside the class folders")
    files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
    assert files.labels == ("circle", "square")
    names = [os.path.basename(p) for p in files.paths]
    assert names[:5] == [
        "UPPER.PNG",
        *[f"circle_00{i}.{e}" for i, e in enumerate(["jpg", "png", "bmp", "gif"])],
    ]
    assert files.label_ids == (0,) * 5 + (1,) * 4


def test_hidden_files_and_folders_are_not_images(tmp_path: Path) -> None:
    """A dataset copied from macOS to another file system holds a `._NAME` metadata file beside
    each image: they were listed as images (counted in the split), then skipped by name."""
    image_sets.make_image_folder(tmp_path / "imgs", classes=("square", "circle"), per_class=2)
    for image in list((tmp_path / "imgs").rglob("*_00*.*")):
        (image.parent / f"._{image.name}").write_bytes(b"\x00\x05\x16\x07Mac OS X")
    hidden = tmp_path / "imgs" / "circle" / ".thumbnails"
    hidden.mkdir()
    shutil.copy(tmp_path / "imgs" / "circle" / "circle_000.jpg", hidden / "thumb.jpg")
    files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
    assert [os.path.basename(p) for p in files.paths] == [
        "circle_000.jpg",
        "circle_001.png",
        "square_000.jpg",
        "square_001.png",
    ]


def test_system_folders_are_neither_classes_nor_images(tmp_path: Path) -> None:
    """A zip made on macOS and unpacked elsewhere holds `__MACOSX/<class>/._photo.jpg`: it was
    a class of no image, an error before training. A Synology share holds `@eaDir/<photo>/
    SYNOFILE_THUMB_M.jpg` beside the photos: real JPEGs, which joined their class as extra,
    smaller copies (some in validation, of photos in training)."""
    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("square", "circle"), per_class=2)
    (root / "__MACOSX" / "circle").mkdir(parents=True)
    (root / "__MACOSX" / "circle" / "._circle_000.jpg").write_bytes(b"\x00\x05\x16\x07")
    for folder in ("@eaDir", "$RECYCLE.BIN"):
        (root / folder).mkdir()
        shutil.copy(root / "circle" / "circle_000.jpg", root / folder / "x.jpg")
    thumbs = root / "square" / "@eaDir" / "square_000.jpg"
    thumbs.mkdir(parents=True)
    shutil.copy(root / "square" / "square_000.jpg", thumbs / "SYNOFILE_THUMB_M.jpg")
    files = image_folders.list_image_files(os.fspath(root))
    assert files.labels == ("circle", "square")
    assert [os.path.relpath(p, root) for p in files.paths] == [
        os.path.join("circle", "circle_000.jpg"),
        os.path.join("circle", "circle_001.png"),
        os.path.join("square", "square_000.jpg"),
        os.path.join("square", "square_001.png"),
    ]


def test_a_message_names_ten_files_then_says_how_many_more() -> None:
    paths = [f"img{i}.jpg" for i in range(25)]
    assert image_folders.named(paths[:10]) == ", ".join(paths[:10])
    assert image_folders.named(paths) == ", ".join(paths[:10]) + " and 15 more"


def test_images_tensorflow_cannot_decode_are_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    image_sets.make_image_folder(tmp_path / "imgs", classes=("square", "circle"), per_class=2)
    for name in ("scan.TIF", "old.ppm"):  # Read by upstream's ImageDataGenerator (with PIL).
        (tmp_path / "imgs" / "square" / name).write_bytes(b"II*\x00")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
    assert len(files.paths) == 4
    (record,) = [r for r in caplog.records if "Left out" in r.getMessage()]
    message = record.getMessage()
    assert message.startswith("Left out 2 image(s) of a format TensorFlow cannot decode")
    assert "old.ppm" in message and "scan.TIF" in message and "Convert them" in message


@pytest.mark.parametrize(
    ("layout", "match"),
    [
        ({}, "holds no images in class sub-folders"),
        ({"only": 3}, r"1 class sub-folder\(s\) \['only'\], at least 2"),
        ({"a": 3, "b": 0, "c": 2}, r"class folder\(s\) \['b'\] hold no image"),
        ({"a": 0, "b": 0}, "holds no images in class sub-folders"),
    ],
)
def test_unusable_folders_are_clear_errors(tmp_path: Path, layout: dict, match: str) -> None:
    root = tmp_path / "imgs"
    root.mkdir()
    for name, count in layout.items():
        (root / name).mkdir()
        for i in range(count):
            image_sets.write_image(root / name / f"{i}.png", np.zeros((8, 8, 3), np.uint8))
    (root / "top.jpg").write_bytes(b"images outside class folders are not used")
    with pytest.raises(errors.ImageFolderError, match=match) as caught:
        image_folders.list_image_files(os.fspath(root))
    assert isinstance(caught.value, ValueError)
    assert caught.value.path == os.fspath(root)
    assert pickle.loads(pickle.dumps(caught.value)).problem == caught.value.problem


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(errors.ImageFolderError, match="it is not a folder"):
        image_folders.list_image_files(os.fspath(tmp_path / "nope"))


def test_a_missing_folder_or_a_file_is_named_with_the_flag_that_gave_it(tmp_path: Path) -> None:
    a_file = tmp_path / "photo.jpg"
    a_file.write_bytes(b"")
    for path, what in ((tmp_path / "nope", "it does not exist"), (a_file, "it is a file")):
        with pytest.raises(errors.ImageFolderError) as caught:
            image_folders.list_image_files(os.fspath(path), flag="dataset")
        assert what in str(caught.value)
        assert str(caught.value).endswith(f"Received: dataset={os.fspath(path)!r}")


# --- Decoding and the tf.data pipeline ----------------------------------------------------------


@pytest.mark.tf
def test_decodes_all_formats_and_skips_unreadable_files_by_name(
    shape_images: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "imgs"
    shutil.copytree(shape_images, root)
    bad = image_sets.write_corrupt_image(root / "square" / "broken.jpg")
    (root / "circle" / "empty.png").write_bytes(b"")
    files = image_folders.list_image_files(os.fspath(root))
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        decoded = image_decoding.decode_images(files, (40, 24))
    assert sorted(decoded.skipped) == sorted([bad, os.fspath(root / "circle" / "empty.png")])
    assert "broken.jpg" in caplog.text and "empty.png" in caplog.text
    assert decoded.images.shape == (60, 40, 24, 3) and decoded.images.dtype == np.uint8
    assert list(np.bincount(decoded.label_ids)) == [20, 20, 20]
    # Each class has its colour: the mean of the dominant channel beats the others' means.
    for class_id, channel in enumerate([0, 1, 2]):  # circle red, square green, triangle blue
        mean = decoded.images[decoded.label_ids == class_id].astype(float).mean(axis=(0, 1, 2))
        assert np.argmax(mean - mean.mean()) == channel


@pytest.mark.tf
def test_webp_images_are_read_and_the_ones_with_alpha_or_frames_skipped_by_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """TensorFlow 2.21 decodes WebP, which was left out as undecodable: lossy and lossless, and
    a WebP whatever its name; compared with PIL. DecodeImage refuses channels=3 for a WebP with
    alpha or frames: those are skipped by name, as unreadable files are (never handed to
    DecodeWebP with channels=0, which corrupts its heap on an animation)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    smooth = np.kron(rng.integers(0, 256, (6, 8, 3)), np.ones((4, 4, 1))).astype(np.uint8)
    alpha = np.full(smooth.shape[:2], 90, np.uint8)
    rgb, rgba = Image.fromarray(smooth), Image.fromarray(np.dstack([smooth, alpha]))
    root = tmp_path / "imgs"
    for folder in ("a", "b"):
        (root / folder).mkdir(parents=True)
    rgb.save(root / "a" / "lossy.webp", quality=90)
    rgb.save(root / "a" / "lossless.WEBP", lossless=True)
    rgb.save(root / "b" / "named.jpg", format="WEBP", lossless=True)
    rgba.save(root / "a" / "alpha.webp", lossless=True)
    inverted = [Image.fromarray(255 - smooth)]
    rgb.save(root / "b" / "anim.webp", save_all=True, append_images=inverted, lossless=True)
    files = image_folders.list_image_files(os.fspath(root))
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        decoded = image_decoding.decode_images(files, smooth.shape[:2])  # No resizing.
    skipped = [os.fspath(root / "a" / "alpha.webp"), os.fspath(root / "b" / "anim.webp")]
    assert sorted(decoded.skipped) == skipped
    assert "alpha.webp" in caplog.text and "anim.webp" in caplog.text
    assert "reads a WebP only without transparency or animation: convert" in caplog.text
    read = [path for path in files.paths if path not in decoded.skipped]
    assert len(read) == len(decoded.images) == 3
    for path, image in zip(read, decoded.images, strict=True):
        with Image.open(path) as opened:
            expected = np.asarray(opened.convert("RGB"))
        tolerance = 8 if "lossy" in path else 0  # Two libwebp builds' chroma upsampling.
        np.testing.assert_allclose(image, expected, atol=tolerance, err_msg=path)


@pytest.mark.tf
def test_a_class_of_only_unreadable_files_is_an_error(tmp_path: Path) -> None:
    image_sets.make_image_folder(tmp_path / "imgs", classes=("circle",), per_class=2)
    (tmp_path / "imgs" / "square").mkdir()
    image_sets.write_corrupt_image(tmp_path / "imgs" / "square" / "a.jpg")
    files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
    with pytest.raises(errors.ImageFolderError, match=r"\['square'\] hold no readable image"):
        image_decoding.decode_images(files, (8, 8))


# --- ImageStore: decoding on first use, kept for later passes -----------------------------------


def _pass(store: image_store.ImageStore, indices: np.ndarray) -> dict[int, np.ndarray]:
    found = {}
    for batch, images in store.batches(indices, 4, shuffle=True, seed=1):
        assert len(batch) <= 4
        pairs = zip(batch.numpy(), images.numpy(), strict=True)
        found.update({int(i): image for i, image in pairs})
    return found


@pytest.mark.tf
def test_store_decodes_on_the_first_pass_and_keeps_the_images(tmp_path: Path) -> None:
    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("circle", "square"), per_class=3, formats=("png",))
    files = image_folders.list_image_files(os.fspath(root))
    store = image_store.ImageStore(files, (16, 16))  # Decodes nothing yet.
    white, black = np.full((20, 20, 3), 255, np.uint8), np.zeros((20, 20, 3), np.uint8)
    image_sets.write_image(files.paths[0], white)  # Changed after the store was made...
    first = _pass(store, np.arange(6))
    assert sorted(first) == list(range(6)) and np.all(first[0] == 255)  # ...is read.
    image_sets.write_image(files.paths[0], black)  # Changed after the first pass...
    second = _pass(store, np.arange(6))
    assert all(np.array_equal(first[i], second[i]) for i in range(6))  # ...is not read again.
    reference = image_decoding.decode_images(files, (16, 16))
    np.testing.assert_array_equal(second[1], reference.images[1])  # The same decoding.
    assert store.check() == ()


@pytest.mark.tf
def test_store_drops_unreadable_files_and_names_them_after_the_pass(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("circle", "square"), per_class=2)
    bad = image_sets.write_corrupt_image(root / "square" / "zz_broken.jpg")
    files = image_folders.list_image_files(os.fspath(root))
    store = image_store.ImageStore(files, (8, 8))
    for _ in range(2):  # The unreadable file is left out of every pass.
        assert sorted(_pass(store, np.arange(5))) == [0, 1, 2, 3]
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        assert store.check() == (bad,)
    assert "zz_broken.jpg" in caplog.text
    for path in files.paths[2:4]:
        image_sets.write_corrupt_image(path)
    fresh = image_store.ImageStore(files, (8, 8))
    assert sorted(_pass(fresh, np.arange(5))) == [0, 1]
    with pytest.raises(errors.ImageFolderError, match=r"\['square'\] hold no readable image"):
        fresh.check()


@pytest.mark.tf
def test_file_and_class_names_that_are_not_utf8_are_read(tmp_path: Path) -> None:
    """Images copied from an old archive or another system may be named in Latin-1: the
    first pass failed with "Error converting unicode string while converting Python sequence
    to Tensor" before any image was read."""
    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("circle", "square"), per_class=2, formats=("png",))
    square = os.path.join(os.fsencode(root), b"square")
    os.rename(square, os.path.join(os.fsencode(root), b"carr\xe9"))  # A class, in Latin-1.
    circle = os.path.join(os.fsencode(root), b"circle")
    first = sorted(os.listdir(circle))[0]
    os.rename(os.path.join(circle, first), os.path.join(circle, b"\xe9t\xe9 " + first))
    files = image_folders.list_image_files(os.fspath(root))
    assert files.labels == ("carr\udce9", "circle")
    decoded = image_decoding.decode_images(files, (8, 8))
    assert decoded.skipped == () and len(decoded.paths) == 4
    store = image_store.ImageStore(files, (8, 8))
    assert sorted(_pass(store, np.arange(4))) == [0, 1, 2, 3]
    assert store.check() == ()


def _png_16_bit_rgb(path: Path, pixels: np.ndarray) -> None:
    """Writes uint16 [h, w, 3] as a 16-bit RGB PNG (Pillow writes 16 bits for grey only)."""
    import struct
    import zlib

    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip


@pytest.mark.tf
def test_images_of_odd_content_are_read_and_an_empty_file_skipped_by_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What docs/tools.md promises for 16-bit, CMYK, grey, animated, 1x1 and mislabelled files,
    on both ways of decoding (module_search's decode_images, make_image_classifier's store)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    grey = pixels[..., 0]
    odd = tmp_path / "images" / "odd"
    odd.mkdir(parents=True)
    _png_16_bit_rgb(odd / "a_16_bit.png", pixels.astype(np.uint16) * 257)
    Image.fromarray(grey.astype(np.uint16) * 257).save(odd / "b_grey_16_bit.png")
    Image.fromarray(pixels, "RGB").convert("CMYK").save(odd / "c_cmyk.jpg", "JPEG", quality=95)
    Image.fromarray(grey, "L").save(odd / "d_grey.png")
    frames = [Image.fromarray(np.roll(pixels, i, axis=0), "RGB") for i in range(3)]
    frames[0].save(odd / "e_animated.gif", save_all=True, append_images=frames[1:], loop=0)
    Image.fromarray(pixels[:1, :1], "RGB").save(odd / "f_one_pixel.png")
    Image.fromarray(pixels, "RGB").save(odd / "g_png_inside.jpg", "PNG")
    (odd / "h_empty.jpg").write_bytes(b"")
    (tmp_path / "images" / "plain").mkdir()
    image_sets.write_image(tmp_path / "images" / "plain" / "plain.png", pixels)
    files = image_folders.list_image_files(os.fspath(tmp_path / "images"))
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        decoded = image_decoding.decode_images(files, (40, 40))
    assert decoded.skipped == (os.fspath(odd / "h_empty.jpg"),) and "h_empty.jpg" in caplog.text
    got = dict(zip((Path(path).name for path in decoded.paths), decoded.images, strict=True))
    first_frame = np.asarray(Image.open(odd / "e_animated.gif").convert("RGB"))
    cmyk_as_rgb = np.asarray(Image.open(odd / "c_cmyk.jpg").convert("RGB"), np.int32)
    for name, expected in [
        ("a_16_bit.png", pixels),
        ("b_grey_16_bit.png", np.repeat(grey[..., None], 3, axis=2)),
        ("d_grey.png", np.repeat(grey[..., None], 3, axis=2)),
        ("e_animated.gif", first_frame),
        ("f_one_pixel.png", np.broadcast_to(pixels[0, 0], (40, 40, 3))),
        ("g_png_inside.jpg", pixels),
    ]:
        np.testing.assert_array_equal(got[name], expected, err_msg=name)
    # Two JPEG decoders differ by a few levels; inverted or dropped ink would differ by ~100s.
    cmyk_error = np.abs(got["c_cmyk.jpg"].astype(np.int32) - cmyk_as_rgb)
    assert cmyk_error.mean() < 3 and cmyk_error.max() <= 16
    store = image_store.ImageStore(files, (40, 40))  # make_image_classifier's decoding.
    indices = np.arange(len(files.paths))
    for _ in store.batches(indices, 4):
        pass
    readable, kept = store.kept(indices)
    np.testing.assert_array_equal(kept.numpy(), decoded.images)
    assert len(readable) == len(files.paths) - 1
