"""The create form against an upstream that fails in every way DESIGN.md names: each gets
its own clear message, no 500, no local record, one audit event, and no second POST."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from tests.support.fault_server import Fault, fault_server, refused_url

pytestmark = pytest.mark.usefixtures("dns_records")

TOKEN = "sk-fault-canary-5550001111"
FORM = {
    "type": "openai-compatible",
    "name": "gpt-faulty",
    "model": "gpt-4o",
    "uri": "https://api.openai.com/v1/chat/completions",
    "auth_type": "bearer",
    "token": TOKEN,
}
REQ = {"request_id": "req_fault_1"}

FAULTS = {
    "401": (Fault.status(401, {"messages": ["Invalid API key"], **REQ}), "VECTARA_API_KEY", 401),
    "403": (Fault.status(403, {"messages": ["Not allowed"], **REQ}), "403", 403),
    "404": (Fault.status(404, {"messages": ["No such corpus"], **REQ}), "404", 404),
    "429": (
        Fault.status(429, {"messages": ["Slow down"]}, headers={"Retry-After": "30"}),
        "30 seconds",
        429,
    ),
    "500": (Fault.status(500, {"messages": ["Internal error"], **REQ}), "500", 500),
    "502-html": (
        Fault.status(
            502, raw_body="<html><body>Bad gateway</body></html>", content_type="text/html"
        ),
        "502",
        502,
    ),
    "garbage-201": (
        Fault.status(201, raw_body="{not json", content_type="application/json"),
        "",
        201,
    ),
    "truncated": (Fault.truncated_json(), "", 201),
    "timeout": (Fault.hang_before_headers(5), "", None),
    "reset": (Fault.reset(), "", None),
}


def post_form(client, settings, base_url: str):
    settings.VECTARA_API_URL = base_url
    settings.VECTARA_READ_TIMEOUT = 0.5
    return client.post("/llms/new/", FORM)


def assert_nothing_half_done(response, status: int | None) -> AuditEvent:
    assert response.status_code == 200
    assert TOKEN not in response.content.decode()
    assert not LLMDefinition.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.create", "failure", status)
    assert TOKEN not in str(event.details) + event.message
    return event


@pytest.mark.parametrize("fault_name", FAULTS)
def test_each_upstream_failure_has_its_own_message_and_changes_nothing(
    editor_client, settings, fault_name: str
) -> None:
    fault, needle, status = FAULTS[fault_name]
    with fault_server(fault) as server:
        response = post_form(editor_client, settings, server.base_url)
        assert len(server.requests("POST")) == 1, (
            "a POST that may have reached Vectara must not be sent again"
        )
    event = assert_nothing_half_done(response, status)
    [message] = response.context["form"].non_field_errors()
    assert "create the LLM" in message and needle in message
    assert event.message == message


def test_field_errors_from_vectara_are_shown_at_their_fields(editor_client, settings) -> None:
    body = {
        "field_errors": {"model": "Unknown model gpt-9.", "auth.token": "Token was refused."},
        "messages": ["Invalid request"],
        **REQ,
    }
    with fault_server(Fault.status(400, body)) as server:
        response = post_form(editor_client, settings, server.base_url)
    event = assert_nothing_half_done(response, 400)
    form = response.context["form"]
    assert "Unknown model gpt-9." in form.errors["model"][0]
    assert "Token was refused." in form.errors["token"][0]
    assert event.upstream_request_id == "req_fault_1"


def test_a_refused_connection_says_vectara_could_not_be_reached(editor_client, settings) -> None:
    response = post_form(editor_client, settings, refused_url())
    assert_nothing_half_done(response, None)
    [message] = response.context["form"].non_field_errors()
    assert "create the LLM" in message


def test_a_time_out_warns_that_the_llm_may_exist_upstream(editor_client, settings) -> None:
    with fault_server(Fault.hang_before_headers(5)) as server:
        response = post_form(editor_client, settings, server.base_url)
    [message] = response.context["form"].non_field_errors()
    assert "may" in message.lower()


def _llm_json(**overrides: object) -> dict[str, object]:
    return {
        "id": "llm_lost_answer",
        "name": "gpt-faulty",
        "type": "openai-compatible",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",
        "ownership": "customer",
        "enabled": True,
        **overrides,
    }


def test_a_create_whose_answer_was_lost_is_found_in_vectara_and_recorded(
    editor_client, settings
) -> None:
    lost_then_found = Fault.sequence(Fault.hang_before_headers(5), Fault.status(200, _llm_json()))
    with fault_server(lost_then_found) as server:
        response = post_form(editor_client, settings, server.base_url)
        assert [r.method for r in server.received] == ["POST", "GET"]
    llm = LLMDefinition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/llms/{llm.pk}/"
    assert llm.vectara_id == "llm_lost_answer" and llm.auth_fingerprint.endswith("1111")
    event = AuditEvent.objects.get()
    assert (event.outcome, event.details["recovered_from"]) == ("success", "TimedOut")
    assert "found it, and recorded it" in event.message


@pytest.mark.parametrize(
    "lookup",
    [
        Fault.status(404, {"messages": ["not found"]}),
        Fault.status(200, _llm_json(model="someone-elses-model")),
    ],
    ids=["not-created", "a-different-llm"],
)
def test_a_lost_create_is_not_recorded_unless_vectara_holds_exactly_it(
    editor_client, settings, lookup
) -> None:
    with fault_server(Fault.sequence(Fault.status(502, raw_body="<html></html>"), lookup)) as s:
        response = post_form(editor_client, settings, s.base_url)
        assert [r.method for r in s.received] == ["POST", "GET"]
    assert_nothing_half_done(response, 502)


def test_a_refusal_that_cannot_have_created_anything_is_not_looked_up(
    editor_client, settings
) -> None:
    with fault_server(Fault.status(403, {"messages": ["no"]})) as server:
        post_form(editor_client, settings, server.base_url)
        assert [r.method for r in server.received] == ["POST"]
