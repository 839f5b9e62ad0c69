"""An LLM definition as the form produced it, and the bodies built from it for Vectara."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmadmin.vectara.contract import MASK, SECRET_AUTH_FIELDS

REDACTED = "[redacted]"
# Showing the last four characters lets an admin match a key with their vault; on a short
# secret that would give away too much of it, so short ones only show their length.
_FINGERPRINT_MIN_LENGTH = 16


def fingerprint(secret: str) -> str:
    if len(secret) >= _FINGERPRINT_MIN_LENGTH:
        return f"…{secret[-4:]}"
    return f"{len(secret)} characters"


def redact_auth(auth: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k in SECRET_AUTH_FIELDS else v) for k, v in auth.items()}


@dataclass(frozen=True)
class LLMSpec:
    type: str
    name: str
    model: str
    uri: str
    # Holds the secret in memory on its way upstream; kept out of repr so it can't be logged.
    auth: Mapping[str, str] = field(repr=False)
    description: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    test_model_parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def auth_type(self) -> str:
        return self.auth["type"]

    def create_body(self) -> dict[str, Any]:
        """The exact CreateLLMRequest of the contract; optional parts only when given."""
        body: dict[str, Any] = {
            "type": self.type,
            "name": self.name,
            "description": self.description,
            "model": self.model,
            "uri": self.uri,
            "auth": dict(self.auth),
        }
        if self.headers:
            body["headers"] = dict(self.headers)
        if self.test_model_parameters:
            body["test_model_parameters"] = dict(self.test_model_parameters)
        return body

    def redacted_body(self) -> dict[str, Any]:
        """The create body with every secret replaced, for the audit log."""
        return {**self.create_body(), "auth": redact_auth(self.auth)}

    def auth_public(self) -> dict[str, str]:
        """The parts of the auth that are not secret (Vectara shows them too)."""
        return {k: v for k, v in self.auth.items() if k not in SECRET_AUTH_FIELDS}

    def auth_fingerprint(self) -> str:
        secrets = [v for k, v in self.auth.items() if k in SECRET_AUTH_FIELDS and v != MASK]
        return fingerprint(secrets[0]) if secrets else ""
