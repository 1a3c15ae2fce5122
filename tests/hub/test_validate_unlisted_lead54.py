"""`tfhub validate` of a hub whose docs tree holds a folder its user may not list: the docs
below it were left out of the validation with only the scan's warning, and validate found no
problem (exit 0) though it had checked none of them (found by rf54c beside its F3). Now each
such folder is a problem naming it, why and what to do."""

from __future__ import annotations

import os

import pytest
from tests._helpers.cache_users import run_as_user
from tests._helpers.hub_server import hub_readable_by_all

from tfhub.hub.validator import validate_tree


def _problems_as_nobody(root: str) -> list[str]:
    return [str(problem) for problem in validate_tree(root)]


def test_a_readable_hub_validates_clean(shared_dir):
    assert (
        run_as_user(
            _problems_as_nobody, str(hub_readable_by_all(shared_dir, "acme/emb/1"))
        ).result()
        == []
    )


@pytest.mark.parametrize("hidden", ["assets/docs/acme", "assets/docs/acme/models"])
def test_a_folder_validate_may_not_list_is_a_problem_naming_it(shared_dir, hidden):
    root = hub_readable_by_all(shared_dir, "acme/emb/1")
    os.chmod(root / hidden, 0o700)  # root's: the user nobody may not list it.
    problems = run_as_user(_problems_as_nobody, str(root)).result()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{hidden}:0: the docs below this folder were not validated")
    assert f"chmod a+rX {root / hidden}" in problems[0]
