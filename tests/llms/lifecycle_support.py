"""Shared by the list, detail, toggle, delete and sync tests: an LLM that exists both in the
emulator and locally, as the dashboard would have created it."""

from __future__ import annotations

from typing import Any

from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Team
from tests.support.fault_server import Fault

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
