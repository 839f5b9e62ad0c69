"""The Vectara emulator, exercised over real HTTP with `requests` (no mocks).

Answers are checked against the upstream contract (the repo's copy of
shared/vectara/llms-openapi.yaml, which tests/vectara/test_contract_copy.py keeps identical).
"""

from __future__ import annotations

import functools
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from base64 import urlsafe_b64encode
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
import requests
import yaml
from django.conf import settings
from jsonschema import Draft202012Validator

from llmadmin.vectara.emulator import (
    PLATFORM_LLMS,
    EmulatorStoreError,
    make_server,
    running_emulator,
)
from tests.support.contract import CONTRACT

API_KEY = "emulator-test-key-0123"
MASK = "****"
# Written out from the contract's LLM.auth description, not imported from the emulator.
SECRET_FIELDS = {
    "token",
    "value",
    "client_secret",
    "api_key",
    "key_json",
    "aws_secret_access_key",
    "access_token",
}
CONTRACT_PATH = CONTRACT
PLATFORM_IDS = [llm["id"] for llm in PLATFORM_LLMS]


def _openai(name: str = "my-gpt", **changes: Any) -> dict[str, Any]:
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
    "openai-compatible/bearer": _openai("oa-bearer"),
    "openai-compatible/header": _openai(
        "oa-header",
        uri="https://res.openai.azure.com/openai/deployments/d/chat/completions?api-version=1",
        auth={"type": "header", "header": "api-key", "value": "azure-secret-value-1"},
        headers={"x-extra": "1"},
    ),
    "openai-responses/oauth": _openai(
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


# --- helpers ---------------------------------------------------------------------------------


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


def _openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 keywords JSON Schema lacks: `nullable` becomes a null type, and a
    `discriminator` picks its mapped schema by the property's value. A plain oneOf can't stand
    in for it: a masked BedrockApiKeyAuth also satisfies VertexAiApiKeyAuth."""
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _openapi_to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    discriminator = node.pop("discriminator", None)
    if discriminator and "mapping" in discriminator:
        prop, mapping = discriminator["propertyName"], discriminator["mapping"]
        node.pop("oneOf", None)
        node["required"] = sorted({*node.get("required", []), prop})
        node["allOf"] = [
            *node.get("allOf", []),
            {"properties": {prop: {"enum": list(mapping)}}},
            *(
                {"if": {"properties": {prop: {"const": key}}}, "then": {"$ref": ref}}
                for key, ref in mapping.items()
            ),
        ]
    return node


@functools.cache
def _contract() -> dict[str, Any] | None:
    if not CONTRACT_PATH.exists():
        return None
    return yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator | None:
    contract = _contract()
    if contract is None:
        return None
    components = _openapi_to_json_schema(contract["components"])
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_matches_contract(schema_name: str, instance: Any) -> None:
    """Checks against the contract; a no-op without the file (test_contract_file reports it)."""
    validator = _validator(schema_name)
    if validator is not None:
        problems = [
            f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)
        ]
        assert not problems, f"{schema_name} doesn't match the contract: {problems}"


def _assert_error(response: requests.Response, status: int, schema: str = "Error") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["messages"] and all(isinstance(m, str) and m for m in body["messages"])
    assert re.fullmatch(r"req_[0-9a-f]+", body["request_id"])
    assert_matches_contract(schema, body)
    return body


def _assert_field_error(response: requests.Response, field: str) -> dict:
    body = _assert_error(response, 400, "BadRequestError")
    assert field in body["field_errors"], body
    assert isinstance(body["field_errors"][field], str) and body["field_errors"][field]
    return body


def _raw_exchange(base_url: str, request: bytes) -> bytes:
    """Send bytes on a fresh socket and read until the server closes it."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in keys}


@pytest.fixture
def emulator(tmp_path):
    with running_emulator(store_path=tmp_path / "store.json", api_key=API_KEY) as running:
        yield running


@pytest.fixture
def api(emulator):
    client = Api(emulator.base_url)
    yield client
    client.session.close()


# --- the contract file and the schema check ----------------------------------------------------


def test_contract_file_is_there_for_the_schema_checks():
    if _contract() is None:
        pytest.skip(f"{CONTRACT_PATH} is absent: answers are not checked against the contract")
    assert "/v2/llms" in _contract()["paths"]


def test_contract_schema_check_rejects_what_the_contract_rejects():
    if _validator("LLM") is None:
        pytest.skip(f"{CONTRACT_PATH} is absent")
    good = {"id": "llm_1", "name": "n", "type": "anthropic", "idle_timeout_seconds": None}
    assert_matches_contract("LLM", good)
    for bad in (
        {**good, "type": "bogus"},
        {**good, "id": "x_1"},
        {**good, "idle_timeout_seconds": 0},
        # Would pass a plain oneOf-less check: Bedrock API key auth needs its region.
        {**good, "auth": {"type": "bedrock_api_key", "api_key": MASK}},
    ):
        with pytest.raises(AssertionError):
            assert_matches_contract("LLM", bad)


def test_each_llm_type_takes_exactly_the_auth_variants_the_contract_maps(api, emulator):
    contract = _contract()
    if contract is None:
        pytest.skip(f"{CONTRACT_PATH} is absent")
    schemas = contract["components"]["schemas"]

    def auth_schema_of(create_schema: dict[str, Any]) -> dict[str, Any]:
        parts = [create_schema, *create_schema.get("allOf", [])]
        parts = [schemas[p["$ref"].split("/")[-1]] if "$ref" in p else p for p in parts]
        ref = next(
            p["properties"]["auth"]["$ref"] for p in parts if "auth" in p.get("properties", {})
        )
        return schemas[ref.split("/")[-1]]

    auth_bodies = {body["auth"]["type"]: body["auth"] for body in VALID_BODIES.values()}
    all_auth_types = set(auth_bodies)
    assert len(all_auth_types) == 9  # every variant of LLMAuth
    for llm_type, ref in schemas["CreateLLMRequest"]["discriminator"]["mapping"].items():
        mapping = auth_schema_of(schemas[ref.split("/")[-1]])["discriminator"]["mapping"]
        for auth_type in sorted(all_auth_types):
            body = _openai(f"{llm_type}-{auth_type}", type=llm_type, auth=auth_bodies[auth_type])
            response = api("POST", "/v2/llms", json=body)
            if auth_type in mapping:
                assert response.status_code == 201, (llm_type, auth_type, response.text)
                required = schemas[mapping[auth_type].split("/")[-1]]["required"]
                for field in set(required) - {"type"}:
                    partial = {**body, "name": body["name"] + "-partial"}
                    partial["auth"] = _without(body["auth"], field)
                    _assert_field_error(api("POST", "/v2/llms", json=partial), f"auth.{field}")
            else:
                _assert_field_error(response, "auth.type")


# --- create ------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VALID_BODIES))
def test_create_answers_201_with_the_llm_and_masked_auth(api, emulator, variant):
    body = {**VALID_BODIES[variant], "test_model_parameters": {"max_tokens": 16}}
    response = api("POST", "/v2/llms", json=body)

    assert response.status_code == 201, response.text
    llm = response.json()
    assert_matches_contract("LLM", llm)
    assert re.fullmatch(r"llm_\w+", llm["id"])
    assert (llm["name"], llm["type"], llm["model"]) == (body["name"], body["type"], body["model"])
    assert (llm["ownership"], llm["enabled"], llm["default"]) == ("customer", True, False)
    expected_auth = {k: MASK if k in SECRET_FIELDS else v for k, v in body["auth"].items()}
    assert llm["auth"] == expected_auth
    assert "test_model_parameters" not in llm
    assert not [secret for secret in ALL_SECRETS if secret in response.text]

    stored = emulator.store.get(llm["id"])
    assert stored["auth"] == body["auth"] != llm["auth"]  # the real secret was kept, not shown
    assert stored["test_model_parameters"] == {"max_tokens": 16}


def test_create_fills_the_contract_defaults(api):
    llm = api.create(_without(VALID_BODIES["anthropic/header"], "headers"))

    assert llm["uri"] == "https://api.anthropic.com/v1/messages"
    assert (llm["description"], llm["headers"], llm["idle_timeout_seconds"]) == ("", {}, None)
    assert llm["capabilities"]["context_limit"] >= 4096
    assert all(isinstance(llm["capabilities"][k], bool) for k in ("image_support", "tool_calling"))


def test_create_keeps_what_was_given(api):
    body = _openai(
        description="For the support team",
        headers={"x-team": "support"},
        idle_timeout_seconds=300,
        capabilities={"context_limit": 8192, "image_support": True},
    )
    llm = api.create(body)

    assert llm["description"] == "For the support team"
    assert llm["headers"] == {"x-team": "support"}
    assert llm["idle_timeout_seconds"] == 300
    assert llm["capabilities"]["context_limit"] == 8192
    assert llm["capabilities"]["image_support"] is True


def test_openai_llms_may_have_no_auth(api):
    # RemoteAuth is optional in OpenAILLMRequestBase (self-hosted models).
    llm = api.create(_without(_openai(), "auth"))
    assert "auth" not in llm


@pytest.mark.parametrize(
    "body",
    [
        _openai(name="n" * 255),
        _openai(description="d" * 1000),
        _openai(idle_timeout_seconds=1),
        _openai(idle_timeout_seconds=3600),
        _openai(idle_timeout_seconds=None),
        _openai(capabilities={"context_limit": 4096}),
        _openai(uri="http://10.0.0.5:8000/v1/chat/completions"),
    ],
    ids=[
        "name-255",
        "description-1000",
        "idle-1",
        "idle-3600",
        "idle-null",
        "context-4096",
        "http",
    ],
)
def test_create_accepts_values_at_the_limits(api, body):
    assert api("POST", "/v2/llms", json=body).status_code == 201


VERTEX = VALID_BODIES["vertex-ai/api_key"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_without(_openai(), "name"), "name"),
        (_openai(name=""), "name"),
        (_openai(name="n" * 256), "name"),
        (_openai(name=42), "name"),
        (_openai(description="d" * 1001), "description"),
        (_openai(description=None), "description"),
        (_without(_openai(), "type"), "type"),
        (_openai(type="gpt"), "type"),
        (_without(_openai(), "model"), "model"),
        (_openai(model=""), "model"),
        (_without(_openai(), "uri"), "uri"),
        (_without(VERTEX, "uri"), "uri"),
        (_openai(uri="api.openai.com/v1/chat/completions"), "uri"),
        (_openai(uri="ftp://files.example.com/model"), "uri"),
        (_without(VERTEX, "auth"), "auth"),
        (_openai(auth="sk-plain-string"), "auth"),
        (_openai(auth={"token": "t"}), "auth.type"),
        (_openai(auth={"type": "api_key", "api_key": "k"}), "auth.type"),
        ({**VERTEX, "auth": {"type": "bearer", "token": "t"}}, "auth.type"),
        (_openai(auth={"type": "bearer"}), "auth.token"),
        (_openai(auth={"type": "bearer", "token": ""}), "auth.token"),
        (_openai(auth={"type": "bearer", "token": 7}), "auth.token"),
        (_openai(auth={"type": "bearer", "token": MASK}), "auth.token"),
        (_openai(auth={"type": "bearer", "token": "t", "value": "v"}), "auth.value"),
        (_openai(auth={"type": "header", "value": "v"}), "auth.header"),
        (
            _openai(
                auth={**VALID_BODIES["openai-responses/oauth"]["auth"], "token_endpoint": "/t"}
            ),
            "auth.token_endpoint",
        ),
        (_openai(idle_timeout_seconds=0), "idle_timeout_seconds"),
        (_openai(idle_timeout_seconds=3601), "idle_timeout_seconds"),
        (_openai(idle_timeout_seconds="30"), "idle_timeout_seconds"),
        (_openai(idle_timeout_seconds=True), "idle_timeout_seconds"),
        (_openai(idle_timeout_seconds=1.5), "idle_timeout_seconds"),
        (_openai(headers=["x-a: 1"]), "headers"),
        (_openai(headers={"x-count": 1}), "headers.x-count"),
        (_openai(headers={"x-evil": "a\r\nInjected: 1"}), "headers.x-evil"),
        (_openai(capabilities={"context_limit": 1024}), "capabilities.context_limit"),
        (_openai(capabilities={"image_support": "yes"}), "capabilities.image_support"),
        (_openai(capabilities={"vision": True}), "capabilities.vision"),
        (_openai(test_model_parameters=["max_tokens"]), "test_model_parameters"),
        (_openai(temperature=0.2), "temperature"),
        (_openai(enabled=False), "enabled"),  # not part of CreateLLMRequest
        (_openai(ownership="platform"), "ownership"),
    ],
)
def test_create_rejects_invalid_fields_with_field_errors(api, emulator, body, field):
    _assert_field_error(api("POST", "/v2/llms", json=body), field)
    assert emulator.store.all() == []


def test_field_errors_never_echo_a_secret(api):
    body = _openai(auth={"type": "bearer", "token": "sk-echo-me-not", "extra": "sk-nor-me"})
    response = api("POST", "/v2/llms", json=body)
    _assert_field_error(response, "auth.extra")
    assert "sk-echo-me-not" not in response.text and "sk-nor-me" not in response.text


def test_a_customer_name_can_only_be_used_once(api, emulator):
    api.create(_openai("shared-name"))
    response = api(
        "POST", "/v2/llms", json=VALID_BODIES["anthropic/header"] | {"name": "shared-name"}
    )

    body = _assert_error(response, 409)
    assert "shared-name" in body["messages"][0]
    assert [llm["type"] for llm in emulator.store.all()] == ["openai-compatible"]


def test_concurrent_creates_of_one_name_make_one_llm(api, emulator):
    def create(_: int) -> int:
        return requests.post(
            f"{emulator.base_url}/v2/llms",
            json=_openai("raced"),
            headers={"x-api-key": API_KEY},
            timeout=10,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(create, range(8)))

    assert statuses == [201] + [409] * 7
    assert len(emulator.store.all()) == 1


def test_a_platform_name_may_be_overridden(api):
    llm = api.create(_openai("gpt-4o"))

    assert api("GET", "/v2/llms/gpt-4o").json()["id"] == llm["id"]  # the override wins by name
    assert api("GET", f"/v2/llms/{PLATFORM_IDS[1]}").json()["ownership"] == "platform"


# --- API key -----------------------------------------------------------------------------------


@pytest.mark.parametrize("api_key", [None, "wrong-key", ""], ids=["missing", "wrong", "empty"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/v2/llms", None), ("POST", "/v2/llms", _openai()), ("DELETE", "/v2/llms/x", None)],
)
def test_requests_without_the_right_api_key_get_401(emulator, api_key, method, path, body):
    client = Api(emulator.base_url, api_key=api_key)
    _assert_error(client(method, path, json=body), 401)
    assert emulator.store.all() == []


def test_without_a_configured_key_no_key_is_needed():
    with running_emulator() as open_emulator:
        assert requests.get(f"{open_emulator.base_url}/v2/llms", timeout=10).status_code == 200


# --- list --------------------------------------------------------------------------------------


def test_paging_collects_every_llm_exactly_once_in_a_stable_order(api):
    created = [api.create(_openai(f"bulk-{n:02}"))["id"] for n in range(25)]

    pages = api.walk(limit=10)

    assert [len(page) for page in pages] == [10, 10, 8]
    assert [llm["id"] for page in pages for llm in page] == PLATFORM_IDS + created


def test_the_default_page_holds_ten(api):
    for n in range(12):
        api.create(_openai(f"llm-{n}"))
    body = api("GET", "/v2/llms").json()
    assert len(body["llms"]) == 10 and body["metadata"]["page_key"]


def test_the_last_page_has_no_page_key(api):
    body = api("GET", "/v2/llms", params={"limit": 100}).json()
    assert [llm["id"] for llm in body["llms"]] == PLATFORM_IDS
    assert "page_key" not in body["metadata"]


def test_list_answers_masked_llms(api):
    for body in VALID_BODIES.values():
        api.create(body)
    response = api("GET", "/v2/llms", params={"limit": 100})

    assert len(response.json()["llms"]) == len(PLATFORM_IDS) + len(VALID_BODIES)
    assert not [secret for secret in ALL_SECRETS if secret in response.text]


def test_filter_is_a_regular_expression_over_names_and_descriptions(api):
    api.create(_openai("team-a-gpt"))
    api.create(_openai("team-a-claude"))
    api.create(_openai("team-b-gemini", description="Used by billing"))
    api.create(_openai("other", description="not for team-a"))

    def names(pattern: str) -> list[str]:
        return [llm["name"] for page in api.walk(filter=pattern) for llm in page]

    assert names("^team-a-") == ["team-a-gpt", "team-a-claude"]
    assert names("billing") == ["team-b-gemini"]
    assert names("team-a") == ["team-a-gpt", "team-a-claude", "other"]
    assert names("^nothing-matches$") == []


def test_filtered_paging_keeps_the_filter(api):
    for n in range(5):
        api.create(_openai(f"kept-{n}"))
        api.create(_openai(f"dropped-{n}"))

    pages = api.walk(filter="^kept-", limit=2)
    assert [llm["name"] for page in pages for llm in page] == [f"kept-{n}" for n in range(5)]

    first = api("GET", "/v2/llms", params={"filter": "^kept-", "limit": 2}).json()
    # A page_key only continues the listing it came from.
    response = api(
        "GET", "/v2/llms", params={"limit": 2, "page_key": first["metadata"]["page_key"]}
    )
    _assert_field_error(response, "page_key")


def _page_key(data: Any) -> str:
    return urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "9" * 5000}, "limit"),
        ({"page_key": "not-a-page-key"}, "page_key"),
        ({"page_key": _page_key({"offset": -1, "filter": ""})}, "page_key"),
        ({"page_key": _page_key(["offset", 3])}, "page_key"),
        ({"page_key": urlsafe_b64encode(b"[" * 20_000).decode()}, "page_key"),
        ({"filter": "(unclosed"}, "filter"),
    ],
)
def test_invalid_list_parameters_get_400(api, params, field):
    _assert_field_error(api("GET", "/v2/llms", params=params), field)


# --- get ---------------------------------------------------------------------------------------


def test_get_finds_an_llm_by_id_and_by_name(api):
    created = api.create(_openai("Claude 3.7 Sonnet/EU"))

    by_id = api("GET", f"/v2/llms/{created['id']}")
    by_name = api("GET", "/v2/llms/" + quote("Claude 3.7 Sonnet/EU", safe=""))

    assert by_id.status_code == by_name.status_code == 200
    assert by_id.json() == by_name.json() == created
    assert_matches_contract("LLM", by_id.json())


def test_get_answers_platform_llms(api):
    llm = api("GET", "/v2/llms/mockingbird-2.0").json()
    assert_matches_contract("LLM", llm)
    assert (llm["id"], llm["ownership"], llm["enabled"]) == (PLATFORM_IDS[0], "platform", True)
    assert "auth" not in llm


def test_get_unknown_llm_is_404_with_its_id(api):
    body = _assert_error(api("GET", "/v2/llms/llm_404"), 404, "NotFoundError")
    assert body["id"] == "llm_404"


# --- update ------------------------------------------------------------------------------------


@pytest.fixture
def full_llm(api) -> dict[str, Any]:
    return api.create(
        _openai(
            "full",
            description="before",
            headers={"x-team": "a"},
            idle_timeout_seconds=300,
            capabilities={"context_limit": 8192},
        )
    )


@pytest.mark.parametrize(
    "change",
    [
        {"description": "after"},
        {"model": "gpt-5-mini"},
        {"uri": "https://gateway.example.com/v1/chat/completions"},
        {"headers": {"x-team": "b"}},
        {"idle_timeout_seconds": 60},
        {"enabled": False},
    ],
)
def test_patch_changes_only_the_fields_sent(api, emulator, full_llm, change):
    response = api("PATCH", f"/v2/llms/{full_llm['id']}", json=change)

    assert response.status_code == 200, response.text
    assert_matches_contract("LLM", response.json())
    assert response.json() == full_llm | change
    assert api("GET", f"/v2/llms/{full_llm['id']}").json() == full_llm | change
    assert emulator.store.get("full")["auth"]["token"] == "sk-secret-full"


def test_patch_merges_capabilities(api, full_llm):
    response = api("PATCH", "/v2/llms/full", json={"capabilities": {"image_support": True}})
    capabilities = response.json()["capabilities"]
    assert (capabilities["image_support"], capabilities["context_limit"]) == (True, 8192)


def test_patch_toggles_enabled(api, full_llm):
    assert api("PATCH", "/v2/llms/full", json={"enabled": False}).json()["enabled"] is False
    assert api("GET", "/v2/llms/full").json()["enabled"] is False
    assert api("PATCH", "/v2/llms/full", json={"enabled": True}).json()["enabled"] is True


def test_patch_null_idle_timeout_clears_it_and_omitting_it_keeps_it(api, full_llm):
    assert (
        api("PATCH", "/v2/llms/full", json={"description": "x"}).json()["idle_timeout_seconds"]
        == 300
    )
    cleared = api("PATCH", "/v2/llms/full", json={"idle_timeout_seconds": None})
    assert cleared.json()["idle_timeout_seconds"] is None


def test_patch_replaces_auth_whole(api, emulator, full_llm):
    new_auth = {"type": "header", "header": "api-key", "value": "rotated-secret"}
    response = api("PATCH", "/v2/llms/full", json={"auth": new_auth})

    assert response.json()["auth"] == {"type": "header", "header": "api-key", "value": MASK}
    assert emulator.store.get("full")["auth"] == new_auth  # no token left over from bearer
    assert "rotated-secret" not in response.text


def test_patch_can_change_type_with_a_new_auth_and_uri(api, emulator, full_llm):
    change = {k: VERTEX[k] for k in ("type", "uri", "auth", "model")}
    response = api("PATCH", "/v2/llms/full", json=change)

    assert response.status_code == 200, response.text
    assert response.json()["type"] == "vertex-ai"
    assert response.json()["auth"] == {"type": "api_key", "api_key": MASK}
    assert emulator.store.get("full")["auth"] == VERTEX["auth"]


def test_patch_to_anthropic_without_uri_takes_its_default(api, full_llm):
    auth = VALID_BODIES["anthropic/bedrock_api_key"]["auth"]
    response = api("PATCH", "/v2/llms/full", json={"type": "anthropic", "auth": auth})
    assert response.json()["uri"] == "https://api.anthropic.com/v1/messages"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "renamed"}, "name"),
        ({"name": "full"}, "name"),
        ({"id": "llm_1"}, "id"),
        ({"auth": {"type": "bearer", "token": MASK}}, "auth.token"),
        ({"auth": {"type": "header", "header": "api-key", "value": MASK}}, "auth.value"),
        ({"auth": {"type": "api_key", "api_key": "k"}}, "auth.type"),
        ({"auth": {"type": "bearer"}}, "auth.token"),
        ({"type": "vertex-ai"}, "auth"),
        ({"type": "vertex-ai", "auth": VERTEX["auth"]}, "uri"),
        (
            {"type": "vertex-ai", "uri": VERTEX["uri"], "auth": {"type": "bearer", "token": "t"}},
            "auth.type",
        ),
        ({"type": "nope"}, "type"),
        ({"idle_timeout_seconds": 0}, "idle_timeout_seconds"),
        ({"enabled": "no"}, "enabled"),
        ({"description": "d" * 1001}, "description"),
        ({"model": ""}, "model"),
        ({"uri": "not a uri"}, "uri"),
        ({"ownership": "customer"}, "ownership"),
        ({"default": True}, "default"),
    ],
)
def test_patch_rejects_invalid_changes_and_changes_nothing(api, emulator, full_llm, change, field):
    before = emulator.store.get("full")
    _assert_field_error(api("PATCH", "/v2/llms/full", json=change), field)
    assert emulator.store.get("full") == before


def test_patch_unknown_llm_is_404(api):
    body = _assert_error(
        api("PATCH", "/v2/llms/llm_9", json={"description": "x"}), 404, "NotFoundError"
    )
    assert body["id"] == "llm_9"


@pytest.mark.parametrize("key", [PLATFORM_IDS[2], "claude-3-7-sonnet"])
def test_platform_llms_cannot_be_updated_or_deleted(api, key):
    _assert_error(api("PATCH", f"/v2/llms/{key}", json={"description": "mine now"}), 403)
    _assert_error(api("DELETE", f"/v2/llms/{key}"), 403)

    llm = api("GET", f"/v2/llms/{key}").json()
    assert llm["description"] != "mine now" and llm["ownership"] == "platform"


# --- delete ------------------------------------------------------------------------------------


def test_delete_answers_204_then_the_llm_is_gone(api, emulator):
    llm = api.create(_openai("doomed"))

    response = api("DELETE", f"/v2/llms/{llm['id']}")

    assert response.status_code == 204 and response.content == b""
    _assert_error(api("GET", f"/v2/llms/{llm['id']}"), 404, "NotFoundError")
    _assert_error(api("DELETE", f"/v2/llms/{llm['id']}"), 404, "NotFoundError")
    assert emulator.store.all() == []


def test_delete_by_name(api, emulator):
    api.create(_openai("by-name"))
    assert api("DELETE", "/v2/llms/by-name").status_code == 204
    assert emulator.store.all() == []


# --- store: persistence and seeding -------------------------------------------------------------


def test_llms_survive_a_restart_with_the_same_store(tmp_path):
    store_path = tmp_path / "persisted.json"
    with running_emulator(store_path=store_path, api_key=API_KEY) as first:
        created = Api(first.base_url).create(VALID_BODIES["anthropic/bedrock_static_iam"])

    assert store_path.stat().st_mode & 0o077 == 0  # it holds secrets: owner only

    with running_emulator(store_path=store_path, api_key=API_KEY) as second:
        client = Api(second.base_url)
        assert client("GET", f"/v2/llms/{created['id']}").json() == created
        assert (
            second.store.get(created["id"])["auth"]
            == VALID_BODIES["anthropic/bedrock_static_iam"]["auth"]
        )
        assert client.create(_openai("after-restart"))["id"] != created["id"]


def test_without_a_store_path_state_lives_in_memory(tmp_path):
    with running_emulator(api_key=API_KEY) as first:
        created = Api(first.base_url).create(_openai())
    with running_emulator(api_key=API_KEY) as second:
        assert Api(second.base_url)("GET", f"/v2/llms/{created['id']}").status_code == 404
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_store_file_is_refused_not_overwritten(tmp_path):
    store_path = tmp_path / "corrupt.json"
    store_path.write_text("{not json", encoding="utf-8")

    with pytest.raises(EmulatorStoreError):
        make_server(store_path=store_path)
    assert store_path.read_text(encoding="utf-8") == "{not json"


def test_seeded_llms_are_served_like_created_ones(api, emulator):
    seeded = emulator.store.put(
        {
            "name": "made-outside",
            "type": "anthropic",
            "model": "claude-x",
            "auth": {"type": "bearer", "token": "seed-secret"},
        }
    )

    llm = api("GET", "/v2/llms/made-outside").json()
    assert_matches_contract("LLM", llm)
    assert (llm["id"], llm["ownership"], llm["auth"]["token"]) == (seeded["id"], "customer", MASK)
    _assert_error(api("POST", "/v2/llms", json=_openai("made-outside")), 409)
    assert api.create(_openai("next"))["id"] != seeded["id"]


def test_clear_forgets_customer_llms_only(api, emulator):
    api.create(_openai())
    emulator.store.clear()
    assert [llm["id"] for page in api.walk(limit=100) for llm in page] == PLATFORM_IDS


# --- HTTP robustness -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"{not json", b"\xff\xfe{}", b"[1, 2]", b'"a string"', b"", b'{"name": NaN}'],
    ids=["not-json", "not-utf8", "array", "string", "empty", "nan"],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_body_that_is_not_a_json_object_gets_400_json(api, full_llm, method, data):
    path = "/v2/llms" if method == "POST" else "/v2/llms/full"
    response = api(method, path, data=data, headers={"Content-Type": "application/json"})
    _assert_error(response, 400)
    assert api("GET", "/v2/llms").status_code == 200  # the same connection still works


def test_a_body_not_sent_as_json_gets_415(api):
    response = api(
        "POST", "/v2/llms", data=json.dumps(_openai()), headers={"Content-Type": "text/plain"}
    )
    _assert_error(response, 415)


def test_a_huge_body_gets_413_without_being_read(emulator):
    request = (
        b"POST /v2/llms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"x-api-key: {API_KEY}\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
    )
    answer = _raw_exchange(emulator.base_url, request)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["messages"]
    assert requests.get(
        f"{emulator.base_url}/v2/llms", headers={"x-api-key": API_KEY}, timeout=10
    ).ok


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (b"POST /v2/llms HTTP/1.1\r\nContent-Length: lots\r\n\r\n", b"400"),
        (b"POST /v2/llms HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
        (b"BREW /v2/llms HTTP/1.1\r\n\r\n", b"501"),
    ],
)
def test_malformed_http_gets_a_json_answer(emulator, request_head, status):
    head, _, body = _raw_exchange(emulator.base_url, request_head).partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["messages"]


def test_an_unparseable_request_line_gets_json_not_html(emulator):
    # http.server answers these HTTP/0.9 style: no status line, just the body.
    answer = _raw_exchange(emulator.base_url, b"GARBAGE\r\n\r\n")
    assert json.loads(answer)["messages"] == ["Bad Request"]


def test_unknown_paths_get_404_json(api):
    _assert_error(api("GET", "/v2/corpora"), 404)
    _assert_error(api("GET", "/v2/llms/a/b"), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("PUT", "/v2/llms/x", "GET, PATCH, DELETE"), ("DELETE", "/v2/llms", "GET, POST")],
)
def test_wrong_methods_get_405_json(api, method, path, allow):
    response = api(method, path)
    _assert_error(response, 405)
    assert response.headers["Allow"] == allow


def test_answers_are_compact_json_with_a_content_length(api):
    response = api("POST", "/v2/llms", json=_openai())
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == str(len(response.content))
    assert response.content == json.dumps(response.json(), separators=(",", ":")).encode()


def test_every_request_is_recorded_as_sent(api, emulator):
    body = VALID_BODIES["openai-compatible/header"]
    api("POST", "/v2/llms", json=body, params={"trace": "1"}, headers={"X-Trace-Id": "abc"})
    Api(emulator.base_url, api_key=None)("GET", "/v2/llms")

    posted, unauthorised = emulator.requests
    assert (posted.method, posted.path, posted.query, posted.json) == (
        "POST",
        "/v2/llms",
        {"trace": "1"},
        body,
    )
    assert posted.headers["x-api-key"] == API_KEY and posted.headers["x-trace-id"] == "abc"
    assert (unauthorised.method, unauthorised.json) == ("GET", None)
    assert "x-api-key" not in unauthorised.headers


def test_the_access_log_is_quiet_unless_verbose_and_never_holds_secrets(capfd):
    body = _openai("logged")
    for verbose in (False, True):
        with running_emulator(api_key=API_KEY, verbose=verbose) as running:
            Api(running.base_url).create(body)
            Api(running.base_url)("GET", "/v2/llms", params={"filter": "logged"})
        err = capfd.readouterr().err
        if verbose:
            assert err.splitlines() == ["POST /v2/llms 201", "GET /v2/llms 200"]
        else:
            assert err == ""
        assert body["auth"]["token"] not in err and API_KEY not in err


# --- the management command ------------------------------------------------------------


def _command(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.Popen(  # noqa: S603 - a fixed argv: this interpreter, manage.py, our args
        [sys.executable, "manage.py", "vectara_emulator", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_line(stream: Any, timeout: float = 30) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


def test_the_command_serves_until_sigterm_then_exits_0(tmp_path):
    store_path = tmp_path / "command-store.json"
    process = _command("--port", "0", "--store", str(store_path), "--verbose")
    try:
        line = _first_line(process.stdout)
        match = re.fullmatch(
            r"Vectara emulator listening on (http://127\.0\.0\.1:\d+) \(store: (.+)\)\n", line
        )
        assert match, line
        base_url, shown_store = match.groups()
        assert shown_store == str(store_path)

        # The key defaults to the VECTARA_API_KEY setting.
        assert requests.get(f"{base_url}/v2/llms", timeout=10).status_code == 401
        client = Api(base_url, api_key=settings.VECTARA_API_KEY)
        created = client.create(_openai("from-command"))

        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, err
    assert "POST /v2/llms 201" in err
    assert "sk-secret-from-command" not in out + err and settings.VECTARA_API_KEY not in out + err
    assert [llm["id"] for llm in json.loads(store_path.read_text())["llms"]] == [created["id"]]


def test_the_command_refuses_a_corrupt_store(tmp_path):
    store_path = tmp_path / "corrupt.json"
    store_path.write_text("[]", encoding="utf-8")
    process = _command("--port", "0", "--store", str(store_path))
    out, err = process.communicate(timeout=30)

    assert process.returncode != 0
    assert "not an emulator store" in err and "listening" not in out


def test_make_server_binds_a_free_port_and_serves_in_a_thread():
    server = make_server(api_key=None)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert port > 0 and server.daemon_threads
        assert requests.get(f"http://127.0.0.1:{port}/v2/llms", timeout=10).status_code == 200
    finally:
        server.shutdown()
        server.server_close()


def test_store_copies_do_not_leak_into_the_emulator(api, emulator):
    llm = api.create(_openai())
    snapshot = emulator.store.get(llm["id"])
    snapshot["auth"]["token"] = "tampered"
    emulator.store.all()[0]["name"] = "tampered"
    stored = emulator.store.get(llm["id"])
    assert (stored["name"], stored["auth"]["token"]) == ("my-gpt", "sk-secret-my-gpt")
