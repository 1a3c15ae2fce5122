"""TFHUB_OFFLINE=1 and a resolver written for tensorflow_hub (`resolver.atomic_download` into a
folder of its choosing): the error does not send the user to `tfhub pull HANDLE`, which knows no
such resolver (`tfhub pull mirror://m` is an invalid handle) and, for a URL handle, fills another
entry than the resolver's (rf51c-F5)."""

from __future__ import annotations

import hashlib
import os

import pytest
from tests._helpers.python_process import run_tfhub

import tfhub as hub
from tfhub import errors, resolver


class _MirrorResolver(resolver.HttpResolverBase):
    """docs/resolving.md's example (its download is never reached offline)."""

    def is_supported(self, handle: str) -> bool:
        return handle.startswith("mirror://")

    def __call__(self, handle: str) -> str:
        cache_dir = resolver.tfhub_cache_dir(use_temp=True)
        assert cache_dir is not None
        module_dir = resolver.create_local_module_dir(
            cache_dir, hashlib.sha1(handle.encode()).hexdigest()
        )

        def download(handle: str, tmp_dir: str) -> None:
            raise AssertionError("offline: never called")

        return resolver.atomic_download(handle, download, module_dir)


@pytest.fixture
def mirror(global_registry):
    registered = _MirrorResolver()
    global_registry.add_implementation(registered)  # Removed after the test by the fixture.
    return registered


def test_offline_advice_for_a_custom_resolver_is_not_tfhub_pull(
    mirror, isolated_cache, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError) as caught:
        hub.resolve("mirror://m")
    message = str(caught.value)
    assert "tfhub pull" not in message, message
    entry = os.path.join(isolated_cache, hashlib.sha1(b"mirror://m").hexdigest())
    assert "'mirror://m'" in message and entry in message  # What and where.
    assert "where the network is available" in message and "unset TFHUB_OFFLINE" in message
    assert isinstance(caught.value, FileNotFoundError)
    assert caught.value.handle == "mirror://m"
    assert caught.value.cache_dir == os.fspath(isolated_cache)


def test_the_advice_it_replaced_could_not_work():
    """Why: the command the old message named refuses the handle."""
    done = run_tfhub("pull", "mirror://m")
    assert done.returncode == 2 and "No resolver reads mirror://" in done.stderr
