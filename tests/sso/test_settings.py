"""A bad single sign-on environment stops the start-up with one line naming the variable."""

from __future__ import annotations

import pytest

from tests.core.test_settings import assert_one_line, manage


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"LLMADMIN_OIDC_ISSUER": "https://id.example.com"}, "LLMADMIN_OIDC_CLIENT_ID must be"),
        (
            {"LLMADMIN_OIDC_ISSUER": "id.example.com", "LLMADMIN_OIDC_CLIENT_ID": "x"},
            "LLMADMIN_OIDC_ISSUER must be an http or https URL",
        ),
        ({"LLMADMIN_OIDC_GROUP_ROLES": "[{"}, "LLMADMIN_OIDC_GROUP_ROLES is not valid JSON"),
        (
            {"LLMADMIN_OIDC_GROUP_ROLES": '[{"group": "eng", "team": "platform", "role": "boss"}]'},
            "rule 1 needs either",
        ),
        (
            {"LLMADMIN_OIDC_GROUP_ROLES_FILE": "/nonexistent/group-roles.json"},
            "LLMADMIN_OIDC_GROUP_ROLES_FILE can't be read",
        ),
    ],
    ids=["no-client-id", "issuer-not-a-url", "bad-json", "unknown-role", "missing-file"],
)
def test_a_bad_sso_environment_stops_the_start_up(env, said):
    assert_one_line(manage(**env), said)


def test_a_good_mapping_file_starts(tmp_path):
    rules = tmp_path / "group-roles.json"
    rules.write_text('[{"group": "llm-admins", "org_admin": true}]')
    result = manage(LLMADMIN_OIDC_GROUP_ROLES_FILE=str(rules))
    assert result.returncode == 0, result.stderr
