from __future__ import annotations

import pytest

from llmadmin.vectara import contract
from tests.support.contract import CONTRACT, schema

SHARED = CONTRACT.parents[4] / "shared" / "vectara" / "llms-openapi.yaml"


def test_the_repo_copy_of_the_contract_matches_shared() -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not beside this checkout")
    assert CONTRACT.read_bytes() == SHARED.read_bytes()


def test_contract_constants_match_the_contract() -> None:
    assert set(contract.LLM_TYPES) == set(schema("CreateLLMRequest")["discriminator"]["mapping"])
    assert set(contract.AUTH_TYPES) == set(schema("LLMAuth")["discriminator"]["mapping"])
    for llm_type, auth_schema in {
        "openai-compatible": "RemoteAuth",
        "vertex-ai": "VertexAiAuth",
        "anthropic": "AnthropicAuth",
    }.items():
        mapping = schema(auth_schema)["discriminator"]["mapping"]
        assert set(contract.AUTH_TYPES_BY_LLM_TYPE[llm_type]) == set(mapping)
    base = schema("OpenAILLMRequestBase")["properties"]
    assert base["name"]["maxLength"] == contract.NAME_MAX_LENGTH
    assert base["description"]["maxLength"] == contract.DESCRIPTION_MAX_LENGTH
