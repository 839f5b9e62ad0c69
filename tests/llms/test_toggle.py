"""Enable/disable: PATCH {"enabled"} only, local change after Vectara's yes, one event."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.llms.models import LLMDefinition, Ownership
from llmadmin.llms.services import ActionDenied, llm_set_enabled
from tests.llms.lifecycle_support import FAULTS, local_only, refused_by, seeded
from tests.support.fault_server import fault_server, refused_url
from tests.teams.factories import member

ORIGIN = Origin.system("test")


def test_disable_sends_only_the_enabled_field_and_updates_local(editor, team, emulator) -> None:
    llm = seeded(emulator, team)
    version = llm.version

    result = llm_set_enabled(actor=editor, origin=ORIGIN, llm=llm, enabled=False)

    [sent] = emulator.requests
    assert (sent.method, sent.json) == ("PATCH", {"enabled": False})
    assert emulator.store.get(llm.vectara_id)["enabled"] is False
    assert result.enabled is False and result.version == version + 1
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.target_label) == (
        "llm.disable",
        "success",
        "gpt-team",
    )


def test_enable_records_llm_enable(editor, team, emulator) -> None:
    llm = seeded(emulator, team, enabled=False)
    LLMDefinition.objects.filter(pk=llm.pk).update(enabled=False)
    llm.refresh_from_db()
    llm_set_enabled(actor=editor, origin=ORIGIN, llm=llm, enabled=True)
    assert LLMDefinition.objects.get().enabled is True
    assert AuditEvent.objects.get().action == "llm.enable"


def test_a_viewer_is_refused_before_vectara_is_asked(team, emulator) -> None:
    llm = seeded(emulator, team)
    with pytest.raises(ActionDenied, match="editor or admin"):
        llm_set_enabled(actor=member("viewer", team), origin=ORIGIN, llm=llm, enabled=False)
    assert emulator.requests == []
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.details["action"]) == (
        "access.denied",
        "denied",
        "llm.disable",
    )
    assert (event.target_id, event.target_label) == (str(llm.pk), llm.name)
    assert LLMDefinition.objects.get().enabled is True


def test_a_builtin_llm_can_not_be_disabled(editor, team, emulator) -> None:
    llm = LLMDefinition.objects.create(
        vectara_id="llm_platform_1", name="mockingbird-2.0", type="openai-compatible",
        ownership=Ownership.PLATFORM,
    )  # fmt: skip
    with pytest.raises(ActionDenied, match="built into Vectara"):
        llm_set_enabled(actor=editor, origin=ORIGIN, llm=llm, enabled=False)
    assert emulator.requests == []
    event = AuditEvent.objects.get()
    assert (event.action, event.details["action"]) == ("access.denied", "llm.disable")


@pytest.mark.parametrize("name", FAULTS)
def test_each_upstream_failure_leaves_the_local_record(editor, team, settings, name) -> None:
    fault, status = FAULTS[name]
    llm = local_only(team)
    error = refused_by(
        fault,
        settings,
        lambda: llm_set_enabled(actor=editor, origin=ORIGIN, llm=llm, enabled=False),
    )
    assert "disable" in error.message
    stored = LLMDefinition.objects.get()
    assert stored.enabled is True and stored.version == 1
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == (
        "llm.disable",
        "failure",
        status,
    )
    assert event.message == error.message
    if name == "404":
        assert stored.upstream_state == "missing"
        assert "missing upstream" in error.message


def test_a_refused_connection_names_the_action(editor, team, settings) -> None:
    llm = local_only(team)
    settings.VECTARA_API_URL = refused_url()
    with pytest.raises(ApplicationError, match="when trying to disable the LLM gpt-team"):
        llm_set_enabled(actor=editor, origin=ORIGIN, llm=llm, enabled=False)
    assert LLMDefinition.objects.get().enabled is True
    assert AuditEvent.objects.get().outcome == "failure"


# --- the view -------------------------------------------------------------------------------


def test_htmx_toggle_answers_the_row_swapped_in_place(editor_client, team, emulator) -> None:
    llm = seeded(emulator, team)
    response = editor_client.post(
        f"/llms/{llm.pk}/enabled/", {"enabled": "0", "confirm": "1"},
        headers={"HX-Request": "true", "HX-Target": f"llm-{llm.pk}"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="llm-{llm.pk}"')
    assert "disabled" in html and "gpt-team is now disabled." in html
    assert ">Enable</button>" in html
    assert "HX-Request" in response["Vary"]


def test_htmx_toggle_on_the_detail_page_answers_the_status(editor_client, team, emulator) -> None:
    llm = seeded(emulator, team)
    response = editor_client.post(
        f"/llms/{llm.pk}/enabled/", {"enabled": "0", "next": "detail"},
        headers={"HX-Request": "true", "HX-Target": "llm-status"},
    )  # fmt: skip
    html = response.content.decode()
    assert "<tr" not in html and "gpt-team is now disabled." in html
    assert ">Enable</button>" in html


def test_without_javascript_the_toggle_redirects_with_a_message(editor_client, team, emulator):
    llm = seeded(emulator, team)
    response = editor_client.post(
        f"/llms/{llm.pk}/enabled/", {"enabled": "0", "confirm": "1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/llms/"
    assert "gpt-team is now disabled." in response.content.decode()


def test_disabling_from_the_list_asks_first_and_sends_nothing(editor_client, team, emulator):
    llm = seeded(emulator, team)
    row = editor_client.post(
        f"/llms/{llm.pk}/enabled/", {"enabled": "0"},
        headers={"HX-Request": "true", "HX-Target": f"llm-{llm.pk}"},
    ).content.decode()  # fmt: skip
    assert row.lstrip().startswith(f'<tr id="llm-{llm.pk}"')
    assert "Disable gpt-team? Any Vectara query or agent that names gpt-team fails" in row
    assert ">Yes, disable gpt-team</button>" in row and ">Keep it enabled</button>" in row
    # Without JavaScript the same button leads to a page that asks.
    page = editor_client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0"}).content.decode()
    assert "<h1>Disable gpt-team?</h1>" in page and 'name="confirm" value="1"' in page
    # Asking is not an attempt: Vectara heard nothing and the audit log has nothing to say.
    assert emulator.requests == [] and not AuditEvent.objects.exists()
    assert LLMDefinition.objects.get().enabled is True


def test_keeping_it_enabled_gives_the_row_back_unchanged(editor_client, team, emulator):
    llm = seeded(emulator, team)
    row = editor_client.post(
        f"/llms/{llm.pk}/enabled/", {"cancel": "1"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Disable gpt-team" in row and "Yes, disable" not in row
    response = editor_client.post(f"/llms/{llm.pk}/enabled/", {"cancel": "1"})
    assert response.status_code == 302 and response["Location"] == "/llms/"
    assert emulator.requests == [] and not AuditEvent.objects.exists()


def test_a_failed_htmx_toggle_shows_the_sentence_in_the_row(editor_client, team, settings):
    llm = local_only(team)
    with fault_server(FAULTS["500"][0]) as server:
        settings.VECTARA_API_URL = server.base_url
        response = editor_client.post(
            f"/llms/{llm.pk}/enabled/",
            {"enabled": "0", "confirm": "1"},
            headers={"HX-Request": "true"},
        )
    html = response.content.decode()
    assert response.status_code == 200  # htmx 2 swaps only 2xx
    assert "Vectara answered 500" in html and 'role="alert"' in html
    assert ">Disable</button>" in html  # still enabled


def test_a_viewer_gets_403_and_no_button(client, team, emulator) -> None:
    llm = seeded(emulator, team)
    client.force_login(member("viewer", team))
    assert ">Disable</button>" not in client.get("/llms/").content.decode()
    response = client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0"})
    assert response.status_code == 403
    assert emulator.requests == []
    assert AuditEvent.objects.get().action == "access.denied"


def test_another_teams_llm_is_404(editor_client, emulator) -> None:
    from tests.teams.factories import TeamFactory

    llm = seeded(emulator, TeamFactory())
    assert editor_client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0"}).status_code == 404
