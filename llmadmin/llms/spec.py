"""An LLM definition as a form produced it, and the bodies built from it for Vectara."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.views.decorators.debug import sensitive_variables

from llmadmin.vectara.contract import MASK, SECRET_AUTH_FIELDS

REDACTED = "[redacted]"
# Showing the last four characters lets an admin match a key with their vault; on a short
# secret that would give away too much of it, so short ones only show their length.
_FINGERPRINT_MIN_LENGTH = 16


# Each function below sees a secret: Django's error reports must not show its locals.
@sensitive_variables()
def fingerprint(secret: str) -> str:
    if len(secret) >= _FINGERPRINT_MIN_LENGTH:
        return f"…{secret[-4:]}"
    return f"{len(secret)} characters"


@sensitive_variables()
def auth_fingerprint(auth: Mapping[str, Any]) -> str:
    secrets = [(k, v) for k, v in auth.items() if k in SECRET_AUTH_FIELDS and v and v != MASK]
    if not secrets:
        return ""
    name, secret = secrets[0]
    if name == "key_json":
        # The tail of a JSON key is "}"; its key id is what the Google Cloud console lists.
        try:
            key_id = str(json.loads(secret).get("private_key_id", ""))
        except (ValueError, AttributeError):
            key_id = ""
        return f"key id …{key_id[-8:]}" if len(key_id) >= 16 else ""
    return fingerprint(secret)


@sensitive_variables()
def redact_auth(auth: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k in SECRET_AUTH_FIELDS else v) for k, v in auth.items()}


@sensitive_variables()
def public_auth(auth: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an auth that are not secret (Vectara shows them too)."""
    return {k: v for k, v in auth.items() if k not in SECRET_AUTH_FIELDS}


@dataclass(frozen=True)
class LLMSpec:
    type: str
    name: str
    model: str
    uri: str  # "" only for anthropic, which then uses Vectara's default endpoint
    # Holds the secret in memory on its way upstream; kept out of repr so it can't be logged.
    auth: Mapping[str, Any] = field(repr=False)
    description: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    test_model_parameters: Mapping[str, Any] = field(default_factory=dict)
    # Only the capabilities the person set; the rest Vectara infers from the model.
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    idle_timeout_seconds: int | None = None

    @property
    def auth_type(self) -> str:
        return str(self.auth["type"])

    @sensitive_variables()
    def create_body(self) -> dict[str, Any]:
        """The exact CreateLLMRequest of the contract; optional parts only when given."""
        body: dict[str, Any] = {
            "type": self.type,
            "name": self.name,
            "description": self.description,
            "model": self.model,
        }
        if self.uri:
            body["uri"] = self.uri
        body["auth"] = dict(self.auth)
        optional = {
            "headers": dict(self.headers),
            "test_model_parameters": dict(self.test_model_parameters),
            "capabilities": dict(self.capabilities),
        }
        body.update({key: value for key, value in optional.items() if value})
        if self.idle_timeout_seconds is not None:
            body["idle_timeout_seconds"] = self.idle_timeout_seconds
        return body

    def redacted_body(self) -> dict[str, Any]:
        """The create body with every secret replaced, for the audit log."""
        return {**self.create_body(), "auth": redact_auth(self.auth)}

    def auth_public(self) -> dict[str, Any]:
        return public_auth(self.auth)

    def auth_fingerprint(self) -> str:
        return auth_fingerprint(self.auth)


@dataclass(frozen=True)
class LLMChanges:
    """An edit: the fields that differ from the local record, and a whole new auth object
    when (and only when) the person gave its secret. `type` is the contract's discriminator,
    so the PATCH body always names it; it counts as a change only when it differs."""

    type: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    auth: Mapping[str, Any] | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return bool(self.fields) or self.auth is not None

    @sensitive_variables()
    def patch_body(self) -> dict[str, Any]:
        """The UpdateLLMRequest: `type`, the changed fields, and `auth` if it is replaced."""
        body: dict[str, Any] = {"type": self.type, **self.fields}
        if self.auth is not None:
            if any(self.auth.get(name) == MASK for name in SECRET_AUTH_FIELDS):
                # Sending the mask back would overwrite the real secret with "****".
                raise ValueError("a masked secret must never be sent back to Vectara")
            body["auth"] = dict(self.auth)
        return body

    def audit_after(self) -> dict[str, Any]:
        after = dict(self.fields)
        if self.auth is not None:
            after["auth"] = redact_auth(self.auth)
        return after
