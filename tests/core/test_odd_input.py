"""Input that once reached a 500: digits int() refuses, and dates at the edge of the calendar."""

from __future__ import annotations

import pytest

from tests.teams.factories import member


@pytest.fixture
def admin_client(client, team):
    client.force_login(member("admin", team))
    return client


@pytest.mark.parametrize(
    "query",
    ["before=²", "after=٣", "until=9999-12-31", "until=0001-01-05", "since=0001-01-01"],
)
def test_odd_audit_filters_answer_a_page_not_a_500(admin_client, query: str) -> None:
    response = admin_client.get(f"/audit/?{query}")
    assert response.status_code == 200


def test_removing_a_header_row_with_an_odd_index_keeps_the_rows(editor_client) -> None:
    response = editor_client.post(
        "/llms/new/",
        {"_action": "remove_header:²", "header_name": ["x-a"], "header_value": ["1"]},
    )
    assert response.status_code == 200
    assert 'value="x-a"' in response.content.decode()


def test_test_connection_with_an_odd_llm_id_is_treated_as_a_new_llm(editor_client) -> None:
    response = editor_client.post(
        "/llms/test-connection/", {"llm": "²", "type": "openai-compatible"}
    )
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/llms/1/enabled/", "/llms/1/delete/", "/llms/1/assign/"])
def test_anonymous_people_are_sent_to_log_in_by_every_llm_action(client, path: str) -> None:
    response = client.post(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
