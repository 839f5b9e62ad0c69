from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.llms.models import LLMDefinition
from llmadmin.llms.services import ActionDenied, llm_create
from llmadmin.llms.spec import LLMSpec
from llmadmin.vectara.client import VectaraClient
from tests.support.fault_server import Fault, fault_server
from tests.teams.factories import member

SPEC = LLMSpec(
    type="openai-compatible",
    name="svc-llm",
    model="gpt-4o",
    uri="https://api.openai.com/v1/chat/completions",
    auth={"type": "bearer", "token": "sk-service-test-123456"},
)


def test_the_service_checks_the_role_itself(team, emulator) -> None:
    viewer = member("viewer", team)
    with pytest.raises(ActionDenied, match="editor or admin role"):
        llm_create(actor=viewer, origin=Origin.system("test"), team=team, spec=SPEC)
    assert emulator.requests == [] and not LLMDefinition.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.details["action"]) == (
        "access.denied",
        "denied",
        "llm.create",
    )
    assert event.details["request"]["auth"] == {"type": "bearer", "token": "[redacted]"}


def test_an_editor_of_another_team_cannot_create_in_this_one(team, emulator) -> None:
    outsider = member("editor")  # editor, but of a different team
    with pytest.raises(ActionDenied):
        llm_create(actor=outsider, origin=Origin.system("test"), team=team, spec=SPEC)
    assert emulator.requests == []


def test_a_name_already_recorded_locally_is_refused_before_vectara(editor, team, emulator) -> None:
    llm_create(actor=editor, origin=Origin.system("test"), team=team, spec=SPEC)
    with pytest.raises(ApplicationError) as caught:
        llm_create(actor=editor, origin=Origin.system("test"), team=team, spec=SPEC)
    assert "already exists" in caught.value.field_errors["name"]
    assert len(emulator.requests) == 1
    assert list(AuditEvent.objects.values_list("outcome", flat=True).order_by("id")) == [
        "success",
        "failure",
    ]


def test_when_the_local_save_fails_the_upstream_llm_is_deleted_again(editor, team) -> None:
    # A local record already holds the id Vectara will answer with, so saving collides.
    LLMDefinition.objects.create(
        team=team, vectara_id="llm_dup", name="other", type="openai-compatible", auth_type="bearer"
    )
    created = {"id": "llm_dup", "name": "svc-llm", "type": "openai-compatible"}
    with fault_server(Fault.sequence(Fault.status(201, created), Fault.status(204))) as server:
        client = VectaraClient(base_url=server.base_url, api_key="key-for-test")
        with pytest.raises(ApplicationError):
            llm_create(
                actor=editor, origin=Origin.system("test"), team=team, spec=SPEC, client=client
            )
        assert [(r.method, r.path) for r in server.received] == [
            ("POST", "/v2/llms"),
            ("DELETE", "/v2/llms/llm_dup"),
        ]
    assert list(LLMDefinition.objects.values_list("name", flat=True)) == ["other"]
    assert AuditEvent.objects.get().outcome == "failure"


def test_an_upstream_llm_that_could_not_be_undone_is_named_in_the_message_and_audit(
    editor, team
) -> None:
    LLMDefinition.objects.create(
        team=team, vectara_id="llm_dup", name="other", type="openai-compatible", auth_type="bearer"
    )
    created = {"id": "llm_dup", "name": "svc-llm", "type": "openai-compatible"}
    with fault_server(Fault.sequence(Fault.status(201, created), Fault.status(500))) as server:
        client = VectaraClient(base_url=server.base_url, api_key="key-for-test")
        with pytest.raises(ApplicationError) as caught:
            llm_create(
                actor=editor, origin=Origin.system("test"), team=team, spec=SPEC, client=client
            )
    assert "llm_dup is left there" in caught.value.message
    event = AuditEvent.objects.get()
    assert (event.outcome, event.details["upstream_undone"]) == ("failure", False)
