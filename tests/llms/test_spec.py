from __future__ import annotations

import jsonschema
import pytest

from llmadmin.llms.spec import REDACTED, LLMChanges, LLMSpec, fingerprint
from tests.llms import cases
from tests.support import contract

TOKEN = "sk-canary-0123456789abcdef"


def bearer_spec(**overrides: object) -> LLMSpec:
    values: dict[str, object] = {
        "type": "openai-compatible",
        "name": "gpt-prod",
        "description": "Production GPT",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",
        "auth": {"type": "bearer", "token": TOKEN},
    }
    return LLMSpec(**{**values, **overrides})  # type: ignore[arg-type]


def header_spec() -> LLMSpec:
    return bearer_spec(
        name="azure-gpt4",
        uri="https://res.openai.azure.com/openai/deployments/gpt4/chat/completions?api-version=2024-02-15-preview",
        auth={"type": "header", "header": "api-key", "value": TOKEN},
        headers={"x-team": "platform"},
        test_model_parameters={"max_tokens": 16},
    )


@pytest.mark.parametrize("spec", [bearer_spec(), header_spec()], ids=["bearer", "header"])
def test_create_body_is_a_valid_create_llm_request(spec: LLMSpec) -> None:
    contract.validate("CreateLLMRequest", spec.create_body())


def test_bearer_body_is_exactly_what_the_contract_example_shows() -> None:
    assert bearer_spec().create_body() == {
        "type": "openai-compatible",
        "name": "gpt-prod",
        "description": "Production GPT",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",
        "auth": {"type": "bearer", "token": TOKEN},
    }


def test_header_body_carries_headers_and_test_parameters() -> None:
    body = header_spec().create_body()
    assert body["auth"] == {"type": "header", "header": "api-key", "value": TOKEN}
    assert body["headers"] == {"x-team": "platform"}
    assert body["test_model_parameters"] == {"max_tokens": 16}


def test_a_body_without_auth_secret_fails_the_contract() -> None:
    # The validator itself must be able to fail, or the tests above prove nothing.
    body = bearer_spec(auth={"type": "bearer"}).create_body()
    with pytest.raises(jsonschema.ValidationError):
        contract.validate("CreateLLMRequest", body)


@pytest.mark.parametrize("spec", [bearer_spec(), header_spec()], ids=["bearer", "header"])
def test_redacted_body_and_repr_hold_no_secret(spec: LLMSpec) -> None:
    assert TOKEN not in repr(spec.redacted_body())
    assert TOKEN not in repr(spec)
    assert REDACTED in spec.redacted_body()["auth"].values()


def test_auth_public_keeps_the_header_name_only() -> None:
    assert header_spec().auth_public() == {"type": "header", "header": "api-key"}
    assert bearer_spec().auth_public() == {"type": "bearer"}


def test_fingerprint_shows_last_four_of_a_long_secret_and_only_length_of_a_short_one() -> None:
    assert fingerprint(TOKEN) == "…cdef"
    assert fingerprint("short-key") == "9 characters"
    assert bearer_spec().auth_fingerprint() == "…cdef"


def test_a_service_account_key_is_fingerprinted_by_its_key_id() -> None:
    spec = bearer_spec(type="vertex-ai", auth={"type": "service_account", "key_json": cases.SA_KEY})
    assert spec.auth_fingerprint() == "key id …01234567"
    assert spec.auth_public() == {"type": "service_account"}


def test_optional_parts_are_sent_only_when_given() -> None:
    body = bearer_spec(
        type="anthropic",
        uri="",
        auth={"type": "bedrock_api_key", "api_key": TOKEN, "region": "us-east-1"},
        capabilities={"tool_calling": True},
        idle_timeout_seconds=30,
    ).create_body()
    contract.validate("CreateLLMRequest", body)
    assert "uri" not in body and "headers" not in body
    assert body["capabilities"] == {"tool_calling": True}
    assert body["idle_timeout_seconds"] == 30


@pytest.mark.parametrize(
    "changes",
    [
        LLMChanges(type="openai-compatible", fields={"description": "new"}),
        LLMChanges(type="openai-compatible", fields={"idle_timeout_seconds": None}),
        LLMChanges(type="vertex-ai", auth={"type": "api_key", "api_key": TOKEN}),
        LLMChanges(
            type="anthropic",
            fields={"type": "anthropic", "capabilities": {"context_limit": 8192}},
            auth={
                "type": "vertex_access_token",
                "access_token": TOKEN,
                "project": "p-123",
                "region": "us-east5",
            },
        ),
    ],
    ids=["description", "clear-timeout", "auth", "type-change"],
)
def test_patch_bodies_are_valid_update_requests(changes: LLMChanges) -> None:
    body = changes.patch_body()
    contract.validate("UpdateLLMRequest", body)
    assert "name" not in body
    assert TOKEN not in repr(changes) and TOKEN not in str(changes.audit_after())


def test_a_masked_secret_is_never_put_in_a_patch() -> None:
    changes = LLMChanges(type="openai-compatible", auth={"type": "bearer", "token": "****"})
    with pytest.raises(ValueError, match="masked"):
        changes.patch_body()
    assert not LLMChanges(type="openai-compatible")  # nothing to send
