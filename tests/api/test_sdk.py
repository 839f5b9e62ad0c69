"""The official `vectara` SDK against llmadmin's live /v2/llms, backed by the emulator: every
operation, as a script would use it, and what llmadmin and Vectara hold afterwards."""

from __future__ import annotations

import pytest
from vectara.types import (
    CreateLlmRequest_OpenaiCompatible,
    RemoteAuth_Bearer,
    UpdateLlmRequest_OpenaiCompatible,
)

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from tests.api.conftest import URI
from tests.teams.factories import TeamFactory, member

pytestmark = pytest.mark.django_db(transaction=True)


TOKEN = "sk-test-token-0123456789"


def create_request(name: str) -> object:
    return CreateLlmRequest_OpenaiCompatible(
        name=name,
        model="gpt-4o",
        uri=URI,
        description=f"{name} for the pipeline",
        auth=RemoteAuth_Bearer(token=TOKEN),
    )


def test_every_operation_through_the_sdk(sdk, make_key, emulator):
    team = TeamFactory(name="Platform", slug="platform")
    raw = make_key(member("admin", team, username="ada"), team, "admin")
    client = sdk(raw)

    created = client.llms.create(request=create_request("pipeline-gpt"))
    assert created.id.startswith("llm_")
    assert created.name == "pipeline-gpt"
    assert dict(created.auth)["token"] == "****"  # the SDK types it as a plain mapping
    assert emulator.store.get(created.id)["auth"]["token"] == TOKEN
    assert LLMDefinition.objects.get(vectara_id=created.id).team == team

    for n in range(4):
        client.llms.create(request=create_request(f"more-{n}"))
    every = [llm.name for llm in client.llms.list(limit=2)]
    assert sorted(every) == sorted(["pipeline-gpt", "more-0", "more-1", "more-2", "more-3"])
    assert [llm.name for llm in client.llms.list(filter="^more-[02]$")] == ["more-0", "more-2"]

    assert client.llms.get(created.id).description == "pipeline-gpt for the pipeline"
    assert client.llms.get("pipeline-gpt").id == created.id

    updated = client.llms.update(
        created.id,
        request=UpdateLlmRequest_OpenaiCompatible(description="nightly", enabled=False),
    )
    assert (updated.description, updated.enabled) == ("nightly", False)
    upstream = emulator.store.get(created.id)
    assert (upstream["description"], upstream["enabled"]) == ("nightly", False)
    assert upstream["auth"]["token"] == TOKEN  # kept, never re-sent

    client.llms.delete(created.id)
    assert emulator.store.get(created.id) is None
    assert not LLMDefinition.objects.filter(vectara_id=created.id).exists()

    prefix = raw.split("_")[1]
    actions = list(
        AuditEvent.objects.filter(details__via="api", details__api_key=prefix)
        .order_by("id")
        .values_list("action", "outcome", "actor_username")
    )
    assert actions[0] == ("apikey.first_use", "success", "ada")
    assert ("llm.create", "success", "ada") in actions
    assert ("llm.edit", "success", "ada") in actions
    assert ("llm.disable", "success", "ada") in actions
    assert ("llm.delete", "success", "ada") in actions
