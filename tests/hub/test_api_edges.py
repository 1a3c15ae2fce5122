"""The JSON API under /api/ with odd paths and parameters, against a real `tfhub serve`."""

from __future__ import annotations

import requests
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher


def test_api_models_names_the_model_of_the_handle_before_a_version_of_a_shorter_one(tmp_path):
    """With models acme/x (version 1) and acme/x/1 (version 2), /api/models/acme/x/1 answered
    acme/x: the model acme/x/1 was out of the API's reach, and `tfhub mirror` of
    https://hub/acme/x/1/2 found no doc there and wrote a starter doc."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/x/1", description="Short model.")
    write_model_doc(tmp_path, "acme/x/1/2", description="Longer model.")
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        longer = requests.get(server.url("api/models/acme/x/1"), timeout=10).json()
        shorter = requests.get(server.url("api/models/acme/x"), timeout=10).json()
        by_version = requests.get(server.url("api/models/acme/x/1/2"), timeout=10).json()
    assert longer["handle"] == "acme/x/1" and longer["description"] == "Longer model."
    assert [v["version"] for v in longer["versions"]] == [2]
    assert shorter["handle"] == "acme/x" and [v["version"] for v in shorter["versions"]] == [1]
    assert by_version["handle"] == "acme/x/1"  # A version's path still names its model.


def test_an_unknown_api_path_is_a_json_404_naming_the_api(tmp_path):
    """/api/modles (a typo) answered the HTML "no such page" of the pages: a script reading
    JSON there failed to parse it. The API's own paths are unchanged."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/x/1")
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        answers = [
            requests.get(server.url(path), timeout=10)
            for path in ("api", "api/modles", "api/a/b/1")
        ]
        models = requests.get(server.url("api/models"), timeout=10)
        page = requests.get(server.url("acme"), timeout=10)  # The catch-all's pages still.
    for answer in answers:
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/json"
        error = answer.json()["error"]
        assert error.startswith("404 Not Found: no such API path in this hub")
        assert server.url("api/models") in error
    assert models.status_code == 200 and models.json()["total"] == 1
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
