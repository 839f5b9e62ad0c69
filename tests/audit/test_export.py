from __future__ import annotations

import csv
import io
import json

import pytest

from llmadmin.audit import export
from llmadmin.audit.export import COLUMNS, neutralised
from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.recorder import Target
from llmadmin.teams.models import Role
from llmadmin.teams.policy import ROLE_ACTIONS, Action
from tests.audit.factories import event
from tests.teams.factories import TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_team():
    return TeamFactory(name="Research", slug="research")


@pytest.fixture
def auditor_client(client, team):
    client.force_login(member("auditor", team, username="aud"))
    return client


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response))))


def jsonl_rows(response) -> list[dict[str, object]]:
    return [json.loads(line) for line in body(response).splitlines()]


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="audit.export"))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("gpt-prod", "gpt-prod"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_made_text(cell, expected) -> None:
    assert neutralised(cell) == expected


def test_the_csv_has_every_column_oldest_first_and_ends_with_its_own_record(
    auditor_client, team
) -> None:
    first = event(team=team, target=Target("llm", "42", "gpt-prod"), details={"model": "x"})
    second = event(team=team, action="llm.delete", outcome=Outcome.FAILURE)
    response = auditor_client.get("/audit/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-platform-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert "no-store" in response["Cache-Control"]

    rows = csv_rows(response)
    assert list(rows[0]) == COLUMNS
    assert {"mac", "prev_mac", "details", "source_ip", "request_id"} <= set(COLUMNS)
    assert [int(r["id"]) for r in rows] == [first.pk, second.pk, exports()[0].pk]
    row = rows[0]
    assert (row["mac"], row["prev_mac"]) == (first.mac, first.prev_mac) and row["mac"]
    assert rows[1]["prev_mac"] == first.mac
    assert row["target_label"] == "gpt-prod" and row["target_id"] == "42"
    assert row["team_slug"] == "platform"
    assert json.loads(row["details"]) == {"model": "x"}
    assert rows[-1]["action"] == "audit.export"


def test_csv_cells_that_start_a_formula_are_neutralised(auditor_client, team) -> None:
    event(
        team=team,
        actor="@attacker",
        target=Target("llm", "7", '=HYPERLINK("https://evil.example","click")'),
        message="-1+cmd|' /C calc'!A0",
        details={"note": "=1+1"},
    )
    row = csv_rows(auditor_client.get("/audit/export.csv?action=llm.create"))[0]
    assert row["actor_username"] == "'@attacker"
    assert row["target_label"] == '\'=HYPERLINK("https://evil.example","click")'
    assert row["message"] == "'-1+cmd|' /C calc'!A0"
    # The JSON of the details starts with "{", so it stays as it is and still parses.
    assert json.loads(row["details"]) == {"note": "=1+1"}


def test_the_jsonl_parses_line_by_line_and_keeps_values_exactly(auditor_client, team) -> None:
    written = event(team=team, message="=not a formula here", details={"n": 1, "l": [1, "a"]})
    response = auditor_client.get("/audit/export.jsonl")
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert response["Content-Disposition"].endswith('.jsonl"')
    rows = jsonl_rows(response)
    assert all(list(row) == COLUMNS for row in rows)
    assert rows[0]["id"] == written.pk
    assert rows[0]["message"] == "=not a formula here"
    assert rows[0]["details"] == {"n": 1, "l": [1, "a"]}
    assert (rows[0]["mac"], rows[0]["prev_mac"]) == (written.mac, written.prev_mac)
    assert rows[0]["occurred_at"] == written.occurred_at.isoformat()


def test_the_export_follows_the_filter_and_ignores_the_page_cursor(auditor_client, team) -> None:
    denied = [event(team=team, outcome=Outcome.DENIED).pk for _ in range(3)]
    event(team=team)
    rows = jsonl_rows(auditor_client.get(f"/audit/export.jsonl?outcome=denied&before={denied[1]}"))
    assert [r["id"] for r in rows] == denied


def test_an_auditor_never_gets_another_teams_events(auditor_client, team, other_team) -> None:
    event(team=team, message="mine")
    event(team=other_team, message="theirs")
    event(team=None, message="nobody's")
    for url in ("/audit/export.jsonl", f"/audit/export.jsonl?team={other_team.pk}"):
        rows = jsonl_rows(auditor_client.get(url))
        assert {r["team_id"] for r in rows} == {team.pk}, url
        assert "theirs" not in {r["message"] for r in rows}


def test_an_org_admin_exports_every_team_or_the_one_chosen(client, team, other_team) -> None:
    mine, theirs = event(team=team).pk, event(team=other_team).pk
    client.force_login(UserFactory(username="root", is_superuser=True))
    response = client.get("/audit/export.jsonl")
    assert 'filename="audit-all-teams-' in response["Content-Disposition"]
    assert {mine, theirs} <= {r["id"] for r in jsonl_rows(response)}

    response = client.get(f"/audit/export.jsonl?team={other_team.pk}")
    assert 'filename="audit-research-' in response["Content-Disposition"]
    assert [r["id"] for r in jsonl_rows(response)] == [theirs, exports()[0].pk]
    assert exports()[0].team_id == other_team.pk


@pytest.mark.parametrize("role", ["viewer", "editor"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_people_without_the_export_right_are_refused(client, team, role, fmt) -> None:
    event(team=team)
    client.force_login(member(role, team, username="pat"))
    response = client.get(f"/audit/export.{fmt}")
    assert response.status_code == 403
    assert not exports()
    refusal = AuditEvent.objects.get(action="access.denied")
    assert refusal.details["action"] == "audit.export" and refusal.actor_username == "pat"


def test_an_export_is_recorded_once_before_any_row_is_sent(auditor_client, team) -> None:
    event(team=team)
    response = auditor_client.get("/audit/export.csv?outcome=success&actor=erin&q=")
    # Nothing streamed yet, and the export is already on record.
    [recorded] = exports()
    assert recorded.outcome == Outcome.SUCCESS and recorded.actor_username == "aud"
    assert recorded.team_id == team.pk and recorded.mac
    assert recorded.details == {"format": "csv", "filter": {"outcome": "success", "actor": "erin"}}
    body(response)
    assert len(exports()) == 1


def test_rows_are_streamed_in_chunks_not_built_in_memory(auditor_client, team, monkeypatch) -> None:
    monkeypatch.setattr(export, "LINES_PER_WRITE", 2)
    for _ in range(4):
        event(team=team)
    response = auditor_client.get("/audit/export.jsonl")
    chunks = list(response.streaming_content)
    # 4 events and the export's own record, two lines per chunk.
    assert len(chunks) == 3
    assert sum(chunk.count(b"\n") for chunk in chunks) == 5


def test_the_list_links_to_both_exports_with_the_current_filter(auditor_client, team) -> None:
    html = auditor_client.get("/audit/?outcome=denied&before=9").content.decode()
    assert 'href="/audit/export.csv?outcome=denied"' in html
    assert 'href="/audit/export.jsonl?outcome=denied"' in html
    partial = auditor_client.get("/audit/?action=llm.*", headers={"HX-Request": "true"})
    assert 'href="/audit/export.csv?action=llm.%2A"' in partial.content.decode()


def test_no_export_link_for_someone_who_may_only_view(auditor_client, monkeypatch) -> None:
    monkeypatch.setitem(
        ROLE_ACTIONS,
        Role.AUDITOR,
        frozenset({Action.LLM_VIEW, Action.AUDIT_VIEW}),
    )
    response = auditor_client.get("/audit/")
    assert response.status_code == 200
    assert "/audit/export." not in response.content.decode()
    assert auditor_client.get("/audit/export.csv").status_code == 403
