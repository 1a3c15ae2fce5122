"""A TF1 module's export into an existing folder where an entry of the wrong kind stands in
the way (a file `assets` or `variables`, a folder `saved_model.pb`) raises the class of the
TensorFlow error tensorflow_hub 0.10.0 let through there, and says what to do about it.

Measured with the 0.10.0 wheel on TF 2.21 (rev57d): all three raised
`tf.errors.FailedPreconditionError` ("<folder>/assets is not a directory", "...
saved_model.pb.tmp<hex>; Is a directory"), midway through the export.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None])
    scale = tf.compat.v1.get_variable("scale", [], initializer=tf.compat.v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=x * scale)


@pytest.fixture(scope="module")
def module() -> object:
    return hub.Module(hub.create_module_spec(_module_fn))


@pytest.mark.parametrize(
    ("entry", "cls"),
    [
        ("assets", "ExportNotADirectoryError"),
        ("variables", "ExportNotADirectoryError"),
        ("saved_model.pb", "ExportIsADirectoryError"),
    ],
)
def test_an_entry_in_the_way_is_upstreams_failed_precondition(
    module: object, tmp_path: Path, entry: str, cls: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if entry == "saved_model.pb":
        (out / entry).mkdir()
    else:
        (out / entry).write_text("x")
    with pytest.raises(tf.errors.FailedPreconditionError) as caught:
        module.export(str(out))  # type: ignore[attr-defined]
    err = caught.value
    assert type(err) is getattr(errors, cls)
    assert isinstance(err, errors.ExportWriteError) and isinstance(err, OSError)
    message = str(err)
    assert message.startswith(f"Cannot write the export to {out}: {out / entry} is a ")
    # A file or folder in the way: no permission to fix; remove it or choose another folder.
    assert "permissions" not in message, message
    assert "Remove or rename it, or choose another folder, and export again" in message
    assert sorted(p.name for p in out.iterdir()) == [entry]  # Nothing written.


def test_a_file_above_the_folder_says_to_move_it(module: object, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    with pytest.raises(errors.ExportNotADirectoryError) as caught:
        module.export(str(notes / "m"))  # type: ignore[attr-defined]
    assert "permissions" not in str(caught.value), str(caught.value)
    assert "Remove or rename it, or choose another folder" in str(caught.value)


@pytest.mark.parametrize("below", [False, True])
def test_a_dangling_link_is_upstreams_not_found_not_a_file(
    module: object, tmp_path: Path, below: bool
) -> None:
    # 0.10.0 (measured, rev57d): tf.errors.NotFoundError "<link>/assets; No such file or
    # directory" (onto it) and "<link>/m; No such file or directory" (below it).
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    target = link / "m" if below else link
    with pytest.raises(tf.errors.NotFoundError) as caught:
        module.export(str(target))  # type: ignore[attr-defined]
    err = caught.value
    assert type(err) is errors.ExportNotFoundError and isinstance(err, errors.ExportWriteError)
    message = str(err)
    assert f"{link} is a link to {tmp_path / 'nowhere'}, which does not exist" in message
    assert "is a file" not in message and "permissions" not in message, message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling"]
