"""Shared by the list, detail, toggle, delete and sync tests: an LLM that exists both in the
emulator and locally, as the dashboard would have created it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmadmin.core.errors import ApplicationError
from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Team
from tests.support.fault_server import Fault, fault_server

TOKEN = "sk-lifecycle-canary-99887766"

# Every upstream failure class the lifecycle actions must name; (fault, expected status).
REQ = {"request_id": "req_life_1"}
FAULTS: dict[str, tuple[Fault, int | None]] = {
    "403": (Fault.status(403, {"messages": ["Not allowed"], **REQ}), 403),
    "404": (Fault.status(404, {"messages": ["No such LLM"], **REQ}), 404),
    "500": (Fault.status(500, {"messages": ["Internal error"], **REQ}), 500),
    "invalid-json": (Fault.status(200, raw_body="{nope", content_type="application/json"), 200),
    "timeout": (Fault.hang_before_headers(5), None),
}


def upstream_record(name: str = "gpt-team", **overrides: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "openai-compatible",
        "description": "A team LLM",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",
        "auth": {"type": "bearer", "token": TOKEN},
        "headers": {},
        "enabled": True,
        **overrides,
    }


def local_copy(record: dict[str, Any], team: Team | None, **overrides: Any) -> LLMDefinition:
    fields: dict[str, Any] = {
        "team": team,
        "vectara_id": record["id"],
        "name": record["name"],
        "type": record["type"],
        "description": record.get("description", ""),
        "model": record.get("model", ""),
        "uri": record.get("uri", ""),
        "auth_type": (record.get("auth") or {}).get("type", ""),
        "headers": record.get("headers", {}),
        "enabled": record.get("enabled", True),
        "auth_fingerprint": "…7766",
    }
    fields.update(overrides)
    return LLMDefinition.objects.create(**fields)


def seeded(emulator: Any, team: Team | None, name: str = "gpt-team", **overrides: Any):
    """An LLM in the emulator and its matching local record."""
    record = emulator.store.put(upstream_record(name, **overrides))
    return local_copy(record, team)


def local_only(team: Team | None, **overrides: Any) -> LLMDefinition:
    """A local record whose upstream twin lives wherever the test points Vectara."""
    values = {"vectara_id": "llm_1", "name": "gpt-team", "type": "openai-compatible", **overrides}
    return LLMDefinition.objects.create(team=team, **values)


def refused_by(fault: Fault, settings: Any, call: Callable[[], object]) -> ApplicationError:
    """Run a service call against a server answering `fault`: it must raise the user-facing
    error after exactly one request (a change that may have reached Vectara is never resent)."""
    settings.VECTARA_READ_TIMEOUT = 0.5
    with fault_server(fault) as server:
        settings.VECTARA_API_URL = server.base_url
        with pytest.raises(ApplicationError) as caught:
            call()
        assert server.hits == 1
    return caught.value
