"""Delete: a confirmation page naming the LLM, then DELETE upstream and locally, one event."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.llms.models import LLMDefinition, Ownership
from llmadmin.llms.services import ActionDenied, llm_delete
from tests.llms.lifecycle_support import FAULTS, local_only, refused_by, seeded
from tests.support.fault_server import Fault, fault_server, refused_url
from tests.teams.factories import member

ORIGIN = Origin.system("test")


@pytest.fixture
def admin(team):
    return member("admin", team, username="ada")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_delete_removes_it_upstream_then_locally(admin, team, emulator) -> None:
    llm = seeded(emulator, team)
    message = llm_delete(actor=admin, origin=ORIGIN, llm=llm)
    assert message == "gpt-team is deleted from Vectara and from this dashboard."
    assert emulator.store.all() == []
    assert not LLMDefinition.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.delete", "success", 204)
    # The history of a deleted LLM still says what it was.
    assert (event.target_id, event.target_label) == (str(llm.pk), "gpt-team")


def test_already_gone_upstream_deletes_locally_and_says_so(admin, team, emulator) -> None:
    llm = seeded(emulator, team)
    emulator.store.clear()
    message = llm_delete(actor=admin, origin=ORIGIN, llm=llm)
    assert "already gone from Vectara" in message
    assert not LLMDefinition.objects.exists()
    assert AuditEvent.objects.get().upstream_status == 404


@pytest.mark.parametrize("status", [204, 200])
def test_the_event_records_the_status_vectara_answered(admin, team, settings, status) -> None:
    # The contract says 204, but Vectara (or a gateway in front of it) may answer 200.
    llm = local_only(team)
    with fault_server(Fault.status(status)) as server:
        settings.VECTARA_API_URL = server.base_url
        llm_delete(actor=admin, origin=ORIGIN, llm=llm)
        assert [r.method for r in server.received] == ["DELETE"]
    assert not LLMDefinition.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.outcome, event.upstream_status) == ("success", status)


def test_an_editor_may_not_delete(editor, team, emulator) -> None:
    llm = seeded(emulator, team)
    with pytest.raises(ActionDenied, match="admin role"):
        llm_delete(actor=editor, origin=ORIGIN, llm=llm)
    assert emulator.requests == [] and LLMDefinition.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.details["action"]) == (
        "access.denied",
        "denied",
        "llm.delete",
    )
    assert (event.target_id, event.details["vectara_id"]) == (str(llm.pk), llm.vectara_id)


def test_a_builtin_llm_can_not_be_deleted(admin, emulator) -> None:
    llm = LLMDefinition.objects.create(
        vectara_id="llm_platform_1", name="mockingbird-2.0", type="openai-compatible",
        ownership=Ownership.PLATFORM,
    )  # fmt: skip
    with pytest.raises(ActionDenied, match="built into Vectara, so it can't be deleted"):
        llm_delete(actor=admin, origin=ORIGIN, llm=llm)
    assert emulator.requests == [] and LLMDefinition.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.details["action"]) == ("access.denied", "llm.delete")


# A 404 means "already gone"; a 2xx means deleted whatever its body (the contract's 204 has
# none), so the garbage body that matters comes with an error status.
FAILURES = {k: v for k, v in FAULTS.items() if k not in ("404", "invalid-json")}
FAILURES["invalid-json"] = (
    Fault.status(503, raw_body="<html>upstream down</html>", content_type="text/html"),
    503,
)


@pytest.mark.parametrize("name", FAILURES)
def test_each_upstream_failure_keeps_the_local_record(admin, team, settings, name) -> None:
    fault, status = FAILURES[name]
    llm = local_only(team)
    error = refused_by(fault, settings, lambda: llm_delete(actor=admin, origin=ORIGIN, llm=llm))
    assert "delete the LLM gpt-team" in error.message
    assert "still listed here" in error.message
    assert LLMDefinition.objects.filter(pk=llm.pk).exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.delete", "failure", status)


def test_a_refused_connection_keeps_the_local_record(admin, team, settings) -> None:
    llm = local_only(team)
    settings.VECTARA_API_URL = refused_url()
    with pytest.raises(ApplicationError, match="Nothing was changed"):
        llm_delete(actor=admin, origin=ORIGIN, llm=llm)
    assert LLMDefinition.objects.exists()


# --- the views ------------------------------------------------------------------------------


def test_the_confirmation_names_the_llm_and_changes_nothing(admin_client, team, emulator) -> None:
    llm = seeded(emulator, team)
    html = admin_client.get(f"/llms/{llm.pk}/delete/").content.decode()
    assert "Delete gpt-team?" in html and "can't be undone" in html
    assert emulator.requests == [] and LLMDefinition.objects.exists()


def test_posting_the_confirmation_deletes_and_lists_with_a_message(admin_client, team, emulator):
    llm = seeded(emulator, team)
    response = admin_client.post(f"/llms/{llm.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/llms/"
    assert "gpt-team is deleted from Vectara" in response.content.decode()
    assert not LLMDefinition.objects.exists()


def test_a_failed_delete_shows_the_sentence_on_the_confirmation(admin_client, team, settings):
    llm = local_only(team)
    with fault_server(FAULTS["500"][0]) as server:
        settings.VECTARA_API_URL = server.base_url
        response = admin_client.post(f"/llms/{llm.pk}/delete/")
    assert response.status_code == 200
    assert "Vectara answered 500" in response.content.decode()


def test_the_detail_page_offers_delete_to_admins_only(client, team, emulator) -> None:
    llm = seeded(emulator, team)
    client.force_login(member("editor", team))
    assert "Delete…" not in client.get(f"/llms/{llm.pk}/").content.decode()
    assert client.get(f"/llms/{llm.pk}/delete/").status_code == 403
    client.force_login(member("admin", team))
    assert "Delete…" in client.get(f"/llms/{llm.pk}/").content.decode()


def test_a_builtin_llm_has_no_delete_button_and_says_why(admin_client, emulator) -> None:
    llm = LLMDefinition.objects.create(
        vectara_id="llm_platform_1", name="mockingbird-2.0", type="openai-compatible",
        ownership=Ownership.PLATFORM,
    )  # fmt: skip
    html = admin_client.get(f"/llms/{llm.pk}/").content.decode()
    assert "Delete…" not in html and ">Disable</button>" not in html
    assert "can be used but not edited, disabled or deleted" in html
    response = admin_client.post(f"/llms/{llm.pk}/delete/")
    assert response.status_code == 403
    assert "built into Vectara, so it can&#x27;t be deleted" in response.content.decode()
    assert LLMDefinition.objects.exists() and emulator.requests == [
        r for r in emulator.requests if r.method == "GET"
    ]
