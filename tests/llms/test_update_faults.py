"""The edit form against an upstream that fails: each failure names the action, changes
nothing locally, writes one failed audit event, and sends the PATCH once."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from tests.support.fault_server import Fault, fault_server, refused_url

pytestmark = pytest.mark.usefixtures("dns_records")

REQ = {"request_id": "req_upd_1"}
FAULTS = {
    "403": (Fault.status(403, {"messages": ["Built-in"], **REQ}), "(403)", 403),
    "404": (Fault.status(404, {"messages": ["No such LLM"], **REQ}), "(404)", 404),
    "409": (Fault.status(409, {"messages": ["Clash"], **REQ}), "(409)", 409),
    "500": (Fault.status(500, {"messages": ["Internal error"], **REQ}), "500", 500),
    "timeout": (Fault.hang_before_headers(5), "did not respond in time", None),
    "garbage": (Fault.status(200, raw_body="{nope", content_type="application/json"), "", 200),
}


@pytest.fixture
def llm(team) -> LLMDefinition:
    return LLMDefinition.objects.create(
        team=team,
        vectara_id="llm_777",
        name="gpt-faulty",
        type="openai-compatible",
        description="Before",
        model="gpt-4o",
        uri="https://api.openai.com/v1/chat/completions",
        auth_type="bearer",
        auth_public={"type": "bearer"},
    )


def post_edit(client, settings, base_url: str, llm: LLMDefinition, **extra: str):
    settings.VECTARA_API_URL = base_url
    settings.VECTARA_READ_TIMEOUT = 0.5
    data = {
        "type": "openai-compatible",
        "description": "After",
        "model": "gpt-4o",
        "uri": llm.uri,
        "auth_type": "bearer",
        "version": "1",
        **extra,
    }
    return client.post(f"/llms/{llm.pk}/edit/", data)


def assert_nothing_changed(response, llm: LLMDefinition, status: int | None) -> str:
    assert response.status_code == 200
    llm.refresh_from_db()
    assert (llm.description, llm.version) == ("Before", 1)
    event = AuditEvent.objects.get(action="llm.edit")
    assert (event.outcome, event.upstream_status) == ("failure", status)
    assert event.details["after"]["description"] == "After"
    assert "z" * 20 not in str(event.details)
    return event.message


@pytest.mark.parametrize("fault_name", FAULTS)
def test_each_upstream_failure_names_the_action_and_changes_nothing(
    editor_client, settings, llm, fault_name: str
) -> None:
    fault, needle, status = FAULTS[fault_name]
    with fault_server(fault) as server:
        response = post_edit(editor_client, settings, server.base_url, llm)
        assert server.hits == 1
        assert server.received[0].method == "PATCH"
        assert server.received[0].json() == {"type": "openai-compatible", "description": "After"}
    message = assert_nothing_changed(response, llm, status)
    [shown] = response.context["form"].non_field_errors()
    assert "update the LLM" in shown and needle in shown
    assert shown == message


def test_field_errors_from_vectara_land_on_the_edit_fields(editor_client, settings, llm) -> None:
    body = {"field_errors": {"model": "Unknown model.", "auth.token": "Refused."}, **REQ}
    with fault_server(Fault.status(400, body)) as server:
        response = post_edit(editor_client, settings, server.base_url, llm, token="sk-" + "z" * 20)
    assert_nothing_changed(response, llm, 400)
    form = response.context["form"]
    assert form.errors["model"] == ["Vectara says: Unknown model."]
    assert form.errors["token"] == ["Vectara says: Refused."]
    assert "z" * 20 not in response.content.decode()


def test_a_refused_connection_changes_nothing(editor_client, settings, llm) -> None:
    response = post_edit(editor_client, settings, refused_url(), llm)
    assert_nothing_changed(response, llm, None)
    [shown] = response.context["form"].non_field_errors()
    assert "connection to Vectara failed" in shown and "update the LLM" in shown
