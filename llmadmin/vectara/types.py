"""Typed views of Vectara's LLM and ListLLMsResponse shapes (shared/vectara/llms-openapi.yaml).

Only `id`, `name` and `type` are required by the contract (and only `id` in the answer to a
change, see `LLM.from_answer`); everything else is read leniently
so that a new optional field, or one of an unexpected type, never breaks the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidResponse


def _text(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return value if isinstance(value, str) else default


def _flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key)
    return value if isinstance(value, bool) else default


def _object(data: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    return dict(value) if isinstance(value, dict) else None


@dataclass(frozen=True)
class LLM:
    id: str
    name: str
    type: str
    description: str = ""
    model: str = ""
    uri: str = ""
    enabled: bool = True
    default: bool = False
    ownership: str = "customer"
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: Mapping[str, Any] | None = None  # as Vectara returns it: secret values are "****"
    capabilities: Mapping[str, Any] | None = None
    idle_timeout_seconds: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def auth_type(self) -> str | None:
        kind = (self.auth or {}).get("type")
        return kind if isinstance(kind, str) else None

    @classmethod
    def from_json(cls, data: object) -> LLM:
        return cls._parse(data, ("id", "name", "type"))

    @classmethod
    def from_answer(cls, data: object) -> LLM:
        """Vectara's answer to a create or an update. Its documentation shows a create
        answering only id, name, description and enabled, so only the id is required here;
        the caller takes what the answer leaves out (see `raw`) from what it sent."""
        return cls._parse(data, ("id",))

    @classmethod
    def _parse(cls, data: object, required: tuple[str, ...]) -> LLM:
        if not isinstance(data, dict):
            raise InvalidResponse(detail=f"expected an LLM object, got {type(data).__name__}")
        for key in required:
            if not isinstance(data.get(key), str) or not data[key]:
                raise InvalidResponse(detail=f"the LLM has no {key}")
        headers = data.get("headers")
        timeout = data.get("idle_timeout_seconds")
        return cls(
            id=data["id"],
            name=_text(data, "name"),
            type=_text(data, "type"),
            description=_text(data, "description"),
            model=_text(data, "model"),
            uri=_text(data, "uri"),
            enabled=_flag(data, "enabled", True),
            default=_flag(data, "default", False),
            ownership=_text(data, "ownership", "customer"),
            headers={
                k: v
                for k, v in (headers.items() if isinstance(headers, dict) else ())
                if isinstance(k, str) and isinstance(v, str)
            },
            auth=_object(data, "auth"),
            capabilities=_object(data, "capabilities"),
            # bool is an int in Python; `true` is not a number of seconds.
            idle_timeout_seconds=(
                timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else None
            ),
            raw=dict(data),
        )


@dataclass(frozen=True)
class LLMPage:
    llms: tuple[LLM, ...]
    page_key: str | None

    @classmethod
    def from_json(cls, data: object) -> LLMPage:
        """ListLLMsResponse: `llms` and `metadata.page_key` are both optional upstream."""
        if not isinstance(data, dict):
            raise InvalidResponse(detail=f"expected a list object, got {type(data).__name__}")
        items = data.get("llms", [])
        if not isinstance(items, list):
            raise InvalidResponse(detail="`llms` is not a list")
        metadata = data.get("metadata")
        page_key = metadata.get("page_key") if isinstance(metadata, dict) else None
        # An empty page_key means "no more pages", like a missing one.
        return cls(
            llms=tuple(LLM.from_json(item) for item in items),
            page_key=page_key if isinstance(page_key, str) and page_key else None,
        )
