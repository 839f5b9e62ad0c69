"""Every LLM type and auth shape of the contract, as form fields and as the auth they make."""

from __future__ import annotations

import json
from typing import Any

from llmadmin.vectara.contract import AUTH_TYPES_BY_LLM_TYPE

SECRET = "sk-case-secret-0123456789abcdef"
SA_KEY = json.dumps(
    {
        "type": "service_account",
        "project_id": "my-project-123",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIB\n-----END PRIVATE KEY-----\n",
        "client_email": "llm@my-project-123.iam.gserviceaccount.com",
        "client_id": "123456789012345678901",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
)
URIS = {
    "openai-compatible": "https://api.openai.com/v1/chat/completions",
    "openai-responses": "https://api.openai.com/v1/responses",
    "vertex-ai": "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project-123/locations/us-central1",
    "anthropic": "https://api.anthropic.com/v1/messages",
}
DNS = {
    "us-central1-aiplatform.googleapis.com": ["142.250.1.95"],
    "auth.example.com": ["93.184.215.14"],
}
# form fields -> the auth object they must produce
AUTHS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "bearer": ({"token": SECRET}, {"token": SECRET}),
    "header": ({"header": "x-api-key", "value": SECRET}, {"header": "x-api-key", "value": SECRET}),
    "oauth_client_credentials": (
        {
            "client_id": "llmadmin",
            "client_secret": SECRET,
            "token_endpoint": "https://auth.example.com/oauth2/token",
            "scopes": "read:llm, write:llm",
        },
        {
            "client_id": "llmadmin",
            "client_secret": SECRET,
            "token_endpoint": "https://auth.example.com/oauth2/token",
            "scopes": ["read:llm", "write:llm"],
        },
    ),
    "api_key": ({"api_key": SECRET}, {"api_key": SECRET}),
    "service_account": ({"key_json": SA_KEY}, {"key_json": SA_KEY}),
    "bedrock_static_iam": (
        {
            "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key": SECRET,
            "region": "us-east-1",
        },
        {
            "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key": SECRET,
            "region": "us-east-1",
        },
    ),
    "bedrock_api_key": (
        {"api_key": SECRET, "region": "us-east-1"},
        {"api_key": SECRET, "region": "us-east-1"},
    ),
    "vertex_service_account": (
        {"key_json": SA_KEY, "project": "my-project-123", "region": "us-central1"},
        {"key_json": SA_KEY, "project": "my-project-123", "region": "us-central1"},
    ),
    "vertex_access_token": (
        {"access_token": SECRET, "project": "my-project-123", "region": "us-central1"},
        {"access_token": SECRET, "project": "my-project-123", "region": "us-central1"},
    ),
}
CASES = [(t, a) for t, auths in AUTH_TYPES_BY_LLM_TYPE.items() for a in auths]
CASE_IDS = [f"{t}:{a}" for t, a in CASES]


def form_fields(llm_type: str, auth_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": llm_type,
        "name": f"{llm_type}-{auth_type}".replace("_", "-"),
        "model": "model-x",
        "uri": URIS[llm_type],
        "auth_type": auth_type,
        **AUTHS[auth_type][0],
        **extra,
    }


def expected_auth(auth_type: str) -> dict[str, Any]:
    return {"type": auth_type, **AUTHS[auth_type][1]}
