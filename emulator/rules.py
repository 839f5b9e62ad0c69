"""The request rules of Vectara's /v2/llms contract, as small table-driven checks.

They are written out here, not read from shared/vectara/llms-openapi.yaml, because the app must
not depend on files outside the repository; tests/emulator/test_emulator_*.py hold the emulator's
answers against that file. They are also deliberately independent of llmadmin.vectara.contract:
an emulator sharing the dashboard's tables could not catch a mistake in them.

Every check returns `Errors`, a mapping of field path ("auth.token") to one sentence. Messages
never quote a submitted value, so an error can't echo a secret.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Errors = dict[str, str]
Check = Callable[[Any, str], Errors]

MASK = "****"
ANTHROPIC_DEFAULT_URI = "https://api.anthropic.com/v1/messages"
INT32_MAX = 2**31 - 1

# Auth variants (BearerAuth, HeaderAuth, ...): the fields each one requires and allows.
AUTH_SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "bearer": (("token",), ()),
    "header": (("header", "value"), ()),
    "oauth_client_credentials": (("client_id", "client_secret", "token_endpoint"), ("scopes",)),
    "api_key": (("api_key",), ()),
    "service_account": (("key_json",), ()),
    "bedrock_static_iam": (("aws_access_key_id", "aws_secret_access_key", "region"), ()),
    "bedrock_api_key": (("api_key", "region"), ()),
    "vertex_service_account": (("key_json", "project", "region"), ()),
    "vertex_access_token": (("access_token", "project", "region"), ()),
}
# Answered as "****" (LLM.auth in the contract); identifiers like region or header stay readable.
SECRET_FIELDS = frozenset(
    {
        "token",
        "value",
        "client_secret",
        "api_key",
        "key_json",
        "aws_secret_access_key",
        "access_token",
    }
)


@dataclass(frozen=True)
class LLMType:
    auth_types: tuple[str, ...]
    uri_required: bool
    auth_required: bool
    default_uri: str | None
    context_limit: int  # for the inferred capabilities
    role_alternation: bool


_REMOTE_AUTH = ("bearer", "header", "oauth_client_credentials")
_ANTHROPIC_AUTH = (
    "bearer",
    "header",
    "bedrock_static_iam",
    "bedrock_api_key",
    "vertex_service_account",
    "vertex_access_token",
)
# CreateLLMRequest's discriminator. OpenAI types take RemoteAuth, which the contract leaves
# optional (self-hosted models without auth); Vertex and Anthropic require theirs.
LLM_TYPES: dict[str, LLMType] = {
    "openai-compatible": LLMType(_REMOTE_AUTH, True, False, None, 128_000, False),
    "openai-responses": LLMType(_REMOTE_AUTH, True, False, None, 128_000, False),
    "vertex-ai": LLMType(("api_key", "service_account"), True, True, None, 1_048_576, False),
    "anthropic": LLMType(_ANTHROPIC_AUTH, False, True, ANTHROPIC_DEFAULT_URI, 200_000, True),
}

_BOOLEAN_CAPABILITIES = (
    "image_support",
    "tool_calling",
    "structured_outputs",
    "requires_role_alternation",
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- single-field checks ---------------------------------------------------------------------


def _string(min_length: int, max_length: int | None = None) -> Check:
    def check(value: Any, path: str) -> Errors:
        if not isinstance(value, str):
            return {path: "Must be a string."}
        if len(value) < min_length:
            return {path: "This field can't be empty."}
        if max_length is not None and len(value) > max_length:
            return {path: f"Use at most {max_length} characters."}
        return {}

    return check


def _is_http_uri(value: str) -> bool:
    if _CONTROL.search(value) or " " in value:
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False


def check_uri(value: Any, path: str) -> Errors:
    if not isinstance(value, str):
        return {path: "Must be a string."}
    return {} if _is_http_uri(value) else {path: "Enter an absolute http or https URI."}


def check_type(value: Any, path: str) -> Errors:
    if isinstance(value, str) and value in LLM_TYPES:
        return {}
    return {path: f"Use one of: {', '.join(LLM_TYPES)}."}


def check_object(value: Any, path: str) -> Errors:
    return {} if isinstance(value, dict) else {path: "Must be an object."}


def check_boolean(value: Any, path: str) -> Errors:
    return {} if isinstance(value, bool) else {path: "Must be true or false."}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not a number


def check_idle_timeout(value: Any, path: str) -> Errors:
    if value is None or (_is_int(value) and 1 <= value <= 3600):
        return {}
    return {path: "Enter a whole number of seconds from 1 to 3600, or null."}


def check_headers(value: Any, path: str) -> Errors:
    if not isinstance(value, dict):
        return {path: "Must be an object of header names to string values."}
    errors: Errors = {}
    for name, header_value in value.items():
        if not _HEADER_NAME.fullmatch(name):
            errors[f"{path}.{name}"] = "Header names must be HTTP tokens."
        elif not isinstance(header_value, str) or _CONTROL.search(header_value):
            errors[f"{path}.{name}"] = "Header values must be strings without control characters."
    return errors


def check_capabilities(value: Any, path: str) -> Errors:
    if not isinstance(value, dict):
        return {path: "Must be an object."}
    errors: Errors = {}
    for key, item in value.items():
        if key == "context_limit":
            if not (_is_int(item) and 4096 <= item <= INT32_MAX):
                errors[f"{path}.{key}"] = "Enter a whole number of tokens, at least 4096."
        elif key in _BOOLEAN_CAPABILITIES:
            errors |= check_boolean(item, f"{path}.{key}")
        else:
            errors[f"{path}.{key}"] = "Unknown capability."
    return errors


def check_auth(value: Any, path: str, allowed: tuple[str, ...]) -> Errors:
    """One auth variant, as the LLM type's discriminator allows; secrets must not be masked."""
    if not isinstance(value, dict):
        return {path: "Must be an object."}
    auth_type = value.get("type")
    if auth_type is None:
        return {f"{path}.type": "This field is required."}
    if not isinstance(auth_type, str) or auth_type not in allowed:
        return {f"{path}.type": f"Use one of: {', '.join(allowed)}."}
    required, optional = AUTH_SHAPES[auth_type]
    errors = _unknown_fields(value, {"type", *required, *optional}, path)
    for key in required:
        field_path = f"{path}.{key}"
        if key not in value:
            errors[field_path] = "This field is required."
        elif key in SECRET_FIELDS and value[key] == MASK:
            # A client echoing a masked GET answer back would overwrite the real secret.
            errors[field_path] = f"Send the real secret, not the masked {MASK}."
        else:
            errors |= _string(1)(value[key], field_path)
    if "token_endpoint" in value and f"{path}.token_endpoint" not in errors:
        errors |= check_uri(value["token_endpoint"], f"{path}.token_endpoint")
    scopes = value.get("scopes", []) if "scopes" in optional else []
    if not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        errors[f"{path}.scopes"] = "Must be a list of strings."
    return errors


# Every top-level field except `auth`, whose check depends on the LLM type.
FIELD_CHECKS: dict[str, Check] = {
    "type": check_type,
    "name": _string(1, 255),
    "description": _string(0, 1000),
    "model": _string(1),
    "uri": check_uri,
    "headers": check_headers,
    "idle_timeout_seconds": check_idle_timeout,
    "test_model_parameters": check_object,
    "capabilities": check_capabilities,
    "enabled": check_boolean,
}
CREATE_FIELDS = frozenset(FIELD_CHECKS.keys() - {"enabled"} | {"auth"})
UPDATE_FIELDS = frozenset(FIELD_CHECKS.keys() - {"name"} | {"auth"})
IMMUTABLE = {
    "name": "The name of an LLM can't be changed.",
    "id": "The ID of an LLM can't be changed.",
}


# --- whole requests --------------------------------------------------------------------------


def _unknown_fields(
    body: Mapping[str, Any], allowed: frozenset[str] | set[str], path: str = ""
) -> Errors:
    prefix = f"{path}." if path else ""
    return {f"{prefix}{key}": "Unknown field." for key in body if key not in allowed}


def _merge(errors: Errors, more: Errors) -> Errors:
    for key, message in more.items():
        errors.setdefault(key, message)  # the first problem found with a field is the one shown
    return errors


def _check_fields(body: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    for key, check in FIELD_CHECKS.items():
        if key in body:
            _merge(errors, check(body[key], key))
    return errors


def _llm_type(value: Any) -> LLMType | None:
    return LLM_TYPES.get(value) if isinstance(value, str) else None


def validate_create(body: Mapping[str, Any]) -> Errors:
    errors = _merge(_unknown_fields(body, CREATE_FIELDS), _check_fields(body))
    spec = _llm_type(body.get("type"))
    required = ["type", "name", "model"]
    required += ["uri"] if spec and spec.uri_required else []
    required += ["auth"] if spec and spec.auth_required else []
    _merge(errors, {key: "This field is required." for key in required if key not in body})
    if spec and "auth" in body:
        _merge(errors, check_auth(body["auth"], "auth", spec.auth_types))
    return errors


def validate_update(body: Mapping[str, Any], stored: Mapping[str, Any]) -> Errors:
    errors = {key: message for key, message in IMMUTABLE.items() if key in body}
    _merge(errors, _unknown_fields(body, UPDATE_FIELDS | IMMUTABLE.keys()))
    _merge(errors, _check_fields(body))
    new_type = body.get("type", stored["type"])
    spec = _llm_type(new_type)
    if spec is None:
        return errors  # already reported by check_type
    if new_type != stored["type"]:
        # The stored auth and uri belong to the old provider; reusing them would be wrong.
        if "auth" not in body:
            errors.setdefault("auth", f"Changing the type to {new_type} needs an auth for it.")
        if spec.uri_required and "uri" not in body:
            errors.setdefault("uri", f"Changing the type to {new_type} needs a uri for it.")
    if "auth" in body:
        _merge(errors, check_auth(body["auth"], "auth", spec.auth_types))
    return errors


# --- records ---------------------------------------------------------------------------------


def infer_capabilities(llm_type: str, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """LLMCapabilities: inferred from the provider when not given; given keys win."""
    spec = LLM_TYPES[llm_type]
    inferred = {
        "image_support": False,
        "context_limit": spec.context_limit,
        "tool_calling": True,
        "structured_outputs": False,
        "requires_role_alternation": spec.role_alternation,
    }
    return inferred | dict(given or {})


def build_record(body: Mapping[str, Any]) -> dict[str, Any]:
    """A stored customer LLM from a valid CreateLLMRequest (secrets unmasked; no id yet)."""
    body = copy.deepcopy(dict(body))
    spec = LLM_TYPES[body["type"]]
    record = {
        "name": body["name"],
        "description": body.get("description", ""),
        "type": body["type"],
        "model": body["model"],
        "uri": body.get("uri", spec.default_uri),
        "headers": body.get("headers", {}),
        "idle_timeout_seconds": body.get("idle_timeout_seconds"),
        "capabilities": infer_capabilities(body["type"], body.get("capabilities")),
        "enabled": True,
        "default": False,
        "ownership": "customer",
    }
    for optional in ("auth", "test_model_parameters"):
        if optional in body:
            record[optional] = body[optional]
    return record


def apply_update(stored: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The stored LLM after a valid UpdateLLMRequest: only the fields sent change."""
    record = copy.deepcopy(dict(stored))
    body = copy.deepcopy(dict(body))
    for key in UPDATE_FIELDS - {"capabilities"}:
        if key in body:
            record[key] = body[key]  # auth and headers are replaced whole, never merged
    if "capabilities" in body:
        record["capabilities"] = {**record.get("capabilities", {}), **body["capabilities"]}
    if body.get("type", stored["type"]) != stored["type"] and "uri" not in body:
        record["uri"] = LLM_TYPES[body["type"]].default_uri  # only reachable for anthropic
    return record


PUBLIC_FIELDS = (
    "id",
    "name",
    "description",
    "type",
    "model",
    "uri",
    "headers",
    "idle_timeout_seconds",
    "capabilities",
    "enabled",
    "default",
    "ownership",
)


def public_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's LLM: known fields only (no test_model_parameters), secrets masked."""
    view = {key: copy.deepcopy(record[key]) for key in PUBLIC_FIELDS if key in record}
    auth = record.get("auth")
    if isinstance(auth, dict):
        view["auth"] = {
            key: MASK if key in SECRET_FIELDS else copy.deepcopy(value)
            for key, value in auth.items()
        }
    return view
