"""tfhub serve as browsers and attackers meet it, beyond the pages' own content: the security
headers of every answer (errors too)."""

from __future__ import annotations

import pytest
import requests
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

from tfhub.hub.middleware import SECURITY_HEADERS

TOKEN = "hardening-token"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A real server with a token file, over a hub with one model."""
    root = tmp_path_factory.mktemp("hardening-root")
    write_publisher(root, "lab", "Lab")
    write_model_doc(root, "lab/emb/1", description="Embeds.")
    tokens = root.parent / f"{root.name}-tokens"
    tokens.write_text(f"{TOKEN}\n")
    log = tmp_path_factory.mktemp("log") / "serve.log"
    with serve_hub(root, log, "--token-file", str(tokens)) as running:
        yield running


# What a browser may be shown besides the pages: each answered by another part of the server.
ANSWERS = [
    ("GET", "..%2Fetc", 400),  # A refused path (protocol_or_page).
    ("GET", "lab/nope/1?tf-hub-format=compressed", 404),  # The protocol's text 404.
    ("GET", "lab/emb/1?tf-hub-format=bogus", 406),
    ("GET", "static/nope.css", 404),  # Starlette's static files.
    ("POST", "lab/emb/1", 405),  # Starlette's router.
    ("GET", "api/models/lab/nope", 404),  # The JSON API.
    ("GET", "api/models", 200),
    ("GET", "static/hub.css", 200),
    ("GET", "lab/nope/1", 404),  # The HTML 404 page had them already.
    ("GET", "lab/emb/1", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), ANSWERS)
def test_every_answer_sends_the_security_headers(secured, method, path, status):
    """Only the HTML pages sent them: the text 400/404/405/406 answers, the API and the auth
    answers went to the browser without a Content-Security-Policy or nosniff."""
    answer = requests.request(method, secured.url(path), auth=("me", TOKEN), timeout=10)
    assert answer.status_code == status, answer.text
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (path, name, dict(answer.headers))


@pytest.mark.parametrize("auth", [None, ("me", "wrong-token")])
def test_the_auth_answers_send_the_security_headers(secured, auth):
    answer = requests.get(secured.url("lab/emb/1"), auth=auth, timeout=10)
    assert answer.status_code == (401 if auth is None else 403)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (name, dict(answer.headers))
