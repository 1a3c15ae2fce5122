"""Module.export with variables the session never initialized says so, writing nothing
(session 51).

Before: TensorFlow's bare FailedPreconditionError from the Saver ("Could not find variable
module/logits/bias ..."), naming neither the export nor what to do. Upstream 0.10.0 raised the
same error and left the half-made export folder behind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1
MULTI = upstream_path("tf1_multi_sig")  # Made by tensorflow_hub 0.15.


def test_export_before_the_initializer_ran_says_to_run_it(tmp_path: Path) -> None:
    with tf.Graph().as_default():
        module = hub.Module(MULTI)
        with v1.Session() as session:
            with pytest.raises(errors.ModuleGraphError) as caught:
                module.export(str(tmp_path / "out"), session)
            message = str(caught.value)
            assert "global_variables_initializer" in message
            assert "module/hidden/bias" in message
            assert isinstance(caught.value, RuntimeError)
            session.run(v1.global_variables_initializer())
            module.export(str(tmp_path / "out"), session)  # Now it works.
    assert hub.load_module_spec(str(tmp_path / "out")).get_signature_names()


def test_export_from_a_finalized_graph_still_checks_and_works(tmp_path: Path) -> None:
    with tf.Graph().as_default():
        module = hub.Module(MULTI)
        y = module(np.ones([1, 3], np.float32))
        with v1.train.MonitoredSession() as session:
            session.run(y)
            module.export(str(tmp_path / "out"), session)
            module.export(str(tmp_path / "again"), session)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "out"]
