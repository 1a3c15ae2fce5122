"""An HTML page reached through a redirect (a captive portal's or an SSO proxy's login page)
names the page the download was sent to, its secrets hidden, and says what to do; an HTML page
the handle itself answers keeps saying "Check the handle." Real servers on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests._helpers.http_server import answer_html, redirect_to

import tfhub as hub
from tfhub import errors

_SECRET = "s3cr3t-portal-token"


@pytest.fixture(autouse=True)
def no_retries(monkeypatch, isolated_cache):
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")


def test_html_login_page_after_a_redirect_names_it(server):
    login = server.url(f"login?next=m&token={_SECRET}")
    server.state.behaviours += [redirect_to("/models/m/1", login), answer_html("/login")]
    handle = server.url("models/m/1")
    with pytest.raises(errors.NotAnArchiveError) as info:
        hub.resolve(handle)
    message = str(info.value)
    assert type(info.value) is errors.NotAnArchiveError  # The class did not change.
    assert handle in message
    assert f"redirected to {server.url('login')}?next=m&token=*** and that page" in message
    assert _SECRET not in message
    assert "log in" in message and "proxy" in message  # What to do at a portal.
    assert "HTML page" in message


def test_html_page_of_the_handle_itself_still_says_check_the_handle(server):
    server.state.behaviours.append(answer_html("/models/m/1"))
    handle = server.url("models/m/1")
    with pytest.raises(errors.NotAnArchiveError) as info:
        hub.resolve(handle)
    message = str(info.value)
    assert type(info.value) is errors.NotAnArchiveError
    assert "redirected" not in message
    assert message.endswith("Check the handle.")
