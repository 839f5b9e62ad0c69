"""What the emulator tests share: valid bodies, a keep-alive client and the contract checks.

Answers are checked against the upstream contract (the repo's copy of
shared/vectara/llms-openapi.yaml, which tests/vectara/test_contract_copy.py keeps identical).
"""

from __future__ import annotations

import re
from typing import Any

import requests

from emulator import PLATFORM_LLMS
from llmadmin.vectara.contract import MASK as MASK  # re-exported for the emulator tests
from llmadmin.vectara.contract import SECRET_AUTH_FIELDS
from tests.support import contract

API_KEY = "emulator-test-key-0123"
# The dashboard's own list, not the emulator's: a test of the emulator's masking then also
# catches the two drifting apart.
SECRET_FIELDS = SECRET_AUTH_FIELDS
PLATFORM_IDS = [llm["id"] for llm in PLATFORM_LLMS]


def openai_body(name: str = "my-gpt", **changes: Any) -> dict[str, Any]:
    body = {
        "type": "openai-compatible",
        "name": name,
        "model": "gpt-5",
        "uri": "https://api.openai.com/v1/chat/completions",
        "auth": {"type": "bearer", "token": f"sk-secret-{name}"},
    }
    return body | changes


# One valid CreateLLMRequest per auth variant each LLM type takes; every secret is distinct.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "openai-compatible/bearer": openai_body("oa-bearer"),
    "openai-compatible/header": openai_body(
        "oa-header",
        uri="https://res.openai.azure.com/openai/deployments/d/chat/completions?api-version=1",
        auth={"type": "header", "header": "api-key", "value": "azure-secret-value-1"},
        headers={"x-extra": "1"},
    ),
    "openai-responses/oauth": openai_body(
        "oa-responses",
        type="openai-responses",
        model="o3-mini",
        auth={
            "type": "oauth_client_credentials",
            "client_id": "client-123",
            "client_secret": "oauth-client-secret-2",
            "token_endpoint": "https://auth.example.com/oauth2/token",
            "scopes": ["llm:invoke"],
        },
    ),
    "vertex-ai/api_key": {
        "type": "vertex-ai",
        "name": "gemini-key",
        "model": "gemini-2.5-flash",
        "uri": "https://generativelanguage.googleapis.com/v1beta",
        "auth": {"type": "api_key", "api_key": "google-api-key-secret-3"},
    },
    "vertex-ai/service_account": {
        "type": "vertex-ai",
        "name": "gemini-sa",
        "model": "gemini-2.5-pro",
        "uri": "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1",
        "auth": {"type": "service_account", "key_json": '{"private_key": "sa-secret-4"}'},
        "idle_timeout_seconds": 120,
    },
    "anthropic/header": {
        "type": "anthropic",
        "name": "claude-direct",
        "model": "claude-sonnet-4-5",
        "auth": {"type": "header", "header": "x-api-key", "value": "sk-ant-secret-5"},
        "headers": {"anthropic-version": "2023-06-01"},
    },
    "anthropic/bearer": {
        "type": "anthropic",
        "name": "claude-bearer",
        "model": "claude-sonnet-4-5",
        "uri": "https://proxy.example.com/v1/messages",
        "auth": {"type": "bearer", "token": "anthropic-bearer-secret-6"},
    },
    "anthropic/bedrock_static_iam": {
        "type": "anthropic",
        "name": "claude-bedrock-iam",
        "model": "anthropic.claude-3-5-sonnet",
        "auth": {
            "type": "bedrock_static_iam",
            "aws_access_key_id": "AKIAEXAMPLEKEYID",
            "aws_secret_access_key": "aws-secret-access-key-7",
            "region": "us-east-1",
        },
    },
    "anthropic/bedrock_api_key": {
        "type": "anthropic",
        "name": "claude-bedrock-key",
        "model": "anthropic.claude-3-5-sonnet",
        "auth": {
            "type": "bedrock_api_key",
            "api_key": "bedrock-api-key-secret-8",
            "region": "eu-west-1",
        },
    },
    "anthropic/vertex_service_account": {
        "type": "anthropic",
        "name": "claude-vertex-sa",
        "model": "claude-3-7-sonnet@20250219",
        "auth": {
            "type": "vertex_service_account",
            "key_json": '{"private_key": "vertex-sa-secret-9"}',
            "project": "my-project",
            "region": "us-east5",
        },
    },
    "anthropic/vertex_access_token": {
        "type": "anthropic",
        "name": "claude-vertex-token",
        "model": "claude-3-7-sonnet@20250219",
        "auth": {
            "type": "vertex_access_token",
            "access_token": "ya29.vertex-token-secret-10",
            "project": "my-project",
            "region": "us-east5",
        },
    },
}
ALL_SECRETS = [
    value
    for body in VALID_BODIES.values()
    for key, value in body["auth"].items()
    if key in SECRET_FIELDS
]


VERTEX = VALID_BODIES["vertex-ai/api_key"]


class Api:
    """A keep-alive client for one emulator, sending the API key unless told otherwise."""

    def __init__(self, base_url: str, api_key: str | None = API_KEY) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if api_key is not None:
            self.session.headers["x-api-key"] = api_key

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self("POST", "/v2/llms", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def walk(self, **params: Any) -> list[list[dict[str, Any]]]:
        """Every page of the list, following metadata.page_key."""
        pages = []
        while True:
            response = self("GET", "/v2/llms", params=params)
            assert response.status_code == 200, response.text
            assert_matches_contract("ListLLMsResponse", response.json())
            pages.append(response.json()["llms"])
            page_key = response.json()["metadata"].get("page_key")
            if page_key is None:
                return pages
            params = {**params, "page_key": page_key}


def assert_matches_contract(schema_name: str, instance: Any) -> None:
    found = contract.problems(schema_name, instance)
    assert not found, f"{schema_name} doesn't match the contract: {found}"


def assert_error(response: requests.Response, status: int, schema: str = "Error") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["messages"] and all(isinstance(m, str) and m for m in body["messages"])
    assert re.fullmatch(r"req_[0-9a-f]+", body["request_id"])
    assert_matches_contract(schema, body)
    return body


def assert_field_error(response: requests.Response, field: str) -> dict:
    body = assert_error(response, 400, "BadRequestError")
    assert field in body["field_errors"], body
    assert isinstance(body["field_errors"][field], str) and body["field_errors"][field]
    return body


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in keys}
