"""The emulator's POST /v2/llms: what it keeps, masks, defaults, refuses, and name uniqueness."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.emulator.emulator_support import (
    ALL_SECRETS,
    API_KEY,
    MASK,
    PLATFORM_IDS,
    SECRET_FIELDS,
    VALID_BODIES,
    VERTEX,
    assert_error,
    assert_field_error,
    assert_matches_contract,
    openai_body,
    without,
)


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
    llm = api.create(without(VALID_BODIES["anthropic/header"], "headers"))

    assert llm["uri"] == "https://api.anthropic.com/v1/messages"
    assert (llm["description"], llm["headers"], llm["idle_timeout_seconds"]) == ("", {}, None)
    assert llm["capabilities"]["context_limit"] >= 4096
    assert all(isinstance(llm["capabilities"][k], bool) for k in ("image_support", "tool_calling"))


def test_create_keeps_what_was_given(api):
    body = openai_body(
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
    llm = api.create(without(openai_body(), "auth"))
    assert "auth" not in llm


@pytest.mark.parametrize(
    "body",
    [
        openai_body(name="n" * 255),
        openai_body(description="d" * 1000),
        openai_body(idle_timeout_seconds=1),
        openai_body(idle_timeout_seconds=3600),
        openai_body(idle_timeout_seconds=None),
        openai_body(capabilities={"context_limit": 4096}),
        openai_body(uri="http://10.0.0.5:8000/v1/chat/completions"),
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


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (without(openai_body(), "name"), "name"),
        (openai_body(name=""), "name"),
        (openai_body(name="n" * 256), "name"),
        (openai_body(name=42), "name"),
        (openai_body(description="d" * 1001), "description"),
        (openai_body(description=None), "description"),
        (without(openai_body(), "type"), "type"),
        (openai_body(type="gpt"), "type"),
        (without(openai_body(), "model"), "model"),
        (openai_body(model=""), "model"),
        (without(openai_body(), "uri"), "uri"),
        (without(VERTEX, "uri"), "uri"),
        (openai_body(uri="api.openai.com/v1/chat/completions"), "uri"),
        (openai_body(uri="ftp://files.example.com/model"), "uri"),
        (without(VERTEX, "auth"), "auth"),
        (openai_body(auth="sk-plain-string"), "auth"),
        (openai_body(auth={"token": "t"}), "auth.type"),
        (openai_body(auth={"type": "api_key", "api_key": "k"}), "auth.type"),
        ({**VERTEX, "auth": {"type": "bearer", "token": "t"}}, "auth.type"),
        (openai_body(auth={"type": "bearer"}), "auth.token"),
        (openai_body(auth={"type": "bearer", "token": ""}), "auth.token"),
        (openai_body(auth={"type": "bearer", "token": 7}), "auth.token"),
        (openai_body(auth={"type": "bearer", "token": MASK}), "auth.token"),
        (openai_body(auth={"type": "bearer", "token": "t", "value": "v"}), "auth.value"),
        (openai_body(auth={"type": "header", "value": "v"}), "auth.header"),
        (
            openai_body(
                auth={**VALID_BODIES["openai-responses/oauth"]["auth"], "token_endpoint": "/t"}
            ),
            "auth.token_endpoint",
        ),
        (openai_body(idle_timeout_seconds=0), "idle_timeout_seconds"),
        (openai_body(idle_timeout_seconds=3601), "idle_timeout_seconds"),
        (openai_body(idle_timeout_seconds="30"), "idle_timeout_seconds"),
        (openai_body(idle_timeout_seconds=True), "idle_timeout_seconds"),
        (openai_body(idle_timeout_seconds=1.5), "idle_timeout_seconds"),
        (openai_body(headers=["x-a: 1"]), "headers"),
        (openai_body(headers={"x-count": 1}), "headers.x-count"),
        (openai_body(headers={"x-evil": "a\r\nInjected: 1"}), "headers.x-evil"),
        (openai_body(capabilities={"context_limit": 1024}), "capabilities.context_limit"),
        (openai_body(capabilities={"image_support": "yes"}), "capabilities.image_support"),
        (openai_body(capabilities={"vision": True}), "capabilities.vision"),
        (openai_body(test_model_parameters=["max_tokens"]), "test_model_parameters"),
        (openai_body(temperature=0.2), "temperature"),
        (openai_body(enabled=False), "enabled"),  # not part of CreateLLMRequest
        (openai_body(ownership="platform"), "ownership"),
    ],
)
def test_create_rejects_invalid_fields_with_field_errors(api, emulator, body, field):
    assert_field_error(api("POST", "/v2/llms", json=body), field)
    assert emulator.store.all() == []


def test_field_errors_never_echo_a_secret(api):
    body = openai_body(auth={"type": "bearer", "token": "sk-echo-me-not", "extra": "sk-nor-me"})
    response = api("POST", "/v2/llms", json=body)
    assert_field_error(response, "auth.extra")
    assert "sk-echo-me-not" not in response.text and "sk-nor-me" not in response.text


def test_a_customer_name_can_only_be_used_once(api, emulator):
    api.create(openai_body("shared-name"))
    response = api(
        "POST", "/v2/llms", json=VALID_BODIES["anthropic/header"] | {"name": "shared-name"}
    )

    body = assert_error(response, 409)
    assert "shared-name" in body["messages"][0]
    assert [llm["type"] for llm in emulator.store.all()] == ["openai-compatible"]


def test_concurrent_creates_of_one_name_make_one_llm(api, emulator):
    def create(_: int) -> int:
        return requests.post(
            f"{emulator.base_url}/v2/llms",
            json=openai_body("raced"),
            headers={"x-api-key": API_KEY},
            timeout=10,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(create, range(8)))

    assert statuses == [201] + [409] * 7
    assert len(emulator.store.all()) == 1


def test_a_platform_name_may_be_overridden(api):
    llm = api.create(openai_body("gpt-4o"))

    assert api("GET", "/v2/llms/gpt-4o").json()["id"] == llm["id"]  # the override wins by name
    assert api("GET", f"/v2/llms/{PLATFORM_IDS[1]}").json()["ownership"] == "platform"
