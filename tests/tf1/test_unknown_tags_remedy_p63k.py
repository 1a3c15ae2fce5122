"""Tags a TF1 Hub module does not have: the error says how to pick one (session 63).

`hub.Module(spec, tags=...)`, `spec.get_input_info_dict(tags=...)` and the other spec methods
said "No such graph variant: tags=['train']. The module's tag sets are: [] (at ...)": for a
module exported with only the default graph, "[]" reads as "no tag sets at all", and nothing
said that `tags` left out (None) picks it. The message now says to pass one of the tag sets
as `tags=`, and that [] is `tags=None`, the default.
"""

from __future__ import annotations

from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

MODULE = Path(__file__).resolve().parents[1] / "data" / "upstream" / "tf1_multi_sig"
REMEDY = "Pass one of them as tags=... ([] is tags=None, the default)."


def test_a_spec_asked_for_tags_it_lacks_says_how_to_pick_its_default_graph() -> None:
    spec = hub.load_module_spec(str(MODULE))
    with pytest.raises(errors.UnknownGraphVariantError) as caught:
        spec.get_input_info_dict(tags={"train"})
    message = str(caught.value)
    said = "No such graph variant: tags=['train']. The module's tag sets are: [] (at "
    assert message.startswith(said)
    assert REMEDY in message
    assert isinstance(caught.value, KeyError)  # As upstream's.
    assert sorted(spec.get_input_info_dict()) == ["x"]  # The retry the message suggests.


def test_a_module_asked_for_tags_it_lacks_says_how_to_pick_its_default_graph() -> None:
    spec = hub.load_module_spec(str(MODULE))
    with tf.Graph().as_default():
        with pytest.raises(errors.UnknownTagsError) as caught:
            hub.Module(spec, tags={"train"})
        assert REMEDY in str(caught.value)
        assert isinstance(caught.value, ValueError)  # As upstream's.
        module = hub.Module(spec, tags=None)
        assert module(tf.zeros([1, 3])).shape.as_list() == [1, 2]
