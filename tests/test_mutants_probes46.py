"""Hand-mutation audit (session 46, mut46) of sessions 45 and 46's new code: each test here kills
a mutant the existing tests let live (the log of mutants is in the session's report).

The GIF walker and `undecodable_format` (`tools.image_headers`), libjpeg's warnings named by
file (`tools.module_search.jpeg_warnings`), a cgroup's room (`tools.host_memory.cgroup_room`),
class folders linked to one another (`tools.image_folders`), the one error line
(`program.report`) and the TF2 object graph walk (`model_graph_checks`).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tests._helpers.checkpoints import checkpoint_tensors, write_checkpoint

from tfhub import errors
from tfhub.program.report import report, tell
from tfhub.tools import image_headers
from tfhub.tools.host_memory import cgroup_room
from tfhub.tools.image_folders import list_image_files

MIB = 1 << 20


# --- image_headers: a GIF's size is its largest frame's, wherever that frame is -------------


def _gif_frame(width: int, height: int) -> bytes:
    """One frame of `width` x `height` (no colour table of its own), as Pillow encodes it."""
    buffer = io.BytesIO()
    Image.new("P", (width, height), 0).save(buffer, "GIF")
    data = buffer.getvalue()
    flags = data[10]
    body = data[13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) :]
    return body[body.index(b"\x2c") : -1]  # From the image descriptor, without the trailer.


def test_a_gif_whose_later_frame_is_larger_is_as_large_as_that_frame(tmp_path: Path) -> None:
    """H02: the size was taken from the first frame only (a 1 x 1 frame, then 300 x 200)."""
    import tensorflow as tf

    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00" * 3 + b"\xff" * 3
    path = tmp_path / "x.gif"
    path.write_bytes(screen + _gif_frame(1, 1) + _gif_frame(300, 200) + b"\x3b")
    found = image_headers.read_header(str(path))
    assert found is not None and (found.width, found.height, found.frames) == (300, 200, 2)
    decoded = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    assert (int(decoded.shape[1]), int(decoded.shape[0])) == (300, 200)


def test_a_gif_cut_inside_a_frames_descriptor_has_the_frames_read_so_far(tmp_path: Path) -> None:
    """H21: a descriptor cut short (fewer than its 5 bytes of size and flags) raised
    struct.error: no header at all, so the frames before it went unbounded."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00" * 3 + b"\xff" * 3
    path = tmp_path / "x.gif"
    path.write_bytes(screen + _gif_frame(300, 200) + b"\x2c\x00\x00\x00\x00\x10\x00")
    found = image_headers.read_header(str(path))
    assert found is not None and (found.width, found.height, found.frames) == (300, 200, 1)


# --- image_headers.undecodable_format: every signature and brand -----------------------------


def _pillow(format_name: str, **options: Any) -> bytes:
    written = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(written, format_name, **options)
    return written.getvalue()


def _ftyp(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00" + brand + b"\x00" * 64


_FORMATS = {
    "jp2": (lambda: _pillow("JPEG2000"), "JPEG 2000"),  # The signature box, then ftyp.
    "j2k": (lambda: _pillow("JPEG2000", no_jp2=True), "JPEG 2000"),  # A bare codestream.
    "jp2-brand": (lambda: _ftyp(b"jp2 "), "JPEG 2000"),
    "tiff-big-endian": (lambda: b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 64, "TIFF"),
    "heif-mif1": (lambda: _ftyp(b"mif1"), "HEIF"),
    "heif-msf1": (lambda: _ftyp(b"msf1"), "HEIF"),
    "avif-sequence": (lambda: _ftyp(b"avis"), "AVIF"),
    "heic-heix": (lambda: _ftyp(b"heix"), "HEIC"),
    "heic-hevc": (lambda: _ftyp(b"hevc"), "HEIC"),
    "heic-heis": (lambda: _ftyp(b"heis"), "HEIC"),
    "mp4": (lambda: _ftyp(b"isom"), None),  # An ISO media file of no image brand.
    "quicktime": (lambda: _ftyp(b"qt  "), None),
}


@pytest.mark.parametrize("name", sorted(_FORMATS))
def test_each_signature_and_brand_names_its_format(tmp_path: Path, name: str) -> None:
    """H09-H15: JPEG 2000 (both forms), a big-endian TIFF, HEIF and the other HEIC and AVIF
    brands were untested; an MP4 is no image format."""
    content, format_name = _FORMATS[name]
    path = tmp_path / "x.jpg"
    path.write_bytes(content())
    assert image_headers.undecodable_format(str(path)) == format_name


# --- jpeg_warnings: the files libjpeg warned of, and the line quoted -------------------------


def _jpeg(path: Path) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)
    Image.fromarray(noise).save(path, "JPEG")
    return path.read_bytes()


@pytest.fixture
def jpegs(tmp_path: Path) -> dict[str, str]:
    """A healthy JPEG, one cut short (decodes, libjpeg warns) and one that cannot be decoded
    (TensorFlow writes its own lines to descriptor 2, libjpeg warns of nothing)."""
    data = _jpeg(tmp_path / "healthy.jpg")
    (tmp_path / "damaged.jpg").write_bytes(data[: len(data) * 4 // 5] + b"\xff\xd9")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    return {name: str(tmp_path / f"{name}.jpg") for name in ("healthy", "damaged", "broken")}


@pytest.mark.tf
def test_only_a_file_libjpeg_warned_of_is_named(jpegs: dict[str, str]) -> None:
    """J05: any line a decode wrote (TensorFlow's 'Input file read error' for a JPEG it cannot
    decode, named elsewhere) made the file one libjpeg warned of."""
    from tfhub.tools.module_search import jpeg_warnings

    paths = [jpegs["healthy"], jpegs["broken"], jpegs["damaged"]]
    assert jpeg_warnings.warned_files(paths) == (jpegs["damaged"],)


@pytest.mark.tf
def test_the_warning_quotes_libjpegs_first_line(
    jpegs: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """J09: the last line was quoted."""
    from tfhub.tools.module_search import jpeg_warnings

    warned = jpeg_warnings.Warned()
    with (
        caplog.at_level(logging.WARNING),
        jpeg_warnings.jpeg_warnings_named([jpegs["damaged"]], warned, dataset="d"),
    ):
        os.write(2, b"Premature end of JPEG file\nCorrupt JPEG data: 3 extraneous bytes\n")
    (message,) = [r.getMessage() for r in caplog.records if jpegs["damaged"] in r.getMessage()]
    assert "damaged (Premature end of JPEG file)" in message, message


# --- host_memory.cgroup_room: only inactive_file is room ------------------------------------


def test_inactive_anonymous_memory_is_no_room(tmp_path: Path) -> None:
    """C03: a check of the name's start took inactive_anon (swap-backed, not reclaimed as page
    cache is), which the kernel writes before inactive_file, for the page cache."""
    (tmp_path / "memory.max").write_text(f"{1024 * MIB}\n")
    (tmp_path / "memory.current").write_text(f"{1000 * MIB}\n")
    (tmp_path / "memory.stat").write_text(
        f"anon {700 * MIB}\nfile {300 * MIB}\ninactive_anon {500 * MIB}\n"
        f"active_anon {200 * MIB}\ninactive_file {250 * MIB}\nactive_file {50 * MIB}\n"
    )
    assert cgroup_room(str(tmp_path)) == (1024 - 750) * MIB


# --- image_folders: a class folder that holds the image folder -------------------------------


def test_a_class_folder_linked_to_the_image_folders_parent_is_refused(tmp_path: Path) -> None:
    """F01: only a link to the image folder itself was refused, not one to a folder holding it
    (whose walk lists every class again)."""
    for label, colour in (("cats", (255, 0, 0)), ("dogs", (0, 0, 255))):
        (tmp_path / "images" / label).mkdir(parents=True)
        Image.new("RGB", (8, 8), colour).save(tmp_path / "images" / label / "0.png")
    os.symlink("..", tmp_path / "images" / "up")
    with pytest.raises(errors.ImageFolderError) as caught:
        list_image_files(str(tmp_path / "images"))
    assert "'up' is the image folder itself, or holds it" in str(caught.value)


def test_the_class_folder_inside_another_is_named_as_the_inner_one(tmp_path: Path) -> None:
    """F10: the message said 'cats' is inside 'tabbies' (the two swapped)."""
    for label in ("cats", "dogs", "cats/tabby"):
        (tmp_path / "images" / label).mkdir(parents=True)
        Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "images" / label / "0.png")
    os.symlink(os.path.join("cats", "tabby"), tmp_path / "images" / "tabbies")
    with pytest.raises(errors.ImageFolderError) as caught:
        list_image_files(str(tmp_path / "images"))
    assert "'tabbies' is inside 'cats'" in str(caught.value), str(caught.value)


# --- program.report: the one error line -------------------------------------------------------


def test_blank_lines_of_a_message_leave_no_double_space(capsys: pytest.CaptureFixture[str]) -> None:
    """R04: blank lines of a library's message were joined as empty words."""
    assert report(errors.ModelNotFoundError("First.\n\n   \nSecond.", path="/m")) != 0
    assert capsys.readouterr().err == "tfhub: not found: First. Second.\n"


def test_an_empty_message_says_the_errors_class(capsys: pytest.CaptureFixture[str]) -> None:
    """R05: an error of no message printed `tfhub: unexpected error: KeyError: ` (nothing)."""
    assert report(KeyError()) == 1
    assert capsys.readouterr().err == "tfhub: unexpected error: KeyError: KeyError\n"


def test_every_tab_of_a_line_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    """R07: only the first tab was kept (`tfhub pack`'s report line has several fields)."""
    tell("tfhub: a\tb\tc\x1b[0m")
    assert capsys.readouterr().err == "tfhub: a\tb\tc\\x1B[0m\n"


def test_a_closed_stderr_file_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """R06: print() to a closed file raises ValueError, which escaped from `tell`."""
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    tell("tfhub: error: x")  # Nothing raised.


# --- model_graph_checks: the TF2 object graph walk --------------------------------------------


def _saved_module(path: Path, variables: dict[str, Any]) -> Path:
    """A tf.Module SavedModel with `variables` as its attributes, in that order (so the object
    graph's node ids follow it), and a function reading them."""
    import tensorflow as tf

    module = tf.Module()
    for name, value in variables.items():
        setattr(module, name, tf.Variable(value, name=name))
    module.__call__ = tf.function(
        lambda x: (
            x + sum(tf.reduce_sum(tf.cast(getattr(module, n), tf.float32)) for n in variables)
        ),
        input_signature=[tf.TensorSpec([None], tf.float32)],
    )
    tf.saved_model.save(module, str(path))
    return path


@pytest.mark.tf
def test_a_checkpoint_of_another_node_order_is_matched_by_names(tmp_path: Path) -> None:
    """G05: the checkpoint's nodes were taken by the SavedModel's node ids, which differ once
    variables/ comes from a model whose attributes were made in another order: 'v' was
    compared with the checkpoint's 'w'."""
    import tensorflow as tf

    import tfhub as hub

    model = _saved_module(tmp_path / "a", {"v": tf.ones([2]), "w": tf.ones([3])})
    other = _saved_module(tmp_path / "b", {"w": tf.ones([3]), "v": tf.ones([2], tf.float64)})
    shutil.rmtree(model / "variables")
    shutil.copytree(other / "variables", model / "variables")
    with pytest.raises(errors.VariablesMismatchError) as caught:
        hub.load(str(model))
    assert caught.value.problem == (
        "variables/ holds the variable 'v' as float64[2], its graph as float32[2] "
        "(was variables/ copied from another model?)"
    )


@pytest.mark.tf
def test_a_checkpoint_object_graph_naming_a_missing_node_is_no_crash(tmp_path: Path) -> None:
    """G02: a child of the checkpoint's object graph whose node id is past its nodes (a damaged
    checkpoint) raised IndexError from the walk; the other variables are still compared."""
    import tensorflow as tf
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    from tfhub import model_graph_checks, saved_model_proto

    model = _saved_module(tmp_path / "a", {"v": tf.ones([2]), "w": tf.ones([3])})
    prefix = str(model / "variables" / "variables")
    tensors = checkpoint_tensors(model)
    graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(
        tensors["_CHECKPOINTABLE_OBJECT_GRAPH"]
    )
    (v_child,) = [child for child in graph.nodes[0].children if child.local_name == "v"]
    v_child.node_id = len(graph.nodes) + 5
    tensors["_CHECKPOINTABLE_OBJECT_GRAPH"] = graph.SerializeToString()
    tensors["w/.ATTRIBUTES/VARIABLE_VALUE"] = np.ones([3], np.float64)
    write_checkpoint(model, tensors)
    meta_graphs = saved_model_proto.read_saved_model_proto(str(model)).meta_graphs
    assert model_graph_checks.variables_mismatch(prefix, meta_graphs) == (
        "variables/ holds the variable 'w' as float64[3], its graph as float32[3] "
        "(was variables/ copied from another model?)"
    )


# --- module_search.module_list: a URL's list is read in bounded memory -----------------------


@pytest.mark.tf
def test_a_module_list_url_larger_than_1_mib_is_refused_in_bounded_memory() -> None:
    """S09: a tf.io.gfile URL's list was read whole before it was refused (the local file's
    read is bounded: tests/tools/test_module_search_probes45.py)."""
    import tracemalloc

    import tensorflow as tf

    from tfhub.tools.module_search import lib

    url = "ram://mut46/modules.txt"
    with tf.io.gfile.GFile(url, "wb") as handle:
        for _ in range(24):
            handle.write(b"/m\n" * (2**20 // 3))  # 24 MiB.
    tracemalloc.start()
    try:
        with pytest.raises(errors.ToolFlagError, match="larger than 1 MiB"):
            lib.read_module_list(url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        tf.io.gfile.remove(url)
    assert peak < 8 * 2**20, peak


@pytest.mark.tf
def test_a_checkpoint_lookup_that_timed_out_is_not_taken_for_no_mismatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """G13: a lookup of a gs:// checkpoint's files that gave no answer in time (stood in for
    here: the reader raises what `gfile_io._bounded` raises) was swallowed as a checkpoint
    that cannot be read (None: no mismatch found), not raised as the timeout it is."""
    import tensorflow as tf

    from tfhub import gfile_io, model_graph_checks, saved_model_proto

    model = _saved_module(tmp_path / "a", {"v": tf.ones([2])})
    prefix = str(model / "variables" / "variables")

    def timed_out(path: str) -> None:
        raise errors.RetryTimeoutError(
            f"No answer from {path}.index",
            url=f"{path}.index",
            seconds=3.0,
            cause="timed out",
            limit=3.0,
            attempts=1,
        )

    monkeypatch.setattr(gfile_io, "checkpoint_reader", timed_out)
    meta_graphs = saved_model_proto.read_saved_model_proto(str(model)).meta_graphs
    with pytest.raises(errors.RetryTimeoutError, match="No answer from"):
        model_graph_checks.variables_mismatch(prefix, meta_graphs)
