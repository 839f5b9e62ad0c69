"""Issue 14, class 11: a valid but sparse answer.

Vectara's own documentation shows a create answering only {"id", "name", "description",
"enabled"}. Against a real HTTP server that answers exactly that (and, like an upstream
that finds LLMs by id only, 404s a GET by name), a create must be a plain success: the
local record holds what was sent, the audit event claims no lost answer, no look-up is
sent, and the person lands on the detail page. A sparse answer to an edit likewise.
"""

from __future__ import annotations

import socket
import threading

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from tests.support.fault_server import Fault, Received, fault_server

pytestmark = pytest.mark.usefixtures("dns_records")

LLM_ID = "llm_sparse_1"
FORM = {
    "type": "openai-compatible",
    "name": "gpt-sparse",
    "description": "Answers briefly",
    "model": "gpt-4o",
    "uri": "https://api.openai.com/v1/chat/completions",
    "auth_type": "header",
    "header": "x-api-key",
    "value": "sk-sparse-answer-0123456789",
}
SPARSE = {"id": LLM_ID, "name": "gpt-sparse", "description": "Answers briefly", "enabled": True}


def by_id_only(answer: Fault) -> Fault:
    """Answers POST and PATCH with `answer`, GET of the id with the full LLM, and 404s any
    other GET (a look-up by name)."""
    full = Fault.status(200, {**SPARSE, "type": "openai-compatible", "model": "gpt-4o"})
    missing = Fault.status(404, {"messages": ["No such LLM"]})

    def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
        if request.method == "GET":
            chosen = full if request.path == f"/v2/llms/{LLM_ID}" else missing
        else:
            chosen = answer
        chosen.action(conn, request, stop)

    return Fault("by id only", action)


def test_a_sparse_create_answer_is_a_plain_success(editor_client, settings) -> None:
    with fault_server(by_id_only(Fault.status(201, SPARSE))) as server:
        settings.VECTARA_API_URL = server.base_url
        response = editor_client.post("/llms/new/", FORM)
        assert [r.method for r in server.received] == ["POST"], "no look-up, no undo"
    llm = LLMDefinition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/llms/{llm.pk}/"
    sent = {k: FORM[k] for k in ("type", "name", "description", "model", "uri")}
    assert {k: getattr(llm, k) for k in sent} == sent
    assert (llm.vectara_id, llm.enabled, llm.auth_type) == (LLM_ID, True, "header")
    assert llm.auth_public == {"type": "header", "header": "x-api-key"}
    assert llm.auth_fingerprint.endswith("6789")
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.create", "success", 201)
    assert "recovered_from" not in event.details
    assert "lost on the way" not in event.message


def test_a_sparse_create_answer_keeps_what_it_does_say(editor_client, settings) -> None:
    disabled = {**SPARSE, "description": "Vectara's words", "enabled": False}
    with fault_server(by_id_only(Fault.status(201, disabled))) as server:
        settings.VECTARA_API_URL = server.base_url
        editor_client.post("/llms/new/", FORM)
    llm = LLMDefinition.objects.get()
    assert (llm.description, llm.enabled, llm.type) == ("Vectara's words", False, FORM["type"])


def test_a_sparse_edit_answer_keeps_what_was_sent(editor_client, team, settings) -> None:
    llm = LLMDefinition.objects.create(
        team=team,
        vectara_id=LLM_ID,
        name="gpt-sparse",
        type="openai-compatible",
        description="Before",
        model="gpt-4o",
        uri=FORM["uri"],
        auth_type="header",
        auth_public={"type": "header", "header": "x-api-key"},
    )
    answer = {"id": LLM_ID, "name": "gpt-sparse", "description": "After", "enabled": True}
    data = {k: v for k, v in FORM.items() if k not in ("name", "value")}
    with fault_server(by_id_only(Fault.status(200, answer))) as server:
        settings.VECTARA_API_URL = server.base_url
        response = editor_client.post(
            f"/llms/{llm.pk}/edit/",
            {**data, "description": "After", "model": "gpt-4.1", "version": "1"},
        )
        assert [r.method for r in server.received] == ["PATCH"]
    assert response.status_code == 302 and response["Location"] == f"/llms/{llm.pk}/"
    llm.refresh_from_db()
    assert (llm.description, llm.model, llm.type, llm.version) == (
        "After",
        "gpt-4.1",
        "openai-compatible",
        2,
    )
    event = AuditEvent.objects.get(action="llm.edit")
    assert (event.outcome, event.upstream_status) == ("success", 200)


def test_a_sparse_disable_answer_is_taken_as_asked(editor_client, team, settings) -> None:
    llm = LLMDefinition.objects.create(
        team=team,
        vectara_id=LLM_ID,
        name="gpt-sparse",
        type="openai-compatible",
        auth_type="bearer",
    )
    with fault_server(by_id_only(Fault.status(200, {"id": LLM_ID}))) as server:
        settings.VECTARA_API_URL = server.base_url
        response = editor_client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0", "confirm": "1"})
    assert response.status_code == 302
    llm.refresh_from_db()
    assert llm.enabled is False
    event = AuditEvent.objects.get(action="llm.disable")
    assert (event.outcome, event.details["enabled"]) == ("success", False)


def test_an_answer_without_an_id_is_still_not_taken_for_a_create(editor_client, settings) -> None:
    no_id = {k: v for k, v in SPARSE.items() if k != "id"}
    with fault_server(by_id_only(Fault.status(201, no_id))) as server:
        settings.VECTARA_API_URL = server.base_url
        response = editor_client.post("/llms/new/", FORM)
        # It looks the name up, which this upstream can't answer: nothing is recorded.
        assert [r.method for r in server.received] == ["POST", "GET"]
    assert response.status_code == 200 and not LLMDefinition.objects.exists()
    assert AuditEvent.objects.get().outcome == "failure"
