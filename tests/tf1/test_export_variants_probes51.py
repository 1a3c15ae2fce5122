"""An export from a graph variant that lacks variables another variant needs is refused
(session 51).

Before: `Module.export` wrote the module with only the instantiated variant's variables, and
`hub.Module(path, tags={"train"})` then said the module was damaged ("Was its variables/ folder
copied from another module? Download or export it again"), which exporting again the same way
could not mend. Upstream 0.10.0 wrote the same module (module.py's docstring: "The graph
variant used to create a module that is exported must define all the variables needed by any
other graph variant that is subsequently used").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1


def _module_fn(training: bool = False) -> None:
    x = v1.placeholder(tf.float32, [None])
    w = v1.get_variable("w", [], initializer=v1.constant_initializer(2.0))
    y = x * w
    if training:
        y = y + v1.get_variable("extra", [], initializer=v1.constant_initializer(5.0))
    hub.add_signature(inputs=x, outputs=y)


TAGS_AND_ARGS = [(set(), {}), ({"train"}, {"training": True})]


def _export(spec: hub.ModuleSpec, path: Path, tags: set[str] | None) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec, tags=tags)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(str(path), session)


def _run(path: Path, tags: set[str] | None) -> float:
    with tf.Graph().as_default():
        y = hub.Module(str(path), tags=tags)(np.array([1.0], np.float32))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            return float(session.run(y)[0])


def test_export_from_a_variant_lacking_variables_is_refused_before_writing(tmp_path: Path) -> None:
    spec = hub.create_module_spec(_module_fn, tags_and_args=TAGS_AND_ARGS)
    with pytest.raises(errors.ExportError) as caught:
        _export(spec, tmp_path / "out", tags=None)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "tags=['train']" in message and "'extra'" in message
    assert "hub.Module(spec, tags={'train'})" in message
    assert not (tmp_path / "out").exists()


def test_export_from_the_variant_with_all_variables_loads_every_variant(tmp_path: Path) -> None:
    spec = hub.create_module_spec(_module_fn, tags_and_args=TAGS_AND_ARGS)
    _export(spec, tmp_path / "out", tags={"train"})
    assert _run(tmp_path / "out", tags=None) == 2.0
    assert _run(tmp_path / "out", tags={"train"}) == 7.0


def test_module_spec_export_of_such_a_spec_is_refused_too(tmp_path: Path) -> None:
    spec = hub.create_module_spec(_module_fn, tags_and_args=TAGS_AND_ARGS)
    _export(spec, tmp_path / "first", tags={"train"})
    with pytest.raises(errors.ExportError, match="'extra'"):
        spec.export(
            str(tmp_path / "out"), checkpoint_path=str(tmp_path / "first/variables/variables")
        )
    assert not (tmp_path / "out").exists()
