"""The detail page: the local record beside what Vectara holds now, field by field."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from tests.llms.lifecycle_support import FAULTS, TOKEN, local_only, seeded
from tests.support.fault_server import fault_server, refused_url
from tests.teams.factories import member


def test_matching_records_say_so_and_show_the_masked_auth(editor_client, team, emulator) -> None:
    llm = seeded(emulator, team)
    response = editor_client.get(f"/llms/{llm.pk}/")
    html = response.content.decode()
    assert "Vectara holds exactly what the dashboard recorded." in html
    assert "token: ****" in html and TOKEN not in html
    assert [(r.method, r.path) for r in emulator.requests] == [
        ("GET", f"/v2/llms/{llm.vectara_id}")
    ]
    assert not AuditEvent.objects.exists()  # a successful read is not an event


def test_each_disagreement_is_shown_field_by_field(editor_client, team, emulator) -> None:
    llm = seeded(emulator, team, headers={"x-a": "1"})
    emulator.store.put(
        {**emulator.store.get(llm.vectara_id), "model": "gpt-4.1", "enabled": False,
         "uri": "https://example.org/v1/chat", "auth": {"type": "header", "header": "api-key",
         "value": TOKEN}, "headers": {"x-a": "2"}}
    )  # fmt: skip
    response = editor_client.get(f"/llms/{llm.pk}/")
    fields = [d.field for d in response.context["upstream"].differences]
    assert fields == ["model", "uri", "enabled", "auth type", "headers"]
    html = response.content.decode()
    assert "Vectara and the dashboard disagree" in html
    assert "gpt-4.1" in html and "https://example.org/v1/chat" in html
    assert TOKEN not in html


def test_a_404_says_missing_upstream_and_marks_it(editor_client, team, emulator) -> None:
    llm = seeded(emulator, team)
    emulator.store.clear()
    html = editor_client.get(f"/llms/{llm.pk}/").content.decode()
    assert "Vectara has no LLM gpt-team any more (404)" in html
    assert "missing upstream" in html
    assert LLMDefinition.objects.get().upstream_state == "missing"
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.view", "failure", 404)


def test_a_missing_llm_found_again_is_marked_present(editor_client, team, emulator) -> None:
    llm = seeded(emulator, team)
    LLMDefinition.objects.filter(pk=llm.pk).update(upstream_state="missing")
    editor_client.get(f"/llms/{llm.pk}/")
    assert LLMDefinition.objects.get().upstream_state == "present"


@pytest.mark.parametrize("name", [k for k in FAULTS if k != "404"])
def test_an_upstream_failure_still_shows_the_local_record(editor_client, team, settings, name):
    fault, status = FAULTS[name]
    llm = LLMDefinition.objects.create(
        team=team, vectara_id="llm_1", name="gpt-team", type="openai-compatible", model="gpt-4o"
    )
    settings.VECTARA_READ_TIMEOUT = 0.5
    with fault_server(fault) as server:
        settings.VECTARA_API_URL = server.base_url
        response = editor_client.get(f"/llms/{llm.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "read the LLM from Vectara" in html
    assert "The dashboard&#x27;s own record is shown below" in html
    assert "gpt-4o" in html  # the local record
    assert LLMDefinition.objects.get().upstream_state == "present"  # a failure proves nothing
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.view", "failure", status)


def test_a_refused_connection_still_shows_the_local_record(editor_client, team, settings) -> None:
    llm = local_only(team)
    settings.VECTARA_API_URL = refused_url()
    response = editor_client.get(f"/llms/{llm.pk}/")
    assert response.status_code == 200
    assert "The connection to Vectara failed" in response.content.decode()


def test_the_history_is_shown_to_the_teams_auditors_and_not_to_its_editors(
    editor_client, client, team, emulator
) -> None:
    llm = seeded(emulator, team)
    editor_client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0", "confirm": "1"})
    editor_html = editor_client.get(f"/llms/{llm.pk}/").content.decode()
    assert "llm.disable" not in editor_html
    assert "admins and auditors can read" in editor_html

    client.force_login(member("auditor", team))
    auditor_html = client.get(f"/llms/{llm.pk}/").content.decode()
    assert "History" in auditor_html and "llm.disable" in auditor_html and "erin" in auditor_html

    other_team_auditor = member("auditor")
    client.force_login(other_team_auditor)
    assert client.get(f"/llms/{llm.pk}/").status_code == 404


def test_an_org_admin_assigns_an_unowned_llm(client, team, emulator) -> None:
    from tests.teams.factories import UserFactory

    llm = seeded(emulator, None, name="outside-llm")
    client.force_login(UserFactory(username="root", is_superuser=True))
    html = client.get(f"/llms/{llm.pk}/").content.decode()
    assert "Assign to a team" in html and "unowned" in html
    response = client.post(f"/llms/{llm.pk}/assign/", {"team": team.pk}, follow=True)
    assert "outside-llm now belongs to the team Platform." in response.content.decode()
    assert LLMDefinition.objects.get().team == team
    event = AuditEvent.objects.get(action="llm.assign")
    assert (event.outcome, event.team_id) == ("success", team.pk)
    # Once owned, it can't be assigned again.
    response = client.post(f"/llms/{llm.pk}/assign/", {"team": team.pk}, follow=True)
    assert "already belongs to a team" in response.content.decode()


def test_a_team_admin_can_not_see_or_assign_unowned_llms(client, team, emulator) -> None:
    from tests.teams.factories import member

    llm = seeded(emulator, None, name="outside-llm")
    client.force_login(member("admin", team))
    assert client.get(f"/llms/{llm.pk}/").status_code == 404
    assert client.post(f"/llms/{llm.pk}/assign/", {"team": team.pk}).status_code == 404
    assert LLMDefinition.objects.get().team is None
