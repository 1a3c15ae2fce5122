"""tensorflow_hub's `resolver.Resolver` is not abstract on Python 3: its `__metaclass__ =
abc.ABCMeta` is a Python 2 spelling that Python 3 ignores, so `resolver.Resolver()`,
`resolver.HttpResolverBase()` (for its helpers) and a subclass that overrides only `__call__`
are made without error (checked with tensorflow_hub 0.16.1, whose resolver.py keeps 0.10.0's
class). tfhub raised `TypeError: Can't instantiate abstract class HttpResolverBase ...`.
"""

from __future__ import annotations

import pytest

from tfhub import errors, resolver


def test_the_base_classes_are_made_as_upstream_s_are():
    assert not resolver.Resolver().is_supported("http://example.com/m")
    base = resolver.HttpResolverBase()
    assert (
        base._append_format_query("http://example.com/m", ("tf-hub-format", "compressed"))
        == "http://example.com/m?tf-hub-format=compressed"
    )
    assert base.is_http_protocol("https://example.com/m")


def test_a_subclass_with_only_call_is_made_and_called(tmp_path):
    class Mirror(resolver.HttpResolverBase):
        def __call__(self, handle: str) -> str:
            return str(tmp_path)

    mirror = Mirror()
    assert mirror("https://example.com/m") == str(tmp_path)
    assert not mirror.is_supported("https://example.com/m")  # Never tried by the registry.


def test_a_call_not_implemented_says_so():
    with pytest.raises(errors.UnsupportedHandleError, match=r"not override Resolver\.__call__"):
        resolver.Resolver()("http://example.com/m")
