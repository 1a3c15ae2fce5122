"""`tfhub serve --print-nginx-config` refuses a --port outside 1-65535 (exit 2) as serving does,
instead of printing an upstream line nginx refuses ("invalid port in upstream"; review49b-F1)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests._helpers.python_process import child_env


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1"])
def test_a_port_serving_refuses_is_refused_for_the_config_too(tmp_path, port: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "serve", str(tmp_path), f"--port={port}"]
        + ["--print-nginx-config", "80"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert f"--port must be between 1 and 65535. Received: {port}" in done.stderr


def test_a_good_port_is_the_configs_upstream(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "serve", str(tmp_path), "--port", "65535"]
        + ["--print-nginx-config", "80"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "server 127.0.0.1:65535;" in done.stdout


@pytest.mark.parametrize("listen", ["99999", "0", "127.0.0.1:70000", "[::1]:0", "*:65536 ssl"])
def test_a_listen_port_nginx_refuses_is_refused(tmp_path, listen: str) -> None:
    """review49e-F3: LISTEN's port was pasted as given (`listen 99999;`: nginx's "invalid port")."""
    from tfhub import errors
    from tfhub.hub.nginx import nginx_config

    with pytest.raises(errors.ServeConfigError, match="between 1 and 65535") as caught:
        nginx_config(str(tmp_path), upstream="127.0.0.1:8000", listen=listen)
    assert caught.value.option == "--print-nginx-config"
    assert repr(listen) in str(caught.value)


@pytest.mark.parametrize(
    "listen",
    ["80", "127.0.0.1:8080", "[::1]:65535", "443 ssl", "unix:/run/hub.sock", "*:1", "localhost"],
)
def test_nginx_listen_values_pass(tmp_path, listen: str) -> None:
    from tfhub.hub.nginx import nginx_config

    assert f"listen {listen};" in nginx_config(
        str(tmp_path), upstream="127.0.0.1:8000", listen=listen
    )
