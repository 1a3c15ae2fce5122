"""Resolver defects a review (review48b) found: offline mode and the status advice under
TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED, a 303 to an http(s) mirror, upstream's
`registry._clear(); config._run()` test idiom, the misspelt-variable advice, and the compat
cache helpers; each against real local servers and folders."""

from __future__ import annotations

import json
import os

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import see_other
from tests._helpers.python_process import child_env, run_python
from tests._helpers.uncompressed_refusals import refused_uncompressed

import tfhub as hub
from tfhub import (
    compressed_module_resolver,
    constants,
    errors,
    resolver,
    settings_warnings,
    uncompressed_module_resolver,
)
from tfhub.resolvers import http_uncompressed

# --- TFHUB_OFFLINE under UNCOMPRESSED -----------------------------------------------------------


@pytest.mark.parametrize("resolver_kind", ["tfhub", "compat"])
def test_offline_uncompressed_raises_before_any_request(
    server, isolated_cache, monkeypatch, resolver_kind
) -> None:
    """TFHUB_OFFLINE=1 ("uses the cache only") with UNCOMPRESSED asked the hub, then GCS; now
    OfflineModeError, as the compressed format raises, and the server sees no request."""
    server.state.behaviours.append(see_other("/m/1", "gs://bucket/m/1"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    handle = server.url("/m/1").replace("http://", "http://user:s3cret@")
    resolve = {
        "tfhub": hub.resolve,
        "compat": uncompressed_module_resolver.HttpUncompressedFileResolver(),
    }[resolver_kind]
    with pytest.raises(errors.OfflineModeError, match="UNCOMPRESSED") as info:
        resolve(handle)
    assert isinstance(info.value, FileNotFoundError)
    assert "s3cret" not in str(info.value) and "unset TFHUB_OFFLINE" in str(info.value)
    assert server.state.requests == []


# --- registry._clear(); config._run() -----------------------------------------------------------

_CLEAR_RUN_CODE = """
import json, sys, tempfile
import tfhub as hub
from tfhub import config, registry

def state():
    return [[type(impl).__name__ for impl in reg.implementations]
            for reg in (registry.resolver, registry.loader)]

fresh = state()
registry._clear()
cleared = state()
config._run()
restored = state()
config._run()  # Nothing registered twice.
folder = tempfile.mkdtemp()
print(json.dumps({"fresh": fresh, "cleared": cleared, "restored": restored, "again": state(),
                  "resolved": hub.resolve(folder) == folder,
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def test_clear_then_config_run_restores_what_a_fresh_import_registers() -> None:
    """Upstream's test idiom: `registry._clear()` empties both registries, and `config._run()`
    registers the built-in resolvers and the TF1 loader again (it was a no-op once installed,
    and `_clear` was missing), without importing TensorFlow."""
    out = json.loads(run_python(_CLEAR_RUN_CODE, env=child_env(), timeout=60).stdout)
    assert out["fresh"] == [
        [
            "PathResolver",
            "HttpUncompressedResolver",
            "GcsCompressedResolver",
            "HttpCompressedResolver",
        ],
        ["Loader"],
    ]
    assert out["cleared"] == [[], []]
    assert out["restored"] == out["again"] == out["fresh"]
    assert out["resolved"] is True and out["tensorflow"] is False


# --- UNCOMPRESSED: what an error status says ----------------------------------------------------

_SWITCH = "Unset TFHUB_MODEL_LOAD_FORMAT (or set it to COMPRESSED)"


@pytest.mark.parametrize(
    ("status", "text", "advice", "switch"),
    [
        (404, None, "Check the handle.", False),
        (404, b"no such model: m/1\n", "Check the handle.", False),
        (410, None, "Check the handle.", False),
        (503, None, "The server is failing or overloaded (tfhub tried 2 times", False),
        (429, None, "try again later", False),
        (406, b"406 Not Acceptable: this hub serves only compressed\n", "no gs:// location", True),
    ],
    ids=["404", "404-text", "410", "503", "429", "406-text"],
)
def test_uncompressed_error_status_gets_the_compressed_formats_advice(
    server, isolated_cache, monkeypatch, status, text, advice, switch
) -> None:
    """Every answer but 303 and 200 was told to switch format: wrong for a mistyped handle
    (404: COMPRESSED 404s too) and a failing server (try later). Now the compressed format's
    advice, the server's text/plain line quoted; switching only for 406. Still upstream's
    ValueError, its message first."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    message = refused_uncompressed(server, status, text)
    assert advice in message and (_SWITCH in message) is switch, message
    if text is not None:
        assert f'The server says: "{text.decode().strip()}."' in message


def test_uncompressed_404_from_tfhub_dev_says_it_moved(server, isolated_cache, monkeypatch) -> None:
    """tfhub.dev (reached through the test server acting as an HTTP proxy) answers 404: the
    compressed format's "moved to Kaggle" hint, not "switch format"."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    monkeypatch.setenv("HTTP_PROXY", server.url())
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(errors.InvalidHandleError) as info:
        hub.resolve("http://tfhub.dev/google/nnlm-en-dim128/2")
    assert "tfhub.dev models moved to Kaggle" in str(info.value)
    assert _SWITCH not in str(info.value) and len(server.state.requests) == 1


# --- UNCOMPRESSED: a 303 to an http(s) address is followed ---------------------------------------


@pytest.mark.parametrize("absolute", [True, False], ids=["absolute", "relative"])
def test_uncompressed_follows_a_303_to_an_http_address(server, absolute) -> None:
    """A hub whose 303 sends the request on to a mirror, which answers the 303 with the gs://
    folder: urllib (so tensorflow_hub) followed it; tfhub took the first 303's body
    ("See Other") as the location."""
    mirror = "/mirror/m/1?tf-hub-format=uncompressed"
    server.state.behaviours.append(see_other("/mirror/m/1", "gs://bucket/m/1"))
    target = server.url(mirror) if absolute else mirror
    server.state.behaviours.append(see_other("/hub/m/1", target, body=b"See Other"))
    handle = server.url("/hub/m/1")
    found = http_uncompressed.HttpUncompressedResolver()._request_gcs_location(
        handle + "?tf-hub-format=uncompressed", handle=handle
    )
    assert found == "gs://bucket/m/1"
    assert [path for _, path, _ in server.state.requests] == [
        "/hub/m/1?tf-hub-format=uncompressed",
        mirror,
    ]


def test_uncompressed_303s_to_http_addresses_are_bounded(server) -> None:
    """303s to http(s) addresses count towards the same bound as plain redirects."""
    handle = server.url("/hub/m/1")
    url = handle + "?tf-hub-format=uncompressed"
    server.state.behaviours.append(see_other("/hub/m/1", url))
    with pytest.raises(errors.DownloadError, match="redirects in a loop"):
        http_uncompressed.HttpUncompressedResolver()._request_gcs_location(url, handle=handle)
    assert len(server.state.requests) == http_uncompressed.MAX_REDIRECTS + 1


# --- the misspelt-variable warning ---------------------------------------------------------------

_DOCUMENTED = [var.name for var in constants.ENV_VARS]


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("TFHUB_CAHCE_DIR", "TFHUB_CACHE_DIR"),
        ("TF_HUB_CACHE_DIR", "TFHUB_CACHE_DIR"),
        ("TFHUB_CACHEDIR", "TFHUB_CACHE_DIR"),
        ("TFHUB_CACHE_DIRECTORY", "TFHUB_CACHE_DIR"),
        ("tfhub_cache_dir", "TFHUB_CACHE_DIR"),
        ("TFHUB_HTTP_TIMOUT", "TFHUB_HTTP_TIMEOUT"),
        ("TFHUB_TOKEN_HOTS", "TFHUB_TOKEN_HOST"),
        ("TFHUB_TOKN", "TFHUB_TOKEN"),
        ("TFHUB_OFFLINE_MODE", "TFHUB_OFFLINE"),
    ],
)
def test_a_typo_still_gets_the_name_to_rename_to(name, meant) -> None:
    assert settings_warnings.misspelt_variables([name], _DOCUMENTED) == [(name, meant)]
    assert settings_warnings.unknown_variables([name], _DOCUMENTED) == []


@pytest.mark.parametrize(
    "name",
    [
        "TFHUB_TOKEN_FILE",  # Renamed, its path was sent as the bearer token.
        "TFHUB_TOKEN_PATH",
        "TFHUB_TOKENFILE",
        "TFHUB_DOWNLOAD_DIR",  # Not TFHUB_DOWNLOAD_PROGRESS.
        "TFHUB_HOST",  # Not TFHUB_TOKEN_HOST.
        "TFHUB_CACHE_DIR_ROOT",  # A known name and a word more: another variable.
        "TFHUB_MY_CACHE_DIR",
    ],
)
def test_another_variable_gets_no_rename(name) -> None:
    """review48b #6: these were told "rename it to TFHUB_TOKEN" (and the like): now an
    unknown tfhub setting, no name to rename to."""
    assert settings_warnings.misspelt_variables([name], _DOCUMENTED) == []
    assert settings_warnings.unknown_variables([name], _DOCUMENTED) == [name]


def test_the_warning_names_no_rename_for_another_variable(monkeypatch, caplog) -> None:
    monkeypatch.setattr(settings_warnings, "_misspelt_checked", False)
    monkeypatch.setenv("TFHUB_TOKEN_FILE", "/run/secrets/hub")
    monkeypatch.setenv("TFHUB_CAHCE_DIR", "/data")
    with caplog.at_level("WARNING", logger="tfhub"):
        settings_warnings.warn_misspelt_variables_once(_DOCUMENTED)
    warned = sorted(r.getMessage() for r in caplog.records if r.name == "tfhub")
    assert warned == [
        "The environment variable TFHUB_CAHCE_DIR is set, but tfhub reads no such variable: "
        "rename it to TFHUB_CACHE_DIR (names are exact), or unset it.",
        "The environment variable TFHUB_TOKEN_FILE is set, but tfhub reads no such variable "
        "(an unknown tfhub setting): see the variables tfhub reads in docs/resolving.md "
        "(Environment variables), or unset it.",
    ]


# --- the compat cache helpers read the cache folder as hub.resolve does ------------------------


@pytest.mark.parametrize(
    "setting",
    ["file://data{tmp}/cache", "~nosuchuser48/cache", "$CACHE_ROOT48/cache", "   "],
    ids=["file-host", "tilde-user", "unexpanded", "blank"],
)
def test_tfhub_cache_dir_refuses_what_hub_resolve_refuses(tmp_path, monkeypatch, setting) -> None:
    """review48b #5: `resolver.tfhub_cache_dir()` returned these as given, and
    `create_local_module_dir` made `<tmp>/cache` (the host dropped) or a folder named `~...`,
    `$...` or of spaces in the working folder, where hub.resolve raises SettingError."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CACHE_ROOT48", raising=False)
    monkeypatch.setenv("TFHUB_CACHE_DIR", setting.format(tmp=tmp_path))
    with pytest.raises(errors.SettingError) as info:
        resolver.tfhub_cache_dir(use_temp=True)
    assert isinstance(info.value, ValueError) and "TFHUB_CACHE_DIR" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_create_local_module_dir_refuses_a_file_url_with_a_host(tmp_path) -> None:
    """`file://data/x` was made as the folder `/x` (the host dropped)."""
    with pytest.raises(errors.SettingError, match="a slash short"):
        resolver.create_local_module_dir(f"file://data{tmp_path}/cache", "abc")
    assert not (tmp_path / "cache").exists()
    made = resolver.create_local_module_dir(f"file://{tmp_path}/cache", "abc")
    assert made == f"file://{tmp_path}/cache/abc" and (tmp_path / "cache").is_dir()


def test_module_dir_names_the_entry_hub_resolve_uses(server, served_dir, isolated_cache) -> None:
    """`compressed_module_resolver._module_dir(handle)` hashed the handle as given, where
    hub.resolve drops credentials and a signature's parameters (`handles.cache_handle`)."""
    make_tar_gz(served_dir / "m.tar.gz")
    plain = server.url("m.tar.gz")
    for handle in (
        plain.replace("http://", "http://user:pw@"),
        plain + "?X-Amz-Signature=abc&X-Amz-Expires=60",
        plain,
    ):
        assert compressed_module_resolver._module_dir(handle) == hub.resolve(handle)
