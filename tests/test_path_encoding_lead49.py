"""A model folder whose path is not UTF-8: ModelPathEncodingError is also the UnicodeEncodeError
tensorflow_hub 0.10.0 let through (review49c-F6: it was a UnicodeError only, so upstream users'
`except UnicodeEncodeError:` missed it), with the encode error's fields, and pickles."""

from __future__ import annotations

import os
import pickle
import shutil

import pytest

import tfhub as hub
from tfhub import errors


def test_a_latin1_folder_is_a_unicode_encode_error_with_its_fields(upstream_dir, tmp_path):
    folder = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9")
    shutil.copytree(upstream_dir / "tf2_saved_model", folder)
    with pytest.raises(UnicodeEncodeError) as caught:
        hub.load(folder)
    err = caught.value
    assert isinstance(err, errors.ModelPathEncodingError) and isinstance(err, ValueError)
    assert err.encoding == "utf-8" and err.object == folder and err.path == folder
    assert err.object[err.start : err.end] == "\udce9"
    assert "not UTF-8" in str(err) and "Rename the folder" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err) and again.path == folder
    assert (again.encoding, again.object, again.start, again.end) == (
        err.encoding, err.object, err.start, err.end,
    )  # fmt: skip


def test_notes_and_other_attributes_survive_pickling():
    """review49e-F5: its own __reduce__ left out `__dict__` (`__notes__`, attributes set since)."""
    err = errors.ModelPathEncodingError("bad path", path="/m/caf\udce9")
    err.add_note("while loading the encoder")
    err.handle = "https://h/m"
    again = pickle.loads(pickle.dumps(err))
    assert again.__notes__ == ["while loading the encoder"] and again.handle == "https://h/m"
    assert str(again) == "bad path" and again.path == "/m/caf\udce9" and again.start == 6
