"""Probe 45: the GIF block walker of `image_headers` against what TensorFlow (giflib) decodes.

Each crafted GIF is decoded by the real `tf.io.decode_image` where cheap: the header must
report the size TensorFlow decodes it at, so that `image_folders` bounds the real cost.
"""

from __future__ import annotations

import io
import logging
import os
import struct
from pathlib import Path

import pytest
import tensorflow as tf

from tfhub import errors
from tfhub.tools import image_folders, image_headers
from tfhub.tools.image_headers import read_header


def _pil_gif(width: int, height: int) -> tuple[bytes, bytes]:
    """A one-frame GIF of `width` x `height` written by Pillow, split into its header (signature,
    logical screen, global colour table) and its blocks (the frame, the trailer)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("P", (width, height), 0).save(buffer, "GIF")
    data = buffer.getvalue()
    flags = data[10]
    body = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    return data[:body], data[body:]


def _with_screen(header: bytes, width: int, height: int) -> bytes:
    return header[:6] + struct.pack("<HH", width, height) + header[10:]


def _decoded_size(path: Path) -> tuple[int, int]:
    """(width, height) of the image TensorFlow decodes from `path`."""
    image = tf.io.decode_image(
        tf.io.read_file(os.fspath(path)), channels=3, expand_animations=False
    )
    return int(image.shape[1]), int(image.shape[0])


def _kept(tmp_path: Path, name: str, data: bytes) -> list[str]:
    """Lists a folder of two classes holding `data` as `name` beside two small GIFs; returns the
    names of the images kept."""
    header, blocks = _pil_gif(8, 8)
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "ok.gif").write_bytes(header + blocks)
    (tmp_path / "a" / name).write_bytes(data)
    files = image_folders.list_image_files(os.fspath(tmp_path))
    return sorted(os.path.basename(path) for path in files.paths)


# An extension block (introducer 21, label FE: a comment), then sub-blocks as giflib's
# DGifSlurp reads them: the first sub-block, then sub-blocks up to an empty one, even when the
# first was empty.
_EXTENSIONS = {
    "empty-then-trailer-byte": b"\x21\xfe\x00" + b"\x3b" + b"A" * 0x3B + b"\x00",
    "empty-then-empty": b"\x21\xfe\x00\x00",
    "empty-then-two": b"\x21\xfe\x00" + b"\x02ab" + b"\x2c" + b"C" * 0x2C + b"\x00",
    "one-sub-block": b"\x21\xfe\x03abc\x00",
    "two-sub-blocks": b"\x21\xfe\x01\x3b\x02\x21\x2c\x00",
}


@pytest.mark.parametrize("extension", sorted(_EXTENSIONS))
def test_an_extension_before_a_frame_hides_no_frame_from_the_header(tmp_path, extension):
    # F1: after `21 FE 00`, the walker took the next byte (3B) for the trailer and stopped,
    # reporting the 10 x 10 screen; giflib read it as a sub-block size and decoded the frame.
    header, blocks = _pil_gif(200, 120)
    path = tmp_path / "x.gif"
    path.write_bytes(_with_screen(header, 10, 10) + _EXTENSIONS[extension] + blocks)

    found = read_header(os.fspath(path))

    assert found is not None
    assert (found.width, found.height) == _decoded_size(path) == (200, 120)
    assert found.frames == 1


def test_a_frame_behind_an_empty_extension_is_left_out_above_the_bound(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 10_000)
    header, blocks = _pil_gif(200, 120)  # 24,000 pixels behind a 10 x 10 screen.
    data = _with_screen(header, 10, 10) + _EXTENSIONS["empty-then-trailer-byte"] + blocks

    with caplog.at_level(logging.WARNING, logger=image_folders.logger.name):
        kept = _kept(tmp_path, "bomb.gif", data)

    assert kept == ["ok.gif", "ok.gif"]
    assert "bomb.gif (200 x 120)" in caplog.text


@pytest.mark.parametrize("signature", [b"GIF80a", b"GIF8zz", b"GIF89b", b"GIF8\0\0"])
def test_any_gif8_signature_is_read_as_tensorflow_decodes_it(tmp_path, signature):
    # F2: TensorFlow's decode_image takes any file starting "GIF8" for a GIF (giflib checks
    # only "GIF"); the header was None for versions other than 87a and 89a: no bound.
    header, blocks = _pil_gif(200, 120)
    path = tmp_path / "x.gif"
    path.write_bytes(signature + _with_screen(header, 10, 10)[6:] + blocks)

    found = read_header(os.fspath(path))

    assert found is not None and found.format == "GIF"
    assert (found.width, found.height) == _decoded_size(path) == (200, 120)


def test_a_gif_of_another_version_is_left_out_above_the_bound(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 10_000)
    header, blocks = _pil_gif(200, 120)

    with caplog.at_level(logging.WARNING, logger=image_folders.logger.name):
        kept = _kept(tmp_path, "bomb.gif", b"GIF8zz" + header[6:] + blocks)

    assert kept == ["ok.gif", "ok.gif"]
    assert "bomb.gif (200 x 120)" in caplog.text


def test_a_file_tensorflow_does_not_take_for_a_gif_has_no_header(tmp_path):
    header, blocks = _pil_gif(20, 10)
    path = tmp_path / "x.gif"
    path.write_bytes(b"GIF7xx" + header[6:] + blocks)

    assert read_header(os.fspath(path)) is None
    with pytest.raises(tf.errors.InvalidArgumentError):
        _decoded_size(path)


def test_a_gif_is_as_large_as_its_largest_frame_whatever_its_screen(tmp_path, monkeypatch):
    # F5: the logical screen was counted (max of screen and frames) though TensorFlow ignores
    # it: a GIF of a 10000 x 10000 screen and a 300 x 200 frame was left out as a bomb.
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 100_000)
    header, blocks = _pil_gif(300, 200)
    data = _with_screen(header, 10_000, 10_000) + blocks
    path = tmp_path / "x.gif"
    path.write_bytes(data)

    found = read_header(os.fspath(path))

    assert found is not None
    assert (found.width, found.height, found.pixels) == (*_decoded_size(path), 60_000)
    assert _kept(tmp_path, "screen.gif", data) == ["ok.gif", "ok.gif", "screen.gif"]


def test_a_gif_cut_before_its_first_frame_is_as_large_as_its_screen(tmp_path):
    header, _ = _pil_gif(300, 200)
    path = tmp_path / "x.gif"
    path.write_bytes(_with_screen(header, 400, 500))

    found = read_header(os.fspath(path))

    assert found is not None and (found.width, found.height, found.frames) == (400, 500, 1)


# A 1 x 1 frame: descriptor (no colour table), LZW code size 2, codes clear, 0, end.
_TINY_FRAME = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00" + b"\x02\x02\x44\x01\x00"


def _tiny_frames_gif(frames: int, before: bytes = b"") -> bytes:
    """A GIF of `frames` frames of 1 x 1 (a 2-colour global table), `before` them."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00" * 3 + b"\xff" * 3
    return screen + before + _TINY_FRAME * frames + b"\x3b"


def test_each_gif_frame_counts_at_least_what_giflib_keeps_for_it(tmp_path, monkeypatch):
    # F6: a frame of 1 x 1 pixel counted 1, though giflib keeps ~100 bytes for each (2 M
    # frames of 1 x 1 in 30 MB: +194 MB in TensorFlow); it now counts 128 (16 pixels).
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 10_000)
    data = _tiny_frames_gif(1_000)
    path = tmp_path / "x.gif"
    path.write_bytes(data)

    found = read_header(os.fspath(path))

    assert found is not None and (found.width, found.height) == _decoded_size(path) == (1, 1)
    assert (found.frames, found.frame_pixels) == (1_000, 128_000)
    assert _kept(tmp_path, "frames.gif", data) == ["ok.gif", "ok.gif"]


def test_a_gif_of_more_blocks_than_walked_is_left_out_naming_why(tmp_path, monkeypatch, caplog):
    # F6: 10 MB of empty comments took the walker 4.5 s; the blocks and sub-blocks walked
    # are now capped, and a GIF of more is left out with a warning saying so.
    monkeypatch.setattr(image_headers, "GIF_MAX_STEPS", 1_000)
    comments = b"\x21\xfe\x01x\x00" * 400  # 3 steps each.
    path = tmp_path / "x.gif"
    path.write_bytes(_tiny_frames_gif(1, comments))

    found = read_header(os.fspath(path))

    assert found is not None and found.too_long
    with caplog.at_level(logging.WARNING, logger=image_folders.logger.name):
        assert _kept(tmp_path, "long.gif", path.read_bytes()) == ["ok.gif", "ok.gif"]
    assert "1 GIF(s) of more than 1,000 blocks" in caplog.text
    assert "long.gif" in caplog.text


def test_a_gif_of_fewer_blocks_than_the_cap_is_walked_to_its_end(tmp_path, monkeypatch):
    monkeypatch.setattr(image_headers, "GIF_MAX_STEPS", 1_000)
    path = tmp_path / "x.gif"
    path.write_bytes(_tiny_frames_gif(50, b"\x21\xfe\x01x\x00" * 200))  # 800 steps.

    found = read_header(os.fspath(path))

    assert found is not None and not found.too_long and found.frames == 50
    assert _kept(tmp_path, "short.gif", path.read_bytes()) == ["ok.gif", "ok.gif", "short.gif"]


def _animation(path: Path, frames: int, width: int, height: int) -> bytes:
    """An animation of `frames` full frames of `width` x `height`, black and white in turn."""
    from PIL import Image

    palette = [0, 0, 0, 255, 255, 255] + [0] * 762
    images = [Image.new("P", (width, height), i % 2) for i in range(frames)]
    for image in images:
        image.putpalette(palette)
    images[0].save(path, save_all=True, append_images=images[1:], optimize=False, duration=33)
    return path.read_bytes()


def test_an_animation_weighs_an_eighth_of_its_frame_pixels(tmp_path, monkeypatch, caplog):
    # F4: every frame pixel counted as a decoded pixel (~16 bytes), though TensorFlow keeps a
    # frame pixel in ~1 byte: 1,200 frames of 320 x 240 (1.5 MB, 119 MB in TensorFlow) were
    # refused. Lowered bound: 20 frames of 100 x 100 are kept, 100 are left out.
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 30_000)
    short = _animation(tmp_path / "short.gif", 20, 100, 100)
    long = _animation(tmp_path / "long.gif", 100, 100, 100)
    found = read_header(os.fspath(tmp_path / "short.gif"))
    assert found is not None and (found.frames, found.frame_pixels) == (20, 200_000)
    assert found.pixels == 25_000
    assert _decoded_size(tmp_path / "short.gif") == (100, 100)
    (tmp_path / "short.gif").unlink()
    (tmp_path / "long.gif").unlink()

    with caplog.at_level(logging.WARNING, logger=image_folders.logger.name):
        assert _kept(tmp_path, "short.gif", short) == ["ok.gif", "ok.gif", "short.gif"]
        (tmp_path / "a" / "long.gif").write_bytes(long)
        kept = sorted(
            os.path.basename(p) for p in image_folders.list_image_files(os.fspath(tmp_path)).paths
        )
    assert kept == ["ok.gif", "ok.gif", "short.gif"]
    assert "long.gif (100 x 100, 100 frames)" in caplog.text


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_a_gif_cut_inside_an_extension_has_the_frames_read_so_far(tmp_path, cut):
    header, blocks = _pil_gif(30, 20)
    path = tmp_path / "x.gif"
    path.write_bytes(header + blocks[:-1] + b"\x21\xfe\x05abc"[:cut])

    found = read_header(os.fspath(path))

    assert found is not None and (found.width, found.height, found.frames) == (30, 20, 1)


def test_the_cap_stops_a_walk_inside_one_long_extension(tmp_path, monkeypatch):
    # 200,000 one-byte sub-blocks (400 KB) in one comment: the walk stops at the cap, within
    # the file's first 4 KB (read before the walk), not after the whole chain (7 windows).
    monkeypatch.setattr(image_headers, "GIF_MAX_STEPS", 1_000)
    path = tmp_path / "x.gif"
    path.write_bytes(_tiny_frames_gif(1, b"\x21\xfe" + b"\x01x" * 200_000 + b"\x00"))
    reads = []
    pread = os.pread
    monkeypatch.setattr(image_headers.os, "pread", lambda *args: reads.append(args) or pread(*args))

    found = read_header(os.fspath(path))

    assert found is not None and found.too_long
    assert reads == []


def test_a_long_gif_is_kept_without_a_bound_and_counts_as_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(image_headers, "GIF_MAX_STEPS", 1_000)
    long = _tiny_frames_gif(1, b"\x21\xfe\x01x\x00" * 400)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "ok.gif").write_bytes(_tiny_frames_gif(1))
    (tmp_path / "b" / "long.gif").write_bytes(long)

    with pytest.raises(errors.ImageFolderError, match=r"\['b'\] hold no image .* besides"):
        image_folders.list_image_files(os.fspath(tmp_path))
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", None)
    assert len(image_folders.list_image_files(os.fspath(tmp_path)).paths) == 2


def test_frame_pixels_are_weighed_rounded_up(tmp_path):
    path = tmp_path / "x.gif"
    _animation(path, 9, 43, 3)  # 9 x 129 frame pixels: 1,161 / 8 = 145.1.

    found = read_header(os.fspath(path))

    assert found is not None and (found.frame_pixels, found.pixels) == (1_161, 146)
