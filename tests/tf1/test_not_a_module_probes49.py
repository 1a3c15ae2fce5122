"""A folder that is not a TF1 Hub module (a TF2 SavedModel, an empty folder) raises
NotATF1ModuleError, which is also the tf.errors.NotFoundError upstream let through
(review49c-F3, session 49), so the format fallback `try: hub.Module(h) except
tf.errors.NotFoundError: hub.load(h)` keeps working."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _in_graph(call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with tf.Graph().as_default():
            return call()

    return run


@pytest.mark.parametrize(
    ("what", "call"),
    [
        ("load_module_spec", lambda path: hub.load_module_spec(path)),
        ("Module", lambda path: _in_graph(lambda: hub.Module(path))()),
        ("text_embedding_column", lambda path: hub.text_embedding_column("t", path)),
        ("from_saved_model", lambda path: hub.create_module_spec_from_saved_model(path)),
    ],
)
def test_a_tf2_saved_model_raises_not_found_as_upstream(upstream_dir: Path, what, call):
    with pytest.raises(errors.NotATF1ModuleError) as info:
        call(str(upstream_dir / "tf2_saved_model"))
    err = info.value
    assert isinstance(err, tf.errors.NotFoundError), what
    assert isinstance(err, errors.TFHubLoadError) and isinstance(err, ValueError)
    assert "tf2_saved_model" in str(err)  # Names the folder (and what to use instead).


def test_an_empty_folder_raises_not_found(tmp_path: Path):
    with pytest.raises(tf.errors.NotFoundError) as info:
        hub.load_module_spec(str(tmp_path))
    assert isinstance(info.value, errors.NotATF1ModuleError)
    assert "neither tfhub_module.pb nor saved_model.pb" in str(info.value)


def test_the_format_fallback_of_upstream_users_works(upstream_dir: Path):
    handle = str(upstream_dir / "tf2_saved_model")
    try:
        model = hub.load_module_spec(handle)
    except tf.errors.NotFoundError:
        model = hub.load(handle)
    assert hasattr(model, "signatures")


def test_it_pickles_with_its_message():
    err = errors.NotATF1ModuleError("/m is a TF2 SavedModel; use hub.load(path)")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is errors.NotATF1ModuleError and str(again) == str(err)
    assert again.args == err.args and vars(again) == vars(err)
    assert type(err).__module__ == "tfhub.errors"
